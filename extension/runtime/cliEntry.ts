/** The `forkscope` executable (dist/cli.js): runs the CLI and exits with its code. */

import { main } from './cli';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // A bug of Forkscope's own: one line (the stack only with FORKSCOPE_DEBUG=1), never a wall of text for bad input.
    const err = e as Error;
    const detail = process.env.FORKSCOPE_DEBUG ? `\n${err?.stack ?? String(e)}` : ' (FORKSCOPE_DEBUG=1 shows where)';
    process.stderr.write(`forkscope: unexpected error: ${err?.message ?? String(e)}${detail}\n`);
    process.exitCode = 70;
  },
);

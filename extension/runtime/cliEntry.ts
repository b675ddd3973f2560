/**
 * The `forkscope` executable (dist/cli.js): runs the CLI and exits with its code.
 *
 * Kept small on purpose: for `record` it starts the script first (launch.ts,
 * startEarly), then loads the CLI itself while Python starts: dist/cli-record.js
 * for `record` and `serve` (cliRecord.ts, about 8 ms of Node's work), the whole
 * CLI (dist/cli-main.js, cli.ts) for every other verb, each with V8's code cache
 * of the run before (codeCache.ts).
 */

import * as path from 'node:path';
import { loadBundle } from './codeCache';
import { startEarly } from './launch';

const argv = process.argv.slice(2);
const early = startEarly(argv);

if (early && 'unrecorded' in early) {
  // The shell launcher started the script, and it cannot be recorded: the CLI ends when it does, as it does.
  void early.unrecorded.then((code) => {
    process.exitCode = code;
    process.exit();
  });
} else {
  run(early);
}

function run(early: Exclude<ReturnType<typeof startEarly>, { unrecorded: Promise<number> }>): void {
  // (esbuild keeps `__dirname` as it is: dist/, where the bundles are.)
  const bundle = path.join(__dirname, argv[0] === 'record' || argv[0] === 'serve' ? 'cli-record.js' : 'cli-main.js');
  const { main } = loadBundle(bundle) as typeof import('./cli');
  main(argv, early).then(
    (code) => {
      process.exitCode = code;
      // A terminal's record run (never --ipc, whose last message is sent asynchronously): the recording was
      // written synchronously and nothing is left to wait for. Ending here skips Node's teardown of its heap
      // and threads, 3 ms at the end of every run (docs/cli.md, "How a run starts").
      if (early) process.exit();
    },
    (e: unknown) => {
      // A bug of Forkscope's own: one line (the stack only with FORKSCOPE_DEBUG=1), never a wall of text for bad input.
      const err = e as Error;
      const detail = process.env.FORKSCOPE_DEBUG ? `\n${err?.stack ?? String(e)}` : ' (FORKSCOPE_DEBUG=1 shows where)';
      process.stderr.write(`forkscope: unexpected error: ${err?.message ?? String(e)}${detail}\n`);
      process.exitCode = 70;
    },
  );
}

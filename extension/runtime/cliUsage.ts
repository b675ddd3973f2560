/**
 * What every verb of the `forkscope` command line shares (docs/cli.md): the usage texts, and how a command
 * ends on a mistake of the user's (a message on one line and an exit status, never a stack). Both CLI
 * bundles hold it: dist/cli-record.js (cliRecord.ts) and dist/cli-main.js (cli.ts).
 */

import { DEFAULT_HANG_SECONDS } from '../../core/insights/shared';
import { RECORDING_EXTENSION } from '../../core/model/recording';
import { FORKSCOPE_VERSION } from './paths';
import { CliError, HelpRequested, UsageError } from './recordArgs';

const RECORD_USAGE = `Usage:
  forkscope record [options] -- SCRIPT.py [ARGS…]
  forkscope record [options] -- -m MODULE [ARGS…]
  forkscope record [options] -- PYTHON [PYTHON-OPTIONS] SCRIPT.py [ARGS…]   (also: -- PYTHON -m MODULE …)

Runs the script under Forkscope exactly as Python would (its stdin, stdout,
stderr and exit code are its own) and writes a recording.

Options:
  --out FILE, -o FILE   where to write the recording (default: SCRIPT${RECORDING_EXTENSION} in this folder)
  --python EXE          the interpreter (default: python3, else python); or name it after --
  --sample-ms N         CPU/memory sampling interval in ms (default 100)
  --max-processes N     stop tracking new processes beyond N (default 1000)
  --hang-seconds N      report a deadlock when every process involved has been stuck N s (default ${DEFAULT_HANG_SECONDS}; 0: off)
  --flush-ms N          how often each process looks at its waits and sends its events, in ms (default 20)
  --detail-rate N       per-process budget of per-message detail events per second (default 2000; counts stay exact)
  --quiet, -q           say nothing on stderr, even in a terminal
  --help, -h            this text

Python options kept after PYTHON: -X OPT, -W ARG, -u, -O, -OO, -B, -b, -bb,
-E, -s, -S, -q, -R, --check-hash-based-pycs MODE. A shim in front of Python
(pyenv, asdf, a wrapper script) is resolved once to the real binary and cached.
`;

const SUMMARY_USAGE = `Usage:
  forkscope summary FILE [--json]

Prints a recording's processes, channels, pools, locks and warnings; --json
prints the forkscope.summary/1 document.
`;

const REPORT_USAGE = `Usage:
  forkscope report FILE --html OUT.html

Writes one self-contained HTML inspector for a recording (opens offline in any browser).
`;

const EXPORT_USAGE = `Usage:
  forkscope export FILE --chrome-trace OUT.json

Writes the run as Chrome Trace Event JSON (ui.perfetto.dev, chrome://tracing).
`;

const COMPARE_USAGE = `Usage:
  forkscope compare A.forkscope B.forkscope [--json] [--html OUT.html]

Two recordings side by side (B ÷ A); --json prints forkscope.compare/1,
--html writes a self-contained page.
`;

const WARM_USAGE = `Usage:
  forkscope warm           whether this user's warm supervisor runs (its pid, its age)
  forkscope warm --stop    stops it (a run it records is seen to its end first)

A \`forkscope record\` in a terminal that starts a Node leaves one behind: it
records the next runs without starting a Node, and ends after 10 idle minutes
(FORKSCOPE_WARM_IDLE seconds). FORKSCOPE_WARM=0 asks for none.
`;

export const VERB_USAGE: Record<string, string> = {
  record: RECORD_USAGE,
  summary: SUMMARY_USAGE,
  report: REPORT_USAGE,
  export: EXPORT_USAGE,
  compare: COMPARE_USAGE,
  warm: WARM_USAGE,
};

const USAGE = `Forkscope ${FORKSCOPE_VERSION}: see a Python multiprocessing run.

Usage:
  forkscope record [options] -- SCRIPT.py [ARGS…]
  forkscope record [options] -- -m MODULE [ARGS…]
  forkscope record [options] -- python3 [PYTHON-OPTIONS] SCRIPT.py [ARGS…]
  forkscope summary FILE [--json]
  forkscope report FILE --html OUT.html           one self-contained HTML inspector (no network)
  forkscope export FILE --chrome-trace OUT.json   Chrome Trace Event JSON for Perfetto
  forkscope compare A B [--json] [--html OUT.html]  two runs side by side (B ÷ A)
  forkscope warm [--stop]                          this user's warm supervisor: is it there, stop it
  forkscope help [VERB]                            this text, or a verb's (also VERB --help)
  forkscope --version

record options:
  --out FILE            where to write the recording (default: SCRIPT${RECORDING_EXTENSION} in this folder)
  --python EXE          the interpreter (default: python3, else python); or name it after --
  --sample-ms N         CPU/memory sampling interval in ms (default 100)
  --max-processes N     stop tracking new processes beyond N (default 1000)
  --hang-seconds N      report a deadlock when every process involved has been stuck N s (default ${DEFAULT_HANG_SECONDS}; 0: off)
  --flush-ms N          how often each process looks at its waits and sends its events, in ms (default 20)
  --detail-rate N       per-process budget of per-message detail events per second (default 2000)
  --quiet               say nothing on stderr, even in a terminal
`;

/** The usage text of a verb (or the whole CLI's for null). */
export function usageOf(verb: string | null): string {
  return verb !== null && VERB_USAGE[verb] ? VERB_USAGE[verb] : USAGE;
}

/**
 * Ends `command` on an error of the user's: says what is wrong (or prints the usage asked for) and returns the exit
 * status. Returns null for anything else, a bug of Forkscope's own, which the caller lets through.
 */
export function endOnError(e: unknown, command: string | undefined): number | null {
  if (e instanceof HelpRequested) {
    process.stdout.write(usageOf(e.verb));
    return 0;
  }
  if (e instanceof UsageError) {
    const verb = command && VERB_USAGE[command] ? command : null;
    process.stderr.write(`forkscope: ${e.message} (${verb ? `forkscope ${verb} --help` : 'forkscope help'} shows the usage)\n`);
    return 2;
  }
  if (e instanceof CliError) {
    process.stderr.write(`forkscope: ${e.message}\n`);
    return e.exitCode;
  }
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string' && typeof err.path === 'string') {
    // A file the system refused (permissions, a full disk…): one line, not a stack.
    process.stderr.write(
      `forkscope: ${err.path}: ${err.code === 'ENOENT' ? 'no such file or folder' : err.code === 'EACCES' ? 'permission denied' : err.code}.\n`,
    );
    return 1;
  }
  return null;
}

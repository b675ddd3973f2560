/**
 * The `forkscope` command line (docs/cli.md):
 *
 *   forkscope record [--out FILE] [--python EXE] [--sample-ms N] [--max-processes N] [--hang-seconds N] [--flush-ms N] [--quiet] -- SCRIPT.py …
 *   forkscope record [options] -- -m MODULE [ARGS…]
 *   forkscope summary FILE [--json]
 *   forkscope report FILE --html OUT.html
 *   forkscope export FILE --chrome-trace OUT.json
 *   forkscope compare A B [--json] [--html OUT.html]
 *
 * `record --ipc` is the mode the VS Code extension forks: live records go to
 * the parent over IPC, and a `stop` message stops the run. The script's stdin,
 * stdout and stderr are this process's own, so they outlive this process.
 * `serve --ipc` is the same supervisor forked ahead of time (warm): it waits for
 * one `run` message, then is `record --ipc` with that message's arguments.
 */

import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_HANG_SECONDS } from '../../core/insights/shared';
import { makeWarning } from '../../core/model/types';
import { RunReducer } from '../../core/model/reducer';
import { parseRecording, RecordingError, RECORDING_EXTENSION, type RecordLine } from '../../core/model/recording';
import { summarize, summaryWarning } from '../../core/summary/summary';
import { formatSummary } from '../../core/summary/summaryText';
import { chromeTrace } from './chromeTrace';
import { formatComparison } from '../../core/summary/compare';
import type { FromSupervisor, SupervisorRunMessage, ToSupervisor } from '../../core/protocol/supervisor';
import { compareRuns, loadRuns, writeComparePage } from './compareReport';
import { FORKSCOPE_VERSION } from './paths';
import { readRecordingText, ReportError, writeReport } from './report';
import { planRecord, type EarlyStart } from './launch';
import { checkOutput, CliError, HelpRequested, UsageError } from './recordArgs';
import { RunSupervisor } from './supervisor';

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

const VERB_USAGE: Record<string, string> = {
  record: RECORD_USAGE,
  summary: SUMMARY_USAGE,
  report: REPORT_USAGE,
  export: EXPORT_USAGE,
  compare: COMPARE_USAGE,
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
 * `serve --ipc`: a warm supervisor. Node has started and this bundle is loaded; the run starts the
 * moment its `run` message arrives (Node's start, ~40-100 ms, is off the run's critical path). The
 * host's going away before that ends it quietly.
 */
async function serve(argv: string[]): Promise<number> {
  if (!argv.includes('--ipc') || typeof process.send !== 'function')
    throw new UsageError('serve is for the VS Code extension: it is forked with an IPC channel (serve --ipc).');
  const request = await new Promise<SupervisorRunMessage | null>((resolve) => {
    const onMessage = (m: Partial<ToSupervisor> | null) => {
      if (!m || m.type !== 'run' || !Array.isArray(m.argv) || typeof m.cwd !== 'string' || !m.env || typeof m.env !== 'object') return;
      process.off('message', onMessage);
      process.off('disconnect', onGone);
      resolve(m as SupervisorRunMessage);
    };
    const onGone = () => {
      process.off('message', onMessage);
      resolve(null);
    };
    process.on('message', onMessage);
    process.once('disconnect', onGone);
  });
  if (!request) return 0;
  process.chdir(request.cwd);
  for (const k of Object.keys(process.env)) if (!(k in request.env)) delete process.env[k];
  Object.assign(process.env, request.env);
  if (request.argv[0] !== 'record' || !request.argv.includes('--ipc'))
    throw new UsageError('a warm supervisor runs `record --ipc …` only.');
  return record(request.argv.slice(1));
}

/**
 * `record`: `early` is the script dist/cli.js already started before this
 * module loaded (launch.ts, startEarly), with the plan it made for it.
 */
async function record(argv: string[], early: EarlyStart | null = null): Promise<number> {
  const cwd = process.cwd();
  const { args: a, ipc, options } = early?.plan ?? (await planRecord(argv, process.env, cwd));
  const out = options.out;
  const saying = !a.quiet && !ipc && process.stderr.isTTY;
  const say = (msg: () => string) => {
    if (saying) process.stderr.write(`forkscope: ${msg()}\n`);
  };

  let pendingRecords: RecordLine[] = [];
  let flushTimer: NodeJS.Timeout | null = null;
  let lastSent = 0; // batches leave at most every 50 ms; the first at once (the host shows the run's start without delay)
  const send = (m: FromSupervisor) => {
    try {
      if (process.connected) process.send!(m);
    } catch {
      /* parent gone */
    }
  };
  const flushRecords = () => {
    flushTimer = null;
    if (!pendingRecords.length) return;
    send({ type: 'records', records: pendingRecords });
    pendingRecords = [];
    lastSent = performance.now();
  };

  if (ipc) {
    options.onRecord = (r) => {
      pendingRecords.push(r);
      if (!flushTimer) flushTimer = setTimeout(flushRecords, Math.max(0, 50 - (performance.now() - lastSent)));
    };
  }
  const supervisor = new RunSupervisor(options, early?.started ?? null);
  const onDisconnect = () => void supervisor.stop();
  if (ipc) {
    // The header first, so the parent can reduce records without reading the file.
    send({ type: 'header', header: supervisor.model.run.header });
    process.on('message', (m: Partial<ToSupervisor> | null) => {
      if (m && m.type === 'stop') void supervisor.stop();
    });
    // The extension host went away (VS Code closed, extension disabled): end the run rather than orphan it.
    process.on('disconnect', onDisconnect);
  }

  // Ctrl-C in a terminal reaches the script's process group too; give it 2 s to end by itself,
  // then pass the interrupt on, then stop the tree. A second Ctrl-C stops at once. SIGTERM/SIGHUP stop at once.
  let interrupts = 0;
  const onInt = () => {
    interrupts++;
    supervisor.markStopped(); // whatever outlives the script's own handling of Ctrl-C is stopped
    if (interrupts > 1) {
      void supervisor.stop();
      return;
    }
    setTimeout(() => {
      if (!supervisor.mainRunning) return;
      supervisor.signalMain('SIGINT');
      setTimeout(() => supervisor.mainRunning && void supervisor.stop(), 3000).unref();
    }, 2000).unref(); // time for the script's own cleanup (atexit, finalizers) before a second interrupt
  };
  const onTerm = () => void supervisor.stop();
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  process.on('SIGHUP', onTerm);
  early?.release();

  const result = await supervisor.run();
  if (flushTimer) clearTimeout(flushTimer);
  flushRecords();
  process.off('SIGINT', onInt);
  process.off('SIGTERM', onTerm);
  process.off('SIGHUP', onTerm);

  const unsupported = result.model.warnings.find((w) => w.kind === 'python-unsupported');
  if (result.launchError) {
    if (!ipc) process.stderr.write(`forkscope: ${result.launchError}\n`); // the extension shows it from the end message
  } else if (unsupported) {
    if (!ipc) process.stderr.write(`forkscope: ${unsupported.message}\n`);
  } else {
    say(
      () =>
        `recorded ${result.summary.run.processes} processes, ${result.summary.run.messages} messages → ${path.relative(cwd, out) || out}`,
    );
  }
  if (ipc) {
    send({
      type: 'end',
      result: {
        exitCode: result.exitCode,
        signal: result.signal,
        stopped: result.stopped,
        recording: result.recording,
        launchError: result.launchError,
        summary: result.summary,
      },
    });
    // Let the end message leave, then let go of the channel (an open IPC channel keeps this process alive).
    await new Promise((r) => setTimeout(r, 20));
    // Our own disconnect is no reason to stop anything: what the script left running stays running, as plainly.
    process.off('disconnect', onDisconnect);
    if (process.connected) process.disconnect();
  }
  if (result.launchError) return 127;
  if (result.signal) {
    // End the way the script ended, so a shell sees the same status.
    process.removeAllListeners(result.signal);
    process.kill(process.pid, result.signal);
    await new Promise((r) => setTimeout(r, 1000));
    return 128 + (os_signal(result.signal) ?? 1);
  }
  return result.exitCode ?? 1;
}

function os_signal(sig: NodeJS.Signals): number | undefined {
  return os.constants.signals[sig];
}

function summary(argv: string[]): number {
  const json = argv.includes('--json');
  const files = argv.filter((x) => !x.startsWith('--'));
  const unknown = argv.filter((x) => x.startsWith('--') && x !== '--json');
  if (unknown.length) throw new UsageError(`Unknown option ${unknown[0]}.`);
  if (files.length !== 1) throw new UsageError('Name one recording: forkscope summary FILE [--json]');
  const file = files[0];
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new RecordingError(err.code === 'ENOENT' ? `${file}: no such file.` : `${file}: cannot be read (${err.code ?? err.message}).`);
  }
  const rec = parseRecording(text, file);
  const model = RunReducer.fromRecords(rec.header, rec.records);
  const s = summarize(model);
  if (rec.truncated)
    s.warnings.push(
      summaryWarning(
        makeWarning(
          'recording-truncated',
          null,
          `${file} ends mid-line (the recorder was cut off); everything before the cut was loaded.`,
          s.run.wallSeconds,
        ),
      ),
    );
  if (!rec.records.some((r) => r[0] === 'end')) {
    s.warnings.push(
      summaryWarning(
        makeWarning(
          'recording-unfinished',
          null,
          `${file} has no end record: the run was still going or the recorder was killed. It shows the run up to the last record.`,
          s.run.wallSeconds,
        ),
      ),
    );
  }
  process.stdout.write(json ? JSON.stringify(s, null, 2) + '\n' : formatSummary(s));
  return 0;
}

/** Parses `FILE --FLAG OUT` (in any order) for report/export. */
function fileAndOutput(argv: string[], flag: string, usage: string): { file: string; out: string } {
  let out: string | null = null;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === flag) {
      out = argv[++i] ?? null;
      if (out === null) throw new UsageError(`${flag} needs a file name.`);
    } else if (a.startsWith(`${flag}=`)) out = a.slice(flag.length + 1);
    else if (a.startsWith('--')) throw new UsageError(`Unknown option ${a}.`);
    else files.push(a);
  }
  if (files.length !== 1 || !out) throw new UsageError(usage);
  return { file: files[0], out };
}

function report(argv: string[]): number {
  const { file, out } = fileAndOutput(argv, '--html', 'Name one recording and the page: forkscope report FILE --html OUT.html');
  const bytes = writeReport(file, out);
  if (process.stderr.isTTY)
    process.stderr.write(`forkscope: report of ${file} → ${out} (${Math.round(bytes / 1024)} KiB, opens offline in any browser)\n`);
  return 0;
}

function exportTrace(argv: string[]): number {
  const { file, out } = fileAndOutput(
    argv,
    '--chrome-trace',
    'Name one recording and the trace file: forkscope export FILE --chrome-trace OUT.json',
  );
  checkOutput(path.resolve(out), 'the trace');
  const rec = parseRecording(readRecordingText(file), file);
  const model = RunReducer.fromRecords(rec.header, rec.records);
  fs.writeFileSync(out, JSON.stringify(chromeTrace(model)));
  if (process.stderr.isTTY)
    process.stderr.write(`forkscope: Chrome trace of ${file} → ${out} (open it in ui.perfetto.dev or chrome://tracing)\n`);
  return 0;
}

/** `compare A B [--json] [--html OUT.html]`: two recordings' figures and B ÷ A (docs/compare.md). */
function compare(argv: string[]): number {
  const usage = 'Usage: forkscope compare A.forkscope B.forkscope [--json] [--html OUT.html]';
  let json = false;
  let html: string | null = null;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') json = true;
    else if (a === '--html') {
      html = argv[++i] ?? null;
      if (html === null) throw new UsageError('--html needs a file name.');
    } else if (a.startsWith('--html=')) html = a.slice('--html='.length);
    else if (a.startsWith('--')) throw new UsageError(`Unknown option ${a}.`);
    else files.push(a);
  }
  if (files.length !== 2)
    throw new UsageError(`compare takes two recordings: name exactly two recordings, A then B (${usage.replace('Usage: ', '')})`);
  const runs = loadRuns([files[0], files[1]]);
  const c = compareRuns(runs);
  process.stdout.write(json ? JSON.stringify(c, null, 2) + '\n' : formatComparison(c));
  if (html) {
    const bytes = writeComparePage(runs, html);
    if (process.stderr.isTTY)
      process.stderr.write(`forkscope: comparison → ${html} (${Math.round(bytes / 1024)} KiB, opens offline in any browser)\n`);
  }
  return 0;
}

/** Runs the CLI; resolves to the exit code. */
/** Runs the CLI on `argv` (the words after `forkscope`); `early`: a `record` script already started (launch.ts). */
export async function main(argv: string[], early: EarlyStart | null = null): Promise<number> {
  const [command, ...rest] = argv;
  try {
    // `VERB --help` / `VERB -h` (record's own options are read by its parser: after -- they belong to the script).
    if (command && command !== 'record' && VERB_USAGE[command] && rest.some((x) => x === '--help' || x === '-h'))
      throw new HelpRequested(command);
    switch (command) {
      case 'record':
        return await record(rest, early);
      case 'serve':
        return await serve(rest);
      case 'summary':
        return summary(rest);
      case 'report':
        return report(rest);
      case 'export':
        return exportTrace(rest);
      case 'compare':
        return compare(rest);
      case '--version':
      case '-V':
        process.stdout.write(`${FORKSCOPE_VERSION}\n`);
        return 0;
      case undefined:
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      case 'help': {
        const verb = rest[0];
        if (verb !== undefined && !VERB_USAGE[verb])
          throw new UsageError(`No help for "${verb}": the verbs are ${Object.keys(VERB_USAGE).join(', ')}.`);
        process.stdout.write(usageOf(verb ?? null));
        return 0;
      }
      default:
        throw new UsageError(`Unknown command "${command}" (the verbs are ${Object.keys(VERB_USAGE).join(', ')}; forkscope help).`);
    }
  } catch (e) {
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
    if (e instanceof RecordingError) {
      process.stderr.write(`forkscope: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ReportError) {
      process.stderr.write(`forkscope: ${e.message}\n`);
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    if (err && typeof err.code === 'string' && typeof err.path === 'string') {
      // A file the system refused (permissions, a full disk…): one line, not a stack.
      process.stderr.write(
        `forkscope: ${err.path}: ${err.code === 'ENOENT' ? 'no such file or folder' : err.code === 'EACCES' ? 'permission denied' : err.code}.\n`,
      );
      return 1;
    }
    throw e;
  }
}

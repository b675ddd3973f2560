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
 * This file is the whole command line (dist/cli-main.js). `record` and `serve` live in cliRecord.ts, which
 * is also a bundle of its own (dist/cli-record.js): dist/cli.js loads that one alone for them.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeWarning } from '../../core/model/types';
import { RunReducer } from '../../core/model/reducer';
import { parseRecording, RecordingError } from '../../core/model/recording';
import { summarize, summaryWarning } from '../../core/summary/summary';
import { formatSummary } from '../../core/summary/summaryText';
import { chromeTrace } from './chromeTrace';
import { formatComparison } from '../../core/summary/compare';
import { main as recordMain } from './cliRecord';
import { endOnError, usageOf, VERB_USAGE } from './cliUsage';
import { compareRuns, loadRuns, writeComparePage } from './compareReport';
import { FORKSCOPE_VERSION } from './paths';
import { readRecordingText, ReportError, writeReport } from './report';
import { stopWarmSupervisor, warmState } from './warmControl';
import type { EarlyStart } from './launch';
import { checkOutput, HelpRequested, UsageError } from './recordArgs';

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

/** `warm [--stop]`: this user's warm supervisor (warmControl.ts). */
async function warm(argv: string[]): Promise<number> {
  const stop = argv.includes('--stop');
  const other = argv.find((a) => a !== '--stop');
  if (other !== undefined)
    throw new UsageError(other.startsWith('-') ? `Unknown option ${other}.` : `warm takes no file or word (${other}).`);
  const { pid, socket, ageSeconds } = warmState();
  const off = process.env.FORKSCOPE_WARM === '0' ? ' (FORKSCOPE_WARM=0 here: none is left behind)' : '';
  if (pid === null) {
    process.stdout.write(`No warm supervisor runs for this user${off}.\n`);
    return 0;
  }
  if (!stop) {
    const age = ageSeconds === null ? '' : `, started ${formatAge(ageSeconds)} ago`;
    process.stdout.write(`A warm supervisor runs for this user: pid ${pid}${age}, listening on ${socket}${off}.\n`);
    return 0;
  }
  const r = await stopWarmSupervisor();
  if (r === null || r.ended) process.stdout.write(`Stopped the warm supervisor (pid ${pid}).\n`);
  else process.stdout.write(`The warm supervisor (pid ${pid}) takes no new run, and ends when the run it records ends.\n`);
  return 0;
}

function formatAge(s: number): string {
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** Runs the CLI on `argv` (the words after `forkscope`); `early`: a `record` script already started (launch.ts). */
export async function main(argv: string[], early: EarlyStart | null = null): Promise<number> {
  const [command, ...rest] = argv;
  try {
    // `VERB --help` / `VERB -h` (record's own options are read by its parser: after -- they belong to the script).
    if (command && command !== 'record' && VERB_USAGE[command] && rest.some((x) => x === '--help' || x === '-h'))
      throw new HelpRequested(command);
    switch (command) {
      case 'record':
      case 'serve':
        return await recordMain(argv, early);
      case 'summary':
        return summary(rest);
      case 'report':
        return report(rest);
      case 'export':
        return exportTrace(rest);
      case 'compare':
        return compare(rest);
      case 'warm':
        return await warm(rest);
      case '--version':
      case '-V':
        process.stdout.write(`${FORKSCOPE_VERSION}\n`);
        return 0;
      case undefined:
      case '--help':
      case '-h':
        process.stdout.write(usageOf(null));
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
    if (e instanceof RecordingError) {
      process.stderr.write(`forkscope: ${e.message}\n`);
      return 2;
    }
    if (e instanceof ReportError) {
      process.stderr.write(`forkscope: ${e.message}\n`);
      return 1;
    }
    const code = endOnError(e, command);
    if (code !== null) return code;
    throw e;
  }
}

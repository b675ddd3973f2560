/**
 * The recording: a versioned, append-only, line-oriented file (one JSON value
 * per line). Line 1 is the header; every later line is a record. A truncated
 * last line (crash, kill, full disk) is ignored and everything before it
 * loads. Documented in docs/recording-format.md.
 *
 * Pure code (no Node or DOM imports): the supervisor, the CLI, the webview and
 * the tests all read recordings through this module.
 */

export const RECORDING_FORMAT = 'forkscope.recording';
export const RECORDING_VERSION = 1;
/** File name extension of recordings. */
export const RECORDING_EXTENSION = '.forkscope';

export interface RecordingHeader {
  format: typeof RECORDING_FORMAT;
  version: number;
  /** Epoch seconds when the supervisor started the interpreter; all times in the file are epoch seconds. */
  startedAt: number;
  /** Script path as given, or null when a module was run. */
  script: string | null;
  /** Module name for `-m MODULE`, else null. */
  module: string | null;
  args: string[];
  /** The interpreter command that was launched (as named: `python3`, a shim). */
  python: string;
  /** The binary actually started when `python` is a shim resolved to it (absent when `python` itself was started). */
  executable?: string;
  /** Interpreter options given before the script (`-X dev`, `-u`…; absent when none). */
  pythonOptions?: string[];
  cwd: string;
  cpuCount: number;
  sampleMs: number;
  platform: string;
  maxProcesses: number;
  /** Version of Forkscope that wrote the file. */
  forkscope: string;
  /** The `forkscope` command started Python first and the supervisor beside it (absent when the supervisor started Python). */
  pythonFirst?: true;
  /** Recorded by this user's warm supervisor: no Node was started for the run (docs/cli.md). */
  warm?: true;
}

/** One runtime event as sent by the Python runtime: `[type, epochSeconds, ...fields]`. */
export type RuntimeEvent = [string, number, ...unknown[]];

/**
 * A per-process sample: pid, CPU % (100 = one core), RSS bytes, OS state letter, OS parent pid, CPU
 * seconds, then (added within version 1; absent in older recordings, null where unknown or not read
 * at that sample) private bytes (USS: Private_Clean + Private_Dirty), PSS bytes and shared bytes
 * (Shared_Clean + Shared_Dirty) from /proc/PID/smaps_rollup.
 */
export type SampleRow = [
  number,
  number,
  number,
  string | null,
  number | null,
  number | null,
  (number | null)?,
  (number | null)?,
  (number | null)?,
];

export type RecordLine =
  | ['hello', number, number, number] // t, pid, ppid: a process connected
  | ['ev', number, RuntimeEvent[]] // pid, batch of events from that process
  | ['bye', number, number] // t, pid: the process's connection ended (it died or detached)
  | ['sample', number, SampleRow[]] // t, rows
  | ['spawned', number, number] // t, pid of the interpreter the supervisor launched
  | ['exited', number, number | null, string | null] // t, exit code, signal name
  | ['warn', number, string, number | null, string, WarningExtra?] // t, kind, pid, message[, extra]
  | ['dropped', number, number] // t, events the supervisor could not take (cumulative)
  | ['adopted', number, number, number, string | null] // t, pid, the pid that adopted it after its parent died, that process's command name
  | ['exitcode', number, number, number] // t, pid, exit code of a zombie nobody had reaped yet (from /proc)
  | ['child', number, number, number, string[], { fork?: boolean }?] // t, pid, ppid, argv[, fork: same argv as its parent]: a child of a run process found in /proc (not yet connected)
  | ['end', number, EndInfo]; // t, the run is over

/**
 * Optional sixth field of a `warn` record (added within version 1; readers
 * that do not know it ignore it). Every field is optional.
 */
export interface WarningExtra {
  /** Every process the warning is about (the record's pid is the first, or null). */
  pids?: number[];
  /** `error` (the run cannot finish as written: a deadlock), `warning`, or `info`. */
  severity?: 'error' | 'warning' | 'info';
  /** The channel, lock or pool ref concerned, as in the recording. */
  ref?: string | null;
  /** Where in the user's code to look: an absolute path and a 1-based line. */
  file?: string | null;
  line?: number | null;
  /** Seconds from the run's start when the condition began (the record's own t is when it was found). */
  since?: number | null;
}

export interface EndInfo {
  exitCode: number | null;
  signal: string | null;
  /** True when the run was stopped (Stop, Ctrl-C, SIGTERM) rather than ending by itself. */
  stopped: boolean;
}

export class RecordingError extends Error {}

export interface ParsedRecording {
  header: RecordingHeader;
  records: RecordLine[];
  /** True when the last line was cut (the writer crashed or was killed mid-line). */
  truncated: boolean;
  /** Lines after the header that could not be read and were skipped (should be 0 in a healthy file). */
  skippedLines: number;
}

/** Checks and returns a header, or throws a RecordingError with a one-line reason. */
export function parseHeader(line: string, source = 'the file'): RecordingHeader {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new RecordingError(`${source} is not a Forkscope recording (its first line is not JSON).`);
  }
  const header = value as Partial<RecordingHeader> | null;
  if (!header || typeof header !== 'object' || header.format !== RECORDING_FORMAT) {
    throw new RecordingError(`${source} is not a Forkscope recording (no "${RECORDING_FORMAT}" header).`);
  }
  if (typeof header.version !== 'number' || header.version > RECORDING_VERSION) {
    throw new RecordingError(
      `${source} is a Forkscope recording of format version ${String(header.version)}, newer than this Forkscope reads (${RECORDING_VERSION}): update Forkscope.`,
    );
  }
  return header as RecordingHeader;
}

/**
 * Splits a whole recording's text into header and records. Tolerates a cut
 * last line; refuses a file that is not a recording.
 */
export function parseRecording(text: string, source = 'the file'): ParsedRecording {
  const lines = text.split('\n');
  const endsWithNewline = text.endsWith('\n');
  if (endsWithNewline) lines.pop();
  if (lines.length === 0 || lines[0].trim() === '') {
    throw new RecordingError(`${source} is empty: not a Forkscope recording.`);
  }
  const header = parseHeader(lines[0], source);
  const records: RecordLine[] = [];
  let truncated = false;
  let skippedLines = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line === '') continue;
    try {
      records.push(JSON.parse(line) as RecordLine);
    } catch {
      if (i === lines.length - 1 && !endsWithNewline) truncated = true;
      else skippedLines++;
    }
  }
  return { header, records, truncated, skippedLines };
}

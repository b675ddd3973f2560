/**
 * The run model: what a recording (or a live event stream) says about a run,
 * reduced into processes, their states over time, channels and their flows,
 * locks, pools, samples and warnings.
 *
 * `RunReducer` is pure code (no Node, VS Code or DOM imports) so the same
 * reduction runs in the supervisor, the webview and plain-Node tests. Feed it
 * the header, then records in file order; ask it for the model at any time.
 * All times in the model are seconds from the run's start.
 */

import type { RecordingHeader, RecordLine, RuntimeEvent, SampleRow } from './recording';

export type ProcessRole =
  | 'main'
  | 'process'
  | 'pool-worker'
  | 'executor-worker'
  | 'manager'
  | 'forkserver'
  | 'resource-tracker'
  | 'fork'
  /** A Python interpreter started outside multiprocessing (subprocess, os.posix_spawn), recorded by its own runtime. */
  | 'subprocess'
  /** A program that is not Python (or a Python that could not load the runtime), seen only from outside. */
  | 'command';

export type ChannelKind = 'queue' | 'simplequeue' | 'joinablequeue' | 'pipe' | 'pool' | 'manager';

/** A stretch of time a process's main thread spent blocked. */
export interface WaitInterval {
  begin: number;
  /** null while the wait is still going on. */
  end: number | null;
  /** `join`, `queue.get`, `recv`, `lock`, `sleep`, … */
  what: string;
  /** The process key, channel ref or lock ref waited on, when there is one. */
  ref: string | null;
  detail: string | null;
  /** The user's line the wait was called from (known for waits that lasted; runtime `ws` event). */
  file?: string | null;
  line?: number | null;
}

/**
 * Where the runtime found a process's main thread staying outside any wait it
 * records (runtime `bk`/`bke` events): the model draws it as the detail of
 * `blocked` stretches (the OS says asleep) it overlaps.
 */
export interface BlockedSite {
  begin: number;
  /** null while the main thread is still there. */
  end: number | null;
  /** `exit-flush` (at exit, waiting for a Queue's feeder thread to flush), else `frame`. */
  what: string;
  /** The queue's ref for `exit-flush`. */
  ref: string | null;
  /** What the frame is, in words (`threading.Thread.join`, …). */
  detail: string | null;
  /** The user's line it is in (else the innermost frame's). */
  file: string | null;
  line: number | null;
}

export interface JoinRecord {
  /** Pid of the process that called join(). */
  by: number;
  begin: number;
  end: number;
}

export interface ProcessCounters {
  sent: Record<string, [number, number]>;
  /** "ref fromPid" -> [msgs, bytes, latSum, latMax, latN]; latN (messages whose latency was sampled) is absent in recordings before 0.1.0's sampling: then every message was timed. */
  recv: Record<string, [number, number, number, number, number?]>;
  locks: Record<string, [number, number, number]>;
  waits: Record<string, number>;
  tasks: Record<string, [number, number, number]>;
  calls: Record<string, number>;
  /** "ref method" -> [calls timed, seconds, max seconds]: Manager proxy calls' round trips (absent before 0.2). */
  callTimes: Record<string, [number, number, number]>;
  detail: number;
  dropped: number;
  droppedBatches: number;
}

export interface ProcessModel {
  pid: number;
  /** OS parent pid when the process was first seen. */
  ppid: number | null;
  /** Pid of the process that started it with multiprocessing (null for the main process and unknown origins). */
  parentPid: number | null;
  key: string | null;
  name: string;
  role: ProcessRole;
  startMethod: string | null;
  target: string | null;
  file: string | null;
  line: number | null;
  daemon: boolean | null;
  /** When start() was called on it (in the parent). */
  createdAt: number | null;
  /** When it was first known to exist (started event, hello or its own first event). */
  startedAt: number;
  runAt: number | null;
  runEndAt: number | null;
  /**
   * The main process only: when the runtime's first word from it arrived (its first event or its connection,
   * whichever is earlier). Before it, from `startedAt` (the supervisor's launch), the interpreter was starting
   * (a shim in front of Python, Python's own start-up): drawn as "starting Python", not as the script running.
   */
  bootAt: number | null;
  /** Exception text if run() raised. */
  error: string | null;
  /** When it died (its exit event, else the end of its event stream, else a sample saw it gone or a zombie). */
  endedAt: number | null;
  exitCode: number | null;
  /** When its parent learned the exit code (reap or join), or when its parent ended. */
  reapedAt: number | null;
  joins: JoinRecord[];
  orphanedAt: number | null;
  waits: WaitInterval[];
  counters: ProcessCounters;
  cpuSeconds: number;
  /** CPU seconds the process reported itself in its `exit` event (null until then / unknown). */
  exitCpuSeconds: number | null;
  peakRssBytes: number;
  /** Peaks of private (USS), shared and proportional (PSS) memory from smaps_rollup samples (null: never measured). */
  peakPrivateBytes: number | null;
  peakSharedBytes: number | null;
  peakPssBytes: number | null;
  /** The latest sample, for live views. */
  cpuPercent: number | null;
  rssBytes: number | null;
  /** Latest private / PSS / shared bytes (null where smaps_rollup was not read). */
  privateBytes: number | null;
  pssBytes: number | null;
  sharedBytes: number | null;
  osState: string | null;
  osPpid: number | null;
  /**
   * Samples over time; `state` is the OS state letter of each (null where the platform has none);
   * `uss`/`pss`/`shared` the private, proportional and shared bytes (the latest measured value
   * carried to samples where smaps_rollup was not read; null before the first, or without it).
   */
  samples: { t: number[]; cpu: number[]; rss: number[]; state: (string | null)[]; uss: (number | null)[]; pss: (number | null)[]; shared: (number | null)[] };
  /** The sampling interval of the run in seconds (from the header), used to read the samples as intervals. */
  sampleSeconds: number;
  /** Where the main thread stayed outside recorded waits (runtime `bk`/`bke`). */
  blockedSites: BlockedSite[];
  connected: boolean;
  /** The pids of its children the OS still listed when it exited (its `exit` event; null where unknown). */
  childrenAtExit: number[] | null;
  /** How it ended (null while it lives): decided by `decideEnd` from what the process and its parent said and the exit code. */
  endReason: EndReason | null;
  /** The exception line, the sys.exit/os._exit code, the signal's name, or what stopped it (`leaving with Pool(...)`). */
  endDetail: string | null;
  /** The OS parent that took it in after its parent died (the sampled parent pid), and that process's command name when known. */
  adoptedBy: number | null;
  adoptedByName: string | null;
  /** Inputs of endReason: what the process said of its own end (`ended` event), and a stop its parent made (`endby`). */
  endSaid?: { reason: string; detail: string | null; t: number } | null;
  endBy?: { reason: string; detail: string | null; t: number; by: number } | null;
  /** What its own Python wrote to sys.stdout/sys.stderr (runtime `out` events; absent until it writes). */
  output?: ProcessOutput;
  /** The command line it runs, for processes started outside multiprocessing (subprocess children, commands). */
  command?: string | null;
  /** The programs it replaced itself with (`os.exec*`), in order; absent when it never exec'd. */
  execs?: ExecRecord[];
}

/** One `os.exec*` of a process: the same pid runs `argv` from `at` on. */
export interface ExecRecord {
  at: number;
  argv: string[];
  /** True when the new program is Python that loads the runtime (its events continue the same process). */
  python: boolean;
}

/** One recorded write (or several close together) of a process to a standard stream. */
export interface OutputChunk {
  t: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

/** A process's recorded output, bounded by MODEL_LIMITS.outputChars. */
export interface ProcessOutput {
  chunks: OutputChunk[];
  /** Characters kept. */
  chars: number;
  /** UTF-8 bytes of the text kept. */
  bytes: number;
  /** Line ends in the text kept, plus one for an unfinished last line per stream. */
  newlines: number;
  /** The runtime (outcap) or the model stopped recording this process's text. */
  capped: boolean;
}

/** Lines of a process's recorded output (a last line without its newline counts). */
export function outputLines(o: ProcessOutput | undefined): number {
  if (!o) return 0;
  let n = o.newlines;
  for (const s of ['stdout', 'stderr'] as const) {
    for (let i = o.chunks.length - 1; i >= 0; i--) {
      if (o.chunks[i].stream !== s) continue;
      if (!o.chunks[i].text.endsWith('\n')) n++;
      break;
    }
  }
  return n;
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Adds a recorded write to a process's output (the model's own bound applies). */
export function addOutput(p: ProcessModel, t: number, stream: 'stdout' | 'stderr', text: string): void {
  const o = (p.output ??= { chunks: [], chars: 0, bytes: 0, newlines: 0, capped: false });
  const room = MODEL_LIMITS.outputChars - o.chars;
  if (room <= 0) {
    o.capped = true;
    return;
  }
  if (text.length > room) {
    text = text.slice(0, room);
    o.capped = true;
  }
  o.chars += text.length;
  o.bytes += utf8Length(text);
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) o.newlines++;
  const last = o.chunks.length ? o.chunks[o.chunks.length - 1] : undefined;
  // A write that continues the last one's line on the same stream joins it (print's text and its newline).
  if (last && last.stream === stream && !last.text.endsWith('\n')) last.text += text;
  else o.chunks.push({ t, stream, text });
}

/**
 * How a process ended: its run() `returned`, raised (`exception`), called `sys.exit`, was stopped by its pool's
 * or executor's own shutdown (`terminated-by-pool`), by its parent's `terminate()`, `kill()` or `interrupt()`,
 * killed by a `signal` from elsewhere, called `os._exit`, or nobody can tell (`unknown`).
 */
export type EndReason =
  | 'returned'
  | 'exception'
  | 'sys.exit'
  | 'terminated-by-pool'
  | 'terminate()'
  | 'kill()'
  | 'interrupt()'
  | 'signal'
  | 'os._exit'
  | 'unknown';

/** The `endDetail` of a daemonic child terminated by multiprocessing's exit function when its parent exited. */
export const DAEMON_AT_EXIT = 'daemon: its parent exited';

const END_REASONS: ReadonlySet<string> = new Set(['returned', 'exception', 'sys.exit', 'terminated-by-pool', 'terminate()', 'kill()', 'interrupt()', 'signal', 'os._exit', 'unknown']);

/** Linux signal numbers (exit code -N under multiprocessing, N in the run's `exited` record). */
export const LINUX_SIGNALS: Readonly<Record<number, string>> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  5: 'SIGTRAP',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  10: 'SIGUSR1',
  11: 'SIGSEGV',
  12: 'SIGUSR2',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
  24: 'SIGXCPU',
  25: 'SIGXFSZ',
  26: 'SIGVTALRM',
  27: 'SIGPROF',
  31: 'SIGSYS',
};

/**
 * True for an end nobody needs to act on: returned, sys.exit(0), os._exit(0), the pool's own shutdown, a daemon
 * terminated by multiprocessing when its parent exited (as daemons are meant to be), or exit code 0.
 */
export function endIsNormal(p: Pick<ProcessModel, 'endReason' | 'exitCode'> & { endDetail?: string | null }): boolean {
  switch (p.endReason) {
    case 'returned':
    case 'terminated-by-pool':
      return true;
    case 'terminate()':
      return p.endDetail === DAEMON_AT_EXIT;
    case 'sys.exit':
    case 'os._exit':
    case 'unknown':
      return p.exitCode === 0;
    default:
      return false;
  }
}

export interface ChannelModel {
  id: string;
  kind: ChannelKind;
  name: string | null;
  file: string | null;
  line: number | null;
  createdBy: number | null;
  createdAt: number | null;
  refs: string[];
  pool: string | null;
}

export interface LockModel {
  id: string;
  kind: string;
  name: string | null;
  file: string | null;
  line: number | null;
  createdBy: number | null;
}

/** One hold of a user's lock by a process (acquire → release), from the runtime's sampled `hold` events. */
export interface LockHoldModel {
  /** Lock ref, as in `RunModel.locks`. */
  ref: string;
  pid: number;
  begin: number;
  end: number;
}

export interface SharedModel {
  kind: string;
  typecode: string | null;
  length: number | null;
  bytes: number | null;
  name: string | null;
  file: string | null;
  line: number | null;
  createdBy: number;
  createdAt: number;
  /** Whether it came with a lock (`Value`/`Array` with `lock` not False); null where the recording did not say. */
  lock?: boolean | null;
}

export interface PoolCall {
  job: number | string;
  method: string;
  tasks: number | null;
  chunksize: number | null;
  at: number;
  by: number;
}

export interface PoolModel {
  id: string;
  kind: 'pool' | 'executor';
  processes: number | null;
  maxtasksperchild: number | null;
  tasksChannel: string | null;
  resultsChannel: string | null;
  name: string | null;
  file: string | null;
  line: number | null;
  createdBy: number;
  createdAt: number;
  calls: PoolCall[];
  /** The work ids that are this pool's own on a task channel shared with other pools (a joblib
   * `Parallel` call on loky's reused executor): [first, last], last null while the call runs. */
  jobs?: [number, number | null] | null;
  /** The library whose pool this is (`joblib`: a `Parallel` call), else null. */
  library?: string | null;
}

/** Whether a task's job id (a number, or its text from a counter key) belongs to `pool`. */
export function poolHasJob(pool: PoolModel, job: number | string | undefined): boolean {
  const r = pool.jobs;
  if (!r) return true;
  const n = typeof job === 'number' ? job : Number(job);
  if (!Number.isFinite(n)) return false;
  return n >= r[0] && (r[1] === null || n <= r[1]);
}

/** One message whose detail was recorded (detail is sampled under load; counts are exact). */
export interface MessageModel {
  /** Receive time. */
  t: number;
  sentAt: number;
  from: number;
  to: number;
  /** Raw channel ref as recorded; resolve with `RunModel.channelOf`. */
  ref: string;
  bytes: number;
  tag: string | null;
}

export interface TaskModel {
  worker: number;
  /** Channel ref of the pool's task channel. */
  ref: string;
  job: number | string;
  chunk: number | null;
  items: number | null;
  begin: number;
  end: number;
  ok: boolean;
}

export interface WarningModel {
  kind: string;
  pid: number | null;
  message: string;
  /** Seconds from the run's start when it was found. */
  t: number;
  /** Every process involved (at least `pid` when it is not null). */
  pids: number[];
  severity: 'error' | 'warning' | 'info';
  ref: string | null;
  file: string | null;
  line: number | null;
  since: number | null;
}

/** A warning from its parts (the optional ones as a `warn` record's extra field carries them). */
export function makeWarning(kind: string, pid: number | null, message: string, t: number, extra: unknown = null): WarningModel {
  const x = obj(extra);
  const pids = Array.isArray(x.pids) ? x.pids.filter((n): n is number => typeof n === 'number' && Number.isInteger(n)) : [];
  if (pid !== null && !pids.includes(pid)) pids.unshift(pid);
  const sev = str(x.severity);
  return {
    kind,
    pid,
    message,
    t,
    pids,
    severity: sev === 'error' || sev === 'info' ? sev : 'warning',
    ref: str(x.ref),
    file: str(x.file),
    line: num(x.line),
    since: num(x.since),
  };
}

export interface RunInfo {
  header: RecordingHeader;
  mainPid: number | null;
  exitCode: number | null;
  signal: string | null;
  stopped: boolean;
  /** Seconds from start to the end record (or to the latest record seen, while live). */
  wallSeconds: number;
  ended: boolean;
  /** Events the supervisor could not take (its own count). */
  supervisorDropped: number;
  /** The latest time any record carried. */
  now: number;
}

/** Caps that keep a live model bounded however long or busy the run. */
export const MODEL_LIMITS = {
  messages: 500_000,
  tasks: 200_000,
  holds: 200_000,
  samplesPerProcess: 20_000,
  /** Characters of output text kept per process (the runtime's own cap is the same). */
  outputChars: 1024 * 1024,
};

const emptyCounters = (): ProcessCounters => ({
  sent: {},
  recv: {},
  locks: {},
  waits: {},
  tasks: {},
  calls: {},
  callTimes: {},
  detail: 0,
  dropped: 0,
  droppedBatches: 0,
});

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
/** A pool event's `jobs` ([first, last|null]), else null. */
const jobRange = (v: unknown): [number, number | null] | null => (Array.isArray(v) && num(v[0]) !== null ? [num(v[0])!, num(v[1])] : null);
const bool = (v: unknown): boolean | null => (typeof v === 'boolean' ? v : null);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/** A command line as one line of text (arguments with spaces quoted). */
export function commandLine(argv: unknown[]): string {
  return argv.map((a) => (typeof a === 'string' && (a === '' || /[\s"']/.test(a)) ? JSON.stringify(a) : String(a))).join(' ');
}

const ROLES: ReadonlySet<string> = new Set([
  'main',
  'process',
  'pool-worker',
  'executor-worker',
  'manager',
  'forkserver',
  'resource-tracker',
  'fork',
  'subprocess',
  'command',
]);

/** Roles that are multiprocessing's own helpers: quieter in views, never flagged as orphans. */
export const HELPER_ROLES: ReadonlySet<ProcessRole> = new Set(['forkserver', 'resource-tracker']);

interface PendingCreate {
  parentPid: number;
  at: number;
  info: Record<string, unknown>;
}

/** The reduced run. Built by `RunReducer`; read-only for its users. */
export class RunModel {
  readonly processes: ProcessModel[] = [];
  readonly byPid = new Map<number, ProcessModel>();
  readonly channels = new Map<string, ChannelModel>();
  readonly refAlias = new Map<string, string>();
  readonly locks = new Map<string, LockModel>();
  readonly shared: SharedModel[] = [];
  /** Sampled lock holds (`hold` events), in arrival order. */
  readonly holds: LockHoldModel[] = [];
  readonly pools = new Map<string, PoolModel>();
  readonly messages: MessageModel[] = [];
  readonly tasks: TaskModel[] = [];
  readonly warnings: WarningModel[] = [];
  readonly totalCpu: { t: number[]; cpu: number[] } = { t: [], cpu: [] };
  /** Detail records the model itself did not keep because of MODEL_LIMITS. */
  modelDropped = 0;
  /** Bumped on every change, so views can tell whether to redraw. */
  version = 0;
  readonly run: RunInfo;

  constructor(header: RecordingHeader) {
    this.run = {
      header,
      mainPid: null,
      exitCode: null,
      signal: null,
      stopped: false,
      wallSeconds: 0,
      ended: false,
      supervisorDropped: 0,
      now: 0,
    };
  }

  /** The channel a raw ref belongs to (creating an anonymous one is the reducer's job). */
  channelOf(ref: string): ChannelModel | undefined {
    return this.channels.get(this.refAlias.get(ref) ?? ref);
  }

  /** The children of a process, by multiprocessing parent (else OS parent). */
  childrenOf(pid: number | null): ProcessModel[] {
    return this.processes.filter((p) => parentOf(p, this) === pid);
  }

  /** Top of the tree: processes whose parent is not in the run. */
  roots(): ProcessModel[] {
    return this.processes.filter((p) => {
      const parent = parentOf(p, this);
      return parent === null || !this.byPid.has(parent);
    });
  }
}

/** The parent used to draw the tree: the multiprocessing parent when known, else the OS parent if it is in the run. */
export function parentOf(p: ProcessModel, model: RunModel): number | null {
  if (p.parentPid !== null) return p.parentPid;
  if (p.ppid !== null && model.byPid.has(p.ppid) && p.ppid !== p.pid) return p.ppid;
  return null;
}

export class RunReducer {
  readonly model: RunModel;
  private readonly t0: number;
  private readonly pendingCreates = new Map<string, PendingCreate>();
  private readonly keyToPid = new Map<string, number>();
  private readonly everConnected = new WeakSet<ProcessModel>();
  /** Processes that announced an os.exec* and have not connected again since. */
  private readonly execPending = new WeakSet<ProcessModel>();

  constructor(header: RecordingHeader) {
    this.model = new RunModel(header);
    this.t0 = header.startedAt;
  }

  /** Reduces a whole recording (header already given to the constructor). */
  static fromRecords(header: RecordingHeader, records: Iterable<RecordLine>): RunModel {
    const reducer = new RunReducer(header);
    for (const r of records) reducer.apply(r);
    reducer.finish();
    return reducer.model;
  }

  private rel(t: unknown): number {
    const n = num(t);
    return n === null ? this.model.run.now : Math.max(0, n - this.t0);
  }

  private touch(t: number): void {
    if (t > this.model.run.now) this.model.run.now = t;
    if (!this.model.run.ended) this.model.run.wallSeconds = this.model.run.now;
  }

  /** Applies one record. Unknown record kinds are ignored (forward compatibility within a version). */
  apply(record: RecordLine): void {
    if (!Array.isArray(record)) return;
    this.model.version++;
    switch (record[0]) {
      case 'hello': {
        const t = this.rel(record[1]);
        this.touch(t);
        // A process connects once in its life: a pid that connected before and said bye is a new process.
        // (Its hello may arrive after its parent reaped it: the first flush can be its last.)
        const known = this.model.byPid.get(record[2]);
        const execing = known !== undefined && this.execPending.has(known);
        if (execing) this.execPending.delete(known);
        const p = this.processFor(record[2], t, !execing && known !== undefined && this.everConnected.has(known) && !known.connected);
        p.connected = true;
        this.everConnected.add(p);
        if (p.pid === this.model.run.mainPid && (p.bootAt === null || t < p.bootAt)) p.bootAt = t;
        if (p.ppid === null) p.ppid = num(record[3]);
        break;
      }
      case 'ev': {
        const pid = record[1];
        const events = record[2];
        if (!Array.isArray(events)) return;
        for (const ev of events) {
          if (Array.isArray(ev)) this.applyEvent(pid, ev);
        }
        break;
      }
      case 'bye': {
        const t = this.rel(record[1]);
        this.touch(t);
        const p = this.model.byPid.get(record[2]);
        if (p) {
          p.connected = false;
          // After os.exec* the pid lives on as the new program: its end comes from samples, a reap or the new runtime.
          if (!this.execPending.has(p)) this.markEnded(p, t);
        }
        break;
      }
      case 'sample':
        this.applySample(this.rel(record[1]), record[2]);
        break;
      case 'spawned': {
        const t = this.rel(record[1]);
        this.touch(t);
        this.model.run.mainPid = record[2];
        const p = this.processFor(record[2], t);
        p.role = 'main';
        p.parentPid = null;
        if (p.name === `pid ${p.pid}`) p.name = 'MainProcess';
        break;
      }
      case 'exited': {
        const t = this.rel(record[1]);
        this.touch(t);
        this.model.run.exitCode = record[2];
        this.model.run.signal = record[3];
        const main = this.model.run.mainPid !== null ? this.model.byPid.get(this.model.run.mainPid) : undefined;
        if (main) {
          main.exitCode = record[2] !== null ? record[2] : signalToCode(record[3]);
          this.markEnded(main, t);
          main.reapedAt = t;
          this.decideEnd(main);
        }
        break;
      }
      case 'warn': {
        const t = this.rel(record[1]);
        this.touch(t);
        this.model.warnings.push(makeWarning(String(record[2]), num(record[3]), String(record[4]), t, record[5]));
        break;
      }
      case 'exitcode': {
        // A zombie's exit code read from /proc: the parent has not reaped it (yet).
        const p = this.model.byPid.get(record[2]);
        const code = num(record[3]);
        if (p && p.exitCode === null && code !== null) p.exitCode = code;
        break;
      }
      case 'child': {
        // A child of a known process, found by the supervisor in /proc: a command (or a Python not yet connected).
        const t = this.rel(record[1]);
        this.touch(t);
        const pid = num(record[2]);
        if (pid === null || this.model.byPid.has(pid)) break;
        const p = this.processFor(pid, t);
        if (obj(record[5]).fork === true) {
          p.ppid = num(record[3]);
          p.role = 'fork';
          p.name = `Fork-${pid}`;
        } else this.commandSeen(p, num(record[3]), record[4]);
        break;
      }
      case 'dropped':
        this.model.run.supervisorDropped = num(record[2]) ?? this.model.run.supervisorDropped;
        break;
      case 'adopted': {
        // The supervisor saw a process's OS parent change to a process outside the run: who adopted it, by name.
        const p = this.model.byPid.get(record[2]);
        if (p) {
          p.adoptedBy = num(record[3]) ?? p.adoptedBy;
          p.adoptedByName = str(record[4]) ?? p.adoptedByName;
        }
        break;
      }
      case 'end': {
        const t = this.rel(record[1]);
        this.touch(t);
        const info = obj(record[2]);
        this.model.run.ended = true;
        this.model.run.wallSeconds = t;
        this.model.run.stopped = info.stopped === true;
        if (this.model.run.exitCode === null) this.model.run.exitCode = num(info.exitCode);
        if (this.model.run.signal === null) this.model.run.signal = str(info.signal);
        break;
      }
      default:
        break;
    }
  }

  /** Closes what is still open at the end of a recording (waits, lives) so durations add up. */
  finish(): void {
    const end = this.model.run.wallSeconds;
    for (const p of this.model.processes) {
      if (this.model.run.ended && p.endedAt === null && !p.connected) this.markEnded(p, end);
      for (const w of p.waits) if (w.end === null && p.endedAt !== null) w.end = Math.max(w.begin, p.endedAt);
    }
    this.resolveOrphans();
    for (const p of this.model.processes) this.decideEnd(p);
  }

  /**
   * The process with this pid; `reused` says the OS gave the pid to a new
   * process (the caller knows: a second connection, a different Process key).
   */
  private processFor(pid: number, t: number, reused = false): ProcessModel {
    let p = this.model.byPid.get(pid);
    if (reused) p = undefined;
    if (!p) {
      p = {
        pid,
        ppid: null,
        parentPid: null,
        key: null,
        name: `pid ${pid}`,
        role: 'process',
        startMethod: null,
        target: null,
        file: null,
        line: null,
        daemon: null,
        createdAt: null,
        startedAt: t,
        runAt: null,
        runEndAt: null,
        bootAt: null,
        error: null,
        endedAt: null,
        exitCode: null,
        reapedAt: null,
        joins: [],
        orphanedAt: null,
        waits: [],
        counters: emptyCounters(),
        cpuSeconds: 0,
        exitCpuSeconds: null,
        peakRssBytes: 0,
        peakPrivateBytes: null,
        peakSharedBytes: null,
        peakPssBytes: null,
        cpuPercent: null,
        rssBytes: null,
        privateBytes: null,
        pssBytes: null,
        sharedBytes: null,
        osState: null,
        osPpid: null,
        samples: { t: [], cpu: [], rss: [], state: [], uss: [], pss: [], shared: [] },
        sampleSeconds: (num(this.model.run.header.sampleMs) ?? 100) / 1000,
        blockedSites: [],
        connected: false,
        childrenAtExit: null,
        endReason: null,
        endDetail: null,
        adoptedBy: null,
        adoptedByName: null,
        endSaid: null,
        endBy: null,
      };
      this.model.processes.push(p);
      this.model.byPid.set(pid, p);
    }
    return p;
  }

  /** A process known only from outside (its argv): a `command`, named after its program. */
  private commandSeen(p: ProcessModel, ppid: number | null, argvIn: unknown): void {
    const argv = Array.isArray(argvIn) ? argvIn.map((a) => String(a)) : [];
    if (p.ppid === null) p.ppid = ppid;
    if (p.role === 'process' && p.key === null) p.role = 'command';
    if (p.command == null) p.command = commandLine(argv);
    if (p.name === `pid ${p.pid}` && argv.length) p.name = argv[0].split('/').pop() || argv[0];
  }

  private applyCreateInfo(p: ProcessModel, pending: PendingCreate): void {
    const info = pending.info;
    p.parentPid = pending.parentPid;
    p.createdAt = p.createdAt === null ? pending.at : Math.min(p.createdAt, pending.at);
    if (p.startedAt > pending.at) p.startedAt = pending.at;
    this.applyIdentity(p, info);
  }

  private applyIdentity(p: ProcessModel, info: Record<string, unknown>): void {
    const name = str(info.name);
    if (name) p.name = name;
    const role = str(info.role);
    if (role && ROLES.has(role) && !(p.role === 'main' && role === 'process')) p.role = role as ProcessRole;
    p.startMethod = str(info.startMethod) ?? p.startMethod;
    p.target = str(info.target) ?? p.target;
    p.file = str(info.file) ?? p.file;
    p.line = num(info.line) ?? p.line;
    p.daemon = bool(info.daemon) ?? p.daemon;
    const key = str(info.key);
    if (key) {
      p.key = key;
      this.keyToPid.set(key, p.pid);
    }
  }

  private applyEvent(pid: number, ev: RuntimeEvent): void {
    const type = ev[0];
    if (typeof type !== 'string' || typeof ev[1] !== 'number' || !Number.isInteger(pid)) return;
    const t = this.rel(ev[1]);
    this.touch(t);
    const p = this.processFor(pid, t);
    const m = this.model;
    if (pid === m.run.mainPid && (p.bootAt === null || t < p.bootAt)) p.bootAt = t;
    switch (type) {
      case 'proc': {
        const info = obj(ev[2]);
        if (p.ppid === null) p.ppid = num(info.ppid);
        this.applyIdentity(p, info);
        if (info.role === 'subprocess' && Array.isArray(info.argv)) p.command = commandLine(info.argv);
        else if (p.role !== 'command' && p.role !== 'subprocess' && !p.execs?.length) delete p.command; // seen in /proc before it said who it is
        if (p.role === 'main' && m.run.mainPid === null) m.run.mainPid = pid;
        const key = str(info.key);
        const pending = key ? this.pendingCreates.get(key) : undefined;
        if (pending) this.applyCreateInfo(p, pending);
        break;
      }
      case 'create': {
        const info = obj(ev[2]);
        const key = str(info.key);
        if (!key) break;
        const pending = { parentPid: pid, at: t, info };
        this.pendingCreates.set(key, pending);
        const childPid = this.keyToPid.get(key);
        if (childPid !== undefined) this.applyCreateInfo(this.processFor(childPid, t), pending);
        break;
      }
      case 'started': {
        const key = str(ev[2]);
        const childPid = num(ev[3]);
        if (!key || childPid === null) break;
        this.keyToPid.set(key, childPid);
        const knownKey = this.model.byPid.get(childPid)?.key ?? null;
        const child = this.processFor(childPid, t, knownKey !== null && knownKey !== key);
        child.key = key;
        const pending = this.pendingCreates.get(key) ?? { parentPid: pid, at: t, info: {} };
        this.applyCreateInfo(child, pending);
        if (child.ppid === null) child.ppid = pid;
        break;
      }
      case 'popen': {
        // subprocess / os.posix_spawn started a child: a command until (if Python) it says who it is.
        const childPid = num(ev[2]);
        if (childPid === null || childPid === pid) break;
        const known = this.model.byPid.get(childPid);
        const child = this.processFor(childPid, t, known !== undefined && known.endedAt !== null && known.ppid !== pid);
        if (!this.everConnected.has(child)) this.commandSeen(child, pid, obj(ev[3]).argv);
        else if (child.ppid === null) child.ppid = pid;
        break;
      }
      case 'exec': {
        // os.exec*: the same pid runs another program from now on (a Python one connects again).
        const info = obj(ev[2]);
        const argv = Array.isArray(info.argv) ? info.argv.map((a) => String(a)) : [];
        (p.execs ??= []).push({ at: t, argv, python: info.python === true });
        p.command = commandLine(argv);
        this.execPending.add(p);
        break;
      }
      case 'run':
        p.runAt = t;
        break;
      case 'ended': {
        // The process says how it ended: its run() returned/raised/called sys.exit, or it called os._exit.
        const reason = str(ev[2]);
        if (reason && END_REASONS.has(reason) && !p.endSaid) p.endSaid = { reason, detail: str(ev[3]), t };
        this.decideEnd(p);
        break;
      }
      case 'endby': {
        // A parent stops a child: terminate(), kill(), interrupt(), or its pool's/executor's own shutdown.
        const childPid = num(ev[2]);
        const reason = str(ev[3]);
        if (childPid === null || !reason || !END_REASONS.has(reason)) break;
        const child = this.processFor(childPid, t);
        if (!child.endBy) child.endBy = { reason, detail: str(ev[4]), t, by: pid };
        this.decideEnd(child);
        break;
      }
      case 'runend':
        p.runEndAt = t;
        p.error = str(ev[2]);
        break;
      case 'exit': {
        const code = num(ev[2]);
        if (p.exitCode === null) p.exitCode = code;
        const cpu = num(ev[3]);
        if (cpu !== null && cpu > p.cpuSeconds) p.cpuSeconds = cpu;
        if (cpu !== null) p.exitCpuSeconds = cpu;
        const rss = num(ev[4]);
        if (rss !== null && rss > p.peakRssBytes) p.peakRssBytes = rss;
        if (Array.isArray(ev[5])) p.childrenAtExit = ev[5].filter((k): k is number => typeof k === 'number');
        this.markEnded(p, t);
        break;
      }
      case 'reap': {
        const childPid = num(ev[2]);
        if (childPid === null) break;
        const child = this.processFor(childPid, t);
        if (child.ppid === null && childPid !== pid) child.ppid = pid;
        const code = num(ev[3]);
        if (code !== null) child.exitCode = code;
        if (child.reapedAt === null || t < child.reapedAt) child.reapedAt = t;
        this.markEnded(child, t);
        break;
      }
      case 'join': {
        const key = str(ev[2]);
        const childPid = key !== null ? this.keyToPid.get(key) : undefined;
        if (childPid === undefined) break;
        const child = this.processFor(childPid, t);
        const begin = this.rel(ev[3]);
        child.joins.push({ by: pid, begin, end: t });
        const code = num(ev[4]);
        if (code !== null) {
          child.exitCode = code;
          if (child.reapedAt === null || t < child.reapedAt) child.reapedAt = t;
          this.markEnded(child, t);
        }
        break;
      }
      case 'w': {
        const open = p.waits.length ? p.waits[p.waits.length - 1] : undefined;
        if (open && open.end === null) open.end = Math.max(open.begin, t);
        p.waits.push({ begin: t, end: null, what: str(ev[2]) ?? 'wait', ref: str(ev[3]), detail: str(ev[4]) });
        break;
      }
      case 'we': {
        const open = p.waits.length ? p.waits[p.waits.length - 1] : undefined;
        if (open && open.end === null) open.end = Math.max(open.begin, t);
        break;
      }
      case 'bk': {
        // The main thread stays at one place outside any recorded wait (since tBegin).
        const last = p.blockedSites.length ? p.blockedSites[p.blockedSites.length - 1] : undefined;
        const begin = ev[2] === undefined || ev[2] === null ? t : this.rel(ev[2]);
        if (last && last.end === null) last.end = Math.max(last.begin, begin);
        p.blockedSites.push({ begin, end: null, what: str(ev[3]) ?? 'frame', ref: str(ev[4]), detail: str(ev[5]), file: str(ev[6]), line: num(ev[7]) });
        break;
      }
      case 'bke': {
        const last = p.blockedSites.length ? p.blockedSites[p.blockedSites.length - 1] : undefined;
        if (last && last.end === null) last.end = Math.max(last.begin, t);
        break;
      }
      case 'ws': {
        // The call site of a wait that lasted, matched by its start time.
        const begin = this.rel(ev[2]);
        for (let i = p.waits.length - 1; i >= 0 && i >= p.waits.length - 3; i--) {
          const w = p.waits[i];
          if (Math.abs(w.begin - begin) < 1e-6) {
            w.file = str(ev[3]);
            w.line = num(ev[4]);
            break;
          }
        }
        break;
      }
      case 'chan': {
        const info = obj(ev[2]);
        const ref = str(info.ref);
        if (!ref) break;
        const refs = Array.isArray(info.refs) ? info.refs.filter((r): r is string => typeof r === 'string') : [];
        if (!refs.includes(ref)) refs.unshift(ref);
        const existing = m.channels.get(ref);
        const channel: ChannelModel = {
          id: ref,
          kind: (str(info.kind) ?? 'pipe') as ChannelKind,
          name: str(info.name),
          file: str(info.file),
          line: num(info.line),
          createdBy: pid,
          createdAt: t,
          refs,
          pool: str(info.pool),
        };
        if (existing && existing.createdBy !== null) break; // first declaration wins (a queue re-declared by unpickling)
        m.channels.set(ref, channel);
        for (const r of refs) {
          if (r === ref) continue;
          m.refAlias.set(r, ref);
          m.channels.delete(r); // an anonymous channel made before the declaration arrived
        }
        break;
      }
      case 'lock': {
        const info = obj(ev[2]);
        const ref = str(info.ref);
        if (!ref || m.locks.has(ref)) break;
        m.locks.set(ref, {
          id: ref,
          kind: str(info.kind) ?? 'Lock',
          name: str(info.name),
          file: str(info.file),
          line: num(info.line),
          createdBy: pid,
        });
        break;
      }
      case 'shared': {
        const info = obj(ev[2]);
        m.shared.push({
          kind: str(info.kind) ?? 'Value',
          typecode: str(info.typecode),
          length: num(info.length),
          bytes: num(info.bytes),
          name: str(info.name),
          file: str(info.file),
          line: num(info.line),
          createdBy: pid,
          createdAt: t,
          lock: info.lock === undefined || info.lock === null ? null : info.lock !== false,
        });
        break;
      }
      case 'hold': {
        const ref = str(ev[2]);
        if (ref === null) break;
        if (m.holds.length >= MODEL_LIMITS.holds) {
          m.modelDropped++;
          break;
        }
        m.holds.push({ ref, pid, begin: Math.min(this.rel(ev[3]), t), end: t });
        break;
      }
      case 'pool': {
        const info = obj(ev[2]);
        const ref = str(info.ref);
        if (!ref) break;
        m.pools.set(ref, {
          id: ref,
          kind: str(info.kind) === 'executor' ? 'executor' : 'pool',
          processes: num(info.processes),
          maxtasksperchild: num(info.maxtasksperchild),
          tasksChannel: str(info.tasks),
          resultsChannel: str(info.results),
          name: str(info.name),
          file: str(info.file),
          line: num(info.line),
          createdBy: pid,
          createdAt: t,
          calls: [],
          jobs: jobRange(info.jobs),
          library: str(info.library),
        });
        break;
      }
      case 'pcall': {
        const info = obj(ev[2]);
        const pool = m.pools.get(str(info.pool) ?? '');
        if (!pool) break;
        if (info.lazy === true) {
          // Executor.map(..., buffersize=) (3.14): calls submitted as results were taken belong to the same map.
          const job = num(info.job) ?? str(info.job);
          const call = [...pool.calls].reverse().find((c) => c.job === job && c.method === 'map' && c.by === pid);
          if (call) {
            call.tasks = (call.tasks ?? 0) + (num(info.tasks) ?? 0);
            break;
          }
        }
        pool.calls.push({
          job: (num(info.job) ?? str(info.job) ?? 0) as number | string,
          method: str(info.method) ?? '?',
          tasks: num(info.tasks),
          chunksize: num(info.chunksize),
          at: t,
          by: pid,
        });
        break;
      }
      case 'task': {
        const info = obj(ev[2]);
        if (m.tasks.length >= MODEL_LIMITS.tasks) {
          m.modelDropped++;
          break;
        }
        m.tasks.push({
          worker: pid,
          ref: str(info.pool) ?? '',
          job: (num(info.job) ?? str(info.job) ?? 0) as number | string,
          chunk: num(info.chunk),
          items: num(info.items),
          begin: this.rel(info.tBegin),
          end: t,
          ok: info.ok !== false,
        });
        break;
      }
      case 'm': {
        const ref = str(ev[2]);
        const from = num(ev[3]);
        if (ref === null || from === null) break;
        this.ensureChannel(ref);
        if (m.messages.length >= MODEL_LIMITS.messages) {
          m.modelDropped++;
          break;
        }
        m.messages.push({
          t,
          sentAt: this.rel(ev[4]),
          from,
          to: pid,
          ref,
          bytes: num(ev[5]) ?? 0,
          tag: str(ev[6]),
        });
        break;
      }
      case 'ctr':
        this.applyCounters(p, obj(ev[2]));
        break;
      case 'warn':
        m.warnings.push(makeWarning(str(ev[2]) ?? 'runtime', pid, str(ev[3]) ?? '', t, ev[4]));
        break;
      case 'out': {
        const text = str(ev[3]);
        if (text !== null) addOutput(p, t, ev[2] === 'stderr' ? 'stderr' : 'stdout', text);
        break;
      }
      case 'outcap':
        (p.output ??= { chunks: [], chars: 0, bytes: 0, newlines: 0, capped: false }).capped = true;
        break;
      default:
        break;
    }
  }

  private ensureChannel(ref: string): void {
    const m = this.model;
    if (m.refAlias.has(ref) || m.channels.has(ref)) return;
    const kind: ChannelKind = ref.startsWith('m') ? 'manager' : 'pipe';
    m.channels.set(ref, {
      id: ref,
      kind,
      name: kind === 'manager' ? ref.slice(1) : null,
      file: null,
      line: null,
      createdBy: null,
      createdAt: null,
      refs: [ref],
      pool: null,
    });
  }

  private applyCounters(p: ProcessModel, c: Record<string, unknown>): void {
    const into = p.counters;
    const merge = <T>(target: Record<string, T>, source: unknown) => {
      for (const [k, v] of Object.entries(obj(source))) target[k] = v as T;
    };
    merge(into.sent, c.sent);
    merge(into.recv, c.recv);
    merge(into.locks, c.locks);
    merge(into.waits, c.waits);
    merge(into.tasks, c.tasks);
    merge(into.calls, c.calls);
    merge(into.callTimes, c.callTimes);
    for (const ref of Object.keys(obj(c.sent))) this.ensureChannel(ref);
    for (const k of Object.keys(obj(c.recv))) this.ensureChannel(k.split(' ')[0]);
    into.detail = num(c.detail) ?? into.detail;
    into.dropped = num(c.dropped) ?? into.dropped;
    into.droppedBatches = num(c.droppedBatches) ?? into.droppedBatches;
  }

  private applySample(t: number, rows: SampleRow[]): void {
    if (!Array.isArray(rows)) return;
    this.touch(t);
    let total = 0;
    for (const row of rows) {
      const [pid, cpu, rss, state, ppid, cpuSeconds] = row;
      const p = this.model.byPid.get(pid);
      if (!p) continue;
      total += cpu;
      p.cpuPercent = cpu;
      p.rssBytes = rss;
      const uss = num(row[6]);
      const pss = num(row[7]);
      const shared = num(row[8]);
      if (uss !== null && pss !== null && shared !== null) {
        p.privateBytes = uss;
        p.pssBytes = pss;
        p.sharedBytes = shared;
        if (p.peakPrivateBytes === null || uss > p.peakPrivateBytes) p.peakPrivateBytes = uss;
        if (p.peakPssBytes === null || pss > p.peakPssBytes) p.peakPssBytes = pss;
        if (p.peakSharedBytes === null || shared > p.peakSharedBytes) p.peakSharedBytes = shared;
      }
      p.osState = state;
      if (ppid !== null && ppid !== undefined) {
        if (p.osPpid !== null && ppid !== p.osPpid && p.orphanedAt === null && !HELPER_ROLES.has(p.role)) {
          p.orphanedAt = t; // re-parented: its parent died while it lived
        }
        noteAdopter(p, ppid);
        p.osPpid = ppid;
      }
      if (rss > p.peakRssBytes) p.peakRssBytes = rss;
      if (cpuSeconds !== null && cpuSeconds !== undefined && cpuSeconds > p.cpuSeconds) p.cpuSeconds = cpuSeconds;
      if (state === 'Z' && p.endedAt === null) this.markEnded(p, t);
      pushSample(p.samples, t, cpu, rss, state ?? null, p.privateBytes, p.pssBytes, p.sharedBytes);
    }
    this.model.totalCpu.t.push(t);
    this.model.totalCpu.cpu.push(total);
  }

  private markEnded(p: ProcessModel, t: number): void {
    if (p.endedAt === null || t < p.endedAt) p.endedAt = t;
    this.decideEnd(p);
    for (const w of p.waits) if (w.end === null) w.end = Math.max(w.begin, p.endedAt);
    for (const b of p.blockedSites) if (b.end === null) b.end = Math.max(b.begin, p.endedAt);
    // Its living children become orphans now (helpers end with their parent by design).
    for (const c of this.model.processes) {
      if (c !== p && c.parentPid === p.pid && c.endedAt === null && c.orphanedAt === null && !HELPER_ROLES.has(c.role)) {
        if (p.role !== 'main' || !this.model.run.ended) c.orphanedAt = p.endedAt;
      }
    }
  }

  /**
   * Decides `endReason`/`endDetail` from the facts so far (again as later ones arrive): a stop by the parent or
   * the pool that came before the process said anything wins (a terminated child says nothing; an interrupted
   * one raises KeyboardInterrupt after it); else what the process said; else a negative exit code is a signal
   * from outside; else unknown.
   */
  private decideEnd(p: ProcessModel): void {
    if (p.endedAt === null && p.exitCode === null) {
      p.endReason = null;
      p.endDetail = null;
      return;
    }
    const linux = this.model.run.header.platform === 'linux';
    const isMain = p.role === 'main' && p.pid === this.model.run.mainPid;
    const sig = isMain && this.model.run.signal ? this.model.run.signal : p.exitCode !== null && p.exitCode < 0 ? (linux ? LINUX_SIGNALS[-p.exitCode] : undefined) ?? `signal ${-p.exitCode}` : null;
    const said = p.endSaid ?? null;
    const by = p.endBy ?? null;
    if (by && (!said || said.t >= by.t - 1e-6 || sig !== null || said.reason === by.reason)) {
      p.endReason = by.reason as EndReason;
      // Without a signal in the exit code the child handled the stop: its own account says how (KeyboardInterrupt, sys.exit(0)).
      const handled = !said ? null : said.reason === 'exception' ? said.detail : said.reason === 'returned' ? 'returned' : `${said.reason}(${said.detail ?? ''})`;
      p.endDetail = by.detail ?? (by.reason === 'terminated-by-pool' ? (said?.detail ?? sig) : (sig ?? handled));
      return;
    }
    if (said && !sig) {
      p.endReason = said.reason as EndReason;
      p.endDetail = said.detail;
      return;
    }
    if (sig) {
      p.endReason = 'signal';
      p.endDetail = isMain && this.model.run.stopped ? `${sig} (the run was stopped)` : sig;
      return;
    }
    p.endReason = 'unknown';
    p.endDetail = p.exitCode !== null ? `exit code ${p.exitCode}` : null;
  }

  /** Children that outlived their parent; and processes never reaped, reaped when their parent ended. */
  private resolveOrphans(): void {
    for (const p of this.model.processes) {
      const parent = p.parentPid !== null ? this.model.byPid.get(p.parentPid) : undefined;
      if (!parent || parent.endedAt === null) continue;
      if (p.endedAt !== null && p.endedAt > parent.endedAt + 0.001 && p.orphanedAt === null && !HELPER_ROLES.has(p.role)) {
        p.orphanedAt = parent.endedAt;
      }
      if (p.orphanedAt !== null && p.endedAt !== null && p.endedAt <= p.orphanedAt) p.orphanedAt = null;
      if (p.reapedAt === null && p.endedAt !== null) p.reapedAt = Math.max(p.endedAt, parent.endedAt);
    }
  }
}

/**
 * A sampled OS parent that is not the one the process started under (`ppid`): it was re-parented when its parent
 * died, and this pid took it in (init, or a subreaper). The first such parent is kept.
 */
function noteAdopter(p: ProcessModel, osPpid: number): void {
  if (p.adoptedBy !== null || p.ppid === null || osPpid === p.ppid || osPpid === p.pid || HELPER_ROLES.has(p.role)) return;
  if (p.osPpid !== null && p.osPpid !== p.ppid) return; // first seen under another parent already: not a re-parenting we saw
  p.adoptedBy = osPpid;
}

function pushSample(
  s: ProcessModel['samples'],
  t: number,
  cpu: number,
  rss: number,
  state: string | null,
  uss: number | null,
  pss: number | null,
  shared: number | null,
): void {
  s.t.push(t);
  s.cpu.push(cpu);
  s.rss.push(rss);
  s.state.push(state);
  s.uss.push(uss);
  s.pss.push(pss);
  s.shared.push(shared);
  if (s.t.length > MODEL_LIMITS.samplesPerProcess) {
    // Halve the resolution of the older half so memory stays bounded on long runs.
    const keep = <T>(a: T[]) => a.filter((_, i) => i % 2 === 0 || i >= a.length / 2);
    s.t = keep(s.t);
    s.cpu = keep(s.cpu);
    s.rss = keep(s.rss);
    s.state = keep(s.state);
    s.uss = keep(s.uss);
    s.pss = keep(s.pss);
    s.shared = keep(s.shared);
  }
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

/** multiprocessing's convention: a process killed by signal N has exit code -N. */
export function signalToCode(signal: string | null): number | null {
  if (!signal) return null;
  const n = SIGNALS[signal];
  return n ? -n : null;
}

export type ProcessStateName = 'created' | 'starting' | 'running' | 'ready' | 'waiting' | 'blocked' | 'zombie' | 'exited';

export interface StateBand {
  /**
   * `running`: on a CPU; `ready`: runnable, waiting for a CPU (OS state R, CPU share under a core);
   * `waiting`: in a call the runtime records (named by `what`/`ref`); `blocked`: asleep in the kernel
   * (OS state S/D) outside any recorded call (`what`/`ref`/`detail`/`file`/`line` say where, when known);
   * `starting`: the main process before the runtime's first event (a shim, Python's own start-up).
   */
  state: ProcessStateName;
  begin: number;
  end: number;
  what?: string;
  ref?: string | null;
  detail?: string | null;
  file?: string | null;
  line?: number | null;
}

/** A life shorter than this many sample intervals takes its CPU share from its own `exit` accounting. */
export const SHORT_LIFE_SAMPLES = 4;
/** Within one sample interval, a state holding less than this share of it is folded into the other (no slivers). */
const SLIVER = 0.05;

/**
 * A process's life as consecutive bands: created → running / ready / blocked
 * (from the OS samples: state letter and CPU share of each sample interval),
 * interrupted by waiting (the runtime's recorded calls) → zombie (exited, not
 * yet reaped/joined) → exited. Without OS samples (no /proc) the time outside
 * recorded waits is `running`, as the runtime alone cannot tell more. `now`
 * closes bands still open (the run's current time while live).
 */
export function stateBands(p: ProcessModel, now: number): StateBand[] {
  const bands: StateBand[] = [];
  const liveFrom = p.runAt ?? p.startedAt;
  const end = p.endedAt ?? now;
  if (p.createdAt !== null && p.createdAt < liveFrom) bands.push({ state: 'created', begin: p.createdAt, end: Math.min(liveFrom, end) });
  let cursor = Math.min(liveFrom, end);
  // First the recorded waits and the gaps between them; then each gap is told apart from the samples.
  const parts: (StateBand | [number, number])[] = [];
  const gapList: [number, number][] = [];
  for (const w of p.waits) {
    const b = Math.max(w.begin, cursor);
    const e = Math.min(w.end ?? end, end);
    if (e <= b) continue;
    if (b > cursor) {
      parts.push([cursor, b]);
      gapList.push([cursor, b]);
    }
    parts.push({ state: 'waiting', begin: b, end: e, what: w.what, ref: w.ref, detail: w.detail });
    cursor = e;
  }
  if (end > cursor) {
    parts.push([cursor, end]);
    gapList.push([cursor, end]);
  }
  const gaps = new GapFiller(p, now, bands, gapList);
  for (const part of parts) {
    if (Array.isArray(part)) gaps.fill(part[0], part[1]);
    else bands.push(part);
  }
  if (p.endedAt !== null) {
    const reaped = p.reapedAt !== null ? Math.max(p.reapedAt, p.endedAt) : now;
    if (reaped > p.endedAt && p.role !== 'main') bands.push({ state: 'zombie', begin: p.endedAt, end: reaped });
    // Exited once reaped (a main process has no parent of the run's to reap it); until then it is a zombie.
    if (p.reapedAt !== null || p.role === 'main') bands.push({ state: 'exited', begin: Math.max(p.endedAt, reaped), end: Math.max(now, reaped) });
  }
  return withStartingBand(p, bands);
}

/** Seconds of the main process's "starting Python" band (0 for every other process). */
export function startingSeconds(p: ProcessModel): number {
  return p.bootAt !== null && p.bootAt > p.startedAt ? p.bootAt - p.startedAt : 0;
}

/**
 * The main process's "starting Python" band: from the supervisor's launch (`startedAt`) to the runtime's first
 * event (`bootAt`), replacing what the bands above drew there (the script cannot have run before its runtime).
 * Kept apart from stateBands so either can change without the other.
 */
export function withStartingBand(p: ProcessModel, bands: StateBand[]): StateBand[] {
  const boot = p.bootAt;
  if (boot === null || !(boot > p.startedAt)) return bands;
  const out: StateBand[] = [{ state: 'starting', begin: p.startedAt, end: boot }];
  for (const b of bands) {
    if (b.end <= boot && b.state !== 'exited' && b.state !== 'zombie') continue;
    out.push(b.begin < boot && b.state !== 'exited' && b.state !== 'zombie' ? { ...b, begin: boot } : b);
  }
  return out;
}

/**
 * Splits the time outside recorded waits into running / ready / blocked from
 * the process's samples. A sample's CPU share is over its whole interval; the
 * recorded waits in it were asleep, so the CPU time is laid over the gaps of
 * that interval only (a consumer busy between short waits is running there).
 */
class GapFiller {
  private readonly short: { cpu: number; other: 'ready' | 'blocked' | 'running' } | null = null;
  private siteIdx = 0;
  /** Per sample interval i (from sample i-1, or the process's start, to sample i; n: after the last): its CPU share of the gap time in it. */
  private readonly share: Float64Array | null = null;

  constructor(
    private readonly p: ProcessModel,
    now: number,
    private readonly out: StateBand[],
    gapList: [number, number][],
  ) {
    const life = (p.endedAt ?? now) - p.startedAt;
    const dt = p.sampleSeconds > 0 ? p.sampleSeconds : 0.1;
    let gapTotal = 0;
    for (const [b, e] of gapList) gapTotal += e - b;
    if (p.endedAt !== null && p.exitCpuSeconds !== null && life > 0 && life < SHORT_LIFE_SAMPLES * dt) {
      // Too short for the samples: its own CPU time spread over its life; the rest is what the OS saw.
      let other: 'ready' | 'blocked' | 'running' = 'running';
      for (const st of p.samples.state) {
        if (st === 'R') {
          other = 'ready';
          break;
        }
        if (st !== null && st !== 'Z') other = 'blocked';
      }
      this.short = { cpu: Math.min(1, Math.max(0, p.exitCpuSeconds / Math.max(gapTotal, 1e-9))), other };
      return;
    }
    const S = p.samples;
    const n = S.t.length;
    if (n === 0) return;
    // Gap time per interval.
    const gapIn = new Float64Array(n + 1);
    const startOf = (i: number) => (i === 0 ? Math.min(p.startedAt, S.t[0]) : S.t[i - 1]);
    const endOf = (i: number) => (i < n ? S.t[i] : S.t[n - 1] + 1.5 * dt);
    let i = 0;
    for (const [b, e] of gapList) {
      while (i < n && S.t[i] <= b) i++;
      for (let k = i; k <= n; k++) {
        const lo = Math.max(b, startOf(k));
        const hi = Math.min(e, endOf(k));
        if (hi > lo) gapIn[k] += hi - lo;
        if (endOf(k) >= e) break;
      }
    }
    const share = new Float64Array(n + 1);
    for (let k = 0; k < n; k++) {
      const len = endOf(k) - startOf(k);
      const cpu = Math.max(0, S.cpu[k] / 100) * len;
      share[k] = gapIn[k] > 0 ? Math.min(1, cpu / gapIn[k]) : 0;
    }
    share[n] = share[n - 1];
    this.share = share;
  }

  fill(b: number, e: number): void {
    const S = this.p.samples;
    const n = S.t.length;
    if (this.short) {
      this.split(b, e, this.short.cpu, this.short.other);
      return;
    }
    if (n === 0) {
      this.push('running', b, e);
      return;
    }
    // First sample whose interval (previous sample, it] reaches past b.
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (S.t[mid] <= b) lo = mid + 1;
      else hi = mid;
    }
    let i = lo;
    let a = b;
    const dt = this.p.sampleSeconds > 0 ? this.p.sampleSeconds : 0.1;
    while (a < e) {
      if (i >= n) {
        // After the last sample: its reading holds for a little longer, then nothing is known.
        const lim = S.t[n - 1] + 1.5 * dt;
        if (a < lim) {
          const z = Math.min(e, lim);
          this.interval(a, z, n - 1, true);
          a = z;
        }
        if (a < e) this.push('running', a, e);
        break;
      }
      const z = Math.min(e, S.t[i]);
      if (z > a) this.interval(a, z, i);
      a = z;
      i++;
    }
  }

  /** The part [a, z] of sample i's interval: its CPU share on a CPU, the rest ready or blocked. */
  private interval(a: number, z: number, i: number, after = false): void {
    const S = this.p.samples;
    const st = S.state[i];
    if (st === null || st === undefined) {
      this.push('running', a, z);
      return;
    }
    const before = i > 0 ? S.state[i - 1] : null;
    // Runnable at both ends (or at its first sight): the time off a CPU was spent ready; else asleep.
    const other = st === 'R' && (before === null || before === 'R') ? 'ready' : 'blocked';
    const share = this.share ? this.share[after ? S.t.length : i] : Math.min(1, Math.max(0, S.cpu[i] / 100));
    this.split(a, z, share, other);
  }

  private split(a: number, z: number, share: number, other: 'ready' | 'blocked' | 'running'): void {
    let c = share;
    if (c >= 1 - SLIVER) c = 1;
    else if (c <= SLIVER) c = 0;
    const m = a + (z - a) * c;
    if (m > a) this.push('running', a, m);
    if (z > m) this.push(other, m, z);
  }

  private push(state: 'running' | 'ready' | 'blocked', a: number, z: number): void {
    let what: string | undefined;
    let ref: string | null | undefined;
    let detail: string | null | undefined;
    let file: string | null | undefined;
    let line: number | null | undefined;
    if (state === 'blocked') {
      const site = this.siteAt((a + z) / 2);
      if (site) {
        what = site.what;
        ref = site.ref;
        detail = site.detail;
        file = site.file;
        line = site.line;
      } else if (this.p.runEndAt !== null && this.p.role !== 'main' && (a + z) / 2 >= this.p.runEndAt) {
        what = 'exiting';
        detail = 'exiting: its run() returned, the process has not ended yet';
      }
    }
    const last = this.out.length ? this.out[this.out.length - 1] : undefined;
    if (last && last.state === state && last.what === what && last.ref === ref && last.detail === detail && Math.abs(last.end - a) < 1e-9) {
      last.end = z;
      return;
    }
    const band: StateBand = { state, begin: a, end: z };
    if (what !== undefined) {
      band.what = what;
      band.ref = ref ?? null;
      band.detail = detail ?? null;
      band.file = file ?? null;
      band.line = line ?? null;
    }
    this.out.push(band);
  }

  /** The runtime's blocked site around time t (sites come in time order; t only grows). */
  private siteAt(t: number): BlockedSite | null {
    const sites = this.p.blockedSites;
    while (this.siteIdx < sites.length && (sites[this.siteIdx].end ?? Infinity) < t) this.siteIdx++;
    const s = sites[this.siteIdx];
    return s && s.begin <= t ? s : null;
  }
}

export interface StateSeconds {
  running: number;
  ready: number;
  waiting: number;
  blocked: number;
  zombie: number;
  /** The main process only, when it had a start-up before the runtime's first event ("starting Python"). */
  starting?: number;
}

/**
 * Seconds spent in each state. The short waits the runtime only counted
 * (`ctr` waits) were asleep in a recorded call: they move from blocked (then
 * running) to waiting.
 */
export function stateSeconds(p: ProcessModel, now: number): StateSeconds {
  const s: StateSeconds = { running: 0, ready: 0, waiting: 0, blocked: 0, zombie: 0 };
  for (const b of stateBands(p, now)) {
    const d = b.end - b.begin;
    if (b.state === 'running' || b.state === 'ready' || b.state === 'waiting' || b.state === 'blocked' || b.state === 'zombie') s[b.state] += d;
    else if (b.state === 'starting') s.starting = (s.starting ?? 0) + d;
  }
  let short = 0;
  for (const v of Object.values(p.counters.waits)) short += typeof v === 'number' ? v : 0;
  const fromBlocked = Math.min(short, s.blocked);
  const fromRunning = Math.min(short - fromBlocked, s.running);
  s.blocked -= fromBlocked;
  s.running -= fromRunning;
  s.waiting += fromBlocked + fromRunning;
  return s;
}

/**
 * A process's CPU % over time for charts: its samples, except for a life
 * shorter than SHORT_LIFE_SAMPLES intervals, drawn as its own exit CPU time
 * spread evenly over its life (a 0.3 s burst is not one partial sample).
 */
export function cpuSeries(p: ProcessModel): { t: number[]; cpu: number[] } {
  const dt = p.sampleSeconds > 0 ? p.sampleSeconds : 0.1;
  const life = p.endedAt !== null ? p.endedAt - p.startedAt : null;
  if (life !== null && life > 0 && p.exitCpuSeconds !== null && life < SHORT_LIFE_SAMPLES * dt) {
    const pct = Math.round((p.exitCpuSeconds / life) * 1000) / 10;
    return { t: [p.startedAt, p.endedAt as number], cpu: [pct, pct] };
  }
  return { t: p.samples.t, cpu: p.samples.cpu };
}

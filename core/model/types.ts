/**
 * The run model's shapes: processes, channels, locks, pools, messages, tasks,
 * warnings and the `RunModel` that holds them, with the small accessors that
 * read them. `RunReducer` (reducer.ts) builds it; states.ts turns it into bands.
 * All times are seconds from the run's start.
 */

import type { RecordingHeader } from './recording';
import type { ProcessRole } from './roles';
import { num, obj, str } from './values';
import type { ClusterModel } from './clusters';

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
  /**
   * "ref fromPid" -> [msgs, bytes, latSum, latMax, latN]; latN (messages whose latency was sampled) is absent in
   * recordings before 0.1.0's sampling: then every message was timed.
   */
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
  /**
   * CPU seconds its parent's wait reported when it reaped it (the `reap` event's rusage): all of it, the interpreter's
   * teardown and the kernel's exit included, and the CPU of the children it reaped itself (null: not known).
   */
  reapCpuSeconds: number | null;
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
  samples: {
    t: number[];
    cpu: number[];
    rss: number[];
    state: (string | null)[];
    uss: (number | null)[];
    pss: (number | null)[];
    shared: (number | null)[];
  };
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
  /**
   * Set only on the inspector's stand-ins for a remote dask cluster's scheduler and workers (lanes of their own,
   * never in `RunModel.processes`): which cluster and worker (`address` null for the scheduler row), and the text
   * shown where a process shows its pid.
   */
  daskLane?: { scheduler: string; address: string | null; where: string };
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

export { LINUX_SIGNALS } from '../signals';

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
  /** dask.distributed clusters the run's clients used, by scheduler address (core/model/clusters.ts). */
  readonly clusters = new Map<string, ClusterModel>();
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

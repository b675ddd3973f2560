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
  | 'fork';

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
  peakRssBytes: number;
  /** The latest sample, for live views. */
  cpuPercent: number | null;
  rssBytes: number | null;
  osState: string | null;
  osPpid: number | null;
  /** Samples over time; `state` is the OS state letter of each (null where the platform has none). */
  samples: { t: number[]; cpu: number[]; rss: number[]; state: (string | null)[] };
  connected: boolean;
  /** The pids of its children the OS still listed when it exited (its `exit` event; null where unknown). */
  childrenAtExit: number[] | null;
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
  samplesPerProcess: 20_000,
};

const emptyCounters = (): ProcessCounters => ({
  sent: {},
  recv: {},
  locks: {},
  waits: {},
  tasks: {},
  calls: {},
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

const ROLES: ReadonlySet<string> = new Set([
  'main',
  'process',
  'pool-worker',
  'executor-worker',
  'manager',
  'forkserver',
  'resource-tracker',
  'fork',
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
        const p = this.processFor(record[2], t, known !== undefined && this.everConnected.has(known) && !known.connected);
        p.connected = true;
        this.everConnected.add(p);
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
          this.markEnded(p, t);
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
        }
        break;
      }
      case 'warn': {
        const t = this.rel(record[1]);
        this.touch(t);
        this.model.warnings.push(makeWarning(String(record[2]), num(record[3]), String(record[4]), t, record[5]));
        break;
      }
      case 'dropped':
        this.model.run.supervisorDropped = num(record[2]) ?? this.model.run.supervisorDropped;
        break;
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
        error: null,
        endedAt: null,
        exitCode: null,
        reapedAt: null,
        joins: [],
        orphanedAt: null,
        waits: [],
        counters: emptyCounters(),
        cpuSeconds: 0,
        peakRssBytes: 0,
        cpuPercent: null,
        rssBytes: null,
        osState: null,
        osPpid: null,
        samples: { t: [], cpu: [], rss: [], state: [] },
        connected: false,
        childrenAtExit: null,
      };
      this.model.processes.push(p);
      this.model.byPid.set(pid, p);
    }
    return p;
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
    switch (type) {
      case 'proc': {
        const info = obj(ev[2]);
        if (p.ppid === null) p.ppid = num(info.ppid);
        this.applyIdentity(p, info);
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
      case 'run':
        p.runAt = t;
        break;
      case 'runend':
        p.runEndAt = t;
        p.error = str(ev[2]);
        break;
      case 'exit': {
        const code = num(ev[2]);
        if (p.exitCode === null) p.exitCode = code;
        const cpu = num(ev[3]);
        if (cpu !== null && cpu > p.cpuSeconds) p.cpuSeconds = cpu;
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
        });
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
      p.osState = state;
      if (ppid !== null && ppid !== undefined) {
        if (p.osPpid !== null && ppid !== p.osPpid && p.orphanedAt === null && !HELPER_ROLES.has(p.role)) {
          p.orphanedAt = t; // re-parented: its parent died while it lived
        }
        p.osPpid = ppid;
      }
      if (rss > p.peakRssBytes) p.peakRssBytes = rss;
      if (cpuSeconds !== null && cpuSeconds !== undefined && cpuSeconds > p.cpuSeconds) p.cpuSeconds = cpuSeconds;
      if (state === 'Z' && p.endedAt === null) this.markEnded(p, t);
      pushSample(p.samples, t, cpu, rss, state ?? null);
    }
    this.model.totalCpu.t.push(t);
    this.model.totalCpu.cpu.push(total);
  }

  private markEnded(p: ProcessModel, t: number): void {
    if (p.endedAt === null || t < p.endedAt) p.endedAt = t;
    for (const w of p.waits) if (w.end === null) w.end = Math.max(w.begin, p.endedAt);
    // Its living children become orphans now (helpers end with their parent by design).
    for (const c of this.model.processes) {
      if (c !== p && c.parentPid === p.pid && c.endedAt === null && c.orphanedAt === null && !HELPER_ROLES.has(c.role)) {
        if (p.role !== 'main' || !this.model.run.ended) c.orphanedAt = p.endedAt;
      }
    }
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

function pushSample(s: ProcessModel['samples'], t: number, cpu: number, rss: number, state: string | null): void {
  s.t.push(t);
  s.cpu.push(cpu);
  s.rss.push(rss);
  s.state.push(state);
  if (s.t.length > MODEL_LIMITS.samplesPerProcess) {
    // Halve the resolution of the older half so memory stays bounded on long runs.
    const keep = (a: number[]) => a.filter((_, i) => i % 2 === 0 || i >= a.length / 2);
    s.t = keep(s.t);
    s.cpu = keep(s.cpu);
    s.rss = keep(s.rss);
    s.state = s.state.filter((_, i) => i % 2 === 0 || i >= s.state.length / 2);
  }
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };

/** multiprocessing's convention: a process killed by signal N has exit code -N. */
export function signalToCode(signal: string | null): number | null {
  if (!signal) return null;
  const n = SIGNALS[signal];
  return n ? -n : null;
}

export interface StateBand {
  state: 'created' | 'running' | 'waiting' | 'zombie' | 'exited';
  begin: number;
  end: number;
  what?: string;
  ref?: string | null;
  detail?: string | null;
}

/**
 * A process's life as consecutive bands: created → running, interrupted by
 * waiting → zombie (exited, not yet reaped/joined) → exited. `now` closes
 * bands still open (the run's current time while live).
 */
export function stateBands(p: ProcessModel, now: number): StateBand[] {
  const bands: StateBand[] = [];
  const liveFrom = p.runAt ?? p.startedAt;
  const end = p.endedAt ?? now;
  if (p.createdAt !== null && p.createdAt < liveFrom) bands.push({ state: 'created', begin: p.createdAt, end: Math.min(liveFrom, end) });
  let cursor = Math.min(liveFrom, end);
  for (const w of p.waits) {
    const b = Math.max(w.begin, cursor);
    const e = Math.min(w.end ?? end, end);
    if (e <= b) continue;
    if (b > cursor) bands.push({ state: 'running', begin: cursor, end: b });
    bands.push({ state: 'waiting', begin: b, end: e, what: w.what, ref: w.ref, detail: w.detail });
    cursor = e;
  }
  if (end > cursor) bands.push({ state: 'running', begin: cursor, end });
  if (p.endedAt !== null) {
    const reaped = p.reapedAt !== null ? Math.max(p.reapedAt, p.endedAt) : now;
    if (reaped > p.endedAt && p.role !== 'main') bands.push({ state: 'zombie', begin: p.endedAt, end: reaped });
    bands.push({ state: 'exited', begin: Math.max(p.endedAt, reaped), end: Math.max(now, reaped) });
  }
  return bands;
}

/** Seconds spent running, waiting and as a zombie (short waits counted by the runtime included). */
export function stateSeconds(p: ProcessModel, now: number): { running: number; waiting: number; zombie: number } {
  let running = 0;
  let waiting = 0;
  let zombie = 0;
  for (const b of stateBands(p, now)) {
    const d = b.end - b.begin;
    if (b.state === 'running') running += d;
    else if (b.state === 'waiting') waiting += d;
    else if (b.state === 'zombie') zombie += d;
  }
  let short = 0;
  for (const v of Object.values(p.counters.waits)) short += typeof v === 'number' ? v : 0;
  short = Math.min(short, running);
  return { running: running - short, waiting: waiting + short, zombie };
}

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

import { signalNumber } from '../signals';
import type { RecordingHeader, RecordLine, RuntimeEvent, SampleRow } from './recording';
import { bool, num, obj, str } from './values';
import { HELPER_ROLES, ROLES, type ProcessRole } from './roles';
import { applyClusterEvent } from './clusters';
import {
  addOutput,
  type ChannelKind,
  type ChannelModel,
  type EndReason,
  LINUX_SIGNALS,
  makeWarning,
  MODEL_LIMITS,
  type ProcessCounters,
  type ProcessModel,
  RunModel,
} from './types';

const END_REASONS: ReadonlySet<string> = new Set([
  'returned',
  'exception',
  'sys.exit',
  'terminated-by-pool',
  'terminate()',
  'kill()',
  'interrupt()',
  'signal',
  'os._exit',
  'unknown',
]);

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

/**
 * A process as first known: its pid and when it was first seen, nothing else yet (the reducer fills
 * it in from events and samples). `sampleSeconds` is the run's sampling interval.
 */
export function newProcess(pid: number, startedAt: number, sampleSeconds: number): ProcessModel {
  return {
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
    startedAt,
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
    reapCpuSeconds: null,
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
    sampleSeconds,
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
}

/** A pool event's `jobs` ([first, last|null]), else null. */
const jobRange = (v: unknown): [number, number | null] | null => (Array.isArray(v) && num(v[0]) !== null ? [num(v[0])!, num(v[1])] : null);

/** A command line as one line of text (arguments with spaces quoted). */
export function commandLine(argv: unknown[]): string {
  return argv.map((a) => (typeof a === 'string' && (a === '' || /[\s"']/.test(a)) ? JSON.stringify(a) : String(a))).join(' ');
}

interface PendingCreate {
  parentPid: number;
  at: number;
  info: Record<string, unknown>;
}

export class RunReducer {
  readonly model: RunModel;
  private readonly t0: number;
  private readonly pendingCreates = new Map<string, PendingCreate>();
  private readonly keyToPid = new Map<string, number>();
  /** Every process ever given each parentPid (markEnded reads a parent's children without scanning the run). */
  private readonly kidsOf = new Map<number, Set<ProcessModel>>();
  private readonly everConnected = new WeakSet<ProcessModel>();
  /** Processes that announced an os.exec* and have not connected again since. */
  private readonly execPending = new WeakSet<ProcessModel>();
  /** Pids of a LocalCluster's workers (processes of this run): their role stays `dask-worker`. */
  private readonly daskWorkerPids = new Set<number>();

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
        if (pid === null) break;
        const known = this.model.byPid.get(pid);
        if (known) {
          // Taken for a fork (caught between its fork and its exec), seen again running a program: a command.
          if (obj(record[5]).fork !== true && isForkGuess(known)) this.commandSeen(known, num(record[3]), record[4]);
          break;
        }
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
      p = newProcess(pid, t, (num(this.model.run.header.sampleMs) ?? 100) / 1000);
      this.model.processes.push(p);
      this.model.byPid.set(pid, p);
    }
    return p;
  }

  /**
   * A process known only from outside (its argv): a `command`, named after its program. A child that the
   * supervisor's look at /proc caught between its fork and its exec (still its parent's argv) was taken for a
   * fork: its parent's `popen` that follows says what it is.
   */
  private commandSeen(p: ProcessModel, ppid: number | null, argvIn: unknown): void {
    const argv = Array.isArray(argvIn) ? argvIn.map((a) => String(a)) : [];
    const forkGuess = isForkGuess(p);
    if (p.ppid === null || forkGuess) p.ppid = ppid;
    if ((p.role === 'process' || forkGuess) && p.key === null) p.role = 'command';
    if (p.command == null) p.command = commandLine(argv);
    if ((p.name === `pid ${p.pid}` || forkGuess) && argv.length) p.name = argv[0].split('/').pop() || argv[0];
  }

  private applyCreateInfo(p: ProcessModel, pending: PendingCreate): void {
    const info = pending.info;
    p.parentPid = pending.parentPid;
    let kids = this.kidsOf.get(p.parentPid);
    if (!kids) this.kidsOf.set(p.parentPid, (kids = new Set()));
    kids.add(p);
    p.createdAt = p.createdAt === null ? pending.at : Math.min(p.createdAt, pending.at);
    if (p.startedAt > pending.at) p.startedAt = pending.at;
    this.applyIdentity(p, info);
  }

  private applyIdentity(p: ProcessModel, info: Record<string, unknown>): void {
    const name = str(info.name);
    if (name) p.name = name;
    const role = str(info.role);
    if (role && ROLES.has(role) && !(p.role === 'main' && role === 'process')) p.role = role as ProcessRole;
    if (this.daskWorkerPids.has(p.pid)) p.role = 'dask-worker';
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
        const cpu = num(ev[4]);
        if (cpu !== null && cpu >= 0) {
          child.reapCpuSeconds = cpu;
          this.applyReapCpu(child);
          // The reaper's own figure, when its parent reaped it first, counted this child's CPU too.
          const reaper = this.model.byPid.get(pid);
          if (reaper && reaper.reapCpuSeconds !== null) this.applyReapCpu(reaper);
        }
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
        p.blockedSites.push({
          begin,
          end: null,
          what: str(ev[3]) ?? 'frame',
          ref: str(ev[4]),
          detail: str(ev[5]),
          file: str(ev[6]),
          line: num(ev[7]),
        });
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
        this.applyDask(pid, t, ev);
        break;
    }
  }

  /** dask.distributed events (core/model/clusters.ts); a LocalCluster's worker processes get the `dask-worker` role. */
  private applyDask(pid: number, t: number, ev: RuntimeEvent): void {
    const joined = applyClusterEvent(this.model.clusters, pid, t, ev, (x) => this.rel(x));
    if (!joined) return;
    for (const wp of joined) {
      if (wp === pid || wp === this.model.run.mainPid) continue; // LocalCluster(processes=False): workers are threads of the client
      const c = [...this.model.clusters.values()].find((k) => [...k.workers.values()].some((w) => w.pid === wp));
      if (!c?.local) continue;
      this.daskWorkerPids.add(wp);
      const proc = this.model.byPid.get(wp);
      if (proc) proc.role = 'dask-worker';
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

  /**
   * A reaped process's CPU seconds from its parent's wait: its rusage less that of the children it reaped itself
   * (theirs, or their own figure where their reap said none). Its own `exit` event is taken before the interpreter's
   * teardown and the kernel's exit, 20-80 ms a Python process: about a fifth of a short one's CPU.
   */
  private applyReapCpu(p: ProcessModel): void {
    if (p.reapCpuSeconds === null) return;
    let own = p.reapCpuSeconds;
    for (const c of this.model.processes) {
      if (c.ppid === p.pid && c.reapedAt !== null && c.pid !== p.pid) own -= c.reapCpuSeconds ?? c.cpuSeconds;
    }
    if (own > p.cpuSeconds) p.cpuSeconds = own;
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
      const pid = row[0];
      const cpu = row[1];
      const rss = row[2];
      const state = row[3];
      const ppid = row[4];
      const cpuSeconds = row[5];
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
    for (const c of this.kidsOf.get(p.pid) ?? []) {
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
    const sig =
      isMain && this.model.run.signal
        ? this.model.run.signal
        : p.exitCode !== null && p.exitCode < 0
          ? ((linux ? LINUX_SIGNALS[-p.exitCode] : undefined) ?? `signal ${-p.exitCode}`)
          : null;
    const said = p.endSaid ?? null;
    const by = p.endBy ?? null;
    if (by && (!said || said.t >= by.t - 1e-6 || sig !== null || said.reason === by.reason)) {
      p.endReason = by.reason as EndReason;
      // Without a signal in the exit code the child handled the stop: its own account says how (KeyboardInterrupt, sys.exit(0)).
      const handled = !said
        ? null
        : said.reason === 'exception'
          ? said.detail
          : said.reason === 'returned'
            ? 'returned'
            : `${said.reason}(${said.detail ?? ''})`;
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

/** multiprocessing's convention: a process killed by signal N has exit code -N. */
export function signalToCode(signal: string | null): number | null {
  if (!signal) return null;
  const n = signalNumber(signal);
  return n ? -n : null;
}

/** A process known only as a child with its parent's command line (a `child` record with `{fork: true}`), not yet heard from. */
function isForkGuess(p: ProcessModel): boolean {
  return p.role === 'fork' && p.key === null && p.name === `Fork-${p.pid}`;
}

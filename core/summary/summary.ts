/**
 * The run summary (`forkscope.summary/1`): the stable, documented JSON other
 * tools read (docs/summary-schema.md), derived from a reduced `RunModel`.
 * Times are seconds from the run's start.
 */

import { analyze } from '../insights/analyze';
import { DEFAULT_HANG_SECONDS } from '../insights/shared';
import { findPastHangs, sameHang } from '../insights/hangs';
import { lockUses, managerCalls, type LockProcessUse, type ManagerCall } from '../model/locks';
import { HELPER_ROLES, type ProcessRole } from '../model/roles';
import { type ChannelKind, type EndReason, makeWarning, outputLines, poolHasJob, RunModel, type WarningModel } from '../model/types';
import { stateSeconds } from '../model/states';

export const SUMMARY_SCHEMA = 'forkscope.summary/1';

export interface SummaryProcess {
  pid: number;
  ppid: number | null;
  parentPid: number | null;
  name: string;
  role: ProcessRole;
  startMethod: string | null;
  target: string | null;
  file: string | null;
  line: number | null;
  exitCode: number | null;
  error: string | null;
  joined: boolean;
  joinedBy: number[];
  orphaned: boolean;
  zombieSeconds: number;
  startedAt: number;
  endedAt: number | null;
  cpuSeconds: number;
  peakRssBytes: number;
  /** Peak private memory (USS: Private_Clean + Private_Dirty of smaps_rollup); null where never measured. */
  peakPrivateBytes: number | null;
  /** Peak shared memory (Shared_Clean + Shared_Dirty); null where never measured. */
  peakSharedBytes: number | null;
  /** Peak proportional set size (PSS); null where never measured. */
  peakPssBytes: number | null;
  /**
   * Seconds in each state. `ready`, `blocked` and `starting` were added within forkscope.summary/1 (`ready` and
   * `blocked` are 0 without OS samples; `starting`, the main process only: before the runtime's first event).
   */
  stateSeconds: { running: number; ready: number; waiting: number; blocked: number; zombie: number; starting: number };
  waits: Record<string, number>;
  /** How it ended (null while it ran when the summary was made): see EndReason in model/types.ts. */
  endReason: EndReason | null;
  /** The exception line, the exit code given to sys.exit/os._exit, the signal's name, or what stopped it. */
  endDetail: string | null;
  /** The OS parent that adopted it after its parent died, and that process's command name (null when not orphaned or unknown). */
  adoptedBy: number | null;
  adoptedByName: string | null;
  /** What its own Python wrote to sys.stdout/sys.stderr, as recorded (bounded: `capped` when cut). */
  output: { lines: number; bytes: number; capped: boolean };
  /** Command line of a process started outside multiprocessing (`subprocess` and `command` roles, or after an exec). */
  command?: string;
  /** Each os.exec* of the process: when, the new argv, and whether it was a Python that loads the runtime. */
  execs?: { at: number; argv: string[]; python: boolean }[];
}

export interface SummaryFlow {
  from: number;
  to: number;
  messages: number;
  bytes: number;
  latencyMeanSeconds: number | null;
  latencyMaxSeconds: number | null;
}

export interface SummaryChannel {
  id: string;
  kind: ChannelKind;
  name: string | null;
  file: string | null;
  line: number | null;
  createdBy: number | null;
  /** Messages put/sent (or received, if more were received than senders reported). */
  messages: number;
  bytes: number;
  received: number;
  flows: SummaryFlow[];
  /** Manager channels: calls per method name. */
  methods?: Record<string, number>;
  /** Manager channels: calls per calling process and method, with their round trips. */
  calls?: SummaryManagerCall[];
}

/** One process's calls of one Manager method, with their round trips (`timed`: all of them in recordings since 0.2). */
export type SummaryManagerCall = ManagerCall;

/** One process's use of a lock: its acquisitions (exact), contention, recorded holds and waits. */
export type SummaryLockHolder = LockProcessUse;

export interface SummaryShared {
  kind: string;
  typecode: string | null;
  length: number | null;
  name: string | null;
  createdBy: number;
  bytes: number | null;
  file: string | null;
  line: number | null;
  /** Whether it has a lock (`get_lock()`); null where the recording did not say. */
  lock: boolean | null;
  createdAt: number;
}

export interface SummaryLock {
  id: string;
  kind: string;
  name: string | null;
  acquisitions: number;
  contended: number;
  contendedSeconds: number;
  file: string | null;
  line: number | null;
  createdBy: number | null;
  /** Hold intervals recorded (acquire → release; sampled under the detail budget) and their total length. */
  holds: number;
  heldSeconds: number;
  /** The most processes waiting on it at once. */
  maxWaiters: number;
  /** Every process that acquired it or waited on it. */
  holders: SummaryLockHolder[];
}

export interface SummaryPool {
  id: string;
  kind: 'pool' | 'executor';
  name: string | null;
  processes: number | null;
  workers: number[];
  tasks: number;
  chunks: number;
  tasksByWorker: Record<string, number>;
  chunksByWorker: Record<string, number>;
  busySecondsByWorker: Record<string, number>;
  calls: { method: string; tasks: number | null; chunksize: number | null; at: number }[];
  /** `joblib` for a joblib `Parallel` call's pool, else null. */
  library?: string | null;
}

/** A dask.distributed worker as the scheduler saw it (`clusters[].workers[]`). */
export interface SummaryClusterWorker {
  address: string;
  host: string | null;
  /** Its pid on its host; a process of `processes[]` (role `dask-worker`) when the cluster is `local`. */
  pid: number | null;
  name: string | null;
  nthreads: number | null;
  memoryLimit: number | null;
  /** Tasks that ran on it (finished in memory or erred). */
  tasks: number;
  erred: number;
  /** Sum of its tasks' compute time (threads overlap: can exceed the wall time). */
  busySeconds: number;
  /** The highest memory its heartbeats reported (bytes), null when none came. */
  peakMemoryBytes: number | null;
  joinedAt: number;
  leftAt: number | null;
  /** `removed` (it left or died while the cluster ran) or `scheduler-closed`; null while it is there. */
  leftReason: string | null;
  /** Tasks it was processing when the scheduler removed it. */
  lostTasks: number;
  /** Tasks per key prefix. */
  tasksByPrefix: Record<string, number>;
}

/** A dask.distributed cluster a client of the run used (`clusters[]`), from Forkscope's scheduler plugin. */
export interface SummaryCluster {
  /** The scheduler's address. */
  scheduler: string;
  /** The scheduler lives in a process of this run (a LocalCluster). */
  local: boolean;
  /** The run's process whose client connected to it. */
  clientPid: number;
  workers: SummaryClusterWorker[];
  /** Tasks that ran (exact), and how many of them erred. */
  tasks: number;
  erred: number;
  /** Data moved between workers: one entry per direction. */
  transfers: { from: string; to: string; count: number; bytes: number }[];
}

export interface SummaryWarning {
  kind: string;
  pid: number | null;
  message: string;
  /** Every process involved (includes `pid` when it is not null). */
  pids: number[];
  severity: 'error' | 'warning' | 'info';
  /** Seconds from the run's start when it was found. */
  at: number;
  /** Channel, lock or pool id concerned (as in `channels[]`, `locks[]`, `pools[]`). */
  ref: string | null;
  /** The line of the user's code to look at. */
  file: string | null;
  line: number | null;
}

/** The summary form of a model warning. */
export function summaryWarning(w: WarningModel): SummaryWarning {
  return {
    kind: w.kind,
    pid: w.pid,
    message: w.message,
    pids: w.pids,
    severity: w.severity,
    at: round(w.t),
    ref: w.ref,
    file: w.file,
    line: w.line,
  };
}

export interface Summary {
  schema: typeof SUMMARY_SCHEMA;
  run: {
    exitCode: number | null;
    signal: string | null;
    stopped: boolean;
    wallSeconds: number;
    cpuCount: number;
    python: string;
    script: string | null;
    module: string | null;
    args: string[];
    startedAt: string;
    cpuSeconds: number;
    /** Total CPU seconds of all processes ÷ wall seconds. */
    speedup: number | null;
    /** speedup ÷ min(cpuCount, busy processes): 1 means every core that could be used was. */
    efficiency: number | null;
    /** Processes that were on a CPU at least 10% of the run (the parallelism the script offered). */
    busyProcesses: number;
    processes: number;
    messages: number;
    detail: {
      /** Messages and tasks whose individual detail (times, sizes) was recorded. */
      recorded: number;
      /** Detail events the runtime skipped to stay within its budget (counts stay exact). */
      sampledOut: number;
      /** Event batches lost because the supervisor could not keep up or was gone. */
      droppedBatches: number;
      /** Detail the model did not keep (size caps). */
      notKept: number;
    };
  };
  processes: SummaryProcess[];
  channels: SummaryChannel[];
  locks: SummaryLock[];
  pools: SummaryPool[];
  /** dask.distributed clusters (absent when the run used none). */
  clusters?: SummaryCluster[];
  shared: SummaryShared[];
  warnings: SummaryWarning[];
}

const round = (n: number, digits = 6): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

export interface SummaryOptions {
  /** Threshold of the hang detector run over the recording (default DEFAULT_HANG_SECONDS). */
  hangSeconds?: number;
}

/** Whether two warnings say the same thing (a live one recorded and the post-run analysis of it). */
function sameWarning(a: WarningModel, b: WarningModel): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'deadlock') return sameHang(a, b);
  const key = (w: WarningModel) => [...w.pids].sort((x, y) => x - y).join(',');
  return key(a) === key(b);
}

/** When the `detail-sampled` note is given: at least this many messages, and this share of them, only counted. */
export const DETAIL_SAMPLED_NOTICE = { min: 100, share: 0.05 };

/** Builds the `forkscope.summary/1` document for a model. */
export function summarize(model: RunModel, options: SummaryOptions = {}): Summary {
  const now = model.run.wallSeconds;
  const processes: SummaryProcess[] = model.processes.map((p) => {
    const s = stateSeconds(p, now);
    return {
      pid: p.pid,
      ppid: p.ppid,
      parentPid: p.parentPid,
      name: p.name,
      role: p.role,
      startMethod: p.startMethod,
      target: p.target,
      file: p.file,
      line: p.line,
      exitCode: p.exitCode,
      error: p.error,
      joined: p.joins.length > 0,
      joinedBy: [...new Set(p.joins.map((j) => j.by))],
      orphaned: p.orphanedAt !== null,
      zombieSeconds: round(s.zombie),
      startedAt: round(p.startedAt),
      endedAt: p.endedAt === null ? null : round(p.endedAt),
      cpuSeconds: round(p.cpuSeconds, 3),
      peakRssBytes: p.peakRssBytes,
      peakPrivateBytes: p.peakPrivateBytes,
      peakSharedBytes: p.peakSharedBytes,
      peakPssBytes: p.peakPssBytes,
      stateSeconds: {
        running: round(s.running),
        ready: round(s.ready),
        waiting: round(s.waiting),
        blocked: round(s.blocked),
        zombie: round(s.zombie),
        starting: round(s.starting ?? 0),
      },
      waits: waitTotals(p.waits, p.counters.waits, now),
      endReason: p.endReason,
      endDetail: p.endDetail,
      adoptedBy: p.adoptedBy,
      adoptedByName: p.adoptedByName,
      output: { lines: outputLines(p.output), bytes: p.output?.bytes ?? 0, capped: p.output?.capped ?? false },
      ...(p.command != null ? { command: p.command } : {}),
      ...(p.execs?.length ? { execs: p.execs.map((x) => ({ at: round(x.at), argv: x.argv, python: x.python })) } : {}),
    };
  });

  const channels = summarizeChannels(model);
  const locks = summarizeLocks(model);
  const pools = summarizePools(model);

  let recorded = 0;
  let sampledOut = 0;
  let droppedBatches = 0;
  let cpuSeconds = 0;
  for (const p of model.processes) {
    recorded += p.counters.detail;
    sampledOut += p.counters.dropped;
    droppedBatches += p.counters.droppedBatches;
    cpuSeconds += p.cpuSeconds;
  }
  const messages = channels.reduce((n, c) => n + c.messages, 0);
  const h = model.run.header;
  const speedup = model.run.wallSeconds > 0 ? round(cpuSeconds / model.run.wallSeconds, 3) : null;
  const busyProcesses = model.processes.filter(
    (p) => !HELPER_ROLES.has(p.role) && p.cpuSeconds >= 0.1 * model.run.wallSeconds && p.cpuSeconds > 0,
  ).length;
  const found: WarningModel[] = [...model.warnings];
  for (const w of [...findPastHangs(model, now, { hangSeconds: options.hangSeconds ?? DEFAULT_HANG_SECONDS }), ...analyze(model, now)]) {
    if (!found.some((r) => sameWarning(r, w))) found.push(w);
  }
  // Errors first (a deadlock before hygiene notes), otherwise in the order found.
  const rank = { error: 0, warning: 1, info: 2 } as const;
  const warnings: SummaryWarning[] = found
    .map((w, i) => [w, i] as const)
    .sort((a, b) => rank[a[0].severity] - rank[b[0].severity] || a[1] - b[1])
    .map(([w]) => summaryWarning(w));
  // Bursts of a few messages are sampled too (the runtime times only some messages of a burst): say so
  // when the timeline misses a noticeable part of the messages, not for a handful (`run.detail` is exact).
  if (sampledOut >= DETAIL_SAMPLED_NOTICE.min && sampledOut >= DETAIL_SAMPLED_NOTICE.share * (recorded + sampledOut)) {
    warnings.push(
      summaryWarning(
        makeWarning(
          'detail-sampled',
          null,
          `Per-message detail was sampled: ${recorded} messages/tasks were recorded in detail and ${sampledOut} were only counted. Counts and flows are exact.`,
          now,
          { severity: 'info' },
        ),
      ),
    );
  }
  if (droppedBatches > 0 || model.run.supervisorDropped > 0) {
    warnings.push(
      summaryWarning(
        makeWarning(
          'events-dropped',
          null,
          `${droppedBatches + model.run.supervisorDropped} batches of events were dropped because the recorder could not keep up; counts from the affected processes may be low.`,
          now,
        ),
      ),
    );
  }
  return {
    schema: SUMMARY_SCHEMA,
    run: {
      exitCode: model.run.exitCode,
      signal: model.run.signal,
      stopped: model.run.stopped,
      wallSeconds: round(model.run.wallSeconds),
      cpuCount: h.cpuCount,
      python: h.python,
      script: h.script,
      module: h.module,
      args: h.args,
      startedAt: new Date(h.startedAt * 1000).toISOString(),
      cpuSeconds: round(cpuSeconds, 3),
      speedup,
      efficiency: speedup !== null ? round(speedup / Math.max(1, Math.min(h.cpuCount || 1, busyProcesses)), 3) : null,
      busyProcesses,
      processes: model.processes.length,
      messages,
      detail: { recorded, sampledOut, droppedBatches: droppedBatches + model.run.supervisorDropped, notKept: model.modelDropped },
    },
    processes,
    channels,
    locks,
    pools,
    ...(model.clusters.size ? { clusters: summarizeClusters(model) } : {}),
    shared: model.shared.map((s) => ({
      kind: s.kind,
      typecode: s.typecode,
      length: s.length,
      name: s.name,
      createdBy: s.createdBy,
      bytes: s.bytes,
      file: s.file,
      line: s.line,
      lock: s.lock ?? null,
      createdAt: round(s.createdAt),
    })),
    warnings,
  };
}

function waitTotals(
  waits: { begin: number; end: number | null; what: string }[],
  short: Record<string, number>,
  now: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const w of waits) out[w.what] = (out[w.what] ?? 0) + Math.max(0, (w.end ?? now) - w.begin);
  for (const [what, s] of Object.entries(short)) out[what] = (out[what] ?? 0) + (typeof s === 'number' ? s : 0);
  for (const k of Object.keys(out)) out[k] = round(out[k]);
  return out;
}

function summarizeChannels(model: RunModel): SummaryChannel[] {
  interface Acc {
    sent: number;
    sentBytes: number;
    flows: Map<string, { from: number; to: number; messages: number; bytes: number; latSum: number; latMax: number; latN: number }>;
    methods: Record<string, number>;
  }
  const acc = new Map<string, Acc>();
  const get = (ref: string): Acc | undefined => {
    const ch = model.channelOf(ref);
    if (!ch) return undefined;
    let a = acc.get(ch.id);
    if (!a) acc.set(ch.id, (a = { sent: 0, sentBytes: 0, flows: new Map(), methods: {} }));
    return a;
  };
  for (const p of model.processes) {
    for (const [ref, [msgs, bytes]] of Object.entries(p.counters.sent)) {
      const a = get(ref);
      if (!a) continue;
      a.sent += msgs;
      a.sentBytes += bytes;
    }
    for (const [key, [msgs, bytes, latSum, latMax, latN]] of Object.entries(p.counters.recv)) {
      const [ref, fromText] = key.split(' ');
      const a = get(ref);
      const from = Number(fromText);
      if (!a || !Number.isFinite(from)) continue;
      const fk = `${from}>${p.pid}`;
      const f = a.flows.get(fk) ?? { from, to: p.pid, messages: 0, bytes: 0, latSum: 0, latMax: 0, latN: 0 };
      f.messages += msgs;
      f.bytes += bytes;
      f.latSum += latSum;
      f.latN += latN ?? msgs; // the runtime times a sample of the messages (docs/runtime-protocol.md, "Sampling")
      f.latMax = Math.max(f.latMax, latMax);
      a.flows.set(fk, f);
    }
    for (const [key, n] of Object.entries(p.counters.calls)) {
      const space = key.indexOf(' ');
      const a = get(key.slice(0, space));
      if (!a) continue;
      const method = key.slice(space + 1);
      a.methods[method] = (a.methods[method] ?? 0) + n;
    }
  }
  const out: SummaryChannel[] = [];
  const calls = managerCalls(model);
  for (const ch of model.channels.values()) {
    const a = acc.get(ch.id) ?? { sent: 0, sentBytes: 0, flows: new Map(), methods: {} };
    const flows = [...a.flows.values()]
      .sort((x, y) => x.from - y.from || x.to - y.to)
      .map((f) => ({
        from: f.from,
        to: f.to,
        messages: f.messages,
        bytes: f.bytes,
        latencyMeanSeconds: f.latN ? round(f.latSum / f.latN) : null,
        latencyMaxSeconds: f.latN ? round(f.latMax) : null,
      }));
    const received = flows.reduce((n, f) => n + f.messages, 0);
    const receivedBytes = flows.reduce((n, f) => n + f.bytes, 0);
    const c: SummaryChannel = {
      id: ch.id,
      kind: ch.kind,
      name: ch.name,
      file: ch.file,
      line: ch.line,
      createdBy: ch.createdBy,
      messages: Math.max(a.sent, received),
      bytes: Math.max(a.sentBytes, receivedBytes),
      received,
      flows,
    };
    if (Object.keys(a.methods).length) c.methods = a.methods;
    const mc = calls.get(ch.id);
    if (mc?.length) {
      c.calls = mc.map((x) => ({
        ...x,
        meanSeconds: x.meanSeconds === null ? null : round(x.meanSeconds),
        maxSeconds: x.maxSeconds === null ? null : round(x.maxSeconds),
      }));
    }
    out.push(c);
  }
  return out;
}

function summarizeLocks(model: RunModel): SummaryLock[] {
  return lockUses(model).map((l) => ({
    id: l.id,
    kind: l.kind,
    name: l.name,
    acquisitions: l.acquisitions,
    contended: l.contended,
    contendedSeconds: round(l.contendedSeconds),
    file: l.file,
    line: l.line,
    createdBy: l.createdBy,
    holds: l.holds.length,
    heldSeconds: round(l.holds.reduce((n, h) => n + (h.end - h.begin), 0)),
    maxWaiters: l.maxWaiters,
    holders: l.byProcess.map((u) => ({ ...u, contendedSeconds: round(u.contendedSeconds), heldSeconds: round(u.heldSeconds) })),
  }));
}

function summarizePools(model: RunModel): SummaryPool[] {
  const out: SummaryPool[] = [];
  for (const pool of model.pools.values()) {
    const tasksChannel = pool.tasksChannel !== null ? (model.channelOf(pool.tasksChannel)?.id ?? pool.tasksChannel) : null;
    const tasksByWorker: Record<string, number> = {};
    const chunksByWorker: Record<string, number> = {};
    const busy: Record<string, number> = {};
    const workers = new Set<number>();
    let tasks = 0;
    let chunks = 0;
    for (const p of model.processes) {
      for (const [key, [c, items, secs]] of Object.entries(p.counters.tasks)) {
        const [ref, job] = key.split(' ');
        const id = model.channelOf(ref)?.id ?? ref;
        if (id !== tasksChannel || !poolHasJob(pool, job)) continue;
        workers.add(p.pid);
        tasksByWorker[p.pid] = (tasksByWorker[p.pid] ?? 0) + items;
        chunksByWorker[p.pid] = (chunksByWorker[p.pid] ?? 0) + c;
        busy[p.pid] = round((busy[p.pid] ?? 0) + secs);
        tasks += items;
        chunks += c;
      }
    }
    // Workers that ran nothing still belong to the pool: the creator's children of the pool's role.
    const role = pool.kind === 'executor' ? 'executor-worker' : 'pool-worker';
    const sameKind = [...model.pools.values()].filter((q) => q.createdBy === pool.createdBy && q.kind === pool.kind);
    if (sameKind.length === 1) {
      for (const p of model.processes) if (p.parentPid === pool.createdBy && p.role === role) workers.add(p.pid);
    }
    out.push({
      id: pool.id,
      kind: pool.kind,
      name: pool.name,
      processes: pool.processes,
      workers: [...workers].sort((a, b) => a - b),
      tasks,
      chunks,
      tasksByWorker,
      chunksByWorker,
      busySecondsByWorker: busy,
      calls: pool.calls.map((c) => ({ method: c.method, tasks: c.tasks, chunksize: c.chunksize, at: round(c.at) })),
      library: pool.library ?? null,
    });
  }
  return out;
}

/** `clusters[]`: each cluster's workers in address order, its task counts and its transfers per direction. */
export function summarizeClusters(model: RunModel): SummaryCluster[] {
  return [...model.clusters.values()].map((c) => {
    const flows = new Map<string, { from: string; to: string; count: number; bytes: number }>();
    for (const x of c.transfers) {
      const k = `${x.from} ${x.to}`;
      const f = flows.get(k) ?? { from: x.from, to: x.to, count: 0, bytes: 0 };
      f.count++;
      f.bytes += x.bytes ?? 0;
      flows.set(k, f);
    }
    return {
      scheduler: c.scheduler,
      local: c.local,
      clientPid: c.clientPid,
      workers: [...c.workers.values()]
        .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
        .map((w) => ({
          address: w.address,
          host: w.host,
          pid: w.pid,
          name: w.name,
          nthreads: w.nthreads,
          memoryLimit: w.memoryLimit,
          tasks: w.tasks,
          erred: w.erred,
          busySeconds: round(w.busySeconds),
          peakMemoryBytes: w.peakMemoryBytes,
          joinedAt: round(w.joinedAt),
          leftAt: w.leftAt === null ? null : round(w.leftAt),
          leftReason: w.leftReason,
          lostTasks: w.lostTasks,
          tasksByPrefix: { ...w.tasksByPrefix },
        })),
      tasks: c.taskCount,
      erred: c.erred,
      transfers: [...flows.values()],
    };
  });
}

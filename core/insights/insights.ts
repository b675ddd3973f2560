/**
 * Insights: why a run hangs, why it is slow, and what it left untidy, found
 * in what Forkscope already records (docs/insights.md lists every kind, its
 * thresholds and its advice).
 *
 * - `findHangs(model, now, options)` builds the wait-for graph at `now`: who
 *   waits on whom (join of a child, a queue or pipe, a lock, a pool's
 *   results) and who could satisfy it. When every process that could help
 *   has itself been blocked for `hangSeconds`, it reports a `deadlock` naming
 *   the cycle, the channel or lock, the line of code and what to do. The
 *   supervisor runs it live on a timer; `findPastHangs` finds the same in a
 *   finished recording (a run killed while hung, or one that broke out by a
 *   timeout).
 * - `analyze(model, now)` finds the post-run insights: `imbalance`,
 *   `overhead`, `starvation`, `too-many-processes`, and the hygiene kinds
 *   `unjoined`, `zombie`, `orphan`, `terminated-holding-lock`,
 *   `daemon-with-children`.
 *
 * Pure code (no Node, VS Code or DOM imports): it runs in the supervisor, the
 * webview and plain-Node tests alike. Every text from the script (names,
 * paths) goes into plain-text messages; views escape them.
 */

import { isServerRole } from '../model/roles';
import { type ChannelModel, makeWarning, poolHasJob, type PoolModel, type ProcessModel, type RunModel, type WaitInterval, type WarningModel } from '../model/types';
import { stateSeconds } from '../model/states';

/** Every kind of warning this module produces (docs/insights.md). */
export const INSIGHT_KINDS: ReadonlySet<string> = new Set([
  'deadlock',
  'imbalance',
  'overhead',
  'starvation',
  'too-many-processes',
  'unjoined',
  'zombie',
  'orphan',
  'terminated-holding-lock',
  'daemon-with-children',
]);

/** Default for `hangSeconds`: how long every process involved must have been stuck. */
export const DEFAULT_HANG_SECONDS = 3;

export interface HangOptions {
  hangSeconds: number;
}

/** Thresholds of the post-run insights (docs/insights.md). */
export const INSIGHT_THRESHOLDS = {
  /** imbalance: busiest worker's busy time ÷ the mean, and the least it must cost. */
  imbalanceRatio: 1.5,
  imbalanceMinSeconds: 0.2,
  /** overhead: workers busy less than this fraction of the job's span, with chunks this small on average. */
  overheadBusyFraction: 0.5,
  overheadChunkSeconds: 0.002,
  overheadMinChunks: 200,
  /** overhead on a Queue/Pipe: this many messages, the ends running at most this long per message in all. */
  channelOverheadMinMessages: 10_000,
  channelOverheadSecondsPerMessage: 0.0001,
  channelOverheadMinSeconds: 0.3,
  /** starvation: consumers waiting at least this fraction while the producer runs at least producerBusy. */
  starvationIdleFraction: 0.5,
  starvationProducerBusy: 0.7,
  /** …or the producer uses at least this CPU % and this many times a consumer's. */
  starvationProducerCpu: 20,
  starvationCpuRatio: 5,
  starvationMinSeconds: 0.5,
  /** too-many-processes: more CPU-busy processes than cores in this fraction of the samples (at least minSamples). */
  oversubscribedFraction: 0.5,
  oversubscribedMinSamples: 5,
  busyCpuPercent: 30,
  /** zombie: exited and not reaped for this long. */
  zombieSeconds: 1,
  /** A blocked process using this much CPU (other threads working) counts as making progress. */
  progressCpuPercent: 20,
};

const basename = (f: string): string => f.slice(Math.max(f.lastIndexOf('/'), f.lastIndexOf('\\')) + 1);
const at = (file: string | null | undefined, line: number | null | undefined): string => (file ? ` (${basename(file)}${line ? `:${line}` : ''})` : '');
const fmtSecs = (s: number): string => (s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(0)} s`);
const fmtBytes = (n: number): string => (n < 1024 ? `${n} B` : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`);
const pct = (x: number): string => `${Math.round(x * 100)}%`;

/** "stuck-writer (pid 123)" */
export function processLabel(p: ProcessModel | undefined, pid?: number): string {
  if (!p) return `pid ${pid ?? '?'}`;
  return `${p.role === 'main' && p.name === 'MainProcess' ? 'main' : p.name} (pid ${p.pid})`;
}

const KIND_WORDS: Record<string, string> = {
  queue: 'Queue',
  simplequeue: 'SimpleQueue',
  joinablequeue: 'JoinableQueue',
  pipe: 'Pipe',
  pool: 'Pool channel',
  manager: 'Manager',
};

/** "Queue q (created at demo.py:12)" */
function channelLabel(ch: ChannelModel | undefined, ref: string | null): string {
  if (!ch) return ref ? `channel ${ref}` : 'a channel';
  return `${KIND_WORDS[ch.kind] ?? ch.kind} ${ch.name ?? ch.id}${ch.file ? ` (created at ${basename(ch.file)}:${ch.line ?? '?'})` : ''}`;
}

function lockLabel(model: RunModel, ref: string | null, what: string): string {
  const l = ref ? model.locks.get(ref) : undefined;
  if (!l) return `a ${what}`;
  return `${l.kind} ${l.name ?? l.id}${l.file ? ` (created at ${basename(l.file)}:${l.line ?? '?'})` : ''}`;
}

function poolLabel(pool: PoolModel | undefined): string {
  if (!pool) return 'a Pool';
  if (pool.library === 'joblib') return `joblib Parallel call ${pool.name ?? pool.id}${pool.file ? ` (at ${basename(pool.file)}:${pool.line ?? '?'})` : ''}`;
  return `${pool.kind === 'executor' ? 'ProcessPoolExecutor' : 'Pool'} ${pool.name ?? pool.id}${pool.file ? ` (created at ${basename(pool.file)}:${pool.line ?? '?'})` : ''}`;
}

// ---- the state of a process at a time ----------------------------------------------------

const LOCK_WAITS = new Set(['lock', 'semaphore']);

/** The wait of `p` going on at `t` (waits of one main thread do not overlap), else null. */
export function waitAt(p: ProcessModel, t: number): WaitInterval | null {
  const ws = p.waits;
  let lo = 0;
  let hi = ws.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ws[mid].begin <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  // Tolerate small disorder at the end (a wait emitted at its end after a later one began).
  for (let i = found; i >= 0 && i >= found - 2; i--) {
    const w = ws[i];
    if (w.begin <= t && (w.end === null || w.end > t)) return w;
  }
  return null;
}

function liveAt(p: ProcessModel, t: number): boolean {
  return p.startedAt <= t && (p.endedAt === null || p.endedAt > t);
}

/** CPU % of the sample nearest before `t` (within a second), else null. */
function cpuAt(p: ProcessModel, t: number): number | null {
  const ts = p.samples.t;
  let lo = 0;
  let hi = ts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ts[mid] <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0 || t - ts[found] > 1) return null;
  return p.samples.cpu[found];
}

type Blocked =
  | { state: 'running' }
  | { state: 'gone' }
  | { state: 'helper' }
  | { state: 'waiting'; since: number; wait: WaitInterval }
  | { state: 'exiting'; since: number };

/** Roles that serve others and wait by design: never part of a hang. */
const isServer = (p: ProcessModel): boolean => isServerRole(p.role);

function stateAt(p: ProcessModel, t: number): Blocked {
  if (!liveAt(p, t)) return { state: 'gone' };
  if (isServer(p)) return { state: 'helper' };
  const cpu = cpuAt(p, t);
  if (cpu !== null && cpu >= INSIGHT_THRESHOLDS.progressCpuPercent) return { state: 'running' };
  const w = waitAt(p, t);
  // A sleep ends by itself; a Manager call is served by the manager: both are progress.
  if (w && w.what !== 'sleep' && w.what !== 'manager') return { state: 'waiting', since: w.begin, wait: w };
  if (!w && p.role !== 'main' && p.runEndAt !== null && p.runEndAt <= t) return { state: 'exiting', since: p.runEndAt };
  return { state: 'running' };
}

interface Node {
  p: ProcessModel;
  b: Extract<Blocked, { since: number }>;
}

function processByKey(model: RunModel, key: string | null): ProcessModel | undefined {
  if (!key) return undefined;
  // The latest process with that key (keys are unique per Process object).
  for (let i = model.processes.length - 1; i >= 0; i--) if (model.processes[i].key === key) return model.processes[i];
  return undefined;
}

function poolsOf(model: RunModel, waiter: ProcessModel, ref: string | null): PoolModel[] {
  const p = ref ? model.pools.get(ref) : undefined;
  if (p) return [p];
  return [...model.pools.values()].filter((x) => x.createdBy === waiter.pid);
}

/**
 * The worker processes of a pool: those that took its tasks, else (no task
 * yet, or their counters were lost with them) the creator's workers of that
 * kind started for it (before its `pool` event and after the previous pool's).
 */
function poolWorkers(model: RunModel, pool: PoolModel): ProcessModel[] {
  const role = pool.kind === 'executor' ? 'executor-worker' : 'pool-worker';
  const siblings = [...model.pools.values()].filter((x) => x.createdBy === pool.createdBy && x.kind === pool.kind).sort((a, b) => a.createdAt - b.createdAt);
  const taskChannel = (x: PoolModel) => (x.tasksChannel !== null ? model.channelOf(x.tasksChannel) : undefined);
  const own = taskChannel(pool);
  return model.processes.filter((q) => {
    if (q.parentPid !== pool.createdBy || q.role !== role) return false;
    const fed = new Set(Object.keys(q.counters.recv).map((k) => model.channelOf(k.split(' ')[0])));
    if (own && fed.has(own)) return true;
    if (siblings.some((x) => x !== pool && fed.has(taskChannel(x)))) return false;
    const born = q.createdAt ?? q.startedAt;
    const home = siblings.find((x) => x.createdAt >= born - 0.001) ?? siblings[siblings.length - 1];
    return home === pool;
  });
}

/** The states of every process at one moment, computed once (the graph asks for them many times). */
class Snapshot {
  private readonly states = new Map<number, Blocked>();
  private anyRunningCache: boolean | null = null;

  constructor(
    readonly model: RunModel,
    readonly t: number,
  ) {}

  state(p: ProcessModel): Blocked {
    let b = this.states.get(p.pid);
    if (!b) this.states.set(p.pid, (b = stateAt(p, this.t)));
    return b;
  }

  /** Whether some live process (helpers aside) makes progress: then anyone-can-help waits are not stuck. */
  anyRunning(): boolean {
    if (this.anyRunningCache === null) this.anyRunningCache = this.model.processes.some((q) => this.state(q).state === 'running');
    return this.anyRunningCache;
  }
}

/** Who could end this block: specific processes, any live process, or nobody needed (it is ending). */
function satisfiers(snap: Snapshot, n: Node): ProcessModel[] | 'anyone' | 'progress' {
  const { model, t } = snap;
  if (n.b.state === 'waiting') {
    const w = n.b.wait;
    if (w.what === 'join') {
      const child = processByKey(model, w.ref);
      if (!child) return 'progress'; // unknown child: assume it runs
      return liveAt(child, t) ? [child] : 'progress'; // a join of a dead child returns
    }
    if (w.what === 'pool.result' || w.what === 'future.result') {
      const workers = poolsOf(model, n.p, w.ref).flatMap((pool) => poolWorkers(model, pool));
      return workers.filter((q) => liveAt(q, t));
    }
  }
  // Queues, pipes, locks, conditions, barriers, a child's exit flush: anyone alive could help.
  return 'anyone';
}

interface Hang {
  nodes: Node[];
  since: number;
}

/** The hang that blocks `root`, if every process that could help has been blocked for `hangSeconds`. */
function hangFrom(snap: Snapshot, root: ProcessModel, hangSeconds: number): Hang | null {
  const t = snap.t;
  const first = snap.state(root);
  if (first.state !== 'waiting' && first.state !== 'exiting') return null;
  const seen = new Map<number, Node>();
  const todo: Node[] = [{ p: root, b: first }];
  seen.set(root.pid, todo[0]);
  let everyone = false;
  while (todo.length) {
    const n = todo.pop()!;
    if (t - n.b.since < hangSeconds) return null;
    const next = satisfiers(snap, n);
    if (next === 'progress') return null;
    if (next === 'anyone') {
      if (snap.anyRunning()) return null;
      if (everyone) continue;
      everyone = true;
    }
    for (const q of next === 'anyone' ? snap.model.processes : next) {
      if (seen.has(q.pid)) continue;
      const b = snap.state(q);
      if (b.state === 'gone' || b.state === 'helper') continue;
      if (b.state === 'running') return null;
      const m = { p: q, b };
      seen.set(q.pid, m);
      todo.push(m);
    }
  }
  const nodes = [...seen.values()];
  return { nodes, since: Math.max(...nodes.map((n) => n.b.since)) };
}

/**
 * Whether two deadlock warnings are one hang seen at two moments: one's
 * processes include the other's (members die one by one when a hung run is
 * stopped) and their stretches [since, found] overlap.
 */
export function sameHang(a: WarningModel, b: WarningModel): boolean {
  if (a.kind !== 'deadlock' || b.kind !== 'deadlock') return false;
  const within = (x: number[], y: number[]) => x.every((pid) => y.includes(pid));
  if (!within(a.pids, b.pids) && !within(b.pids, a.pids)) return false;
  const [sa, sb] = [a.since ?? a.t, b.since ?? b.t];
  return sa <= b.t + 0.01 && sb <= a.t + 0.01;
}

/**
 * Hangs at `now`: groups of live processes that all wait, none can proceed,
 * for at least `hangSeconds`. One `deadlock` warning per group.
 */
export function findHangs(model: RunModel, now: number, options: HangOptions = { hangSeconds: DEFAULT_HANG_SECONDS }): WarningModel[] {
  const out: WarningModel[] = [];
  const covered = new Set<number>();
  const snap = new Snapshot(model, now);
  // Main first, so the waiter a user knows best leads the message.
  const order = [...model.processes].sort((a, b) => (a.role === 'main' ? -1 : 0) - (b.role === 'main' ? -1 : 0));
  for (const p of order) {
    if (covered.has(p.pid)) continue;
    const h = hangFrom(snap, p, options.hangSeconds);
    if (!h) continue;
    for (const n of h.nodes) covered.add(n.p.pid);
    out.push(describeHang(model, h, now));
  }
  return out;
}

/** At most this many moments are examined in a recording (the longest waits first). */
const PAST_HANG_CANDIDATES = 500;

/**
 * Hangs anywhere in a recorded run: each wait that lasted `hangSeconds` is
 * checked at its last moment (a run killed while hung, or a wait that a
 * timeout broke), and at `now` for what is still open.
 */
export function findPastHangs(model: RunModel, now: number, options: HangOptions = { hangSeconds: DEFAULT_HANG_SECONDS }): WarningModel[] {
  const out: WarningModel[] = [];
  const candidates: { t: number; p: ProcessModel; length: number }[] = [];
  for (const p of model.processes) {
    for (const w of p.waits) {
      const end = w.end ?? now;
      if (end - w.begin >= options.hangSeconds) candidates.push({ t: Math.max(w.begin, end - 0.001), p, length: end - w.begin });
    }
    const exitWait = (p.endedAt ?? now) - (p.runEndAt ?? Infinity);
    if (exitWait >= options.hangSeconds) candidates.push({ t: Math.max(p.runEndAt!, (p.endedAt ?? now) - 0.001), p, length: exitWait });
  }
  const chosen = candidates.sort((a, b) => b.length - a.length).slice(0, PAST_HANG_CANDIDATES).sort((a, b) => a.t - b.t);
  for (const c of chosen) {
    for (const w of findHangs(model, c.t, options)) if (!out.some((o) => sameHang(o, w))) out.push(w);
  }
  return out;
}

// ---- what a hang says --------------------------------------------------------------------

function waitPhrase(model: RunModel, n: Node): string {
  const who = processLabel(n.p);
  if (n.b.state === 'exiting') return `${who} finished its target but has not exited`;
  const w = n.b.wait;
  // A pool worker's stack ends in multiprocessing (what lies under it was copied from its parent at fork).
  const where = n.p.role === 'pool-worker' || n.p.role === 'executor-worker' ? '' : at(w.file, w.line);
  switch (w.what) {
    case 'join':
      return `${who} waits in join(${processLabel(processByKey(model, w.ref))})${where}`;
    case 'queue.get':
      return `${who} waits in get() on ${channelLabel(w.ref ? model.channelOf(w.ref) : undefined, w.ref)}${where}`;
    case 'queue.put':
      return `${who} waits in put() on the full ${channelLabel(w.ref ? model.channelOf(w.ref) : undefined, w.ref)}${where}`;
    case 'recv':
      return `${who} waits in recv() on ${channelLabel(w.ref ? model.channelOf(w.ref) : undefined, w.ref)}${where}`;
    case 'lock':
    case 'semaphore':
      return `${who} waits to acquire ${lockLabel(model, w.ref, w.what === 'lock' ? 'Lock' : 'Semaphore')}${where}`;
    case 'pool.result':
    case 'future.result':
      return `${who} waits for the results of ${poolLabel(poolsOf(model, n.p, w.ref)[0])}${where}`;
    case 'condition':
      if (!w.ref || !model.locks.has(w.ref)) return `${who} waits on a condition (as JoinableQueue.join() does)${where}`;
      return `${who} waits on ${lockLabel(model, w.ref, w.what)}${where}`;
    default:
      return `${who} waits in ${w.what}${w.ref && model.locks.has(w.ref) ? ` on ${lockLabel(model, w.ref, w.what)}` : ''}${where}`;
  }
}

/** Bytes `p` put on channel `ch` that nobody has received (a Queue's feeder cannot finish until they are read). */
function unreadBytes(model: RunModel, p: ProcessModel, ch: ChannelModel): number {
  let sent = 0;
  for (const [ref, [, bytes]] of Object.entries(p.counters.sent)) if (model.channelOf(ref) === ch) sent += bytes;
  let received = 0;
  for (const q of model.processes) {
    for (const [key, [, bytes]] of Object.entries(q.counters.recv)) {
      const [ref, from] = key.split(' ');
      if (Number(from) === p.pid && model.channelOf(ref) === ch) received += bytes;
    }
  }
  return Math.max(0, sent - received);
}

/** The channels `p` has sent to (resolved, distinct). */
function sentChannels(model: RunModel, p: ProcessModel): ChannelModel[] {
  const out = new Set<ChannelModel>();
  for (const ref of Object.keys(p.counters.sent)) {
    const ch = model.channelOf(ref);
    if (ch) out.add(ch);
  }
  return [...out];
}

/** Messages `p` sent on `ch` that no process reports having received. */
function undelivered(model: RunModel, p: ProcessModel, ch: ChannelModel): number {
  let sent = 0;
  for (const [ref, [msgs]] of Object.entries(p.counters.sent)) if (model.channelOf(ref) === ch) sent += msgs;
  let received = 0;
  for (const q of model.processes) {
    for (const [key, [msgs]] of Object.entries(q.counters.recv)) {
      const space = key.indexOf(' ');
      if (Number(key.slice(space + 1)) === p.pid && model.channelOf(key.slice(0, space)) === ch) received += msgs;
    }
  }
  return sent - received;
}

function sendersTo(model: RunModel, ch: ChannelModel): ProcessModel[] {
  return model.processes.filter((q) => Object.entries(q.counters.sent).some(([ref, [msgs]]) => msgs > 0 && model.channelOf(ref) === ch));
}

function describeHang(model: RunModel, h: Hang, t: number): WarningModel {
  const nodes = [...h.nodes].sort((a, b) => (a.p.role === 'main' ? -1 : b.p.role === 'main' ? 1 : a.p.pid - b.p.pid));
  const lead = nodes[0];
  const leadWait = lead.b.state === 'waiting' ? lead.b.wait : null;
  const chain = nodes.map((n) => waitPhrase(model, n)).join('; ');
  const stuckFor = fmtSecs(t - h.since);
  let cause = '';
  let advice = '';
  let ref: string | null = leadWait?.ref ?? null;
  let file = leadWait?.file ?? null;
  let line = leadWait?.line ?? null;
  const pids = nodes.map((n) => n.p.pid);

  const exiting = nodes.find((n) => n.b.state === 'exiting');
  const joiner = exiting ? nodes.find((n) => n.b.state === 'waiting' && n.b.wait.what === 'join' && processByKey(model, n.b.wait.ref) === exiting.p) : undefined;
  const lockWaiter = nodes.find((n) => n.b.state === 'waiting' && LOCK_WAITS.has(n.b.wait.what));
  const poolWaiter = nodes.find((n) => n.b.state === 'waiting' && (n.b.wait.what === 'pool.result' || n.b.wait.what === 'future.result'));
  const putter = nodes.find((n) => n.b.state === 'waiting' && n.b.wait.what === 'queue.put');
  const getters = nodes.filter((n) => n.b.state === 'waiting' && (n.b.wait.what === 'queue.get' || n.b.wait.what === 'recv'));
  const jqChannel = getters.map((n) => (n.b.state === 'waiting' && n.b.wait.ref ? model.channelOf(n.b.wait.ref) : undefined)).find((ch) => ch?.kind === 'joinablequeue');
  const jqJoin = jqChannel ? nodes.find((n) => n.b.state === 'waiting' && n.b.wait.what === 'condition' && (n.b.wait.ref === null || !model.locks.has(n.b.wait.ref))) : undefined;

  if (exiting) {
    const stuck = sentChannels(model, exiting.p)
      .map((ch) => ({ ch, bytes: unreadBytes(model, exiting.p, ch) }))
      .filter((x) => x.bytes > 0)
      .sort((a, b) => b.bytes - a.bytes)[0];
    if (stuck) {
      ref = stuck.ch.id;
      cause = `${processLabel(exiting.p)} cannot exit until its ${fmtBytes(stuck.bytes)} on ${channelLabel(stuck.ch, null)} is read: a process that put data on a Queue waits at exit for its feeder thread to write it all into the pipe, and nobody is reading it.`;
      advice = joiner
        ? `Read the queue before joining (get() everything you expect, then join()), or call cancel_join_thread() in the child if losing the data is acceptable.`
        : `Read the queue in another process while this one exits, or call cancel_join_thread() in it if losing the data is acceptable.`;
      if (joiner && joiner.b.state === 'waiting') {
        file = joiner.b.wait.file ?? file;
        line = joiner.b.wait.line ?? line;
      }
    } else {
      cause = `${processLabel(exiting.p)} finished its target but does not exit (it may be waiting for its own threads or a queue's feeder).`;
      advice = `Make sure its non-daemon threads end and what it put on queues is read.`;
    }
  } else if (lockWaiter && lockWaiter.b.state === 'waiting') {
    const w = lockWaiter.b.wait;
    ref = w.ref;
    file = w.file ?? file;
    line = w.line ?? line;
    const lock = w.ref ? model.locks.get(w.ref) : undefined;
    const created = lock ? (model.byPid.get(lock.createdBy ?? -1)?.startedAt ?? 0) : 0;
    // The lock's holder is not recorded; the suspects are processes that ended (abnormally, or after acquiring it) while it lived.
    const dead = model.processes.filter(
      (q) =>
        q.endedAt !== null &&
        q.endedAt <= t &&
        !isServer(q) &&
        q !== lockWaiter.p &&
        ((w.ref !== null && (q.counters.locks[w.ref]?.[0] ?? 0) > 0) || (q.exitCode !== null && q.exitCode !== 0 && q.startedAt >= created)),
    );
    if (dead.length) {
      pids.push(...dead.map((q) => q.pid).filter((pid) => !pids.includes(pid)));
      cause = `No live process releases it: ${dead.map((q) => `${processLabel(q)} ended (exit code ${q.exitCode ?? '?'})`).join(', ')} and may have held it. A lock is not released when the process holding it dies.`;
      advice = `Hold locks only in "with lock:" blocks, never exit, os._exit() or terminate() a process that may hold one, and use acquire(timeout=…) where a holder can die.`;
    } else {
      cause = `Every process that could release it is waiting too.`;
      advice = `Take locks in one order everywhere, release them before blocking on anything else, and use acquire(timeout=…) to detect a lost lock.`;
    }
  } else if (poolWaiter && poolWaiter.b.state === 'waiting') {
    const w = poolWaiter.b.wait;
    const pools = poolsOf(model, poolWaiter.p, w.ref);
    ref = pools[0]?.id ?? w.ref;
    file = w.file ?? pools[0]?.file ?? file;
    line = w.line ?? pools[0]?.line ?? line;
    const died = pools.flatMap((pool) => poolWorkers(model, pool)).filter((q) => q.endedAt !== null && q.endedAt <= t && q.exitCode !== null && q.exitCode !== 0);
    if (died.length) {
      pids.push(...died.map((q) => q.pid).filter((pid) => !pids.includes(pid)));
      cause = `Worker ${died.map((q) => `${processLabel(q)} died (exit code ${q.exitCode})`).join(', worker ')} in the middle of a task; multiprocessing.Pool starts a new worker but never resubmits the lost task, so that result never comes while the other workers sit idle.`;
      advice = `Find why the worker died (os._exit, a signal, running out of memory), pass a timeout to get(), or use concurrent.futures.ProcessPoolExecutor, which raises BrokenProcessPool instead of hanging.`;
    } else {
      cause = `Its workers are all idle: no task is left for them, yet the result is not complete.`;
      advice = `Check that the tasks were submitted to this pool (and that the pool was not closed or terminated first); pass a timeout to get().`;
    }
  } else if (jqJoin && jqJoin.b.state === 'waiting') {
    // JoinableQueue.join() waits on the queue's internal condition (no ref of its own).
    const w = jqJoin.b.wait;
    const q = jqChannel!;
    ref = q.id;
    file = w.file ?? file;
    line = w.line ?? line;
    const put = sendersTo(model, q).reduce((n, p) => n + Object.entries(p.counters.sent).filter(([r]) => model.channelOf(r) === q).reduce((m, [, [msgs]]) => m + msgs, 0), 0);
    cause = `${processLabel(jqJoin.p)} is in join() of ${channelLabel(q, null)}, which returns only when task_done() has been called once for every item put on it (${put} put so far), and its consumers are waiting for more items.`;
    advice = `Call ${q.name ?? 'the queue'}.task_done() after processing every item taken with get() (the sentinel included), or do not join() the queue.`;
  } else if (putter && putter.b.state === 'waiting') {
    const w = putter.b.wait;
    const ch = w.ref ? model.channelOf(w.ref) : undefined;
    ref = ch?.id ?? w.ref;
    file = w.file ?? file;
    line = w.line ?? line;
    cause = `The queue is full (it was made with a maxsize) and no live process takes items out of it.`;
    advice = `Start the consumers before filling the queue, consume it in another process or thread while putting, or make it without a maxsize.`;
  } else if (getters.length >= 2) {
    cause = `Each waits for another to send first, and nothing else will: a cycle.`;
    advice = `Make one side send before it receives (or send from a separate thread), or use get(timeout=…)/poll() and handle the silence.`;
    const g = getters[0].b.state === 'waiting' ? getters[0].b.wait : null;
    ref = g?.ref ? model.channelOf(g.ref)?.id ?? g.ref : ref;
    file = g?.file ?? file;
    line = g?.line ?? line;
  } else if (getters.length === 1 && getters[0].b.state === 'waiting') {
    const w = getters[0].b.wait;
    const ch = w.ref ? model.channelOf(w.ref) : undefined;
    ref = ch?.id ?? w.ref;
    file = w.file ?? file;
    line = w.line ?? line;
    const senders = ch ? sendersTo(model, ch).filter((q) => q !== getters[0].p) : [];
    const endedPeers = model.processes.filter((q) => q !== getters[0].p && !isServer(q) && q.endedAt !== null && q.endedAt <= t && q.startedAt >= (ch?.createdAt ?? 0));
    const peers = endedPeers.length ? ` ${endedPeers.map((q) => `${processLabel(q)} ended`).join(', ')}${senders.length ? '' : ' without putting anything on it'}.` : '';
    cause = `No other live process will ever put to it.${peers}`;
    advice = `Make every producer put what the consumer expects (one item, or one sentinel per producer, even when it fails), or use get(timeout=…) and check whether the producers are alive.`;
  } else {
    cause = `None of them can proceed.`;
    advice = `Look at what each one waits for and make one of them not wait (a timeout, a different order).`;
  }
  const message = `Deadlock, stuck for ${stuckFor}: ${chain}. ${cause} ${advice}`;
  return makeWarning('deadlock', lead.p.pid, message, t, { pids, severity: 'error', ref, file, line, since: h.since });
}

// ---- post-run insights -------------------------------------------------------------------

/** Every post-run insight of a model at `now` (the run's end for a finished run). */
export function analyze(model: RunModel, now: number = model.run.wallSeconds): WarningModel[] {
  return [
    ...poolInsights(model, now),
    ...channelOverhead(model, now),
    ...starvation(model, now),
    ...tooManyProcesses(model, now),
    ...hygiene(model, now),
  ];
}

/** Worker pids that ran tasks of a pool, with exact busy seconds and chunks (from counters). */
function poolWork(model: RunModel, pool: PoolModel): { busy: Map<number, number>; chunks: Map<number, number>; items: Map<number, number> } {
  const tasksChannel = pool.tasksChannel !== null ? model.channelOf(pool.tasksChannel)?.id ?? pool.tasksChannel : null;
  const busy = new Map<number, number>();
  const chunks = new Map<number, number>();
  const items = new Map<number, number>();
  for (const p of model.processes) {
    for (const [key, [c, n, secs]] of Object.entries(p.counters.tasks)) {
      const [ref, job] = key.split(' ');
      if ((model.channelOf(ref)?.id ?? ref) !== tasksChannel || !poolHasJob(pool, job)) continue;
      busy.set(p.pid, (busy.get(p.pid) ?? 0) + secs);
      chunks.set(p.pid, (chunks.get(p.pid) ?? 0) + c);
      items.set(p.pid, (items.get(p.pid) ?? 0) + n);
    }
  }
  return { busy, chunks, items };
}

function poolTasks(model: RunModel, pool: PoolModel) {
  const tasksChannel = pool.tasksChannel !== null ? model.channelOf(pool.tasksChannel)?.id ?? pool.tasksChannel : null;
  return model.tasks.filter((t) => (model.channelOf(t.ref)?.id ?? t.ref) === tasksChannel && poolHasJob(pool, t.job));
}

function poolInsights(model: RunModel, now: number): WarningModel[] {
  const out: WarningModel[] = [];
  const T = INSIGHT_THRESHOLDS;
  for (const pool of model.pools.values()) {
    const { busy, chunks, items } = poolWork(model, pool);
    if (busy.size === 0) continue;
    const workers = [...busy.keys()];
    const totalBusy = [...busy.values()].reduce((a, b) => a + b, 0);
    const totalChunks = [...chunks.values()].reduce((a, b) => a + b, 0);
    const totalItems = [...items.values()].reduce((a, b) => a + b, 0);
    const tasks = poolTasks(model, pool);
    const label = poolLabel(pool);
    const callChunksize = pool.calls.find((c) => c.chunksize !== null)?.chunksize ?? null;
    const nWorkers = Math.max(workers.length, pool.processes ?? 0);

    // Imbalance: the busiest worker against the mean of all the pool's workers.
    if (nWorkers >= 2) {
      const mean = totalBusy / nWorkers;
      const [maxPid, max] = [...busy.entries()].sort((a, b) => b[1] - a[1])[0];
      if (max >= T.imbalanceRatio * mean && max - mean >= T.imbalanceMinSeconds) {
        const longest = tasks
          .filter((x) => x.worker === maxPid)
          .sort((a, b) => b.end - b.begin - (a.end - a.begin))
          .slice(0, 3);
        const longestText = longest.length
          ? ` Its longest chunks: ${longest.map((x) => `job ${x.job} chunk ${x.chunk ?? '?'} (${x.items ?? '?'} item${x.items === 1 ? '' : 's'}, ${fmtSecs(x.end - x.begin)})`).join(', ')}.`
          : '';
        const chunksPerWorker = totalChunks / nWorkers;
        let advice: string;
        if (callChunksize !== null && callChunksize > 1 && chunksPerWorker < 8) {
          const suggest = Math.max(1, Math.floor(totalItems / (nWorkers * 8)));
          advice = `With chunksize=${callChunksize} the ${totalItems} tasks went out in only ${totalChunks} chunks for ${nWorkers} workers, so a slow chunk cannot be shared out. Use a smaller chunksize (chunksize=${suggest} gives about 8 chunks per worker) so idle workers pick up the rest.`;
        } else if (longest.length && longest[0].items === 1 && longest[0].end - longest[0].begin >= 0.5 * max) {
          advice = `A single task dominates: split it into smaller tasks, or submit the longest tasks first (sort the inputs by expected cost) with chunksize=1 so the others fill the gaps.`;
        } else {
          advice = `Use chunksize=1 (or imap_unordered) so that workers that finish early take the remaining tasks, and submit the longest tasks first.`;
        }
        out.push(
          makeWarning(
            'imbalance',
            maxPid,
            `${label} is unbalanced: worker ${processLabel(model.byPid.get(maxPid), maxPid)} was busy ${fmtSecs(max)} while the ${nWorkers} workers averaged ${fmtSecs(mean)} (${(max / Math.max(mean, 1e-9)).toFixed(1)}×); the others waited for it.${longestText} ${advice}`,
            now,
            { pids: [maxPid, ...workers.filter((w) => w !== maxPid)], severity: 'warning', ref: pool.id, file: pool.file, line: pool.line },
          ),
        );
      }
    }

    // Overhead: many tiny chunks, workers mostly idle during the job: the time goes into moving data.
    if (totalChunks >= T.overheadMinChunks && totalBusy / totalChunks <= T.overheadChunkSeconds && tasks.length) {
      const begin = Math.min(...tasks.map((x) => x.begin));
      const end = Math.max(...tasks.map((x) => x.end));
      const span = end - begin;
      const busyFraction = span > 0 ? totalBusy / (span * nWorkers) : 1;
      if (span >= 0.2 && busyFraction < T.overheadBusyFraction) {
        let bytes = 0;
        for (const p of model.processes) {
          for (const [ref, [, b]] of Object.entries(p.counters.sent)) {
            const id = model.channelOf(ref)?.id;
            if (id !== undefined && (id === model.channelOf(pool.tasksChannel ?? '')?.id || id === model.channelOf(pool.resultsChannel ?? '')?.id)) bytes += b;
          }
        }
        const suggest = Math.max(2, Math.ceil(totalItems / (nWorkers * 4)));
        out.push(
          makeWarning(
            'overhead',
            pool.createdBy,
            `${label} spent its time moving data, not computing: its workers were busy only ${pct(busyFraction)} of the ${fmtSecs(span)} the work took, ${totalChunks} chunks averaged ${(1000 * totalBusy / totalChunks).toFixed(3)} ms of work each and moved ${fmtBytes(bytes)} through the task and result pipes (pickling, writing, waking a worker for every chunk). Pass a larger chunksize (chunksize=${suggest} gives about 4 chunks per worker), or send less data per task.`,
            now,
            { pids: [pool.createdBy, ...workers], severity: 'warning', ref: pool.id, file: pool.file, line: pool.line },
          ),
        );
      }
    }
  }
  return out;
}

/**
 * `overhead` on a plain Queue/Pipe: so many messages that the processes at its
 * ends spent about as long per message, in all, as a pickle, a pipe write and
 * a read cost: moving the data is most of their work.
 */
function channelOverhead(model: RunModel, now: number): WarningModel[] {
  const T = INSIGHT_THRESHOLDS;
  const out: WarningModel[] = [];
  const acc = new Map<ChannelModel, { msgs: number; bytes: number; ends: Set<ProcessModel> }>();
  for (const p of model.processes) {
    for (const [key, [msgs, bytes]] of Object.entries(p.counters.recv)) {
      const space = key.indexOf(' ');
      const ch = model.channelOf(key.slice(0, space));
      if (!ch || !(ch.kind === 'queue' || ch.kind === 'simplequeue' || ch.kind === 'joinablequeue' || ch.kind === 'pipe')) continue;
      let a = acc.get(ch);
      if (!a) acc.set(ch, (a = { msgs: 0, bytes: 0, ends: new Set() }));
      a.msgs += msgs;
      a.bytes += bytes;
      a.ends.add(p);
      const src = model.byPid.get(Number(key.slice(space + 1)));
      if (src) a.ends.add(src);
    }
  }
  for (const [ch, a] of acc) {
    if (a.msgs < T.channelOverheadMinMessages) continue;
    const ends = [...a.ends].filter((p) => !isServer(p));
    // Time outside recorded waits (on a CPU, ready for one, or blocked elsewhere, as before those were told apart).
    const running = ends.reduce((n, p) => {
      const s = stateSeconds(p, now);
      return n + s.running + s.ready + s.blocked;
    }, 0);
    const perMessage = running / a.msgs;
    if (running < T.channelOverheadMinSeconds || perMessage > T.channelOverheadSecondsPerMessage) continue;
    out.push(
      makeWarning(
        'overhead',
        ch.createdBy,
        `${channelLabel(ch, null)} carried ${a.msgs} messages (${fmtBytes(a.bytes)}) between ${ends.map((p) => processLabel(p)).join(', ')}, which ran ${fmtSecs(running)} in all: ${(perMessage * 1e6).toFixed(0)} µs per message, about what pickling, a pipe write and a read cost for one message, so moving the data is most of their work. Send items in batches (a list of a few hundred per put()), or use Pool.map/imap with a chunksize.`,
        now,
        { pids: ends.map((p) => p.pid), severity: 'warning', ref: ch.id, file: ch.file, line: ch.line },
      ),
    );
  }
  return out;
}

/** Seconds `p` spent waiting in get()/recv() on channel `ch` between `from` and `to`. */
function waitingOn(model: RunModel, p: ProcessModel, ch: ChannelModel, from: number, to: number): number {
  let s = 0;
  for (const w of p.waits) {
    if ((w.what !== 'queue.get' && w.what !== 'recv') || !w.ref || model.channelOf(w.ref) !== ch) continue;
    const b = Math.max(w.begin, from);
    const e = Math.min(w.end ?? to, to);
    if (e > b) s += e - b;
  }
  return s;
}

/** Mean CPU % of `p` over [from, to] from its samples, else null. */
function meanCpu(p: ProcessModel, from: number, to: number): number | null {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < p.samples.t.length; i++) {
    const t = p.samples.t[i];
    if (t < from || t > to) continue;
    sum += p.samples.cpu[i];
    n++;
  }
  return n ? sum / n : null;
}

function starvation(model: RunModel, now: number): WarningModel[] {
  const out: WarningModel[] = [];
  const T = INSIGHT_THRESHOLDS;
  // Per channel, who received from it and from whom (one pass over the counters).
  const ends = new Map<ChannelModel, { consumers: Set<ProcessModel>; producers: Set<ProcessModel> }>();
  for (const p of model.processes) {
    for (const [key, [msgs]] of Object.entries(p.counters.recv)) {
      if (!(msgs > 0)) continue;
      const space = key.indexOf(' ');
      const ch = model.channelOf(key.slice(0, space));
      if (!ch) continue;
      let e = ends.get(ch);
      if (!e) ends.set(ch, (e = { consumers: new Set(), producers: new Set() }));
      e.consumers.add(p);
      const src = model.byPid.get(Number(key.slice(space + 1)));
      if (src) e.producers.add(src);
    }
  }
  for (const [ch, { consumers, producers }] of ends) {
    // At least two consumers (a 1:1 pipeline stage waiting on a slow producer is normal), one producer.
    if (consumers.size < 2 || producers.size !== 1) continue;
    const producer = [...producers][0];
    if (consumers.has(producer)) continue;
    const list = [...consumers];
    const from = Math.max(...list.map((p) => p.runAt ?? p.startedAt));
    const to = Math.min(...list.map((p) => p.runEndAt ?? p.endedAt ?? now), producer.endedAt ?? now);
    if (to - from < T.starvationMinSeconds) continue;
    const idle = list.map((p) => waitingOn(model, p, ch, from, to) / (to - from));
    const meanIdle = idle.reduce((a, b) => a + b, 0) / idle.length;
    if (meanIdle < T.starvationIdleFraction) continue;
    // Busy: its main thread not blocked in any wait (a sleep included) — computing, or reading a slow
    // source — or it burns CPU while its consumers do not (a Pool's task thread runs the input generator
    // while the main thread waits; CPU shares are compared, not absolute, as a shared machine gives less).
    const prodWait = producer.waits.reduce((s, w) => s + Math.max(0, Math.min(w.end ?? to, to) - Math.max(w.begin, from)), 0) / (to - from);
    const prodCpu = meanCpu(producer, from, to);
    const consumerCpu = list.map((p) => meanCpu(p, from, to) ?? 0).reduce((a, b) => a + b, 0) / list.length;
    const running = 1 - prodWait >= T.starvationProducerBusy;
    const burning = prodCpu !== null && prodCpu >= T.starvationProducerCpu && prodCpu >= T.starvationCpuRatio * consumerCpu;
    if (!running && !burning) continue;
    // Tiny pool chunks are `overhead` (moving data), not a slow producer.
    const pool = ch.pool !== null ? model.pools.get(ch.pool) : undefined;
    if (pool && pool.tasksChannel !== null && model.channelOf(pool.tasksChannel) === ch) {
      const { busy, chunks } = poolWork(model, pool);
      const n = [...chunks.values()].reduce((a, b) => a + b, 0);
      if (n >= T.overheadMinChunks && [...busy.values()].reduce((a, b) => a + b, 0) / n <= T.overheadChunkSeconds) continue;
    }
    out.push(
      makeWarning(
        'starvation',
        producer.pid,
        `Workers starve: ${list.map((p) => processLabel(p)).join(', ')} spent on average ${pct(meanIdle)} of their time waiting in get() on ${channelLabel(ch, null)} for work, while the only producer, ${processLabel(producer)}, was busy (${running ? `running ${pct(1 - prodWait)} of that time` : 'its main thread waited, but the process'}${prodCpu !== null ? `${running ? ', ' : ' '}using ${Math.round(prodCpu)}% of a core against ${Math.round(consumerCpu)}% per worker` : ''}): the producer is the bottleneck, not the workers. Speed up the producer (move the preparation into the workers, send bigger items), or use fewer workers; more workers will not make this faster.`,
        now,
        { pids: [producer.pid, ...list.map((p) => p.pid)], severity: 'warning', ref: ch.id, file: ch.file, line: ch.line },
      ),
    );
  }
  return out;
}

function tooManyProcesses(model: RunModel, now: number): WarningModel[] {
  const T = INSIGHT_THRESHOLDS;
  const cores = model.run.header.cpuCount;
  if (!cores) return [];
  // Per sample time: the processes using a good part of a core.
  const busyAt = new Map<number, number[]>();
  for (const p of model.processes) {
    if (isServer(p)) continue;
    for (let i = 0; i < p.samples.t.length; i++) {
      // Wanting a CPU: runnable by the OS ('R'; on a shared machine it may get little of one), else busy.
      const state = p.samples.state[i];
      if (state !== 'R' && !(state === null && p.samples.cpu[i] >= T.busyCpuPercent)) continue;
      const t = Math.round(p.samples.t[i] * 1000);
      const list = busyAt.get(t) ?? [];
      list.push(p.pid);
      busyAt.set(t, list);
    }
  }
  const samples = model.totalCpu.t.length;
  if (samples < T.oversubscribedMinSamples) return [];
  let over = 0;
  let maxBusy = 0;
  const pids = new Set<number>();
  for (const list of busyAt.values()) {
    if (list.length > cores) {
      over++;
      for (const pid of list) pids.add(pid);
    }
    maxBusy = Math.max(maxBusy, list.length);
  }
  if (over < T.oversubscribedMinSamples || over / samples < T.oversubscribedFraction) return [];
  const share = Math.round((100 * cores) / maxBusy);
  let cpu = 0;
  let secs = 0;
  for (const pid of pids) {
    const p = model.byPid.get(pid);
    if (!p) continue;
    cpu += p.cpuSeconds;
    secs += Math.max(0, (p.runEndAt ?? p.endedAt ?? now) - (p.runAt ?? p.startedAt));
  }
  const got = secs > 0 ? ` (measured: ${pct(cpu / secs)} of a core each on average)` : '';
  // Time spent runnable but not on a core (the `ready` state): the cost of the switching.
  let queued = 0;
  for (const pid of pids) {
    const p = model.byPid.get(pid);
    if (p) queued += stateSeconds(p, now).ready;
  }
  const queuedText = queued >= 0.05 ? `; together they spent about ${fmtSecs(queued)} ready to run but waiting for a core` : '';
  const pool = [...model.pools.values()].find((p) => (p.processes ?? 0) > cores);
  const mainPid = model.run.mainPid;
  return [
    makeWarning(
      'too-many-processes',
      mainPid,
      `Too many processes for ${cores} cores: up to ${maxBusy} processes wanted a CPU at once during ${pct(over / samples)} of the run, so each got about ${share}% of a core${got}${queuedText}, and the OS spent time switching between them (context switches, cold caches) instead of computing. ${pool ? `${poolLabel(pool)} has ${pool.processes} workers: ` : ''}Use at most ${cores} CPU-bound processes (Pool(processes=${cores}) or os.cpu_count()); more do not finish sooner.`,
      now,
      { pids: [...pids], severity: 'warning', ref: pool?.id ?? null, file: pool?.file ?? null, line: pool?.line ?? null },
    ),
  ];
}

/** Beyond this many children of one parent with the same hygiene issue, one warning names them all. */
const GROUP_AFTER = 3;

const GROUP_ADVICE: Record<string, string> = {
  orphan: 'Join every child before its parent exits.',
  zombie: 'Join children when they are expected to be done.',
  unjoined: 'Call join() on every Process you start.',
};

function hygiene(model: RunModel, now: number): WarningModel[] {
  const out: WarningModel[] = [];
  const T = INSIGHT_THRESHOLDS;
  // Per-child hygiene warnings, grouped by kind and parent (a loop that forgets join() gives one warning, not a thousand).
  const groups = new Map<string, { kind: string; parent: ProcessModel | undefined; items: WarningModel[] }>();
  const perChild = (w: WarningModel, parent: ProcessModel | undefined) => {
    const key = `${w.kind} ${parent?.pid ?? ''}`;
    const g = groups.get(key) ?? { kind: w.kind, parent, items: [] };
    g.items.push(w);
    groups.set(key, g);
  };
  const stoppedAt = model.run.stopped ? model.run.wallSeconds : Infinity;
  for (const p of model.processes) {
    if (isServer(p) || p.role === 'main') continue;
    const parent = p.parentPid !== null ? model.byPid.get(p.parentPid) : undefined;
    const name = processLabel(p);
    if (p.orphanedAt !== null && parent) {
      perChild(
        makeWarning(
          'orphan',
          p.pid,
          `${name} became an orphan: its parent ${processLabel(parent)} ended at ${fmtSecs(p.orphanedAt)} while it was still running, so nobody joins it and it is re-parented to ${p.adoptedBy !== null ? `pid ${p.adoptedBy}${p.adoptedByName ? ` (${p.adoptedByName})` : ''}` : 'init (or a subreaper)'}. Join every child before its parent exits (or make it a daemon if it may be killed with its parent).`,
          now,
          { pids: [p.pid, parent.pid], severity: 'warning', file: p.file, line: p.line },
        ),
        parent,
      );
      continue;
    }
    if (p.role !== 'process') continue;
    if (p.endedAt !== null && p.reapedAt !== null) {
      const zombie = p.reapedAt - p.endedAt;
      if (zombie >= T.zombieSeconds) {
        perChild(
          makeWarning(
            'zombie',
            p.pid,
            `${name} was a zombie for ${fmtSecs(zombie)}: it ended at ${fmtSecs(p.endedAt)} but ${processLabel(parent, p.parentPid ?? undefined)} did not join it until ${fmtSecs(p.reapedAt)}. A zombie holds its pid and exit status until it is joined. Join children when they are expected to be done (or poll is_alive()/exitcode and join then).`,
            now,
            { pids: [p.pid, ...(parent ? [parent.pid] : [])], severity: 'info', file: p.file, line: p.line, since: p.endedAt },
          ),
          parent,
        );
      }
    }
    if (p.joins.length === 0 && p.orphanedAt === null && parent && p.endedAt !== null && !p.daemon) {
      perChild(
        makeWarning(
          'unjoined',
          p.pid,
          `${name} was never joined by ${processLabel(parent)}: multiprocessing reaped it in passing (another start(), active_children() or the parent's exit). Call join() on every Process you start, so its end is a known point of the program and its exit code is checked.`,
          now,
          { pids: [p.pid, parent.pid], severity: 'info', file: p.file, line: p.line },
        ),
        parent,
      );
    }
    // terminate()/kill() of a process that used a queue or a lock (not a Stop of the whole run).
    if ((p.exitCode === -15 || p.exitCode === -9) && p.endedAt !== null && p.endedAt < stoppedAt - 0.05) {
      // A channel is at risk only when the process died with its own messages still on the way (some never
      // arrived: the feeder may have been cut mid-write) or blocked putting on it; one whose every message
      // arrived was left intact, whatever the process did afterwards.
      const lastWait = p.waits.length ? p.waits[p.waits.length - 1] : undefined;
      const queues = sentChannels(model, p).filter(
        (ch) =>
          (ch.kind === 'queue' || ch.kind === 'joinablequeue' || ch.kind === 'simplequeue' || ch.kind === 'pipe') &&
          (undelivered(model, p, ch) > 0 || (lastWait?.what === 'queue.put' && lastWait.ref !== null && model.channelOf(lastWait.ref) === ch)),
      );
      const locks = Object.entries(p.counters.locks).filter(([, [n]]) => n > 0).map(([ref]) => ref);
      const lockWait = [...p.waits].reverse().find((w) => LOCK_WAITS.has(w.what));
      if (lockWait?.ref && !locks.includes(lockWait.ref)) locks.push(lockWait.ref);
      if (queues.length || locks.length) {
        const what = [...locks.map((ref) => lockLabel(model, ref, 'lock')), ...queues.map((ch) => channelLabel(ch, null))].join(', ');
        out.push(
          makeWarning(
            'terminated-holding-lock',
            p.pid,
            `${name} was ${p.exitCode === -9 ? 'killed (SIGKILL)' : 'terminated (SIGTERM)'} at ${fmtSecs(p.endedAt)} while it used ${what}. Python documents this as the way to corrupt a queue or leave a lock held forever: the process dies wherever it is, in the middle of a put() or inside a "with lock:". Ask it to stop instead (a sentinel on its queue or an Event it checks), then join() it; keep terminate() for processes that share nothing.`,
            now,
            { pids: [p.pid, ...(parent ? [parent.pid] : [])], severity: 'warning', ref: locks[0] ?? queues[0]?.id ?? null, file: p.file, line: p.line },
          ),
        );
      }
    }
  }
  for (const g of groups.values()) {
    if (g.items.length <= GROUP_AFTER) {
      out.push(...g.items);
      continue;
    }
    const children = g.items.map((w) => w.pid!);
    const what = g.kind === 'orphan' ? 'became orphans (their parent ended while they ran)' : g.kind === 'zombie' ? `were zombies for ${T.zombieSeconds} s or more (ended, not joined)` : 'were never joined';
    const named = children.slice(0, 5).map((pid) => processLabel(model.byPid.get(pid), pid)).join(', ');
    const first = g.items[0];
    out.push(
      makeWarning(
        g.kind,
        first.pid,
        `${children.length} children of ${processLabel(g.parent)} ${what}: ${named}${children.length > 5 ? ` and ${children.length - 5} more` : ''}. ${GROUP_ADVICE[g.kind] ?? ''}`.trim(),
        now,
        { pids: [...children, ...(g.parent ? [g.parent.pid] : [])], severity: first.severity, file: first.file, line: first.line },
      ),
    );
  }
  const childrenOf = new Map<number, ProcessModel[]>();
  for (const c of model.processes) {
    if (c.parentPid === null || isServer(c)) continue;
    const list = childrenOf.get(c.parentPid) ?? [];
    list.push(c);
    childrenOf.set(c.parentPid, list);
  }
  for (const p of model.processes) {
    if (p.daemon !== true || isServer(p)) continue;
    const kids = childrenOf.get(p.pid) ?? [];
    const refused = p.error !== null && /daemonic processes are not allowed to have children/.test(p.error);
    if (!kids.length && !refused) continue;
    out.push(
      makeWarning(
        'daemon-with-children',
        p.pid,
        `${processLabel(p)} is a daemon process ${kids.length ? `that started ${kids.map((c) => processLabel(c)).join(', ')}` : 'that tried to start a child (AssertionError: daemonic processes are not allowed to have children)'}. A daemon is terminated when its parent exits, which would orphan its children, so multiprocessing forbids it. Make it non-daemon (daemon=False) and join it, or start those children from its parent.`,
        now,
        { pids: [p.pid, ...kids.map((c) => c.pid)], severity: kids.length ? 'warning' : 'error', file: p.file, line: p.line },
      ),
    );
  }
  return out;
}

/**
 * Hangs: the wait-for graph at a time (who waits on whom, and who could help),
 * `findHangs` live and `findPastHangs` over a finished recording, and the
 * `deadlock` warning that names the cycle, the channel or lock, the line and what to do.
 */

import { insightText } from './texts';
import { formatBytes, formatSecondsBrief } from '../format';
import { POOL_WORKER_ROLES } from '../model/roles';
import { makeWarning, type PoolModel, type ProcessModel, type RunModel, type WarningModel } from '../model/types';
import {
  at,
  Blocked,
  channelLabel,
  DEFAULT_HANG_SECONDS,
  HangOptions,
  isServer,
  liveAt,
  LOCK_WAITS,
  lockLabel,
  poolLabel,
  processLabel,
  sendersTo,
  sentChannels,
  stateAt,
  unreadBytes,
} from './shared';

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
  const siblings = [...model.pools.values()]
    .filter((x) => x.createdBy === pool.createdBy && x.kind === pool.kind)
    .sort((a, b) => a.createdAt - b.createdAt);
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
  // Where anyone could help, the block is hopeless only since the last process that could have ended: a get()
  // whose last sender put and exited a moment before the getter woke was waiting on it until then.
  let lastEnd = -Infinity;
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
      if (b.state === 'gone' && next === 'anyone' && q.endedAt !== null && q.endedAt <= t) lastEnd = Math.max(lastEnd, q.endedAt);
      if (b.state === 'gone' || b.state === 'helper') continue;
      if (b.state === 'running') return null;
      const m = { p: q, b };
      seen.set(q.pid, m);
      todo.push(m);
    }
  }
  const nodes = [...seen.values()];
  const since = Math.max(lastEnd, ...nodes.map((n) => n.b.since));
  return t - since < hangSeconds ? null : { nodes, since };
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
  const chosen = candidates
    .sort((a, b) => b.length - a.length)
    .slice(0, PAST_HANG_CANDIDATES)
    .sort((a, b) => a.t - b.t);
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
  const where = POOL_WORKER_ROLES.has(n.p.role) ? '' : at(w.file, w.line);
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
function describeHang(model: RunModel, h: Hang, t: number): WarningModel {
  const nodes = [...h.nodes].sort((a, b) => (a.p.role === 'main' ? -1 : b.p.role === 'main' ? 1 : a.p.pid - b.p.pid));
  const lead = nodes[0];
  const leadWait = lead.b.state === 'waiting' ? lead.b.wait : null;
  const chain = nodes.map((n) => waitPhrase(model, n)).join('; ');
  const stuckFor = formatSecondsBrief(t - h.since);
  let cause = '';
  let advice = '';
  let ref: string | null = leadWait?.ref ?? null;
  let file = leadWait?.file ?? null;
  let line = leadWait?.line ?? null;
  const pids = nodes.map((n) => n.p.pid);

  const exiting = nodes.find((n) => n.b.state === 'exiting');
  const joiner = exiting
    ? nodes.find((n) => n.b.state === 'waiting' && n.b.wait.what === 'join' && processByKey(model, n.b.wait.ref) === exiting.p)
    : undefined;
  const lockWaiter = nodes.find((n) => n.b.state === 'waiting' && LOCK_WAITS.has(n.b.wait.what));
  const poolWaiter = nodes.find((n) => n.b.state === 'waiting' && (n.b.wait.what === 'pool.result' || n.b.wait.what === 'future.result'));
  const putter = nodes.find((n) => n.b.state === 'waiting' && n.b.wait.what === 'queue.put');
  const getters = nodes.filter((n) => n.b.state === 'waiting' && (n.b.wait.what === 'queue.get' || n.b.wait.what === 'recv'));
  const jqChannel = getters
    .map((n) => (n.b.state === 'waiting' && n.b.wait.ref ? model.channelOf(n.b.wait.ref) : undefined))
    .find((ch) => ch?.kind === 'joinablequeue');
  const jqJoin = jqChannel
    ? nodes.find(
        (n) => n.b.state === 'waiting' && n.b.wait.what === 'condition' && (n.b.wait.ref === null || !model.locks.has(n.b.wait.ref)),
      )
    : undefined;

  if (exiting) {
    const stuck = sentChannels(model, exiting.p)
      .map((ch) => ({ ch, bytes: unreadBytes(model, exiting.p, ch) }))
      .filter((x) => x.bytes > 0)
      .sort((a, b) => b.bytes - a.bytes)[0];
    if (stuck) {
      ref = stuck.ch.id;
      cause = insightText('exitFeederCause', {
        process: processLabel(exiting.p),
        bytes: formatBytes(stuck.bytes),
        channel: channelLabel(stuck.ch, null),
      });
      advice = insightText(joiner ? 'exitFeederJoinedAdvice' : 'exitFeederAdvice');
      if (joiner && joiner.b.state === 'waiting') {
        file = joiner.b.wait.file ?? file;
        line = joiner.b.wait.line ?? line;
      }
    } else {
      cause = insightText('exitOtherCause', { process: processLabel(exiting.p) });
      advice = insightText('exitOtherAdvice');
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
        ((w.ref !== null && (q.counters.locks[w.ref]?.[0] ?? 0) > 0) ||
          (q.exitCode !== null && q.exitCode !== 0 && q.startedAt >= created)),
    );
    if (dead.length) {
      pids.push(...dead.map((q) => q.pid).filter((pid) => !pids.includes(pid)));
      cause = insightText('lockDeadCause', {
        dead: dead.map((q) => `${processLabel(q)} ended (exit code ${q.exitCode ?? '?'})`).join(', '),
      });
      advice = insightText('lockDeadAdvice');
    } else {
      cause = insightText('lockCycleCause');
      advice = insightText('lockCycleAdvice');
    }
  } else if (poolWaiter && poolWaiter.b.state === 'waiting') {
    const w = poolWaiter.b.wait;
    const pools = poolsOf(model, poolWaiter.p, w.ref);
    ref = pools[0]?.id ?? w.ref;
    file = w.file ?? pools[0]?.file ?? file;
    line = w.line ?? pools[0]?.line ?? line;
    const died = pools
      .flatMap((pool) => poolWorkers(model, pool))
      .filter((q) => q.endedAt !== null && q.endedAt <= t && q.exitCode !== null && q.exitCode !== 0);
    if (died.length) {
      pids.push(...died.map((q) => q.pid).filter((pid) => !pids.includes(pid)));
      cause = insightText('poolDiedCause', {
        died: died.map((q) => `${processLabel(q)} died (exit code ${q.exitCode})`).join(', worker '),
      });
      advice = insightText('poolDiedAdvice');
    } else {
      cause = insightText('poolIdleCause');
      advice = insightText('poolIdleAdvice');
    }
  } else if (jqJoin && jqJoin.b.state === 'waiting') {
    // JoinableQueue.join() waits on the queue's internal condition (no ref of its own).
    const w = jqJoin.b.wait;
    const q = jqChannel!;
    ref = q.id;
    file = w.file ?? file;
    line = w.line ?? line;
    const put = sendersTo(model, q).reduce(
      (n, p) =>
        n +
        Object.entries(p.counters.sent)
          .filter(([r]) => model.channelOf(r) === q)
          .reduce((m, [, [msgs]]) => m + msgs, 0),
      0,
    );
    cause = insightText('taskDoneCause', { process: processLabel(jqJoin.p), channel: channelLabel(q, null), put });
    advice = insightText('taskDoneAdvice', { queue: q.name ?? 'the queue' });
  } else if (putter && putter.b.state === 'waiting') {
    const w = putter.b.wait;
    const ch = w.ref ? model.channelOf(w.ref) : undefined;
    ref = ch?.id ?? w.ref;
    file = w.file ?? file;
    line = w.line ?? line;
    cause = insightText('fullQueueCause');
    advice = insightText('fullQueueAdvice');
  } else if (getters.length >= 2) {
    cause = insightText('cycleCause');
    advice = insightText('cycleAdvice');
    const g = getters[0].b.state === 'waiting' ? getters[0].b.wait : null;
    ref = g?.ref ? (model.channelOf(g.ref)?.id ?? g.ref) : ref;
    file = g?.file ?? file;
    line = g?.line ?? line;
  } else if (getters.length === 1 && getters[0].b.state === 'waiting') {
    const w = getters[0].b.wait;
    const ch = w.ref ? model.channelOf(w.ref) : undefined;
    ref = ch?.id ?? w.ref;
    file = w.file ?? file;
    line = w.line ?? line;
    const senders = ch ? sendersTo(model, ch).filter((q) => q !== getters[0].p) : [];
    const endedPeers = model.processes.filter(
      (q) => q !== getters[0].p && !isServer(q) && q.endedAt !== null && q.endedAt <= t && q.startedAt >= (ch?.createdAt ?? 0),
    );
    const peers = endedPeers.length
      ? ` ${endedPeers.map((q) => `${processLabel(q)} ended`).join(', ')}${senders.length ? '' : ' without putting anything on it'}.`
      : '';
    cause = insightText('nobodyPutsCause', { peers });
    advice = insightText('nobodyPutsAdvice');
  } else {
    cause = insightText('stuckCause');
    advice = insightText('stuckAdvice');
  }
  const message = insightText('deadlock', { stuckFor, chain, cause, advice });
  return makeWarning('deadlock', lead.p.pid, message, t, { pids, severity: 'error', ref, file, line, since: h.since });
}

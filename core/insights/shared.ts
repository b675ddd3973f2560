/**
 * What every insight family shares: the kinds and thresholds, the labels that
 * name a process, channel, lock or pool in a message, the state of a process
 * at a time (for the hang graph), and what a process left unread on a channel.
 * Pure code: no Node, VS Code or DOM.
 */

import { basename, SHORT_ZOMBIE_SECONDS } from '../format';
import type { ProcessStateName } from '../model/states';
import { upperBound } from '../search';
import { isServerRole } from '../model/roles';
import type { ChannelModel, PoolModel, ProcessModel, RunModel, WaitInterval } from '../model/types';

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
  // dask.distributed clusters (dask.ts)
  'dask-imbalance',
  'dask-worker-lost',
  'dask-erred',
  'dask-idle',
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
  zombieSeconds: SHORT_ZOMBIE_SECONDS,
  /** A blocked process using this much CPU (other threads working) counts as making progress. */
  progressCpuPercent: 20,
};

export const at = (file: string | null | undefined, line: number | null | undefined): string =>
  file ? ` (${basename(file)}${line ? `:${line}` : ''})` : '';

/** "stuck-writer (pid 123)" */
export function processLabel(p: ProcessModel | undefined, pid?: number): string {
  if (!p) return `pid ${pid ?? '?'}`;
  return `${p.role === 'main' && p.name === 'MainProcess' ? 'main' : p.name} (pid ${p.pid})`;
}

export const KIND_WORDS: Record<string, string> = {
  queue: 'Queue',
  simplequeue: 'SimpleQueue',
  joinablequeue: 'JoinableQueue',
  pipe: 'Pipe',
  pool: 'Pool channel',
  manager: 'Manager',
};

/** "Queue q (created at demo.py:12)" */
export function channelLabel(ch: ChannelModel | undefined, ref: string | null): string {
  if (!ch) return ref ? `channel ${ref}` : 'a channel';
  return `${KIND_WORDS[ch.kind] ?? ch.kind} ${ch.name ?? ch.id}${ch.file ? ` (created at ${basename(ch.file)}:${ch.line ?? '?'})` : ''}`;
}

export function lockLabel(model: RunModel, ref: string | null, what: string): string {
  const l = ref ? model.locks.get(ref) : undefined;
  if (!l) return `a ${what}`;
  return `${l.kind} ${l.name ?? l.id}${l.file ? ` (created at ${basename(l.file)}:${l.line ?? '?'})` : ''}`;
}

export function poolLabel(pool: PoolModel | undefined): string {
  if (!pool) return 'a Pool';
  if (pool.library === 'joblib')
    return `joblib Parallel call ${pool.name ?? pool.id}${pool.file ? ` (at ${basename(pool.file)}:${pool.line ?? '?'})` : ''}`;
  return `${pool.kind === 'executor' ? 'ProcessPoolExecutor' : 'Pool'} ${pool.name ?? pool.id}${pool.file ? ` (created at ${basename(pool.file)}:${pool.line ?? '?'})` : ''}`;
}

// ---- the state of a process at a time ----------------------------------------------------

export const LOCK_WAITS = new Set(['lock', 'semaphore']);

/** The wait of `p` going on at `t` (waits of one main thread do not overlap), else null. */
export function waitAt(p: ProcessModel, t: number): WaitInterval | null {
  const ws = p.waits;
  const found = upperBound(ws.length, (i) => ws[i].begin, t) - 1;
  // Tolerate small disorder at the end (a wait emitted at its end after a later one began).
  for (let i = found; i >= 0 && i >= found - 2; i--) {
    const w = ws[i];
    if (w.begin <= t && (w.end === null || w.end > t)) return w;
  }
  return null;
}

export function liveAt(p: ProcessModel, t: number): boolean {
  return p.startedAt <= t && (p.endedAt === null || p.endedAt > t);
}

/** CPU % of the sample nearest before `t` (within a second), else null. */
export function cpuAt(p: ProcessModel, t: number): number | null {
  const ts = p.samples.t;
  const found = upperBound(ts.length, (i) => ts[i], t) - 1;
  if (found < 0 || t - ts[found] > 1) return null;
  return p.samples.cpu[found];
}

/**
 * A process's state at a time, as the hang graph needs it: `running` and `waiting` are the model's state
 * names (states.ts); `gone` (not alive then), `helper` (serves others, never part of a hang) and `exiting`
 * (its run() returned, the process has not ended) are the graph's own verdicts. It reads the waits and
 * the samples directly rather than `stateBands`, which would build a process's whole life for one instant.
 */
export type Blocked =
  | { state: Extract<ProcessStateName, 'running'> }
  | { state: 'gone' }
  | { state: 'helper' }
  | { state: Extract<ProcessStateName, 'waiting'>; since: number; wait: WaitInterval }
  | { state: 'exiting'; since: number };

/** Roles that serve others and wait by design: never part of a hang. */
export const isServer = (p: ProcessModel): boolean => isServerRole(p.role);

export function stateAt(p: ProcessModel, t: number): Blocked {
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

// ---- what a process left on a channel ------------------------------------------------------

/** Bytes `p` put on channel `ch` that nobody has received (a Queue's feeder cannot finish until they are read). */
export function unreadBytes(model: RunModel, p: ProcessModel, ch: ChannelModel): number {
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
export function sentChannels(model: RunModel, p: ProcessModel): ChannelModel[] {
  const out = new Set<ChannelModel>();
  for (const ref of Object.keys(p.counters.sent)) {
    const ch = model.channelOf(ref);
    if (ch) out.add(ch);
  }
  return [...out];
}

/** Messages `p` sent on `ch` that no process reports having received. */
export function undelivered(model: RunModel, p: ProcessModel, ch: ChannelModel): number {
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

export function sendersTo(model: RunModel, ch: ChannelModel): ProcessModel[] {
  return model.processes.filter((q) => Object.entries(q.counters.sent).some(([ref, [msgs]]) => msgs > 0 && model.channelOf(ref) === ch));
}

/**
 * How the inspector words things: process states, what a wait is on, exit
 * codes, sizes and durations. Pure code (no DOM) so Node tests and the Chrome
 * trace export use the same words as the webview.
 */

import { endIsNormal, type ProcessModel, type RunModel } from './model/types';
import { type ProcessStateName, type StateBand, stateBands } from './model/states';
import { signalName } from './signals';

type EndFacts = Pick<ProcessModel, 'exitCode' | 'error' | 'endedAt'> & Partial<Pick<ProcessModel, 'endReason' | 'endDetail'>>;

/**
 * How a process ended, in plain words, from its `endReason` (`returned`, `stopped by the pool (leaving with
 * Pool(...))`, `terminate() · SIGTERM`, `raised ValueError: bad`, `killed by SIGUSR1`, `sys.exit(3)`,
 * `os._exit(4)`); null when the reason is not known (then `describeExit` words the exit code).
 */
export function describeEnd(p: EndFacts): string | null {
  const d = p.endDetail ?? null;
  switch (p.endReason) {
    case 'returned':
      return 'returned';
    case 'exception':
      return `raised ${d ?? 'an exception'}`;
    case 'sys.exit':
      return d === null || /^-?\d+$/.test(d)
        ? `sys.exit(${d ?? ''})`
        : `sys.exit(${JSON.stringify(d)})${p.exitCode !== null ? ` · exit ${p.exitCode}` : ''}`;
    case 'os._exit':
      return `os._exit(${d ?? ''})`;
    case 'terminated-by-pool':
      return `stopped by the pool${d ? ` (${d})` : ''}`;
    case 'terminate()':
    case 'kill()':
    case 'interrupt()':
      return `${p.endReason}${d ? ` · ${d}` : ''}`;
    case 'signal':
      return `killed by ${d ?? 'a signal'}`;
    default:
      return null;
  }
}

/** `exit 0`, `exit 1`, `killed by SIGKILL`, `raised ValueError: bad` (multiprocessing: signal N ⇒ exit code −N); how it ended when that is known. */
export function describeExit(p: EndFacts): string | null {
  const end = describeEnd(p);
  if (end !== null) return end;
  if (p.exitCode === null) return p.endedAt !== null ? 'ended' : null;
  if (p.exitCode < 0) {
    const sig = signalName(-p.exitCode);
    return `killed by ${sig ?? `signal ${-p.exitCode}`}`;
  }
  if (p.error) return `exit ${p.exitCode}: ${p.error}`;
  return `exit ${p.exitCode}`;
}

/**
 * True when the end says something went wrong (an exception, a non-zero exit, a signal): not for a normal end
 * (returned, sys.exit(0), the pool's own shutdown).
 */
export function exitIsBad(p: Pick<ProcessModel, 'exitCode' | 'error'> & Partial<Pick<ProcessModel, 'endReason' | 'endDetail'>>): boolean {
  if (p.endReason && p.endReason !== 'unknown')
    return !endIsNormal({ endReason: p.endReason, exitCode: p.exitCode, endDetail: p.endDetail });
  return (p.exitCode !== null && p.exitCode !== 0) || !!p.error;
}

/** `parent 4310`, and for an orphan `parent 4310 · adopted by 1 (systemd)`; null when no parent is known. */
export function describeParent(p: Pick<ProcessModel, 'ppid' | 'parentPid' | 'adoptedBy' | 'adoptedByName'>): string | null {
  const parent = p.ppid ?? p.parentPid;
  const adopted = p.adoptedBy !== null ? `adopted by ${p.adoptedBy}${p.adoptedByName ? ` (${p.adoptedByName})` : ''}` : null;
  if (parent === null) return adopted;
  return adopted ? `parent ${parent} · ${adopted}` : `parent ${parent}`;
}

const WAIT_VERBS: Record<string, string> = {
  join: 'join',
  'queue.get': 'Queue.get',
  'queue.put': 'Queue.put',
  recv: 'Pipe.recv',
  lock: 'Lock.acquire',
  semaphore: 'Semaphore.acquire',
  condition: 'Condition.wait',
  event: 'Event.wait',
  barrier: 'Barrier.wait',
  'pool.result': 'AsyncResult.get',
  'future.result': 'Future.result',
  sleep: 'sleep',
  manager: 'Manager call',
};

/** Resolves refs to the names people gave things: process keys, channel refs, lock refs. */
export class RefNames {
  private readonly byKey = new Map<string, ProcessModel>();
  private keysSeen = 0;

  constructor(private readonly model: RunModel) {}

  /** The process a process key (`"<creatorPid>:<n>"`) names, if known. */
  processByKey(key: string): ProcessModel | undefined {
    if (this.keysSeen !== this.model.processes.length) {
      for (const p of this.model.processes) if (p.key) this.byKey.set(p.key, p);
      this.keysSeen = this.model.processes.length;
    }
    let p = this.byKey.get(key);
    if (!p) {
      // A key may become known after the process was first seen.
      for (const q of this.model.processes) if (q.key) this.byKey.set(q.key, q);
      p = this.byKey.get(key);
    }
    return p;
  }

  /** A channel's display name: its variable name, else its kind and ref. */
  channelName(ref: string): string {
    const ch = this.model.channelOf(ref);
    if (!ch) return ref;
    if (ch.name) return ch.name;
    if (ch.pool) {
      const pool = this.model.pools.get(ch.pool);
      if (pool) return `${pool.name ?? pool.kind} tasks`;
    }
    return `${ch.kind} ${ch.id}`;
  }

  /** The channel kind word used in a wait: `Queue`, `SimpleQueue`, `Pipe`, … */
  channelKind(ref: string): string | null {
    const ch = this.model.channelOf(ref);
    if (!ch) return null;
    return { queue: 'Queue', simplequeue: 'SimpleQueue', joinablequeue: 'JoinableQueue', pipe: 'Pipe', pool: 'Pool', manager: 'Manager' }[
      ch.kind
    ];
  }

  lockName(ref: string): string {
    const l = this.model.locks.get(ref);
    return l ? (l.name ?? l.kind) : ref;
  }

  /** The name of whatever a wait's ref points at. */
  refName(what: string, ref: string | null): string | null {
    if (ref === null) return null;
    if (what === 'join') return this.processByKey(ref)?.name ?? ref;
    if (['lock', 'semaphore', 'condition', 'event', 'barrier'].includes(what)) return this.lockName(ref);
    return this.channelName(ref);
  }

  /**
   * A `blocked` band in words: `blocked: exiting: waiting for Queue q's feeder to flush`,
   * `blocked in threading.Thread.join (script.py:12)`, or plain `blocked (asleep in the kernel)`.
   */
  describeBlocked(band: Pick<StateBand, 'what' | 'ref' | 'detail' | 'file' | 'line'>): string {
    if (band.what === 'exit-flush') {
      const kind = band.ref ? (this.channelKind(band.ref) ?? 'Queue') : 'Queue';
      return `blocked: exiting: waiting for ${kind}${band.ref ? ` ${this.channelName(band.ref)}` : ''}'s feeder to flush`;
    }
    if (band.what === 'exiting') return `blocked: ${band.detail ?? 'exiting'}`;
    if (band.detail) {
      const where = band.file ? ` (${basename(band.file)}${band.line ? `:${band.line}` : ''})` : '';
      return `blocked in ${band.detail}${where}`;
    }
    return 'blocked (asleep in the kernel, outside any call Forkscope records)';
  }

  /** `join(Process-2)`, `Queue.get(tasks)`, `Lock.acquire(lock)`, `sleep`. */
  describeWait(what: string, ref: string | null, detail: string | null = null): string {
    let verb = WAIT_VERBS[what] ?? what;
    if (ref !== null && (what === 'queue.get' || what === 'queue.put' || what === 'recv')) {
      const kind = this.channelKind(ref);
      if (kind && kind !== 'Pool' && kind !== 'Manager')
        verb = `${kind}.${what === 'recv' ? (kind === 'Pipe' ? 'recv' : 'get') : what.slice(6)}`;
    }
    const name = this.refName(what, ref);
    const arg = name ?? (detail && detail.length <= 40 ? detail : null);
    return arg !== null ? `${verb}(${arg})` : verb;
  }
}

export interface ProcessStatus {
  /** The model's state name (states.ts), the same words the timeline and the summary use. */
  state: ProcessStateName;
  /** `running`, `ready`, `waiting: join(Process-2)`, `blocked: …`, `exited`, `zombie`, `created`. */
  label: string;
  band: StateBand | null;
}

/** A process's current (live) or last state, worded for a badge. */
export function processStatus(p: ProcessModel, model: RunModel, names: RefNames, bands = stateBands(p, model.run.now)): ProcessStatus {
  let band = bands.length ? bands[bands.length - 1] : null;
  if (!band) return { state: 'created', label: 'created', band };
  // The latest sample interval splits into running then ready (or blocked): say the larger part.
  const before = bands.length > 1 ? bands[bands.length - 2] : null;
  if (
    before &&
    before.state === 'running' &&
    (band.state === 'ready' || band.state === 'blocked') &&
    Math.abs(before.end - band.begin) < 1e-9
  ) {
    const run = before.end - before.begin;
    if (run <= 2 * (p.sampleSeconds || 0.1) && run > band.end - band.begin) band = before;
  }
  if (band.state === 'waiting')
    return { state: 'waiting', label: `waiting: ${names.describeWait(band.what ?? 'wait', band.ref ?? null, band.detail ?? null)}`, band };
  if (band.state === 'blocked') return { state: 'blocked', label: names.describeBlocked(band), band };
  if (band.state === 'exited') return { state: 'exited', label: 'exited', band };
  if (band.state === 'zombie') return { state: 'zombie', label: 'zombie (not joined)', band };
  if (band.state === 'starting') return { state: 'starting', label: 'starting Python', band };
  return { state: band.state, label: band.state, band };
}

/** `1.2 KiB`, `3.4 MiB`. */
export function formatBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  if (n < 1024) return `${Math.round(n)} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** Seconds as `850 µs`, `12.3 ms`, `4.56 s`, `2 min 5 s`. */
export function formatSeconds(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–';
  const a = Math.abs(s);
  if (a === 0) return '0 s';
  if (a < 1e-3) return `${(s * 1e6).toFixed(0)} µs`;
  if (a < 1) return `${(s * 1e3).toFixed(a < 0.01 ? 2 : 1)} ms`;
  if (a < 60) return `${s.toFixed(a < 10 ? 2 : 1)} s`;
  const m = Math.floor(a / 60);
  return `${s < 0 ? '-' : ''}${m} min ${Math.round(a - m * 60)} s`;
}

/** Seconds in an insight's sentence: `0.50 s`, `2.35 s`, `12 s` (two decimals under 10 s, whole seconds above). */
export function formatSecondsBrief(s: number): string {
  return s < 10 ? `${s.toFixed(2)} s` : `${s.toFixed(0)} s`;
}

/** Seconds in the text summary: `0.012 s`, `12.3 s`, `?` when unknown (three decimals under 10 s, one above). */
export function formatSecondsPrecise(s: number | null): string {
  return s === null ? '?' : s < 10 ? `${s.toFixed(3)} s` : `${s.toFixed(1)} s`;
}

/** A fraction as a whole percentage: `0.456` → `46%`. */
export function formatPercent(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** The last part of a path, `/` or `\\` separated (`demo.py` from `/home/me/demo.py`). */
export function basename(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(i + 1) : path;
}

let countFormat: Intl.NumberFormat | null = null;

/** `12,345` (one shared formatter: toLocaleString per call is slow on big runs; made on first use, as
 * building it costs milliseconds that `forkscope record` would otherwise spend before starting Python). */
export function formatCount(n: number): string {
  return (countFormat ??= new Intl.NumberFormat('en-US')).format(n);
}

/** `1 message`, `2 messages`, `1,200 tasks`: a count with its noun in the right number. */
export function formatCountOf(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}

/**
 * A stretch of time as a window: `from 123.6 ms, 3.40 s long` (an arrow between two
 * times reads as if the second were a length); `at 1.20 s` when it has no length.
 */
export function formatWindow(begin: number, end: number): string {
  if (!(end > begin)) return `at ${formatSeconds(begin)}`;
  return `from ${formatSeconds(begin)}, ${formatSeconds(end - begin)} long`;
}

/**
 * A zombie (exited, not yet joined) shorter than this is the normal moment
 * between a child's exit and its parent's join: drawn grey, with no badge.
 * Longer ones are flagged (the `zombie` insight uses the same threshold).
 */
export const SHORT_ZOMBIE_SECONDS = 1;

/** True when a zombie stretch of `seconds` is normal (see SHORT_ZOMBIE_SECONDS). */
export function zombieIsCalm(seconds: number): boolean {
  return seconds < SHORT_ZOMBIE_SECONDS;
}

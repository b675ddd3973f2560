/**
 * What the Locks, Shared memory and Manager views show, from a reduced
 * `RunModel`: per lock its use by each process (exact counters), its sampled
 * holds (`hold` events) and its waits; who held a lock at a given moment;
 * Manager calls per calling process and method with their round trips.
 * Pure code (no DOM, Node or VS Code), shared by the summary and the webview.
 */

import type { LockHoldModel, LockModel, RunModel, WaitInterval } from './types';

/** Wait kinds that wait on a lock-like object (their `ref` is a lock ref). */
export const LOCK_WAITS: ReadonlySet<string> = new Set(['lock', 'semaphore', 'condition', 'event', 'barrier']);

export interface LockWait {
  pid: number;
  begin: number;
  end: number;
}

export interface LockProcessUse {
  pid: number;
  /** Exact, from the runtime's counters. */
  acquisitions: number;
  contended: number;
  contendedSeconds: number;
  /** Holds recorded (sampled under load: at most `acquisitions`). */
  holds: number;
  heldSeconds: number;
  /** Waits long enough to be recorded (waitMs). */
  waits: number;
}

/** A lock (what was declared of it) with how it was used. */
export interface LockUse extends LockModel {
  acquisitions: number;
  contended: number;
  contendedSeconds: number;
  /** Sampled holds of this lock, by begin time. */
  holds: LockHoldModel[];
  /** Recorded waits on it (every process), by begin time. */
  waits: LockWait[];
  /** The most processes waiting on it at the same moment. */
  maxWaiters: number;
  /** Per process that acquired it or waited on it, by pid. */
  byProcess: LockProcessUse[];
}

function waitsOn(model: RunModel, now: number): Map<string, LockWait[]> {
  const out = new Map<string, LockWait[]>();
  for (const p of model.processes) {
    for (const w of p.waits as WaitInterval[]) {
      if (!w.ref || !LOCK_WAITS.has(w.what)) continue;
      let list = out.get(w.ref);
      if (!list) out.set(w.ref, (list = []));
      list.push({ pid: p.pid, begin: w.begin, end: Math.max(w.begin, w.end ?? now) });
    }
  }
  return out;
}

/** The most intervals open at one moment (an interval ending when another begins does not overlap it). */
export function maxOverlap(spans: { begin: number; end: number }[]): number {
  const edges: [number, number][] = [];
  for (const s of spans) {
    edges.push([s.begin, 1]);
    edges.push([s.end, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let n = 0;
  let best = 0;
  for (const [, d] of edges) {
    n += d;
    if (n > best) best = n;
  }
  return best;
}

/** Every lock of the run with its use, in creation order (locks only seen in counters last). */
export function lockUses(model: RunModel, now = model.run.wallSeconds): LockUse[] {
  const counts = new Map<string, Map<number, [number, number, number]>>();
  for (const p of model.processes) {
    for (const [ref, c] of Object.entries(p.counters.locks)) {
      let m = counts.get(ref);
      if (!m) counts.set(ref, (m = new Map()));
      m.set(p.pid, [c[0] ?? 0, c[1] ?? 0, c[2] ?? 0]);
    }
  }
  const holds = new Map<string, LockHoldModel[]>();
  for (const h of model.holds) {
    let list = holds.get(h.ref);
    if (!list) holds.set(h.ref, (list = []));
    list.push(h);
  }
  const waits = waitsOn(model, now);
  const ids = [...new Set([...model.locks.keys(), ...counts.keys()])];
  return ids.map((id) => {
    const l = model.locks.get(id);
    const hs = (holds.get(id) ?? []).slice().sort((a, b) => a.begin - b.begin);
    const ws = (waits.get(id) ?? []).slice().sort((a, b) => a.begin - b.begin);
    const per = new Map<number, LockProcessUse>();
    const use = (pid: number): LockProcessUse => {
      let u = per.get(pid);
      if (!u) per.set(pid, (u = { pid, acquisitions: 0, contended: 0, contendedSeconds: 0, holds: 0, heldSeconds: 0, waits: 0 }));
      return u;
    };
    for (const [pid, [a, c, s]] of counts.get(id) ?? []) {
      const u = use(pid);
      u.acquisitions = a;
      u.contended = c;
      u.contendedSeconds = s;
    }
    for (const h of hs) {
      const u = use(h.pid);
      u.holds++;
      u.heldSeconds += h.end - h.begin;
    }
    for (const w of ws) use(w.pid).waits++;
    const byProcess = [...per.values()].sort((a, b) => a.pid - b.pid);
    return {
      id,
      kind: l?.kind ?? 'Lock',
      name: l?.name ?? null,
      file: l?.file ?? null,
      line: l?.line ?? null,
      createdBy: l?.createdBy ?? null,
      acquisitions: byProcess.reduce((n, u) => n + u.acquisitions, 0),
      contended: byProcess.reduce((n, u) => n + u.contended, 0),
      contendedSeconds: byProcess.reduce((n, u) => n + u.contendedSeconds, 0),
      holds: hs,
      waits: ws,
      maxWaiters: maxOverlap(ws),
      byProcess,
    };
  });
}

/**
 * The processes recorded holding lock `ref` at time `t` (other than `exceptPid`,
 * the waiter): empty when no recorded hold covers `t` (holds are sampled).
 */
export function holdersAt(model: RunModel, ref: string, t: number, exceptPid: number | null = null): number[] {
  const out: number[] = [];
  for (const h of model.holds) {
    if (h.ref === ref && h.pid !== exceptPid && h.begin <= t && t < h.end && !out.includes(h.pid)) out.push(h.pid);
  }
  return out;
}

/**
 * Who held the lock a wait was waiting for: the holders at the wait's start,
 * else (a hold that began just after, e.g. the waiter's start time is early)
 * the first hold by another process that overlaps the wait.
 */
export function holdersDuring(model: RunModel, ref: string, begin: number, end: number, waiter: number | null): number[] {
  const at = holdersAt(model, ref, begin, waiter);
  if (at.length) return at;
  let first: LockHoldModel | null = null;
  for (const h of model.holds) {
    if (h.ref !== ref || h.pid === waiter || h.end <= begin || h.begin >= end) continue;
    if (!first || h.begin < first.begin) first = h;
  }
  return first ? [first.pid] : [];
}

export interface ManagerCall {
  /** The calling process. */
  pid: number;
  method: string;
  /** Exact. */
  calls: number;
  /** Calls whose round trip was timed (every call in recordings from 0.2 on). */
  timed: number;
  meanSeconds: number | null;
  maxSeconds: number | null;
}

/** Manager proxy calls per channel id, then per calling process and method (by pid, then method). */
export function managerCalls(model: RunModel): Map<string, ManagerCall[]> {
  const out = new Map<string, ManagerCall[]>();
  for (const p of model.processes) {
    for (const [key, n] of Object.entries(p.counters.calls)) {
      const space = key.indexOf(' ');
      if (space < 0) continue;
      const ref = key.slice(0, space);
      const id = model.channelOf(ref)?.id ?? ref;
      const method = key.slice(space + 1);
      const t = p.counters.callTimes?.[key];
      const timed = Array.isArray(t) ? (t[0] ?? 0) : 0;
      let list = out.get(id);
      if (!list) out.set(id, (list = []));
      list.push({
        pid: p.pid,
        method,
        calls: typeof n === 'number' ? n : 0,
        timed,
        // (The runtime sends the sum and the max each rounded to the µs: with nearly equal calls the sum's
        // rounding can put sum / timed a fraction of a µs above the max, which no run can have.)
        meanSeconds: timed > 0 && Array.isArray(t) ? Math.min(t[1] / timed, t[2]) : null,
        maxSeconds: timed > 0 && Array.isArray(t) ? t[2] : null,
      });
    }
  }
  for (const list of out.values()) list.sort((a, b) => a.pid - b.pid || (a.method < b.method ? -1 : a.method > b.method ? 1 : 0));
  return out;
}

/**
 * A process's states over time: the bands every view draws (created, starting,
 * running, ready, waiting, blocked, zombie, exited), decided here once from the
 * runtime's waits and the OS samples, and the seconds and CPU figures read from them.
 */

import { upperBound } from '../search';
import { type BlockedSite, type ProcessModel } from './types';

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
    if (p.reapedAt !== null || p.role === 'main')
      bands.push({ state: 'exited', begin: Math.max(p.endedAt, reaped), end: Math.max(now, reaped) });
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
    let i = upperBound(n, (k) => S.t[k], b);
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
    if (b.state === 'running' || b.state === 'ready' || b.state === 'waiting' || b.state === 'blocked' || b.state === 'zombie')
      s[b.state] += d;
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

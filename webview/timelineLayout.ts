/**
 * The timeline's geometry, kept apart from drawing so it is testable in plain
 * Node: the visible time window (zoom, pan, follow "now"), tick marks, a
 * time-sorted index of messages that finds the visible ones without scanning
 * them all, and the binning that bundles dense arrows into counts.
 */

import type { MessageModel } from '../core/model/types';
import { ACTION_MARGIN } from '../core/actionSpan';
import { lowerBound, upperBound } from './timeline/search';

/** The visible stretch of time, mapped onto `width` pixels. */
export class TimeWindow {
  t0 = 0;
  t1 = 1;
  width = 1;
  /** Follow the run's "now" (live runs) until the user pans or zooms away from it. */
  follow = true;
  /** Narrowest window (seconds). */
  static readonly MIN_SPAN = 1e-6;

  get span(): number {
    return this.t1 - this.t0;
  }

  x(t: number): number {
    return ((t - this.t0) / (this.t1 - this.t0)) * this.width;
  }

  t(x: number): number {
    return this.t0 + (x / this.width) * (this.t1 - this.t0);
  }

  /** Shows all of [from, end] with a small margin (from 0: the whole run; later: the run's action, see core/actionSpan). */
  fit(end: number, from = 0): void {
    const e = Math.max(end, 1e-3);
    if (!(from > 0) || from >= e) {
      this.t0 = -e * 0.01;
      this.t1 = e * 1.02;
      return;
    }
    const span = e - from;
    this.t0 = from - span * ACTION_MARGIN;
    this.t1 = e + span * 0.02;
  }

  /** Zooms by `factor` (> 1 zooms in) keeping the time under pixel `x` in place. */
  zoomAt(factor: number, x: number, end: number): void {
    const at = this.t(x);
    let span = this.span / factor;
    const maxSpan = Math.max(end, 1e-3) * 1.5;
    span = Math.min(Math.max(span, TimeWindow.MIN_SPAN), maxSpan);
    const frac = x / this.width;
    this.t0 = at - frac * span;
    this.t1 = this.t0 + span;
    this.clamp(end);
  }

  /** Pans by `dx` pixels (positive moves later in time into view). */
  panBy(dx: number, end: number): void {
    const dt = (dx / this.width) * this.span;
    this.t0 += dt;
    this.t1 += dt;
    this.clamp(end);
  }

  /** Keeps some of the run on screen. */
  clamp(end: number): void {
    const span = this.span;
    const e = Math.max(end, 1e-3);
    const lo = -span * 0.5;
    const hi = e + span * 0.5;
    if (this.t0 < lo) {
      this.t0 = lo;
      this.t1 = lo + span;
    }
    if (this.t1 > hi) {
      this.t1 = hi;
      this.t0 = hi - span;
    }
  }

  /** Whether the window currently shows the run's end (so a live view keeps following it). */
  showsEnd(end: number): boolean {
    return this.t1 >= end - this.span * 0.02;
  }

  /** Live: keeps "now" in view, either by fitting (when the whole run was shown) or by sliding. */
  followNow(now: number, wasFitted: boolean, from = 0): void {
    if (wasFitted) {
      this.fit(now, from);
      return;
    }
    const span = this.span;
    this.t1 = now + span * 0.02;
    this.t0 = this.t1 - span;
  }

  /** True when the window is (about) the fitted view of [0, end]. */
  isFitted(end: number): boolean {
    const e = Math.max(end, 1e-3);
    return this.t0 <= 0 && this.t1 >= e && this.span <= e * 1.1;
  }
}

/** Tick marks for a window: round steps (1, 2, 5 × 10ⁿ seconds), about one per `minPx` pixels. */
export function niceTicks(t0: number, t1: number, width: number, minPx = 80): { step: number; ticks: number[] } {
  const span = t1 - t0;
  if (!(span > 0) || width <= 0) return { step: 1, ticks: [] };
  const raw = (span * minPx) / width;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const ticks: number[] = [];
  const first = Math.ceil(t0 / step) * step;
  for (let t = first; t <= t1 + step * 1e-9 && ticks.length < 1000; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return { step, ticks };
}

/** A tick's label, with as many decimals as the step needs. */
export function tickLabel(t: number, step: number): string {
  if (step >= 1) return `${+t.toFixed(0)} s`;
  if (step >= 1e-3) {
    const d = Math.max(0, Math.ceil(-Math.log10(step * 1e3) - 1e-9));
    return `${(t * 1e3).toFixed(d)} ms`;
  }
  const d = Math.max(0, Math.ceil(-Math.log10(step * 1e6) - 1e-9));
  return `${(t * 1e6).toFixed(d)} µs`;
}

/**
 * Messages in columns (typed arrays) with an index sorted by receive time.
 * `sync()` takes messages appended to the model since the last call; the
 * index keeps a few sorted runs and merges them when they add up, so live
 * updates never re-sort everything each frame.
 */
export class MessageIndex {
  n = 0;
  t = new Float64Array(1024);
  sent = new Float64Array(1024);
  from = new Int32Array(1024);
  to = new Int32Array(1024);
  chan = new Int32Array(1024);
  bytes = new Float64Array(1024);
  /** Largest receive − send time seen (so a window query knows how far past its end to look). */
  maxLatency = 0;
  /** 1 + the largest channel index seen. */
  chanCount = 0;
  /** Sorted runs over `order`: [start, end) index ranges, each sorted by receive time. */
  private order = new Int32Array(1024);
  private runs: [number, number][] = [];

  /**
   * @param procIndex maps a pid to a stable small integer (its process index)
   * @param chanIndex maps a raw channel ref to a stable small integer
   */
  constructor(
    private readonly procIndex: (pid: number) => number,
    private readonly chanIndex: (ref: string) => number,
  ) {}

  private grow(min: number): void {
    let cap = this.t.length;
    if (cap >= min) return;
    while (cap < min) cap *= 2;
    const g64 = (a: Float64Array) => {
      const b = new Float64Array(cap);
      b.set(a.subarray(0, this.n));
      return b;
    };
    const g32 = (a: Int32Array) => {
      const b = new Int32Array(cap);
      b.set(a.subarray(0, this.n));
      return b;
    };
    this.t = g64(this.t);
    this.sent = g64(this.sent);
    this.bytes = g64(this.bytes);
    this.from = g32(this.from);
    this.to = g32(this.to);
    this.chan = g32(this.chan);
    this.order = g32(this.order);
  }

  /** Indexes messages[n…]. Returns how many were added. */
  sync(messages: readonly MessageModel[]): number {
    const start = this.n;
    const end = messages.length;
    if (end <= start) return 0;
    this.grow(end);
    let sorted = true;
    let prev = start > 0 ? this.t[this.order[start - 1]] : -Infinity;
    for (let i = start; i < end; i++) {
      const m = messages[i];
      this.t[i] = m.t;
      this.sent[i] = Math.min(m.sentAt, m.t);
      this.from[i] = this.procIndex(m.from);
      this.to[i] = this.procIndex(m.to);
      this.chan[i] = this.chanIndex(m.ref);
      if (this.chan[i] >= this.chanCount) this.chanCount = this.chan[i] + 1;
      this.bytes[i] = m.bytes;
      const lat = m.t - this.sent[i];
      if (lat > this.maxLatency) this.maxLatency = lat;
      this.order[i] = i;
      if (m.t < prev) sorted = false;
      prev = m.t;
    }
    this.n = end;
    const last = this.runs[this.runs.length - 1];
    const lastT = last ? this.t[this.order[last[1] - 1]] : -Infinity;
    if (sorted && last && this.t[start] >= lastT) {
      last[1] = end; // still one sorted run: extend it
    } else {
      if (!sorted) this.sortRange(start, end);
      this.runs.push([start, end]);
    }
    if (this.runs.length > 8) {
      this.sortRange(0, end);
      this.runs = [[0, end]];
    }
    return end - start;
  }

  private sortRange(a: number, b: number): void {
    const t = this.t;
    const part = Array.from(this.order.subarray(a, b)).sort((x, y) => t[x] - t[y] || x - y);
    this.order.set(part, a);
  }

  /** Scratch buffer of `indicesIn`. */
  scratch = new Int32Array(1024);

  /**
   * Fills `scratch` with the index of every message whose arrow crosses
   * [t0, t1] (sent ≤ t1 and received ≥ t0); returns how many.
   */
  indicesIn(t0: number, t1: number): number {
    const t = this.t;
    const sent = this.sent;
    const order = this.order;
    const tMax = t1 + this.maxLatency;
    if (this.scratch.length < this.n) this.scratch = new Int32Array(Math.max(this.n, this.scratch.length * 2));
    const out = this.scratch;
    let m = 0;
    for (const [a, b] of this.runs) {
      for (let k = lowerBound(order, (i) => t[i], t0, a, b); k < b; k++) {
        const i = order[k];
        if (t[i] > tMax) break;
        if (sent[i] <= t1) out[m++] = i;
      }
    }
    return m;
  }

  /** Calls `fn(i)` for every message whose arrow crosses [t0, t1] (sent ≤ t1 and received ≥ t0), in `indicesIn`'s order. */
  forEachIn(t0: number, t1: number, fn: (i: number) => void): void {
    const m = this.indicesIn(t0, t1);
    const found = this.scratch;
    for (let k = 0; k < m; k++) fn(found[k]);
  }
}

/** What the timeline draws for messages in one frame: single arrows, or bins that bundle many. */
export interface ArrowBatch {
  /** Number of arrows (or bins) in the arrays. */
  n: number;
  x0: Float32Array;
  x1: Float32Array;
  fromLane: Int32Array;
  toLane: Int32Array;
  chan: Int32Array;
  count: Int32Array;
  bytes: Float64Array;
  /** A representative message index (the first one in the bin). */
  first: Int32Array;
  /** Sums of the bins' end points (scratch, reused between frames). */
  sx0: Float64Array;
  sx1: Float64Array;
  /** True when arrows were bundled. */
  binned: boolean;
  /** The column width the bins ended up with. */
  binPx: number;
  /** Messages considered (visible in time and crossing the visible lanes). */
  considered: number;
}

export function newArrowBatch(cap = 4096): ArrowBatch {
  return {
    n: 0,
    x0: new Float32Array(cap),
    x1: new Float32Array(cap),
    fromLane: new Int32Array(cap),
    toLane: new Int32Array(cap),
    chan: new Int32Array(cap),
    count: new Int32Array(cap),
    bytes: new Float64Array(cap),
    first: new Int32Array(cap),
    sx0: new Float64Array(cap),
    sx1: new Float64Array(cap),
    binned: false,
    binPx: 0,
    considered: 0,
  };
}

function ensureCap(b: ArrowBatch, need: number): ArrowBatch {
  if (b.x0.length >= need) return b;
  let cap = b.x0.length;
  while (cap < need) cap *= 2;
  const nb = newArrowBatch(cap);
  // Everything is copied: while bins are being filled, `n` is not set yet.
  nb.n = b.n;
  nb.binned = b.binned;
  nb.binPx = b.binPx;
  nb.considered = b.considered;
  nb.x0.set(b.x0);
  nb.x1.set(b.x1);
  nb.fromLane.set(b.fromLane);
  nb.toLane.set(b.toLane);
  nb.chan.set(b.chan);
  nb.count.set(b.count);
  nb.bytes.set(b.bytes);
  nb.first.set(b.first);
  nb.sx0.set(b.sx0);
  nb.sx1.set(b.sx1);
  return nb;
}

export interface ArrowQuery {
  win: Pick<TimeWindow, 't0' | 't1' | 'x'>;
  /** Lane of each process index, −1 when the process has no lane (collapsed away, filtered out). */
  laneOf: Int32Array;
  /** Visible lanes [firstLane, lastLane]. */
  firstLane: number;
  lastLane: number;
  /** Up to this many arrows are drawn one by one; beyond, they are bundled. */
  directLimit: number;
  /** Width of a bin's pixel column. */
  binPx: number;
  /** Right edge of the drawing in pixels: with it, bins live in a dense grid when that is small enough. */
  maxX?: number;
  /** Bins are made wider (binPx doubled) until there are at most this many. */
  maxBins?: number;
  /**
   * 1 where a process index has a lane of its own, 0 where it borrows its
   * ancestor's (collapsed): messages between two processes inside the same
   * collapsed lane are not drawn.
   */
  ownLane?: Uint8Array;
}

/**
 * The arrows to draw: every visible message one by one when there are few,
 * else bins keyed by (pixel column of the receive end, sender lane, receiver
 * lane, channel) holding a count, mean endpoints and bytes.
 */
/** The bins' key → index map and dense grid, reused by every frame (no garbage per frame). */
const BINS = new Map<number, number>();
let GRID = new Int32Array(0);

export function layoutArrows(index: MessageIndex, q: ArrowQuery, reuse?: ArrowBatch): ArrowBatch {
  let out = reuse ?? newArrowBatch();
  out.n = 0;
  out.binned = false;
  out.considered = 0;
  const { laneOf, firstLane, lastLane, win, directLimit, ownLane } = q;
  let binPx = q.binPx;
  const from = index.from;
  const to = index.to;
  const chan = index.chan;
  const tRecv = index.t;
  const tSent = index.sent;
  const bytes = index.bytes;
  // Pass 1: the messages to draw (in the window, touching or crossing the visible lanes), in place in scratch.
  const m = index.indicesIn(win.t0, win.t1);
  const sel = index.scratch;
  let n = 0;
  for (let k = 0; k < m; k++) {
    const i = sel[k];
    const a = laneOf[from[i]];
    const b = laneOf[to[i]];
    if (a < 0 || b < 0) continue;
    if ((a < firstLane && b < firstLane) || (a > lastLane && b > lastLane)) continue;
    if (a === b && ownLane && (!ownLane[from[i]] || !ownLane[to[i]])) continue; // inside one collapsed lane
    sel[n++] = i;
  }
  out.considered = n;
  // x(t) is linear: one multiply-add per end point instead of a call.
  const ax = win.x(0);
  const bx = win.x(1) - ax;
  if (n <= directLimit) {
    out = ensureCap(out, n);
    for (let k = 0; k < n; k++) {
      const i = sel[k];
      out.x0[k] = ax + bx * tSent[i];
      out.x1[k] = ax + bx * tRecv[i];
      out.fromLane[k] = laneOf[from[i]];
      out.toLane[k] = laneOf[to[i]];
      out.chan[k] = chan[i];
      out.count[k] = 1;
      out.bytes[k] = bytes[i];
      out.first[k] = i;
    }
    out.n = n;
    return out;
  }
  // Pass 2: bins keyed by (column of the receive end, from lane, to lane, channel); a dense grid when
  // that is small (collapsed views, few lanes), else a map.
  out.binned = true;
  let lanes = 1;
  for (let i = 0; i < laneOf.length; i++) if (laneOf[i] + 1 > lanes) lanes = laneOf[i] + 1;
  const chans = Math.max(1, index.chanCount);
  for (;;) {
    const nb = binArrows(index, q, out, sel, n, binPx, lanes, chans, ax, bx);
    out = nb.out;
    if (nb.n <= (q.maxBins ?? Infinity) || binPx >= 192) {
      out.n = nb.n;
      out.binPx = binPx;
      return out;
    }
    binPx *= 2;
  }
}

/** Bins `sel[0…n)` into `out` with columns `binPx` wide; returns the (possibly grown) batch and the bin count. */
function binArrows(
  index: MessageIndex,
  q: ArrowQuery,
  out: ArrowBatch,
  sel: Int32Array,
  n: number,
  binPx: number,
  lanes: number,
  chans: number,
  ax: number,
  bx: number,
): { out: ArrowBatch; n: number } {
  const { laneOf } = q;
  const from = index.from;
  const to = index.to;
  const chan = index.chan;
  const tRecv = index.t;
  const tSent = index.sent;
  const bytes = index.bytes;
  const cols = q.maxX !== undefined ? Math.ceil(q.maxX / binPx) + 2 : 0;
  const cells = cols * lanes * lanes * chans;
  const dense = cols > 0 && cells <= 1 << 22;
  if (dense) {
    if (GRID.length < cells) GRID = new Int32Array(Math.max(cells, GRID.length * 2));
    GRID.fill(-1, 0, cells);
  }
  const grid = GRID;
  const bins = BINS;
  bins.clear();
  const L = laneOf.length + 1;
  let nb = 0;
  for (let k = 0; k < n; k++) {
    const i = sel[k];
    const a = laneOf[from[i]];
    const b = laneOf[to[i]];
    const x1 = ax + bx * tRecv[i];
    let col = Math.floor(x1 / binPx) + 1; // column 0 holds arrows received left of the window
    if (col < 0) col = 0;
    let j: number | undefined;
    let key: number;
    if (dense) {
      if (col >= cols) col = cols - 1;
      key = ((col * lanes + a) * lanes + b) * chans + chan[i];
      j = grid[key];
      if (j < 0) j = undefined;
    } else {
      key = ((col * L + a) * L + b) * 4096 + (chan[i] & 4095);
      j = bins.get(key);
    }
    if (j === undefined) {
      j = nb++;
      if (dense) grid[key] = j;
      else bins.set(key, j);
      if (j >= out.x0.length) out = ensureCap(out, j + 1);
      out.fromLane[j] = a;
      out.toLane[j] = b;
      out.chan[j] = chan[i];
      out.count[j] = 0;
      out.bytes[j] = 0;
      out.first[j] = i;
      out.sx0[j] = 0;
      out.sx1[j] = 0;
    }
    out.count[j]++;
    out.bytes[j] += bytes[i];
    out.sx0[j] += ax + bx * tSent[i];
    out.sx1[j] += x1;
  }
  for (let j = 0; j < nb; j++) {
    out.x0[j] = out.sx0[j] / out.count[j];
    out.x1[j] = out.sx1[j] / out.count[j];
  }
  bins.clear();
  return { out, n: nb };
}

/** Distance from point (px, py) to the segment (ax, ay)–(bx, by). */
export function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  let u = len2 > 0 ? ((px - ax) * dx + (py - ay) * dy) / len2 : 0;
  u = Math.max(0, Math.min(1, u));
  const cx = ax + u * dx;
  const cy = ay + u * dy;
  return Math.hypot(px - cx, py - cy);
}

/** Index of the first band whose end is after `t` (bands sorted, non-overlapping). */
export function firstBandEndingAfter(bands: readonly { begin: number; end: number }[], t: number): number {
  return upperBound(bands, (b) => b.end, t);
}

/**
 * Queue depth over time for each channel from recorded detail messages:
 * cumulative sent minus received, as step points, thinned to at most
 * `maxPoints` per channel.
 */
export function queueDepth(
  messages: readonly MessageModel[],
  channelOf: (ref: string) => string | null,
  maxPoints = 2000,
): Map<string, { t: number[]; depth: number[] }> {
  const events = new Map<string, { t: number; d: number }[]>();
  for (const m of messages) {
    const id = channelOf(m.ref);
    if (id === null) continue;
    let list = events.get(id);
    if (!list) events.set(id, (list = []));
    list.push({ t: Math.min(m.sentAt, m.t), d: 1 }, { t: m.t, d: -1 });
  }
  const out = new Map<string, { t: number[]; depth: number[] }>();
  for (const [id, list] of events) {
    list.sort((a, b) => a.t - b.t || b.d - a.d);
    const t: number[] = [0];
    const depth: number[] = [0];
    let cur = 0;
    const stride = Math.max(1, Math.ceil(list.length / maxPoints));
    let peakInStride = 0;
    for (let k = 0; k < list.length; k++) {
      cur += list[k].d;
      peakInStride = Math.max(peakInStride, cur);
      if ((k + 1) % stride === 0 || k === list.length - 1) {
        t.push(list[k].t);
        depth.push(stride > 1 && k < list.length - 1 ? peakInStride : cur); // keep peaks visible when thinned
        peakInStride = cur;
      }
    }
    out.set(id, { t, depth });
  }
  return out;
}

/**
 * The timeline: one lane per process (in tree order), time along x. State
 * bands (created, running, waiting — coloured by what is waited on —, zombie,
 * exited) and an arrow from sender lane to receiver lane for every recorded
 * message, coloured by channel. Drawn on one canvas, culled to the visible
 * window; dense arrows are bundled into counts (timelineLayout.ts).
 *
 * Mouse/trackpad: wheel scrolls lanes, Ctrl/⌘+wheel or pinch zooms, Shift+wheel
 * or horizontal swipe pans, drag pans, click selects a process.
 * Keyboard (canvas focused): ←/→ pan, +/− zoom, 0 fits, ↑/↓ select the
 * previous/next lane, PageUp/PageDown scroll, F follows "now".
 */

import { HELPER_ROLES } from '../core/model/roles';
import { parentOf, type ProcessModel, type RunModel } from '../core/model/types';
import { type StateBand, stateBands } from '../core/model/states';
import { cssVar, el } from './dom';
import { describeExit, describeParent, formatBytes, formatSeconds, type RefNames } from '../core/format';
import type { Insight } from './insights';
import { lockHolderText } from './locks';
import { firstBandEndingAfter, layoutArrows, MessageIndex, newArrowBatch, niceTicks, segmentDistance, tickLabel, TimeWindow, type ArrowBatch } from './timelineLayout';
import type { TreeRow } from '../core/treeRows';

export interface TimelineHost {
  model(): RunModel;
  rows(): readonly TreeRow[];
  names(): RefNames;
  selected(): number | null;
  select(pid: number): void;
  /** The view (window, scroll, follow) changed: persist it. */
  viewChanged(): void;
  live(): boolean;
  /** The run's insights: each is marked on the lanes of its processes. */
  insights?(): readonly Insight[];
  /** Processes to outline (the insight the user picked), or null. */
  highlighted?(): readonly number[] | null;
  /** The time "fit" shows up to (default: the run's now); the compare view gives both runs the longer one's. */
  extent?(): number;
}

/** An insight's mark as drawn (for tests): the lane, and where its moment is. */
export interface DrawnMark {
  pid: number;
  kind: string;
  severity: Insight['severity'];
  lane: number;
  /** CSS pixels in the canvas: the marker at the insight's time, and the hatched band's ends (null: no band). */
  x: number;
  y: number;
  bandX0: number | null;
  bandX1: number | null;
}

interface Palette {
  bg: string;
  fg: string;
  muted: string;
  border: string;
  sel: string;
  running: string;
  blocked: string;
  waiting: string;
  join: string;
  chan: string;
  lock: string;
  zombie: string;
  accent: string;
  error: string;
  warn: string;
  info: string;
  channels: string[];
  font: string;
}

const CHANNEL_WAITS = new Set(['queue.get', 'queue.put', 'recv', 'pool.result', 'future.result', 'manager']);
const LOCK_WAITS = new Set(['lock', 'semaphore', 'condition', 'event', 'barrier']);

/** How many arrows are drawn one by one before they are bundled into counts. */
export const DIRECT_ARROW_LIMIT = 2500;

export interface TimelineViewState {
  t0: number;
  t1: number;
  scrollY: number;
  follow: boolean;
  fitted: boolean;
}

export class TimelineView {
  readonly root: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly ctx: CanvasRenderingContext2D;
  private readonly toolbar: HTMLElement;
  private readonly followButton: HTMLButtonElement;
  readonly win = new TimeWindow();
  private fitted = true;
  private scrollY = 0;
  private laneH = 20;
  private readonly gutter = 180;
  private readonly axisH = 22;
  private cssW = 1;
  private cssH = 1;
  private dpr = 1;
  private palette: Palette | null = null;
  private index: MessageIndex | null = null;
  private indexedModel: RunModel | null = null;
  private readonly procIds = new Map<number, number>();
  private readonly procPids: number[] = [];
  private readonly chanIds = new Map<string, number>();
  private readonly chanRefs: string[] = [];
  private laneOf = new Int32Array(0);
  private ownLane = new Uint8Array(0);
  /** Pixel width of an arrow bin's column (adapts to density). */
  private binPx = 6;
  private laneOfFor: readonly TreeRow[] | null = null;
  private laneOfProcs = -1;
  private readonly bandCache = new Map<ProcessModel, { version: number; bands: StateBand[] }>();
  private batch: ArrowBatch = newArrowBatch();
  private drawnFirstLane = 0;
  private drawnLastLane = -1;
  private dirty = true;
  private drawnVersion = -1;
  private readonly tooltip: HTMLElement;
  private hover: { x: number; y: number } | null = null;
  private drag: { x: number; y: number; moved: boolean; t0: number; t1: number; scrollY: number } | null = null;
  /** Durations (ms) of the latest draws, for the benchmark and tests. */
  readonly frameTimes: number[] = [];
  /** Facts about the last frame, for tests. */
  lastFrame = { lanes: 0, arrows: 0, binned: false, considered: 0, version: -1, at: 0, marks: 0 };
  /** Insight marks drawn in the last frame (for tests). */
  drawnMarks: DrawnMark[] = [];
  /** The most severe insight on each drawn lane's process (the gutter shows a dot in its colour). */
  private laneSeverity = new Map<number, Insight['severity']>();
  private hatches: Partial<Record<Insight['severity'], CanvasPattern | null>> = {};

  constructor(private readonly host: TimelineHost, tooltip: HTMLElement) {
    this.tooltip = tooltip;
    this.root = el('section', 'fs-timeline-pane');
    this.root.setAttribute('aria-label', 'Timeline');
    this.toolbar = el('div', 'fs-toolbar');
    const button = (text: string, label: string, fn: () => void) => {
      const b = el('button', '', text);
      b.type = 'button';
      b.title = label;
      b.setAttribute('aria-label', label);
      b.addEventListener('click', fn);
      this.toolbar.append(b);
      return b;
    };
    button('+', 'Zoom in (+)', () => this.zoomBy(2, this.plotW() / 2));
    button('−', 'Zoom out (−)', () => this.zoomBy(0.5, this.plotW() / 2));
    button('Fit', 'Show the whole run (0)', () => this.fit());
    this.followButton = button('Follow now', 'Keep the latest moment in view (F)', () => this.setFollow(!this.win.follow));
    this.followButton.setAttribute('aria-pressed', 'true');
    const legend = el('div', 'fs-legend');
    legend.setAttribute('aria-hidden', 'true');
    for (const [cls, text] of [
      ['created', 'created'],
      ['starting', 'starting Python'],
      ['running', 'running (on a CPU)'],
      ['ready', 'ready (waiting for a CPU)'],
      ['chan', 'waiting on a queue/pipe'],
      ['join', 'waiting on join'],
      ['lock', 'waiting on a lock'],
      ['waiting', 'waiting (other)'],
      ['blocked', 'blocked (asleep elsewhere)'],
      ['zombie', 'zombie'],
    ]) {
      legend.append(el('span', `fs-sw-${cls}`, text));
    }
    this.toolbar.append(legend);
    const box = el('div', 'fs-timeline');
    this.canvas = el('canvas');
    this.canvas.id = 'fs-timeline-canvas';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', 'Timeline of process states and messages. Arrow keys pan and select, plus and minus zoom, 0 fits.');
    box.append(this.canvas);
    this.root.append(this.toolbar, box);
    const ctx = this.canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('no 2D canvas');
    this.ctx = ctx;

    new ResizeObserver(() => this.resize()).observe(box);
    this.canvas.addEventListener('wheel', (e) => this.onWheel(e), { passive: false });
    this.canvas.addEventListener('pointerdown', (e) => this.onPointerDown(e));
    this.canvas.addEventListener('pointermove', (e) => this.onPointerMove(e));
    this.canvas.addEventListener('pointerup', (e) => this.onPointerUp(e));
    this.canvas.addEventListener('pointerleave', () => {
      this.hover = null;
      this.tooltip.hidden = true;
    });
    this.canvas.addEventListener('keydown', (e) => this.onKey(e));
  }

  /** Theme changed: re-read colours. */
  retheme(): void {
    this.palette = null;
    this.hatches = {};
    this.invalidate();
  }

  invalidate(): void {
    this.dirty = true;
  }

  /** True when a draw is due (model changed, view changed). */
  needsDraw(model: RunModel): boolean {
    return this.dirty || model.version !== this.drawnVersion;
  }

  viewState(): TimelineViewState {
    return { t0: this.win.t0, t1: this.win.t1, scrollY: this.scrollY, follow: this.win.follow, fitted: this.fitted };
  }

  restore(v: Partial<TimelineViewState> | undefined): void {
    if (!v || typeof v.t0 !== 'number' || typeof v.t1 !== 'number' || !(v.t1 > v.t0)) return;
    this.win.t0 = v.t0;
    this.win.t1 = v.t1;
    this.scrollY = typeof v.scrollY === 'number' ? v.scrollY : 0;
    this.win.follow = v.follow !== false;
    this.fitted = v.fitted === true;
    this.followButton.setAttribute('aria-pressed', String(this.win.follow));
    this.invalidate();
  }

  /** The end of the time "fit" shows. */
  private end(): number {
    return this.host.extent?.() ?? this.host.model().run.now;
  }

  fit(): void {
    this.fitted = true;
    this.win.follow = true;
    this.followButton.setAttribute('aria-pressed', 'true');
    this.win.fit(this.end());
    this.invalidate();
    this.host.viewChanged();
  }

  setFollow(on: boolean): void {
    this.win.follow = on;
    this.followButton.setAttribute('aria-pressed', String(on));
    if (on && !this.fitted) this.win.followNow(this.host.model().run.now, false);
    this.invalidate();
    this.host.viewChanged();
  }

  /**
   * Brings [begin, end] into view with some room around it (an insight's
   * moment); a short span is widened to a fifth of the run, for context.
   */
  showTime(begin: number, end: number): void {
    const ext = Math.max(this.end(), 1e-3);
    const span = Math.max(end - begin, ext * 0.2, 1e-4);
    const mid = (begin + Math.max(end, begin)) / 2;
    this.fitted = false;
    this.win.t0 = mid - span * 0.65;
    this.win.t1 = mid + span * 0.65;
    this.win.clamp(ext);
    this.win.follow = this.host.live() && this.win.showsEnd(this.host.model().run.now);
    this.followButton.setAttribute('aria-pressed', String(this.win.follow));
    this.invalidate();
    this.host.viewChanged();
  }

  /** Shows the same window as `other` (the compare view keeps its timelines aligned). */
  alignWith(other: TimelineView): void {
    if (this.win.t0 === other.win.t0 && this.win.t1 === other.win.t1 && this.fitted === other.fitted) return;
    this.win.t0 = other.win.t0;
    this.win.t1 = other.win.t1;
    this.fitted = other.fitted;
    this.invalidate();
  }

  /** Scrolls so the lane of `pid` is visible. */
  reveal(pid: number): void {
    const lane = this.host.rows().findIndex((r) => r.p.pid === pid);
    if (lane < 0) return;
    const top = lane * this.laneH;
    const h = this.cssH - this.axisH;
    if (top < this.scrollY) this.scrollY = top;
    else if (top + this.laneH > this.scrollY + h) this.scrollY = top + this.laneH - h;
    this.invalidate();
  }

  private plotW(): number {
    return Math.max(1, this.cssW - this.gutter);
  }

  private resize(): void {
    const r = this.canvas.getBoundingClientRect();
    this.dpr = window.devicePixelRatio || 1;
    this.cssW = Math.max(1, Math.round(r.width));
    this.cssH = Math.max(1, Math.round(r.height));
    this.canvas.width = Math.round(this.cssW * this.dpr);
    this.canvas.height = Math.round(this.cssH * this.dpr);
    this.win.width = this.plotW();
    this.invalidate();
    this.host.viewChanged();
  }

  private readPalette(): Palette {
    const v = (n: string, f: string) => cssVar(n, f);
    return {
      bg: v('--c-bg', '#fff'),
      fg: v('--c-fg', '#222'),
      muted: v('--c-muted', '#777'),
      border: v('--c-border', '#ccc'),
      sel: v('--c-sel', '#ddf'),
      running: v('--c-running', '#2a2'),
      blocked: v('--c-blocked', '#888'),
      waiting: v('--c-waiting', '#ca2'),
      join: v('--c-wait-join', '#84d'),
      chan: v('--c-wait-chan', '#27d'),
      lock: v('--c-wait-lock', '#d62'),
      zombie: v('--c-zombie', '#d22'),
      accent: v('--c-accent', '#27d'),
      error: v('--c-error', '#d22'),
      warn: v('--c-warn', '#ca2'),
      info: v('--c-accent', '#27d'),
      channels: [1, 2, 3, 4, 5, 6].map((i) => v(`--c-ch${i}`, '#27d')),
      font: `${getComputedStyle(document.body).fontSize || '12px'} ${v('--font', 'sans-serif')}`,
    };
  }

  /** The colour of a channel (same as in the flows view): by the channel's position in the model. */
  static channelColorIndex(model: RunModel, channelId: string): number {
    let i = 0;
    for (const id of model.channels.keys()) {
      if (id === channelId) return i;
      i++;
    }
    return i;
  }

  private procId(pid: number): number {
    let id = this.procIds.get(pid);
    if (id === undefined) {
      id = this.procPids.length;
      this.procIds.set(pid, id);
      this.procPids.push(pid);
    }
    return id;
  }

  private chanId(ref: string): number {
    let id = this.chanIds.get(ref);
    if (id === undefined) {
      id = this.chanRefs.length;
      this.chanIds.set(ref, id);
      this.chanRefs.push(ref);
    }
    return id;
  }

  private syncIndex(model: RunModel): MessageIndex {
    if (!this.index || this.indexedModel !== model) {
      this.procIds.clear();
      this.procPids.length = 0;
      this.chanIds.clear();
      this.chanRefs.length = 0;
      this.bandCache.clear();
      this.index = new MessageIndex(
        (pid) => this.procId(pid),
        (ref) => this.chanId(ref),
      );
      this.indexedModel = model;
      this.laneOfFor = null;
    }
    this.index.sync(model.messages);
    return this.index;
  }

  private bandsOf(p: ProcessModel, model: RunModel): StateBand[] {
    const c = this.bandCache.get(p);
    if (c && c.version === model.version) return c.bands;
    const bands = stateBands(p, model.run.now);
    this.bandCache.set(p, { version: model.version, bands });
    return bands;
  }

  private updateLanes(rows: readonly TreeRow[], model: RunModel): void {
    if (this.laneOfFor === rows && this.laneOfProcs === this.procPids.length) return;
    const laneByPid = new Map<number, number>();
    rows.forEach((r, i) => laneByPid.set(r.p.pid, i));
    // A process without a lane (inside a collapsed parent) sends and receives on its nearest shown ancestor's lane.
    const laneOfPid = (pid: number): number => {
      let cur: number | null = pid;
      for (let hops = 0; cur !== null && hops < 64; hops++) {
        const lane = laneByPid.get(cur);
        if (lane !== undefined) return lane;
        const p = model.byPid.get(cur);
        cur = p ? parentOf(p, model) : null;
      }
      return -1;
    };
    const laneOf = new Int32Array(this.procPids.length);
    const own = new Uint8Array(this.procPids.length);
    for (let i = 0; i < this.procPids.length; i++) {
      laneOf[i] = laneOfPid(this.procPids[i]);
      own[i] = laneByPid.has(this.procPids[i]) ? 1 : 0;
    }
    this.laneOf = laneOf;
    this.ownLane = own;
    this.laneOfFor = rows;
    this.laneOfProcs = this.procPids.length;
  }

  private bandColor(b: StateBand, pal: Palette): string | null {
    switch (b.state) {
      case 'running':
      case 'ready':
        return pal.running;
      case 'blocked':
        return pal.blocked;
      case 'waiting':
        if (b.what === 'join') return pal.join;
        if (CHANNEL_WAITS.has(b.what ?? '')) return pal.chan;
        if (LOCK_WAITS.has(b.what ?? '')) return pal.lock;
        if (b.what === 'sleep') return pal.muted;
        return pal.waiting;
      case 'zombie':
        return pal.zombie;
      default:
        return null;
    }
  }

  /** Draws a frame if anything changed. Returns true when it drew. */
  draw(force = false): boolean {
    const model = this.host.model();
    if (!force && !this.needsDraw(model)) return false;
    const started = performance.now();
    this.dirty = false;
    this.drawnVersion = model.version;
    if (!this.palette) this.palette = this.readPalette();
    const pal = this.palette;
    const rows = this.host.rows();
    const index = this.syncIndex(model);
    for (const r of rows) this.procId(r.p.pid);
    this.updateLanes(rows, model);
    const now = model.run.now;
    this.laneH = rows.length > 300 ? 14 : 20;
    this.followButton.hidden = !this.host.live();
    if (this.host.live() && this.win.follow) this.win.followNow(now, this.fitted);
    else if (this.fitted) this.win.fit(this.end());
    this.win.width = this.plotW();

    const ctx = this.ctx;
    const W = this.cssW;
    const H = this.cssH;
    const G = this.gutter;
    const A = this.axisH;
    const LH = this.laneH;
    const maxScroll = Math.max(0, rows.length * LH - (H - A));
    this.scrollY = Math.max(0, Math.min(this.scrollY, maxScroll));
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    ctx.fillStyle = pal.bg;
    ctx.fillRect(0, 0, W, H);
    ctx.font = pal.font;
    ctx.textBaseline = 'middle';

    const first = Math.max(0, Math.floor(this.scrollY / LH));
    const last = Math.min(rows.length - 1, Math.floor((this.scrollY + H - A) / LH));
    const laneY = (lane: number) => A + lane * LH - this.scrollY;
    const selected = this.host.selected();
    const win = this.win;
    const t0 = win.t0;
    const t1 = win.t1;

    // Plot area: grid, lanes and bands.
    ctx.save();
    ctx.beginPath();
    ctx.rect(G, A, W - G, H - A);
    ctx.clip();
    const { step, ticks } = niceTicks(t0, t1, W - G);
    ctx.strokeStyle = pal.border;
    ctx.globalAlpha = 0.5;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const t of ticks) {
      const x = Math.round(G + win.x(t)) + 0.5;
      ctx.moveTo(x, A);
      ctx.lineTo(x, H);
    }
    ctx.stroke();
    ctx.globalAlpha = 1;
    for (let lane = first; lane <= last; lane++) {
      const p = rows[lane].p;
      const y = laneY(lane);
      if (p.pid === selected) {
        ctx.fillStyle = pal.sel;
        ctx.fillRect(G, y, W - G, LH);
      }
      const helper = HELPER_ROLES.has(p.role);
      const bands = this.bandsOf(p, model);
      const bh = LH - 6;
      const by = y + 3;
      let lastPx = -Infinity;
      for (let k = firstBandEndingAfter(bands, t0); k < bands.length; k++) {
        const b = bands[k];
        if (b.begin > t1) break;
        const xa = G + win.x(Math.max(b.begin, t0 - win.span));
        const xb = G + win.x(Math.min(b.end, t1 + win.span));
        if (xb - xa < 1 && Math.floor(xa) <= lastPx) continue;
        lastPx = Math.floor(Math.max(xa + 1, xb));
        const w = Math.max(1, xb - xa);
        if (b.state === 'created') {
          ctx.strokeStyle = pal.muted;
          ctx.setLineDash([3, 2]);
          ctx.strokeRect(xa + 0.5, by + 0.5, w - 1, bh - 1);
          ctx.setLineDash([]);
          continue;
        }
        if (b.state === 'starting') {
          // The interpreter starting (a shim, Python's own start-up): quiet, thinner than running.
          ctx.globalAlpha = 0.35;
          ctx.fillStyle = pal.muted;
          ctx.fillRect(xa, by + bh / 3, w, bh / 3);
          ctx.globalAlpha = 1;
          continue;
        }
        if (b.state === 'exited') {
          ctx.fillStyle = pal.border;
          ctx.fillRect(xa, y + LH / 2 - 0.5, w, 1);
          continue;
        }
        const color = this.bandColor(b, pal);
        if (!color) continue;
        ctx.globalAlpha = (helper ? 0.45 : 1) * (b.state === 'waiting' || b.state === 'blocked' ? 0.7 : b.state === 'ready' ? 0.3 : 0.9);
        ctx.fillStyle = color;
        if (b.state === 'waiting' || b.state === 'blocked') ctx.fillRect(xa, by + 2, w, bh - 4);
        else ctx.fillRect(xa, by, w, bh);
        ctx.globalAlpha = 1;
      }
    }

    // Arrows. Bins widen within a frame until there are at most maxBins (strokes stay bounded), and narrow
    // again when the last frame had few.
    if (!this.batch.binned || this.batch.n < 1500) this.binPx = Math.max(6, this.binPx / 2);
    this.batch = layoutArrows(
      index,
      {
        win: { t0, t1, x: (t: number) => G + win.x(t) },
        laneOf: this.laneOf,
        ownLane: this.ownLane,
        firstLane: first,
        lastLane: last,
        directLimit: DIRECT_ARROW_LIMIT,
        binPx: this.binPx,
        maxX: W,
        maxBins: 4000,
      },
      this.batch,
    );
    if (this.batch.binned) this.binPx = this.batch.binPx;
    this.drawnFirstLane = first;
    this.drawnLastLane = last;
    const batch = this.batch;
    const chanColor = this.channelColors(model, pal);
    const mid = (lane: number) => laneY(lane) + LH / 2;
    const widthOf = (count: number) => (count <= 1 ? 0 : Math.min(2, Math.round(Math.log10(count))));
    // Group arrows by colour and width (numeric keys) so each group is one path.
    const groups = new Map<number, number[]>();
    for (let k = 0; k < batch.n; k++) {
      const key = (batch.chan[k] + 1) * 8 + widthOf(batch.count[k]);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push(k);
    }
    ctx.globalAlpha = batch.binned ? 0.75 : 0.85;
    for (const [key, ks] of groups) {
      const color = chanColor[Math.floor(key / 8) - 1] ?? pal.accent;
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = 1 + (key % 8);
      ctx.beginPath();
      for (const k of ks) {
        ctx.moveTo(batch.x0[k], mid(batch.fromLane[k]));
        ctx.lineTo(batch.x1[k], mid(batch.toLane[k]));
      }
      ctx.stroke();
      if (!batch.binned && batch.n <= 1500) {
        ctx.beginPath();
        for (const k of ks) {
          const x0 = batch.x0[k];
          const x1 = batch.x1[k];
          const y0 = mid(batch.fromLane[k]);
          const y1 = mid(batch.toLane[k]);
          const len = Math.hypot(x1 - x0, y1 - y0);
          if (len < 8) continue;
          const ux = (x1 - x0) / len;
          const uy = (y1 - y0) / len;
          ctx.moveTo(x1, y1);
          ctx.lineTo(x1 - ux * 6 - uy * 3, y1 - uy * 6 + ux * 3);
          ctx.lineTo(x1 - ux * 6 + uy * 3, y1 - uy * 6 - ux * 3);
          ctx.closePath();
        }
        ctx.fill();
      }
    }
    ctx.globalAlpha = 1;
    if (batch.binned) {
      // Counts on the bigger bundles, one label per 72×28 px cell, at most 60.
      ctx.fillStyle = pal.fg;
      ctx.textAlign = 'center';
      let maxCount = 0;
      for (let k = 0; k < batch.n; k++) if (batch.count[k] > maxCount) maxCount = batch.count[k];
      const minCount = Math.max(2, Math.floor(maxCount / 4));
      const taken = new Set<number>();
      let labels = 0;
      for (let k = 0; k < batch.n && labels < 60; k++) {
        if (batch.count[k] < minCount) continue;
        const x = (batch.x0[k] + batch.x1[k]) / 2;
        const y = (mid(batch.fromLane[k]) + mid(batch.toLane[k])) / 2;
        if (y < A || y > H || x < G || x > W) continue;
        const cell = Math.floor(x / 72) * 10000 + Math.floor(y / 28);
        if (taken.has(cell)) continue;
        taken.add(cell);
        ctx.fillText(`×${batch.count[k]}`, x, y);
        labels++;
      }
      ctx.textAlign = 'left';
    }

    this.drawInsights(rows, model, pal, first, last, laneY);
    this.drawOutputTicks(rows, pal, first, last, laneY);

    // Now.
    if (this.host.live()) {
      const x = G + win.x(now);
      ctx.strokeStyle = pal.accent;
      ctx.setLineDash([4, 3]);
      ctx.beginPath();
      ctx.moveTo(x + 0.5, A);
      ctx.lineTo(x + 0.5, H);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    ctx.restore();

    // Time axis.
    ctx.fillStyle = pal.bg;
    ctx.fillRect(0, 0, W, A);
    ctx.fillStyle = pal.muted;
    ctx.textAlign = 'left';
    for (const t of ticks) {
      const x = G + win.x(t);
      if (x < G - 1) continue;
      ctx.fillText(tickLabel(t, step), x + 3, A / 2);
    }
    ctx.fillStyle = pal.border;
    ctx.fillRect(0, A - 1, W, 1);

    // Gutter: lane labels.
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, A, G, H - A);
    ctx.clip();
    ctx.fillStyle = pal.bg;
    ctx.fillRect(0, A, G, H - A);
    for (let lane = first; lane <= last; lane++) {
      const r = rows[lane];
      const y = laneY(lane);
      if (r.p.pid === selected) {
        ctx.fillStyle = pal.sel;
        ctx.fillRect(0, y, G, LH);
      }
      ctx.globalAlpha = HELPER_ROLES.has(r.p.role) ? 0.6 : 1;
      ctx.fillStyle = pal.fg;
      const indent = 4 + Math.min(8, r.level - 1) * 8;
      const label = `${r.p.name} ${r.p.pid}`;
      const sev = this.laneSeverity.get(r.p.pid);
      ctx.fillText(fitText(ctx, label, G - indent - (sev ? 16 : 4)), indent, y + LH / 2);
      ctx.globalAlpha = 1;
      if (sev) {
        // A dot in the severity's colour: this process is named by an insight.
        ctx.fillStyle = this.severityColor(sev, pal);
        ctx.beginPath();
        ctx.arc(G - 9, y + LH / 2, 4, 0, Math.PI * 2);
        ctx.fill();
      }
    }
    ctx.restore();
    ctx.fillStyle = pal.border;
    ctx.fillRect(G - 1, 0, 1, H);
    if (rows.length === 0) {
      ctx.fillStyle = pal.muted;
      ctx.fillText('No processes yet.', G + 12, A + 16);
    }

    const ms = performance.now() - started;
    this.frameTimes.push(ms);
    if (this.frameTimes.length > 240) this.frameTimes.splice(0, this.frameTimes.length - 240);
    this.lastFrame = { lanes: last - first + 1, arrows: batch.n, binned: batch.binned, considered: batch.considered, version: model.version, at: performance.now(), marks: this.drawnMarks.length };
    if (this.hover) this.updateTooltip();
    return true;
  }

  private severityColor(sev: Insight['severity'], pal: Palette): string {
    return sev === 'error' ? pal.error : sev === 'warning' ? pal.warn : pal.info;
  }

  /** Diagonal hatching in a severity's colour (a hang's band). */
  private hatch(sev: Insight['severity'], pal: Palette): CanvasPattern | null {
    if (sev in this.hatches) return this.hatches[sev] ?? null;
    const tile = document.createElement('canvas');
    tile.width = tile.height = 8;
    const c = tile.getContext('2d');
    let pattern: CanvasPattern | null = null;
    if (c) {
      c.strokeStyle = this.severityColor(sev, pal);
      c.lineWidth = 2;
      c.beginPath();
      c.moveTo(-2, 10);
      c.lineTo(10, -2);
      c.moveTo(6, 10);
      c.lineTo(10, 6);
      c.moveTo(-2, 2);
      c.lineTo(2, -2);
      c.stroke();
      pattern = this.ctx.createPattern(tile, 'repeat');
    }
    this.hatches[sev] = pattern;
    return pattern;
  }

  /**
   * Each insight on the lanes of its processes: a hatched band from when the
   * condition began (`since`) to when the process ended (or now, live), a
   * marker at the moment it was found, and an outline around the lanes of the
   * insight the user picked.
   */
  private drawInsights(rows: readonly TreeRow[], model: RunModel, pal: Palette, first: number, last: number, laneY: (lane: number) => number): void {
    this.drawnMarks = [];
    this.laneSeverity.clear();
    const insights = this.host.insights?.() ?? [];
    const highlighted = this.host.highlighted?.() ?? null;
    if (!insights.length && !highlighted?.length) return;
    const laneByPid = new Map<number, number>();
    for (let lane = first; lane <= last; lane++) laneByPid.set(rows[lane].p.pid, lane);
    const ctx = this.ctx;
    const G = this.gutter;
    const LH = this.laneH;
    const now = model.run.now;
    for (const w of insights) {
      const color = this.severityColor(w.severity, pal);
      for (const pid of w.pids) {
        const lane = laneByPid.get(pid);
        if (lane === undefined) continue;
        const worst = this.laneSeverity.get(pid);
        if (!worst || (w.severity === 'error' && worst !== 'error') || (w.severity === 'warning' && worst === 'info')) this.laneSeverity.set(pid, w.severity);
        const y = laneY(lane);
        const p = rows[lane].p;
        let bandX0: number | null = null;
        let bandX1: number | null = null;
        if (w.since !== null) {
          const until = Math.max(w.at, Math.min(p.endedAt ?? now, now));
          const xa = Math.max(G - 2, G + this.win.x(w.since));
          const xb = Math.min(this.cssW + 2, G + this.win.x(until));
          if (xb > xa) {
            const pattern = this.hatch(w.severity, pal);
            ctx.globalAlpha = 0.55;
            ctx.fillStyle = pattern ?? color;
            ctx.fillRect(xa, y + 1, Math.max(1, xb - xa), LH - 2);
            ctx.globalAlpha = 1;
            bandX0 = xa;
            bandX1 = xb;
          }
        }
        const x = Math.round(G + this.win.x(w.at)) + 0.5;
        ctx.strokeStyle = color;
        ctx.fillStyle = color;
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.moveTo(x, y + 1);
        ctx.lineTo(x, y + LH - 1);
        ctx.stroke();
        ctx.beginPath();
        ctx.moveTo(x - 5, y + 1);
        ctx.lineTo(x + 5, y + 1);
        ctx.lineTo(x, y + 7);
        ctx.closePath();
        ctx.fill();
        ctx.lineWidth = 1;
        this.drawnMarks.push({ pid, kind: w.kind, severity: w.severity, lane, x, y: y + LH / 2, bandX0, bandX1 });
      }
    }
    if (highlighted?.length) {
      const focusColor = cssVar('--c-focus', pal.accent);
      ctx.strokeStyle = focusColor;
      ctx.lineWidth = 2;
      for (const pid of highlighted) {
        const lane = laneByPid.get(pid);
        if (lane === undefined) continue;
        ctx.strokeRect(G + 1, laneY(lane) + 1, this.cssW - G - 2, LH - 2);
      }
      ctx.lineWidth = 1;
    }
  }

  /** Where a process wrote to sys.stdout/sys.stderr: a small tick at the foot of its lane per write (one per pixel). */
  private drawOutputTicks(rows: readonly TreeRow[], pal: Palette, first: number, last: number, laneY: (lane: number) => number): void {
    const ctx = this.ctx;
    const G = this.gutter;
    const LH = this.laneH;
    const { t0, t1 } = this.win;
    for (let lane = first; lane <= last; lane++) {
      const chunks = rows[lane].p.output?.chunks;
      if (!chunks?.length) continue;
      const y = laneY(lane) + LH - 4;
      let lastPx = -1;
      for (let k = firstChunkAtOrAfter(chunks, t0); k < chunks.length; k++) {
        const c = chunks[k];
        if (c.t > t1) break;
        const x = Math.floor(G + this.win.x(c.t));
        if (x === lastPx) continue;
        lastPx = x;
        ctx.fillStyle = c.stream === 'stderr' ? pal.error : pal.fg;
        ctx.fillRect(x, y, 1, 4);
      }
    }
  }

  /** The output line written near (x, y) on a lane, in words (for the tooltip). */
  private describeOutputAt(p: ProcessModel, x: number): string | null {
    const chunks = p.output?.chunks;
    if (!chunks?.length) return null;
    const tA = this.win.t(x - this.gutter - 3);
    const tB = this.win.t(x - this.gutter + 3);
    const k = firstChunkAtOrAfter(chunks, tA);
    const c = chunks[k];
    if (!c || c.t > tB) return null;
    const lines = c.text.split('\n').filter((l, i, a) => l !== '' || i < a.length - 1);
    const shown = lines.slice(0, 5).map((l) => (l.length > 200 ? `${l.slice(0, 200)}…` : l));
    return `${p.name} (pid ${p.pid}) wrote to ${c.stream} at ${formatSeconds(c.t)}:\n${shown.join('\n')}${lines.length > 5 ? `\n… ${lines.length - 5} more lines` : ''}`;
  }

  /** The insights whose marker is near (x, y), in words (for the tooltip). */
  private describeInsightAt(x: number, y: number): string | null {
    const lane = Math.floor((y - this.axisH + this.scrollY) / this.laneH);
    const near = this.drawnMarks.filter((m) => m.lane === lane && (Math.abs(m.x - x) <= 5 || (m.bandX0 !== null && m.bandX1 !== null && x >= m.bandX0 && x <= m.bandX1)));
    if (!near.length) return null;
    const insights = this.host.insights?.() ?? [];
    const pid = near[0].pid;
    const texts = insights
      .filter((w) => w.pids.includes(pid) && near.some((m) => m.kind === w.kind))
      .map((w) => `${w.severity}: ${w.kind} at ${formatSeconds(w.at)}${w.since !== null ? ` (since ${formatSeconds(w.since)})` : ''}\n${w.message}`);
    return texts.length ? texts.join('\n\n') : null;
  }

  private channelColors(model: RunModel, pal: Palette): string[] {
    const out: string[] = [];
    const order = new Map<string, number>();
    let i = 0;
    for (const id of model.channels.keys()) order.set(id, i++);
    for (let k = 0; k < this.chanRefs.length; k++) {
      const id = model.channelOf(this.chanRefs[k])?.id ?? this.chanRefs[k];
      out[k] = pal.channels[(order.get(id) ?? k) % pal.channels.length];
    }
    return out;
  }

  private zoomBy(factor: number, x: number): void {
    this.fitted = false;
    this.win.zoomAt(factor, x, this.end());
    this.afterUserMove(this.host.model().run.now);
  }

  private panBy(dx: number): void {
    this.fitted = false;
    this.win.panBy(dx, this.end());
    this.afterUserMove(this.host.model().run.now);
  }

  private afterUserMove(now: number): void {
    this.win.follow = this.host.live() && this.win.showsEnd(now);
    this.followButton.setAttribute('aria-pressed', String(this.win.follow));
    this.invalidate();
    this.host.viewChanged();
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left - this.gutter;
    const unit = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? this.cssH : 1;
    const dx = e.deltaX * unit;
    const dy = e.deltaY * unit;
    if (e.ctrlKey || e.metaKey) {
      this.zoomBy(Math.exp(-dy * 0.002), Math.max(0, x));
    } else if (e.shiftKey || Math.abs(dx) > Math.abs(dy)) {
      this.panBy(e.shiftKey && !dx ? dy : dx);
    } else {
      this.scrollY += dy;
      this.invalidate();
      this.host.viewChanged();
    }
  }

  private onPointerDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    this.canvas.setPointerCapture(e.pointerId);
    this.drag = { x: e.clientX, y: e.clientY, moved: false, t0: this.win.t0, t1: this.win.t1, scrollY: this.scrollY };
  }

  private onPointerMove(e: PointerEvent): void {
    const rect = this.canvas.getBoundingClientRect();
    this.hover = { x: e.clientX - rect.left, y: e.clientY - rect.top };
    if (this.drag) {
      const dx = e.clientX - this.drag.x;
      const dy = e.clientY - this.drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) this.drag.moved = true;
      if (this.drag.moved) {
        const span = this.drag.t1 - this.drag.t0;
        const dt = (-dx / this.plotW()) * span;
        this.fitted = false;
        this.win.t0 = this.drag.t0 + dt;
        this.win.t1 = this.drag.t1 + dt;
        this.win.clamp(this.end());
        this.scrollY = this.drag.scrollY - dy;
        this.afterUserMove(this.host.model().run.now);
        this.tooltip.hidden = true;
        return;
      }
    }
    this.updateTooltip();
  }

  private onPointerUp(e: PointerEvent): void {
    const drag = this.drag;
    this.drag = null;
    if (!drag || drag.moved) return;
    const rect = this.canvas.getBoundingClientRect();
    const y = e.clientY - rect.top;
    const lane = Math.floor((y - this.axisH + this.scrollY) / this.laneH);
    const row = this.host.rows()[lane];
    if (y > this.axisH && row) this.host.select(row.p.pid);
  }

  private onKey(e: KeyboardEvent): void {
    const w = this.plotW();
    const rows = this.host.rows();
    const sel = this.host.selected();
    const i = rows.findIndex((r) => r.p.pid === sel);
    switch (e.key) {
      case 'ArrowLeft':
        this.panBy(-w * (e.shiftKey ? 0.5 : 0.1));
        break;
      case 'ArrowRight':
        this.panBy(w * (e.shiftKey ? 0.5 : 0.1));
        break;
      case '+':
      case '=':
        this.zoomBy(1.5, w / 2);
        break;
      case '-':
      case '_':
        this.zoomBy(1 / 1.5, w / 2);
        break;
      case '0':
      case 'Home':
        this.fit();
        break;
      case 'f':
      case 'F':
      case 'End':
        this.setFollow(true);
        break;
      case 'ArrowDown':
        if (rows.length) this.host.select(rows[Math.min(rows.length - 1, i + 1)].p.pid);
        break;
      case 'ArrowUp':
        if (rows.length) this.host.select(rows[Math.max(0, i - 1)].p.pid);
        break;
      case 'PageDown':
        this.scrollY += this.cssH - this.axisH - this.laneH;
        this.invalidate();
        break;
      case 'PageUp':
        this.scrollY -= this.cssH - this.axisH - this.laneH;
        this.invalidate();
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  /** What is under the pointer, in words (a message, a bundle of messages, or a state band). */
  describeAt(x: number, y: number): string | null {
    // Over an insight's hatched band the lane still says what the process was doing, then the insight.
    const insight = x > this.gutter ? this.describeInsightAt(x, y) : null;
    const here = this.describeLaneAt(x, y);
    return insight && here ? `${here}\n\n${insight}` : (insight ?? here);
  }

  /** What the lane shows at (x, y), insights aside: an arrow, a task, a state band, a process's name. */
  private describeLaneAt(x: number, y: number): string | null {
    const model = this.host.model();
    const rows = this.host.rows();
    const names = this.host.names();
    const LH = this.laneH;
    if (y < this.axisH) return null;
    const mid = (lane: number) => this.axisH + lane * LH - this.scrollY + LH / 2;
    const label = (pid: number) => {
      const p = model.byPid.get(pid);
      return p ? `${p.name} (pid ${pid})` : `pid ${pid}`;
    };
    if (x > this.gutter && this.index) {
      const b = this.batch;
      let best = -1;
      let bestD = 5;
      for (let k = 0; k < b.n; k++) {
        const d = segmentDistance(x, y, b.x0[k], mid(b.fromLane[k]), b.x1[k], mid(b.toLane[k]));
        if (d < bestD) {
          bestD = d;
          best = k;
        }
      }
      if (best >= 0) {
        const i = b.first[best];
        const m = model.messages[i];
        if (m) {
          const ch = names.channelName(m.ref);
          const kind = model.channelOf(m.ref)?.kind ?? 'channel';
          if (b.count[best] > 1) {
            return `${b.count[best]} messages on ${ch} (${kind})\n${label(m.from)} → ${label(m.to)}\n${formatBytes(b.bytes[best])} in all`;
          }
          return `${ch} (${kind})${m.tag ? ` · ${m.tag}` : ''}\n${label(m.from)} → ${label(m.to)}\nsent ${formatSeconds(m.sentAt)}, received ${formatSeconds(m.t)}, latency ${formatSeconds(m.t - m.sentAt)}\npayload ${formatBytes(m.bytes)}`;
        }
      }
    }
    const lane = Math.floor((y - this.axisH + this.scrollY) / LH);
    const row = rows[lane];
    if (!row) return null;
    const p = row.p;
    const head = `${p.name} (pid ${p.pid})`;
    const parent = describeParent(p);
    if (x <= this.gutter) return `${head}${parent ? `\n${parent}` : ''}${p.target ? `\n${p.target}` : ''}`;
    const y0 = this.axisH + lane * LH - this.scrollY;
    if (y >= y0 + LH - 7) {
      const written = this.describeOutputAt(p, x);
      if (written) return written;
    }
    const t = this.win.t(x - this.gutter);
    const bands = this.bandsOf(p, model);
    const k = firstBandEndingAfter(bands, t);
    const band = bands[k];
    if (!band || band.begin > t) return head;
    const span = `${formatSeconds(band.begin)} → ${formatSeconds(band.end)} (${formatSeconds(band.end - band.begin)})`;
    if (band.state === 'waiting') {
      let text = `${head}\nwaiting: ${names.describeWait(band.what ?? 'wait', band.ref ?? null, band.detail ?? null)}\n${span}`;
      if (band.what === 'join' && band.ref) {
        const joined = names.processByKey(band.ref);
        if (joined) text += `\njoined process: ${joined.name} (pid ${joined.pid})${joined.exitCode !== null ? `, exit ${joined.exitCode}` : ''}`;
      }
      const holder = lockHolderText(model, band.what ?? '', band.ref ?? null, band.begin, band.end, p.pid);
      if (holder) text += `\n${holder}`;
      return text;
    }
    if (band.state === 'blocked') return `${head}\n${names.describeBlocked(band)}\n${span}`;
    const ended = band.state === 'exited' ? describeExit(p) : null;
    const what =
      band.state === 'zombie'
        ? 'zombie: exited, not yet joined by its parent'
        : band.state === 'ready'
          ? 'ready: runnable, waiting for a CPU (other processes had the cores)'
          : band.state === 'running'
            ? 'running: on a CPU'
            : ended
              ? `exited: ${ended}`
              : band.state === 'starting'
                ? 'starting Python: the interpreter starting, before the script’s first line (a shim in front of Python shows here)'
                : band.state;
    return `${head}\n${what}\n${span}`;
  }

  private updateTooltip(): void {
    if (!this.hover) return;
    const text = this.describeAt(this.hover.x, this.hover.y);
    if (!text) {
      this.tooltip.hidden = true;
      return;
    }
    this.tooltip.textContent = text;
    this.tooltip.hidden = false;
    const rect = this.canvas.getBoundingClientRect();
    const tx = rect.left + this.hover.x + 14;
    const ty = rect.top + this.hover.y + 14;
    const tw = this.tooltip.offsetWidth;
    const th = this.tooltip.offsetHeight;
    this.tooltip.style.left = `${Math.min(tx, window.innerWidth - tw - 4)}px`;
    this.tooltip.style.top = `${ty + th > window.innerHeight ? ty - th - 20 : ty}px`;
  }

  /** Lanes drawn in the last frame, for tests. */
  drawnLanes(): [number, number] {
    return [this.drawnFirstLane, this.drawnLastLane];
  }
}

/** Cuts text with an ellipsis to fit `max` pixels. */
function fitText(ctx: CanvasRenderingContext2D, text: string, max: number): string {
  if (ctx.measureText(text).width <= max) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.measureText(text.slice(0, mid) + '…').width <= max) lo = mid;
    else hi = mid - 1;
  }
  return text.slice(0, lo) + '…';
}

/** Index of the first output chunk written at or after t (chunks are in time order). */
function firstChunkAtOrAfter(chunks: readonly { t: number }[], t: number): number {
  let lo = 0;
  let hi = chunks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (chunks[mid].t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

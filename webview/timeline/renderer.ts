/**
 * Draws a timeline frame on its canvas: the grid, each lane's state bands,
 * the message arrows (bundled into counts when dense), insight marks, output
 * ticks, the "now" line, the time axis and the gutter of lane labels. Each
 * part is one method; sizes and opacities are the named constants below.
 */

import { HELPER_ROLES } from '../../core/model/roles';
import type { StateBand } from '../../core/model/states';
import type { ProcessModel, RunModel } from '../../core/model/types';
import { cssVar } from '../dom';
import type { Insight } from '../insights';
import {
  firstBandEndingAfter,
  layoutArrows,
  newArrowBatch,
  niceTicks,
  tickLabel,
  type ArrowBatch,
  type MessageIndex,
} from '../timelineLayout';
import type { TreeRow } from '../../core/treeRows';
import { AXIS_H, GUTTER_W, MARKER_HALF_W, OUTPUT_TICK_H, type Viewport } from './geometry';
import type { TimelineData } from './lanes';
import { bandColor, readPalette, severityColor, type Palette } from './palette';
import { lowerBound, partitionPoint } from './search';
import type { DrawnMark, TimelineHost } from './types';
import { drawDaskOverlay, type DaskDrawn } from './daskOverlay';

/** How many arrows are drawn one by one before they are bundled into counts. */
export const DIRECT_ARROW_LIMIT = 2500;

// Grid and bands.
const GRID_ALPHA = 0.5;
/** Space above and below a band inside its lane; waits are drawn thinner by WAIT_INSET more. */
const BAND_INSET = 3;
const WAIT_INSET = 2;
const CREATED_DASH = [3, 2];
/** "starting Python": a quiet bar, a third of the band high. */
const STARTING_ALPHA = 0.35;
const STARTUP_LABEL = 'starting Python';
const STARTUP_LABEL_PAD = 4;
/** Helper processes (resource tracker, manager…) are drawn fainter. */
const HELPER_ALPHA = 0.45;
const WAIT_ALPHA = 0.7;
const READY_ALPHA = 0.3;
const RUNNING_ALPHA = 0.9;
/** A short zombie (normal) is grey and fainter than a state that matters. */
const SHORT_ZOMBIE_ALPHA = 0.55;

// Arrows.
/** Narrowest bin column (px); bins widen until there are at most MAX_BINS. */
const MIN_BIN_PX = 6;
const MAX_BINS = 4000;
/** Up to this many arrows get heads (and below it the bins narrow again). */
const HEADS_LIMIT = 1500;
const HEAD_LEN = 6;
const HEAD_HALF_W = 3;
/** Arrows shorter than this get no head. */
const HEAD_MIN_ARROW = 8;
const ARROW_ALPHA = 0.85;
const BUNDLE_ALPHA = 0.75;
/** Bundle counts: at most one label per cell of this size, at most MAX_COUNT_LABELS. */
const COUNT_CELL_W = 72;
const COUNT_CELL_H = 28;
const MAX_COUNT_LABELS = 60;

// Insights, now, axis, gutter.
const INSIGHT_BAND_ALPHA = 0.55;
const MARKER_H = 7;
const HATCH_TILE = 8;
const NOW_DASH = [4, 3];
const AXIS_LABEL_DX = 3;
const INDENT = 4;
const INDENT_STEP = 8;
const MAX_INDENT_LEVELS = 8;
const HELPER_LABEL_ALPHA = 0.6;
/** The dot of the most severe insight on a lane's process, right-aligned in the gutter. */
const SEVERITY_DOT_R = 4;
const SEVERITY_DOT_DX = 9;
const SEVERITY_DOT_ROOM = 16;
const LABEL_ROOM = 4;

export class TimelineRenderer {
  private palette: Palette | null = null;
  private hatches: Partial<Record<Insight['severity'], CanvasPattern | null>> = {};
  /** The arrows of the last frame (hit-testing reads them). */
  batch: ArrowBatch = newArrowBatch();
  /** Pixel width of an arrow bin's column (adapts to density). */
  private binPx = MIN_BIN_PX;
  firstLane = 0;
  lastLane = -1;
  /** Insight marks drawn in the last frame. */
  drawnMarks: DrawnMark[] = [];
  /** "starting Python" labels drawn in the last frame (for tests). */
  startupLabels = 0;
  /** dask tasks and transfers drawn on worker lanes in the last frame (daskOverlay.ts). */
  daskDrawn: DaskDrawn = { lanes: 0, tasks: 0, arrows: 0 };
  /** The most severe insight on each drawn lane's process (the gutter shows a dot in its colour). */
  private readonly laneSeverity = new Map<number, Insight['severity']>();

  constructor(
    private readonly ctx: CanvasRenderingContext2D,
    private readonly host: TimelineHost,
    private readonly vp: Viewport,
    private readonly data: TimelineData,
  ) {}

  /** Theme changed: re-read colours. */
  retheme(): void {
    this.palette = null;
    this.hatches = {};
  }

  /** Draws the whole canvas for `rows` (the window and scroll are already set). */
  render(model: RunModel, rows: readonly TreeRow[], index: MessageIndex): void {
    if (!this.palette) this.palette = readPalette();
    const pal = this.palette;
    const ctx = this.ctx;
    const vp = this.vp;
    const W = vp.cssW;
    const H = vp.cssH;
    ctx.setTransform(vp.dpr, 0, 0, vp.dpr, 0, 0);
    ctx.fillStyle = pal.bg;
    ctx.fillRect(0, 0, W, H);
    ctx.font = pal.font;
    ctx.textBaseline = 'middle';
    const [first, last] = vp.visibleLanes(rows.length);
    const selected = this.host.selected();
    const { step, ticks } = niceTicks(vp.win.t0, vp.win.t1, W - GUTTER_W);
    this.startupLabels = 0;

    // Plot area: grid, lanes and bands, arrows, marks; clipped right of the gutter, below the axis.
    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER_W, AXIS_H, W - GUTTER_W, H - AXIS_H);
    ctx.clip();
    this.drawGrid(ticks, pal);
    for (let lane = first; lane <= last; lane++) this.drawLane(rows[lane].p, lane, selected, model, pal);
    this.layOutArrows(index, first, last);
    this.drawArrows(model, pal);
    this.daskDrawn = drawDaskOverlay(ctx, vp, rows, first, last, model, pal);
    if (this.batch.binned) this.drawBundleCounts(pal);
    this.drawInsights(rows, model, pal, first, last);
    this.drawOutputTicks(rows, pal, first, last);
    if (this.host.live()) this.drawNow(model.run.now, pal);
    ctx.restore();

    this.drawAxis(ticks, step, pal);
    this.drawGutter(rows, first, last, selected, pal);
    if (rows.length === 0) {
      ctx.fillStyle = pal.muted;
      ctx.fillText('No processes yet.', GUTTER_W + 12, AXIS_H + 16);
    }
  }

  /** Vertical lines at the axis's ticks. */
  private drawGrid(ticks: readonly number[], pal: Palette): void {
    const ctx = this.ctx;
    ctx.strokeStyle = pal.border;
    ctx.globalAlpha = GRID_ALPHA;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (const t of ticks) {
      const x = Math.round(GUTTER_W + this.vp.win.x(t)) + 0.5;
      ctx.moveTo(x, AXIS_H);
      ctx.lineTo(x, this.vp.cssH);
    }
    ctx.stroke();
    ctx.globalAlpha = 1;
  }

  /** A lane: its selection highlight and its state bands in the window (one band per pixel at most). */
  private drawLane(p: ProcessModel, lane: number, selected: number | null, model: RunModel, pal: Palette): void {
    const ctx = this.ctx;
    const win = this.vp.win;
    const { t0, t1 } = win;
    const G = GUTTER_W;
    const LH = this.vp.laneH;
    const y = this.vp.laneTop(lane);
    if (p.pid === selected) {
      ctx.fillStyle = pal.sel;
      ctx.fillRect(G, y, this.vp.cssW - G, LH);
    }
    const helper = HELPER_ROLES.has(p.role);
    const bands = this.data.bandsOf(p, model);
    const bh = LH - 2 * BAND_INSET;
    const by = y + BAND_INSET;
    let lastPx = -Infinity;
    for (let k = firstBandEndingAfter(bands, t0); k < bands.length; k++) {
      const b = bands[k];
      if (b.begin > t1) break;
      const xa = G + win.x(Math.max(b.begin, t0 - win.span));
      const xb = G + win.x(Math.min(b.end, t1 + win.span));
      if (xb - xa < 1 && Math.floor(xa) <= lastPx) continue;
      lastPx = Math.floor(Math.max(xa + 1, xb));
      this.drawBand(b, xa, Math.max(1, xb - xa), y, by, bh, helper, pal);
    }
  }

  /** One state band from xa, w wide, in the lane at y (the band's box: by, bh). */
  private drawBand(b: StateBand, xa: number, w: number, y: number, by: number, bh: number, helper: boolean, pal: Palette): void {
    const ctx = this.ctx;
    if (b.state === 'created') {
      ctx.strokeStyle = pal.muted;
      ctx.setLineDash(CREATED_DASH);
      ctx.strokeRect(xa + 0.5, by + 0.5, w - 1, bh - 1);
      ctx.setLineDash([]);
      return;
    }
    if (b.state === 'starting') {
      // The interpreter starting (a shim, Python's own start-up): quiet, thinner than running, named where it fits.
      ctx.globalAlpha = STARTING_ALPHA;
      ctx.fillStyle = pal.muted;
      ctx.fillRect(xa, by + bh / 3, w, bh / 3);
      ctx.globalAlpha = 1;
      this.labelStartup(xa, w, y, pal);
      return;
    }
    if (b.state === 'exited') {
      ctx.fillStyle = pal.border;
      ctx.fillRect(xa, y + this.vp.laneH / 2 - 0.5, w, 1);
      return;
    }
    const color = bandColor(b, pal);
    if (!color) return;
    const waits = b.state === 'waiting' || b.state === 'blocked';
    const quiet = b.state === 'zombie' && color !== pal.zombie;
    ctx.globalAlpha =
      (helper ? HELPER_ALPHA : 1) * (waits ? WAIT_ALPHA : b.state === 'ready' ? READY_ALPHA : quiet ? SHORT_ZOMBIE_ALPHA : RUNNING_ALPHA);
    ctx.fillStyle = color;
    if (waits) ctx.fillRect(xa, by + WAIT_INSET, w, bh - 2 * WAIT_INSET);
    else ctx.fillRect(xa, by, w, bh);
    ctx.globalAlpha = 1;
  }

  /** "starting Python" over a start-up band wide enough to hold it (clipped to the plot), in the muted colour. */
  private labelStartup(xa: number, w: number, y: number, pal: Palette): void {
    const ctx = this.ctx;
    const x0 = Math.max(xa, GUTTER_W) + STARTUP_LABEL_PAD;
    const room = Math.min(xa + w, this.vp.cssW) - x0 - STARTUP_LABEL_PAD;
    if (room < ctx.measureText(STARTUP_LABEL).width) return;
    ctx.fillStyle = pal.muted;
    ctx.fillText(STARTUP_LABEL, x0, y + this.vp.laneH / 2);
    this.startupLabels++;
  }

  /**
   * The arrows crossing the window and the lanes [first, last]. Bins widen within a frame until there are
   * at most MAX_BINS (strokes stay bounded), and narrow again when the last frame had few.
   */
  private layOutArrows(index: MessageIndex, first: number, last: number): void {
    const win = this.vp.win;
    if (!this.batch.binned || this.batch.n < HEADS_LIMIT) this.binPx = Math.max(MIN_BIN_PX, this.binPx / 2);
    this.batch = layoutArrows(
      index,
      {
        win: { t0: win.t0, t1: win.t1, x: (t: number) => GUTTER_W + win.x(t) },
        laneOf: this.data.laneOf,
        ownLane: this.data.ownLane,
        firstLane: first,
        lastLane: last,
        directLimit: DIRECT_ARROW_LIMIT,
        binPx: this.binPx,
        maxX: this.vp.cssW,
        maxBins: MAX_BINS,
      },
      this.batch,
    );
    if (this.batch.binned) this.binPx = this.batch.binPx;
    this.firstLane = first;
    this.lastLane = last;
  }

  /** The middle of a lane (arrows start and end there). */
  private laneMid(lane: number): number {
    return this.vp.laneTop(lane) + this.vp.laneH / 2;
  }

  /** The arrows (or bundles), one path per colour and width, with heads when there are few. */
  private drawArrows(model: RunModel, pal: Palette): void {
    const ctx = this.ctx;
    const batch = this.batch;
    const chanColor = this.data.channelColors(model, pal.channels);
    const widthOf = (count: number) => (count <= 1 ? 0 : Math.min(2, Math.round(Math.log10(count))));
    // Group arrows by colour and width (numeric keys) so each group is one path.
    const groups = new Map<number, number[]>();
    for (let k = 0; k < batch.n; k++) {
      const key = (batch.chan[k] + 1) * 8 + widthOf(batch.count[k]);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = []));
      g.push(k);
    }
    ctx.globalAlpha = batch.binned ? BUNDLE_ALPHA : ARROW_ALPHA;
    for (const [key, ks] of groups) {
      const color = chanColor[Math.floor(key / 8) - 1] ?? pal.accent;
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.lineWidth = 1 + (key % 8);
      ctx.beginPath();
      for (const k of ks) {
        ctx.moveTo(batch.x0[k], this.laneMid(batch.fromLane[k]));
        ctx.lineTo(batch.x1[k], this.laneMid(batch.toLane[k]));
      }
      ctx.stroke();
      if (!batch.binned && batch.n <= HEADS_LIMIT) this.drawHeads(ks);
    }
    ctx.globalAlpha = 1;
  }

  /** Arrow heads for the arrows `ks` of the batch, as one filled path. */
  private drawHeads(ks: readonly number[]): void {
    const ctx = this.ctx;
    const batch = this.batch;
    ctx.beginPath();
    for (const k of ks) {
      const x0 = batch.x0[k];
      const x1 = batch.x1[k];
      const y0 = this.laneMid(batch.fromLane[k]);
      const y1 = this.laneMid(batch.toLane[k]);
      const len = Math.hypot(x1 - x0, y1 - y0);
      if (len < HEAD_MIN_ARROW) continue;
      const ux = (x1 - x0) / len;
      const uy = (y1 - y0) / len;
      ctx.moveTo(x1, y1);
      ctx.lineTo(x1 - ux * HEAD_LEN - uy * HEAD_HALF_W, y1 - uy * HEAD_LEN + ux * HEAD_HALF_W);
      ctx.lineTo(x1 - ux * HEAD_LEN + uy * HEAD_HALF_W, y1 - uy * HEAD_LEN - ux * HEAD_HALF_W);
      ctx.closePath();
    }
    ctx.fill();
  }

  /** Counts on the bigger bundles, one label per COUNT_CELL_W×COUNT_CELL_H px cell, at most MAX_COUNT_LABELS. */
  private drawBundleCounts(pal: Palette): void {
    const ctx = this.ctx;
    const batch = this.batch;
    const { cssW: W, cssH: H } = this.vp;
    ctx.fillStyle = pal.fg;
    ctx.textAlign = 'center';
    let maxCount = 0;
    for (let k = 0; k < batch.n; k++) if (batch.count[k] > maxCount) maxCount = batch.count[k];
    const minCount = Math.max(2, Math.floor(maxCount / 4));
    const taken = new Set<number>();
    let labels = 0;
    for (let k = 0; k < batch.n && labels < MAX_COUNT_LABELS; k++) {
      if (batch.count[k] < minCount) continue;
      const x = (batch.x0[k] + batch.x1[k]) / 2;
      const y = (this.laneMid(batch.fromLane[k]) + this.laneMid(batch.toLane[k])) / 2;
      if (y < AXIS_H || y > H || x < GUTTER_W || x > W) continue;
      const cell = Math.floor(x / COUNT_CELL_W) * 10000 + Math.floor(y / COUNT_CELL_H);
      if (taken.has(cell)) continue;
      taken.add(cell);
      ctx.fillText(`×${batch.count[k]}`, x, y);
      labels++;
    }
    ctx.textAlign = 'left';
  }

  /** Diagonal hatching in a severity's colour (a hang's band). */
  private hatch(sev: Insight['severity'], pal: Palette): CanvasPattern | null {
    if (sev in this.hatches) return this.hatches[sev] ?? null;
    const tile = document.createElement('canvas');
    tile.width = tile.height = HATCH_TILE;
    const c = tile.getContext('2d');
    let pattern: CanvasPattern | null = null;
    if (c) {
      c.strokeStyle = severityColor(sev, pal);
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
  private drawInsights(rows: readonly TreeRow[], model: RunModel, pal: Palette, first: number, last: number): void {
    this.drawnMarks = [];
    this.laneSeverity.clear();
    const insights = this.host.insights?.() ?? [];
    const highlighted = this.host.highlighted?.() ?? null;
    if (!insights.length && !highlighted?.length) return;
    const laneByPid = new Map<number, number>();
    for (let lane = first; lane <= last; lane++) laneByPid.set(rows[lane].p.pid, lane);
    for (const w of insights) {
      for (const pid of w.pids) {
        const lane = laneByPid.get(pid);
        if (lane === undefined) continue;
        const worst = this.laneSeverity.get(pid);
        const worse = !worst || (w.severity === 'error' && worst !== 'error') || (w.severity === 'warning' && worst === 'info');
        if (worse) this.laneSeverity.set(pid, w.severity);
        this.drawInsightMark(w, pid, lane, rows[lane].p, model.run.now, pal);
      }
    }
    if (highlighted?.length) this.drawHighlights(highlighted, laneByPid, pal);
  }

  /** One insight on one lane: its hatched band (when it has a `since`) and its marker. */
  private drawInsightMark(w: Insight, pid: number, lane: number, p: ProcessModel, now: number, pal: Palette): void {
    const ctx = this.ctx;
    const G = GUTTER_W;
    const LH = this.vp.laneH;
    const win = this.vp.win;
    const color = severityColor(w.severity, pal);
    const y = this.vp.laneTop(lane);
    let bandX0: number | null = null;
    let bandX1: number | null = null;
    if (w.since !== null) {
      const until = Math.max(w.at, Math.min(p.endedAt ?? now, now));
      const xa = Math.max(G - 2, G + win.x(w.since));
      const xb = Math.min(this.vp.cssW + 2, G + win.x(until));
      if (xb > xa) {
        const pattern = this.hatch(w.severity, pal);
        ctx.globalAlpha = INSIGHT_BAND_ALPHA;
        ctx.fillStyle = pattern ?? color;
        ctx.fillRect(xa, y + 1, Math.max(1, xb - xa), LH - 2);
        ctx.globalAlpha = 1;
        bandX0 = xa;
        bandX1 = xb;
      }
    }
    const x = Math.round(G + win.x(w.at)) + 0.5;
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x, y + 1);
    ctx.lineTo(x, y + LH - 1);
    ctx.stroke();
    ctx.beginPath();
    ctx.moveTo(x - MARKER_HALF_W, y + 1);
    ctx.lineTo(x + MARKER_HALF_W, y + 1);
    ctx.lineTo(x, y + MARKER_H);
    ctx.closePath();
    ctx.fill();
    ctx.lineWidth = 1;
    this.drawnMarks.push({ pid, kind: w.kind, severity: w.severity, lane, x, y: y + LH / 2, bandX0, bandX1 });
  }

  /** An outline around the lanes of the insight the user picked. */
  private drawHighlights(pids: readonly number[], laneByPid: ReadonlyMap<number, number>, pal: Palette): void {
    const ctx = this.ctx;
    const G = GUTTER_W;
    const LH = this.vp.laneH;
    ctx.strokeStyle = cssVar('--c-focus', pal.accent);
    ctx.lineWidth = 2;
    for (const pid of pids) {
      const lane = laneByPid.get(pid);
      if (lane === undefined) continue;
      ctx.strokeRect(G + 1, this.vp.laneTop(lane) + 1, this.vp.cssW - G - 2, LH - 2);
    }
    ctx.lineWidth = 1;
  }

  /** Where a process wrote to sys.stdout/sys.stderr: a small tick at the foot of its lane per write (one per pixel). */
  private drawOutputTicks(rows: readonly TreeRow[], pal: Palette, first: number, last: number): void {
    const ctx = this.ctx;
    const win = this.vp.win;
    const { t0, t1 } = win;
    for (let lane = first; lane <= last; lane++) {
      const chunks = rows[lane].p.output?.chunks;
      if (!chunks?.length) continue;
      const y = this.vp.laneTop(lane) + this.vp.laneH - OUTPUT_TICK_H;
      let lastPx = -1;
      for (let k = lowerBound(chunks, (c) => c.t, t0); k < chunks.length; k++) {
        const c = chunks[k];
        if (c.t > t1) break;
        const x = Math.floor(GUTTER_W + win.x(c.t));
        if (x === lastPx) continue;
        lastPx = x;
        ctx.fillStyle = c.stream === 'stderr' ? pal.error : pal.fg;
        ctx.fillRect(x, y, 1, OUTPUT_TICK_H);
      }
    }
  }

  /** A dashed line at the run's "now" (live runs). */
  private drawNow(now: number, pal: Palette): void {
    const ctx = this.ctx;
    const x = GUTTER_W + this.vp.win.x(now);
    ctx.strokeStyle = pal.accent;
    ctx.setLineDash(NOW_DASH);
    ctx.beginPath();
    ctx.moveTo(x + 0.5, AXIS_H);
    ctx.lineTo(x + 0.5, this.vp.cssH);
    ctx.stroke();
    ctx.setLineDash([]);
  }

  /** The time axis along the top: a label right of each tick, a rule below. */
  private drawAxis(ticks: readonly number[], step: number, pal: Palette): void {
    const ctx = this.ctx;
    const W = this.vp.cssW;
    ctx.fillStyle = pal.bg;
    ctx.fillRect(0, 0, W, AXIS_H);
    ctx.fillStyle = pal.muted;
    ctx.textAlign = 'left';
    for (const t of ticks) {
      const x = GUTTER_W + this.vp.win.x(t);
      if (x < GUTTER_W - 1) continue;
      const label = tickLabel(t, step);
      // A label that would run off the right edge is left out rather than cut (its gridline still shows).
      if (x + AXIS_LABEL_DX + ctx.measureText(label).width > W) continue;
      ctx.fillText(label, x + AXIS_LABEL_DX, AXIS_H / 2);
    }
    ctx.fillStyle = pal.border;
    ctx.fillRect(0, AXIS_H - 1, W, 1);
  }

  /** The gutter: each lane's process name and pid, indented by tree level, with a dot for its worst insight. */
  private drawGutter(rows: readonly TreeRow[], first: number, last: number, selected: number | null, pal: Palette): void {
    const ctx = this.ctx;
    const G = GUTTER_W;
    const H = this.vp.cssH;
    const LH = this.vp.laneH;
    ctx.save();
    ctx.beginPath();
    ctx.rect(0, AXIS_H, G, H - AXIS_H);
    ctx.clip();
    ctx.fillStyle = pal.bg;
    ctx.fillRect(0, AXIS_H, G, H - AXIS_H);
    for (let lane = first; lane <= last; lane++) {
      const r = rows[lane];
      const y = this.vp.laneTop(lane);
      if (r.p.pid === selected) {
        ctx.fillStyle = pal.sel;
        ctx.fillRect(0, y, G, LH);
      }
      ctx.globalAlpha = HELPER_ROLES.has(r.p.role) ? HELPER_LABEL_ALPHA : 1;
      ctx.fillStyle = pal.fg;
      const indent = INDENT + Math.min(MAX_INDENT_LEVELS, r.level - 1) * INDENT_STEP;
      const label = r.p.daskLane ? r.p.name : `${r.p.name} ${r.p.pid}`;
      const sev = this.laneSeverity.get(r.p.pid);
      ctx.fillText(fitText(ctx, label, G - indent - (sev ? SEVERITY_DOT_ROOM : LABEL_ROOM)), indent, y + LH / 2);
      ctx.globalAlpha = 1;
      if (sev) {
        // A dot in the severity's colour: this process is named by an insight.
        ctx.fillStyle = severityColor(sev, pal);
        ctx.beginPath();
        ctx.arc(G - SEVERITY_DOT_DX, y + LH / 2, SEVERITY_DOT_R, 0, Math.PI * 2);
        ctx.fill();
      }
    }
    ctx.restore();
    ctx.fillStyle = pal.border;
    ctx.fillRect(G - 1, 0, 1, H);
  }
}

/** Cuts text with an ellipsis to fit `max` pixels (the longest prefix that fits, found by binary search). */
function fitText(ctx: CanvasRenderingContext2D, text: string, max: number): string {
  if (ctx.measureText(text).width <= max) return text;
  const keep = partitionPoint(1, text.length + 1, (n) => ctx.measureText(text.slice(0, n) + '…').width <= max) - 1;
  return text.slice(0, keep) + '…';
}

/**
 * The timeline view: the toolbar, the canvas, and the wiring between the
 * parts. Each frame it brings the data up to date (lanes.ts), sets the window
 * and scroll (geometry.ts), has the renderer draw (renderer.ts) and records
 * facts about the frame for tests and the benchmark; input.ts steers it and
 * hitTest.ts says what is under the pointer.
 */

import { actionWindow } from '../../core/actionSpan';
import { SHORT_ZOMBIE_SECONDS } from '../../core/format';
import type { RunModel } from '../../core/model/types';
import { el } from '../dom';
import type { TimeWindow } from '../timelineLayout';
import { AXIS_H, DENSE_LANES, LANE_H, LANE_H_DENSE, Viewport } from './geometry';
import { describeAt, type HitContext } from './hitTest';
import { TimelineInput } from './input';
import { TimelineData } from './lanes';
import { TimelineRenderer } from './renderer';
import type { DrawnMark, TimelineHost, TimelineViewState } from './types';

/** Toolbar zoom buttons zoom by this factor. */
const BUTTON_ZOOM = 2;
/** Draw durations kept for the benchmark. */
const FRAME_TIMES_KEPT = 240;
/** A moment shown by `showTime` gets at least this fraction of the run around it, and this much room either side. */
const SHOW_MIN_FRACTION = 0.2;
const SHOW_MARGIN = 0.65;

const LEGEND: [string, string][] = [
  ['created', 'created'],
  ['starting', 'starting Python'],
  ['running', 'running (on a CPU)'],
  ['ready', 'ready (waiting for a CPU)'],
  ['chan', 'waiting on a queue/pipe'],
  ['join', 'waiting on join'],
  ['lock', 'waiting on a lock'],
  ['waiting', 'waiting (other)'],
  ['sleep', 'sleep()'],
  ['blocked', 'blocked (asleep elsewhere)'],
  ['zombie-short', `zombie < ${SHORT_ZOMBIE_SECONDS} s (normal)`],
  ['zombie', `zombie ≥ ${SHORT_ZOMBIE_SECONDS} s (not joined)`],
  ['exited', 'exited'],
];

export class TimelineView {
  readonly root: HTMLElement;
  readonly canvas: HTMLCanvasElement;
  private readonly toolbar: HTMLElement;
  private readonly followButton: HTMLButtonElement;
  private readonly actionButton: HTMLButtonElement;
  /** actionWindow's answer, kept while the model has as many processes. */
  private actionCache = { model: null as RunModel | null, processes: -1, from: 0, whole: true };
  private readonly vp = new Viewport();
  private readonly data = new TimelineData();
  private readonly renderer: TimelineRenderer;
  private readonly input: TimelineInput;
  private readonly hits: HitContext;
  private dirty = true;
  private drawnVersion = -1;
  /** Durations (ms) of the latest draws, for the benchmark and tests. */
  readonly frameTimes: number[] = [];
  /** Facts about the last frame, for tests. */
  lastFrame = { lanes: 0, arrows: 0, binned: false, considered: 0, version: -1, at: 0, marks: 0, startupLabels: 0 };

  constructor(
    private readonly host: TimelineHost,
    tooltip: HTMLElement,
  ) {
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
    button('+', 'Zoom in (+)', () => this.input.zoomBy(BUTTON_ZOOM, this.vp.plotW() / 2));
    button('−', 'Zoom out (−)', () => this.input.zoomBy(1 / BUTTON_ZOOM, this.vp.plotW() / 2));
    button('Fit', 'Show the whole run, start-up included (0)', () => this.fit());
    this.actionButton = button('Action', 'Show the run from its first child to the end (A)', () => this.fitAction());
    this.followButton = button('Follow now', 'Keep the latest moment in view (F)', () => this.setFollow(!this.win.follow));
    this.followButton.setAttribute('aria-pressed', 'true');
    const legend = el('div', 'fs-legend');
    legend.setAttribute('aria-hidden', 'true');
    for (const [cls, text] of LEGEND) {
      const item = el('span', `fs-sw-${cls}`, text);
      item.dataset.legend = cls;
      legend.append(item);
    }
    this.toolbar.append(legend);
    const box = el('div', 'fs-timeline');
    this.canvas = el('canvas');
    this.canvas.id = 'fs-timeline-canvas';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    const label = 'Timeline of process states and messages. Arrow keys pan and select, plus and minus zoom, 0 fits, A shows the action.';
    this.canvas.setAttribute('aria-label', label);
    box.append(this.canvas);
    this.root.append(this.toolbar, box);
    const ctx = this.canvas.getContext('2d', { alpha: false });
    if (!ctx) throw new Error('no 2D canvas');
    this.renderer = new TimelineRenderer(ctx, host, this.vp, this.data);
    this.hits = { host, vp: this.vp, data: this.data, renderer: this.renderer };
    this.input = new TimelineInput(this.canvas, tooltip, host, this.vp, {
      end: () => this.end(),
      fit: () => this.fit(),
      fitAction: () => this.fitAction(),
      setFollow: (on) => this.setFollow(on),
      invalidate: () => this.invalidate(),
      followChanged: () => this.followButton.setAttribute('aria-pressed', String(this.win.follow)),
      describeAt: (x, y) => this.describeAt(x, y),
    });

    new ResizeObserver(() => this.resize()).observe(box);
    this.input.attach();
  }

  /** The visible time window. */
  get win(): TimeWindow {
    return this.vp.win;
  }

  /** Insight marks drawn in the last frame (for tests). */
  get drawnMarks(): DrawnMark[] {
    return this.renderer.drawnMarks;
  }

  /** dask tasks and transfers drawn on worker lanes in the last frame, for tests. */
  get daskDrawn(): { lanes: number; tasks: number; arrows: number } {
    return this.renderer.daskDrawn;
  }

  /** The colour of a channel (same as in the flows view): by the channel's position in the model. */
  static channelColorIndex(model: RunModel, channelId: string): number {
    return TimelineData.channelColorIndex(model, channelId);
  }

  /** Theme changed: re-read colours. */
  retheme(): void {
    this.renderer.retheme();
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
    const v = this.vp;
    return { t0: this.win.t0, t1: this.win.t1, scrollY: v.scrollY, follow: this.win.follow, fitted: v.fitted, action: v.fitAction };
  }

  restore(v: Partial<TimelineViewState> | undefined): void {
    if (!v || typeof v.t0 !== 'number' || typeof v.t1 !== 'number' || !(v.t1 > v.t0)) return;
    this.win.t0 = v.t0;
    this.win.t1 = v.t1;
    this.vp.scrollY = typeof v.scrollY === 'number' ? v.scrollY : 0;
    this.win.follow = v.follow !== false;
    this.vp.fitted = v.fitted === true;
    this.vp.fitAction = v.action === true;
    this.followButton.setAttribute('aria-pressed', String(this.win.follow));
    this.invalidate();
  }

  /** The end of the time "fit" shows. */
  private end(): number {
    return this.host.extent?.() ?? this.host.model().run.now;
  }

  /** Shows the whole run, from 0 (start-up included). */
  fit(): void {
    this.fitFrom(false);
  }

  /**
   * The default view: the run's action, from its first child's creation to the end (the interpreter's
   * start-up and the imports before it are left out; Fit shows them). A run of one process: its whole life.
   */
  fitAction(): void {
    this.fitFrom(true);
  }

  private fitFrom(action: boolean): void {
    this.vp.fitted = true;
    this.vp.fitAction = action;
    this.win.follow = true;
    this.followButton.setAttribute('aria-pressed', 'true');
    this.win.fit(this.end(), this.fitStart());
    this.invalidate();
    this.host.viewChanged();
  }

  /** Where a fitted view starts: 0, or the run's action (cached per process count). */
  private fitStart(): number {
    if (!this.vp.fitAction) return 0;
    const model = this.host.model();
    const c = this.actionCache;
    if (c.model !== model || c.processes !== model.processes.length) {
      const w = actionWindow(model, this.end());
      this.actionCache = { model, processes: model.processes.length, from: w.from, whole: w.whole };
    }
    return this.actionCache.from;
  }

  /** Whether the view shows the run's action (the default) rather than all of it, and where that starts; for tests. */
  fitState(): { fitted: boolean; action: boolean; from: number } {
    return { fitted: this.vp.fitted, action: this.vp.fitAction, from: this.vp.fitted ? this.fitStart() : this.win.t0 };
  }

  setFollow(on: boolean): void {
    this.win.follow = on;
    this.followButton.setAttribute('aria-pressed', String(on));
    if (on && !this.vp.fitted) this.win.followNow(this.host.model().run.now, false);
    this.invalidate();
    this.host.viewChanged();
  }

  /**
   * Brings [begin, end] into view with some room around it (an insight's
   * moment); a short span is widened to a fifth of the run, for context.
   */
  showTime(begin: number, end: number): void {
    const ext = Math.max(this.end(), 1e-3);
    const span = Math.max(end - begin, ext * SHOW_MIN_FRACTION, 1e-4);
    const mid = (begin + Math.max(end, begin)) / 2;
    this.vp.fitted = false;
    this.win.t0 = mid - span * SHOW_MARGIN;
    this.win.t1 = mid + span * SHOW_MARGIN;
    this.win.clamp(ext);
    this.win.follow = this.host.live() && this.win.showsEnd(this.host.model().run.now);
    this.followButton.setAttribute('aria-pressed', String(this.win.follow));
    this.invalidate();
    this.host.viewChanged();
  }

  /** Shows the same window as `other` (the compare view keeps its timelines aligned). */
  alignWith(other: TimelineView): void {
    // Fitted to the other run's action, this one shows the same window (its own action may start elsewhere).
    const fitted = other.vp.fitted && !other.vp.fitAction;
    if (this.win.t0 === other.win.t0 && this.win.t1 === other.win.t1 && this.vp.fitted === fitted) return;
    this.win.t0 = other.win.t0;
    this.win.t1 = other.win.t1;
    this.vp.fitted = fitted;
    this.vp.fitAction = false;
    this.invalidate();
  }

  /** Scrolls so the lane of `pid` is visible. */
  reveal(pid: number): void {
    const lane = this.host.rows().findIndex((r) => r.p.pid === pid);
    if (lane < 0) return;
    const vp = this.vp;
    const top = lane * vp.laneH;
    const h = vp.cssH - AXIS_H;
    if (top < vp.scrollY) vp.scrollY = top;
    else if (top + vp.laneH > vp.scrollY + h) vp.scrollY = top + vp.laneH - h;
    this.invalidate();
  }

  private resize(): void {
    const r = this.canvas.getBoundingClientRect();
    const vp = this.vp;
    vp.dpr = window.devicePixelRatio || 1;
    vp.cssW = Math.max(1, Math.round(r.width));
    vp.cssH = Math.max(1, Math.round(r.height));
    this.canvas.width = Math.round(vp.cssW * vp.dpr);
    this.canvas.height = Math.round(vp.cssH * vp.dpr);
    this.win.width = vp.plotW();
    this.invalidate();
    this.host.viewChanged();
  }

  /** Draws a frame if anything changed. Returns true when it drew. */
  draw(force = false): boolean {
    const model = this.host.model();
    if (!force && !this.needsDraw(model)) return false;
    const started = performance.now();
    this.dirty = false;
    this.drawnVersion = model.version;
    const rows = this.host.rows();
    const index = this.data.sync(model, rows);
    const vp = this.vp;
    vp.laneH = rows.length > DENSE_LANES ? LANE_H_DENSE : LANE_H;
    this.followButton.hidden = !this.host.live();
    if (this.host.live() && this.win.follow) this.win.followNow(model.run.now, vp.fitted, this.fitStart());
    else if (vp.fitted) this.win.fit(this.end(), this.fitStart());
    this.win.width = vp.plotW();
    vp.clampScroll(rows.length);
    this.renderer.render(model, rows, index);

    const ms = performance.now() - started;
    this.frameTimes.push(ms);
    if (this.frameTimes.length > FRAME_TIMES_KEPT) this.frameTimes.splice(0, this.frameTimes.length - FRAME_TIMES_KEPT);
    const batch = this.renderer.batch;
    this.lastFrame = {
      lanes: this.renderer.lastLane - this.renderer.firstLane + 1,
      arrows: batch.n,
      binned: batch.binned,
      considered: batch.considered,
      version: model.version,
      at: performance.now(),
      marks: this.renderer.drawnMarks.length,
      startupLabels: this.renderer.startupLabels,
    };
    this.input.refreshTooltip();
    return true;
  }

  /** What is under the pointer, in words (a message, a bundle of messages, or a state band). */
  describeAt(x: number, y: number): string | null {
    return describeAt(this.hits, x, y);
  }

  /** Lanes drawn in the last frame, for tests. */
  drawnLanes(): [number, number] {
    return [this.renderer.firstLane, this.renderer.lastLane];
  }
}

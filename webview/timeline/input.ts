/**
 * The timeline's input. Mouse/trackpad: wheel scrolls lanes, Ctrl/⌘+wheel or
 * pinch zooms, Shift+wheel or horizontal swipe pans, drag pans, click selects
 * a process. Keyboard (canvas focused): ←/→ pan, +/− zoom, 0 fits, A shows the action, ↑/↓
 * select the previous/next lane, PageUp/PageDown scroll, F follows "now".
 * Hovering shows what is under the pointer in the tooltip.
 */

import { AXIS_H, GUTTER_W, type Viewport } from './geometry';
import type { TimelineHost } from './types';

/** What input asks of the view it steers. */
export interface InputTarget {
  /** The end of the time "fit" shows. */
  end(): number;
  fit(): void;
  /** The default view: the run's action (from its first child). */
  fitAction(): void;
  setFollow(on: boolean): void;
  invalidate(): void;
  /** The window's follow flag changed: show it on the Follow button. */
  followChanged(): void;
  describeAt(x: number, y: number): string | null;
}

/** Pixels per wheel "line" (deltaMode 1). */
const WHEEL_LINE_PX = 16;
/** Ctrl/⌘+wheel: zoom factor exp(−ZOOM_PER_WHEEL_PX × dy). */
const ZOOM_PER_WHEEL_PX = 0.002;
/** A press that moves further than this (|dx| + |dy|, px) is a drag, not a click. */
const DRAG_PX = 3;
/** ←/→ pan this fraction of the plot (with Shift: SHIFT_PAN). */
const KEY_PAN = 0.1;
const SHIFT_PAN = 0.5;
/** +/− zoom by this factor. */
const KEY_ZOOM = 1.5;
/** The tooltip's offset from the pointer, and its margin from the window's edges. */
const TOOLTIP_DX = 14;
const TOOLTIP_EDGE = 4;
const TOOLTIP_FLIP = 20;

export class TimelineInput {
  private hover: { x: number; y: number } | null = null;
  private drag: { x: number; y: number; moved: boolean; t0: number; t1: number; scrollY: number } | null = null;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly tooltip: HTMLElement,
    private readonly host: TimelineHost,
    private readonly vp: Viewport,
    private readonly view: InputTarget,
  ) {}

  /** Listens to the canvas's wheel, pointer and key events. */
  attach(): void {
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

  /** Zooms by `factor` (> 1 zooms in) about plot pixel `x`. */
  zoomBy(factor: number, x: number): void {
    this.vp.fitted = false;
    this.vp.win.zoomAt(factor, x, this.view.end());
    this.afterUserMove(this.host.model().run.now);
  }

  private panBy(dx: number): void {
    this.vp.fitted = false;
    this.vp.win.panBy(dx, this.view.end());
    this.afterUserMove(this.host.model().run.now);
  }

  private afterUserMove(now: number): void {
    this.vp.win.follow = this.host.live() && this.vp.win.showsEnd(now);
    this.view.followChanged();
    this.view.invalidate();
    this.host.viewChanged();
  }

  private onWheel(e: WheelEvent): void {
    e.preventDefault();
    const rect = this.canvas.getBoundingClientRect();
    const x = e.clientX - rect.left - GUTTER_W;
    const unit = e.deltaMode === 1 ? WHEEL_LINE_PX : e.deltaMode === 2 ? this.vp.cssH : 1;
    const dx = e.deltaX * unit;
    const dy = e.deltaY * unit;
    if (e.ctrlKey || e.metaKey) {
      this.zoomBy(Math.exp(-dy * ZOOM_PER_WHEEL_PX), Math.max(0, x));
    } else if (e.shiftKey || Math.abs(dx) > Math.abs(dy)) {
      this.panBy(e.shiftKey && !dx ? dy : dx);
    } else {
      this.vp.scrollY += dy;
      this.view.invalidate();
      this.host.viewChanged();
    }
  }

  private onPointerDown(e: PointerEvent): void {
    if (e.button !== 0) return;
    this.canvas.setPointerCapture(e.pointerId);
    this.drag = { x: e.clientX, y: e.clientY, moved: false, t0: this.vp.win.t0, t1: this.vp.win.t1, scrollY: this.vp.scrollY };
  }

  private onPointerMove(e: PointerEvent): void {
    const rect = this.canvas.getBoundingClientRect();
    this.hover = { x: e.clientX - rect.left, y: e.clientY - rect.top };
    if (this.drag) {
      const dx = e.clientX - this.drag.x;
      const dy = e.clientY - this.drag.y;
      if (Math.abs(dx) + Math.abs(dy) > DRAG_PX) this.drag.moved = true;
      if (this.drag.moved) {
        const win = this.vp.win;
        const span = this.drag.t1 - this.drag.t0;
        const dt = (-dx / this.vp.plotW()) * span;
        this.vp.fitted = false;
        win.t0 = this.drag.t0 + dt;
        win.t1 = this.drag.t1 + dt;
        win.clamp(this.view.end());
        this.vp.scrollY = this.drag.scrollY - dy;
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
    const row = this.host.rows()[this.vp.laneAt(y)];
    if (y > AXIS_H && row) this.host.select(row.p.pid);
  }

  private onKey(e: KeyboardEvent): void {
    const w = this.vp.plotW();
    const rows = this.host.rows();
    const sel = this.host.selected();
    const i = rows.findIndex((r) => r.p.pid === sel);
    const page = this.vp.cssH - AXIS_H - this.vp.laneH;
    switch (e.key) {
      case 'ArrowLeft':
        this.panBy(-w * (e.shiftKey ? SHIFT_PAN : KEY_PAN));
        break;
      case 'ArrowRight':
        this.panBy(w * (e.shiftKey ? SHIFT_PAN : KEY_PAN));
        break;
      case '+':
      case '=':
        this.zoomBy(KEY_ZOOM, w / 2);
        break;
      case '-':
      case '_':
        this.zoomBy(1 / KEY_ZOOM, w / 2);
        break;
      case '0':
      case 'Home':
        this.view.fit();
        break;
      case 'a':
      case 'A':
        this.view.fitAction();
        break;
      case 'f':
      case 'F':
      case 'End':
        this.view.setFollow(true);
        break;
      case 'ArrowDown':
        if (rows.length) this.host.select(rows[Math.min(rows.length - 1, i + 1)].p.pid);
        break;
      case 'ArrowUp':
        if (rows.length) this.host.select(rows[Math.max(0, i - 1)].p.pid);
        break;
      case 'PageDown':
        this.vp.scrollY += page;
        this.view.invalidate();
        break;
      case 'PageUp':
        this.vp.scrollY -= page;
        this.view.invalidate();
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  /** After a draw: the tooltip describes what is now under a resting pointer. */
  refreshTooltip(): void {
    if (this.hover) this.updateTooltip();
  }

  private updateTooltip(): void {
    if (!this.hover) return;
    const text = this.view.describeAt(this.hover.x, this.hover.y);
    if (!text) {
      this.tooltip.hidden = true;
      return;
    }
    this.tooltip.textContent = text;
    this.tooltip.hidden = false;
    const rect = this.canvas.getBoundingClientRect();
    const tx = rect.left + this.hover.x + TOOLTIP_DX;
    const ty = rect.top + this.hover.y + TOOLTIP_DX;
    const tw = this.tooltip.offsetWidth;
    const th = this.tooltip.offsetHeight;
    this.tooltip.style.left = `${Math.min(tx, window.innerWidth - tw - TOOLTIP_EDGE)}px`;
    this.tooltip.style.top = `${ty + th > window.innerHeight ? ty - th - TOOLTIP_FLIP : ty}px`;
  }
}

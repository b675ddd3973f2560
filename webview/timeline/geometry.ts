/**
 * Where things are on the timeline's canvas: the gutter (lane labels) on the
 * left, the time axis on top, lanes below it, and the visible time window.
 * The renderer, input and hit-testing all place and find lanes through here.
 */

import { TimeWindow } from '../timelineLayout';

/** Width of the gutter that holds the lane labels (CSS px). */
export const GUTTER_W = 180;
/** Height of the time axis above the lanes. */
export const AXIS_H = 22;
/** A lane's height… */
export const LANE_H = 20;
/** …and its height when there are more than DENSE_LANES lanes. */
export const LANE_H_DENSE = 14;
export const DENSE_LANES = 300;
/** Half the width of an insight's marker; the pointer this near it (or over its band) describes the insight. */
export const MARKER_HALF_W = 5;
/** A pointer nearer than this to an arrow describes the arrow. */
export const ARROW_HIT_PX = 5;
/** Height of an output tick at the foot of its lane. */
export const OUTPUT_TICK_H = 4;
/** The strip at a lane's foot where hovering describes output, and how far either side of the pointer it looks. */
export const OUTPUT_HOVER_H = 7;
export const OUTPUT_HOVER_PX = 3;

/** The canvas's size, the time window, the vertical scroll and the lane height. */
export class Viewport {
  readonly win = new TimeWindow();
  /** The whole run is shown ("fit"): a live window grows with the run. */
  fitted = true;
  /** While fitted: from the run's action (its first child) rather than from 0 (see core/actionSpan). */
  fitAction = false;
  scrollY = 0;
  laneH = LANE_H;
  cssW = 1;
  cssH = 1;
  dpr = 1;

  /** Width of the plot (right of the gutter). */
  plotW(): number {
    return Math.max(1, this.cssW - GUTTER_W);
  }

  /** Top of a lane, in CSS px in the canvas. */
  laneTop(lane: number): number {
    return AXIS_H + lane * this.laneH - this.scrollY;
  }

  /** The lane under canvas y (may be outside the rows). */
  laneAt(y: number): number {
    return Math.floor((y - AXIS_H + this.scrollY) / this.laneH);
  }

  /** Keeps the scroll within `lanes` lanes. */
  clampScroll(lanes: number): void {
    const maxScroll = Math.max(0, lanes * this.laneH - (this.cssH - AXIS_H));
    this.scrollY = Math.max(0, Math.min(this.scrollY, maxScroll));
  }

  /** The lanes [first, last] the canvas shows out of `lanes`. */
  visibleLanes(lanes: number): [number, number] {
    const first = Math.max(0, Math.floor(this.scrollY / this.laneH));
    const last = Math.min(lanes - 1, Math.floor((this.scrollY + this.cssH - AXIS_H) / this.laneH));
    return [first, last];
  }
}

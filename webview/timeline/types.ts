/** What the timeline's parts share: the host it draws for, its saved view, and the marks it reports to tests. */

import type { RunModel } from '../../core/model/types';
import type { RefNames } from '../../core/format';
import type { Insight } from '../insights';
import type { TreeRow } from '../../core/treeRows';

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

export interface TimelineViewState {
  t0: number;
  t1: number;
  scrollY: number;
  follow: boolean;
  fitted: boolean;
  /** Fitted from the run's action (the default view) rather than from 0. */
  action?: boolean;
}

/**
 * dask tasks on the main timeline: a LocalCluster's workers are processes of the run with lanes of
 * their own; on those lanes each task the worker ran is a strip at the top of the lane, coloured by its
 * key prefix (the same colours as the Pools tab's cluster chart; erred tasks in the error colour), and
 * each transfer between two such workers an arrow from the lane that had the data to the lane that
 * needed it. A remote cluster's workers have stand-in lanes (webview/clusterLanes.ts, no state bands): their
 * tasks fill the lane's band height there.
 */

import type { RunModel } from '../../core/model/types';
import type { TreeRow } from '../../core/treeRows';
import { chartColors } from '../charts';
import { drawTransferArrow, prefixOrder } from '../cluster';
import { GUTTER_W, type Viewport } from './geometry';
import type { Palette } from './palette';

/** Height of the task strip at the top of a worker's lane. */
const STRIP_H = 5;

/** What the overlay drew in the last frame (tests read it). */
export interface DaskDrawn {
  /** Worker lanes that got a strip, task strips and transfer arrows drawn. */
  lanes: number;
  tasks: number;
  arrows: number;
}

export function drawDaskOverlay(
  ctx: CanvasRenderingContext2D,
  vp: Viewport,
  rows: readonly TreeRow[],
  first: number,
  last: number,
  model: RunModel,
  pal: Palette,
): DaskDrawn {
  const drawn: DaskDrawn = { lanes: 0, tasks: 0, arrows: 0 };
  if (model.clusters.size === 0) return drawn;
  const laneByPid = new Map<number, number>();
  const standIns = new Map<string, number>(); // "scheduler address" -> lane
  for (let lane = first; lane <= last; lane++) {
    const p = rows[lane].p;
    if (p.daskLane?.address) standIns.set(`${p.daskLane.scheduler} ${p.daskLane.address}`, lane);
    else if (p.role === 'dask-worker') laneByPid.set(p.pid, lane);
  }
  if (laneByPid.size === 0 && standIns.size === 0) return drawn;
  const win = vp.win;
  const colors = chartColors();
  for (const c of model.clusters.values()) {
    const laneOf = new Map<string, number>();
    for (const w of c.workers.values()) {
      const lane = c.local ? (w.pid !== null ? laneByPid.get(w.pid) : undefined) : standIns.get(`${c.scheduler} ${w.address}`);
      if (lane !== undefined) laneOf.set(w.address, lane);
    }
    // A process lane keeps its state bands: the tasks are a strip at its top; a stand-in lane is all tasks.
    const top = c.local ? 1 : 3;
    const h = c.local ? STRIP_H : Math.max(STRIP_H, vp.laneH - 6);
    if (laneOf.size === 0) continue;
    drawn.lanes += laneOf.size;
    const order = prefixOrder(c);
    const lastPx = new Map<number, number>();
    for (const t of c.tasks) {
      if (t.end < win.t0 || t.begin > win.t1 || t.worker === null) continue;
      const lane = laneOf.get(t.worker);
      if (lane === undefined) continue;
      const xa = GUTTER_W + win.x(t.begin);
      const xb = GUTTER_W + win.x(t.end);
      const px = Math.floor(xa);
      if (xb - xa < 1 && lastPx.get(lane) === px) continue; // one strip per pixel
      lastPx.set(lane, px);
      ctx.fillStyle = t.state === 'erred' ? pal.error : colors[(order.get(t.prefix) ?? 0) % colors.length];
      ctx.fillRect(xa, vp.laneTop(lane) + top, Math.max(2, xb - xa), h);
      drawn.tasks++;
    }
    ctx.strokeStyle = pal.accent;
    ctx.fillStyle = pal.accent;
    ctx.lineWidth = 1.5;
    for (const x of c.transfers) {
      const a = laneOf.get(x.from);
      const b = laneOf.get(x.to);
      if (a === undefined || b === undefined) continue;
      const ta = x.begin ?? x.at;
      const tb = x.end ?? x.at;
      if (tb < win.t0 || ta > win.t1) continue;
      const xa = GUTTER_W + win.x(ta);
      const xb = Math.max(GUTTER_W + win.x(tb), xa + 2);
      const ya = vp.laneTop(a) + vp.laneH / 2;
      const yb = vp.laneTop(b) + vp.laneH / 2;
      drawTransferArrow(ctx, xa, ya, xb, yb);
      drawn.arrows++;
    }
  }
  return drawn;
}

/**
 * Where a run's action begins, for the timeline's default view. Before the
 * first child the interpreter starts and the script imports: often a third
 * of a short run, which would squeeze the children and their messages into
 * the view's last pixels. The default view starts at the first child's
 * creation; a run of one process shows its whole life. Fit shows everything.
 */

import type { RunModel } from './model/types';

/**
 * The time the default view starts at: the earliest creation (or start) of
 * any process other than the main one, or null when the run has no other
 * process (then the whole run is shown).
 */
export function actionStart(model: Pick<RunModel, 'processes'>): number | null {
  let first: number | null = null;
  for (const p of model.processes) {
    if (p.role === 'main') continue;
    const t = p.createdAt !== null ? Math.min(p.createdAt, p.startedAt) : p.startedAt;
    if (Number.isFinite(t) && (first === null || t < first)) first = t;
  }
  return first;
}

/** Room left of the action's start, as a fraction of the shown span, so its first band is not on the edge. */
export const ACTION_MARGIN = 0.02;

/**
 * The window [t0, t1] of the default view of a run that has run until `end`:
 * from just before the action's start to the end, or the whole run (from 0)
 * when it has no other process or the action starts at once.
 */
export function actionWindow(model: Pick<RunModel, 'processes'>, end: number): { from: number; whole: boolean } {
  const start = actionStart(model);
  if (start === null || !(start > 0) || !(end > start)) return { from: 0, whole: true };
  return { from: start, whole: false };
}

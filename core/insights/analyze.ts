/**
 * Insights: why a run hangs, why it is slow, and what it left untidy, found
 * in what Forkscope already records (docs/insights.md lists every kind, its
 * thresholds and its advice).
 *
 * - `findHangs(model, now, options)` builds the wait-for graph at `now`: who
 *   waits on whom (join of a child, a queue or pipe, a lock, a pool's
 *   results) and who could satisfy it. When every process that could help
 *   has itself been blocked for `hangSeconds`, it reports a `deadlock` naming
 *   the cycle, the channel or lock, the line of code and what to do. The
 *   supervisor runs it live on a timer; `findPastHangs` finds the same in a
 *   finished recording (a run killed while hung, or one that broke out by a
 *   timeout).
 * - `analyze(model, now)` finds the post-run insights: `imbalance`,
 *   `overhead`, `starvation`, `too-many-processes`, and the hygiene kinds
 *   `unjoined`, `zombie`, `orphan`, `terminated-holding-lock`,
 *   `daemon-with-children`.
 *
 * Pure code (no Node, VS Code or DOM imports): it runs in the supervisor, the
 * webview and plain-Node tests alike. Every text from the script (names,
 * paths) goes into plain-text messages; views escape them.
 */

import type { RunModel, WarningModel } from '../model/types';
import { hygiene } from './hygiene';
import { channelOverhead, poolInsights, starvation, tooManyProcesses } from './performance';
import { daskInsights } from './dask';

/** Every post-run insight of a model at `now` (the run's end for a finished run). */
export function analyze(model: RunModel, now: number = model.run.wallSeconds): WarningModel[] {
  return [
    ...poolInsights(model, now),
    ...channelOverhead(model, now),
    ...starvation(model, now),
    ...tooManyProcesses(model, now),
    ...hygiene(model, now),
    ...daskInsights(model, now),
  ];
}

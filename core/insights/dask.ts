/**
 * Insights about dask.distributed clusters (core/model/clusters.ts), after a run: `dask-imbalance` (one
 * worker busy much longer than the mean), `dask-worker-lost` (a worker the scheduler removed while it was
 * processing tasks: it died or was killed), `dask-erred` (tasks that raised), `dask-idle` (no task ran
 * anywhere on the cluster for a long stretch between the first task and the last). docs/insights.md.
 * Pure code; worker addresses and key prefixes are text in the messages.
 */

import { formatSecondsBrief } from '../format';
import { workerLabel, type ClusterModel } from '../model/clusters';
import { makeWarning, type RunModel, type WarningModel } from '../model/types';
import { INSIGHT_THRESHOLDS } from './shared';

/** Thresholds of the dask insights. */
export const DASK_THRESHOLDS = {
  /** dask-idle: a stretch with no task running, at least this long and this share of the tasks' span. */
  idleMinSeconds: 0.5,
  idleFraction: 0.25,
};

const pidOf = (model: RunModel, c: ClusterModel, workerPid: number | null): number =>
  c.local && workerPid !== null && model.byPid.has(workerPid) ? workerPid : c.clientPid;

/** Every dask insight of the model's clusters. */
export function daskInsights(model: RunModel, now: number): WarningModel[] {
  const out: WarningModel[] = [];
  for (const c of model.clusters.values()) {
    const workers = [...c.workers.values()];
    const extra = (pids: number[], severity: 'error' | 'warning' | 'info') => ({ pids, severity, ref: c.scheduler });

    // Imbalance: the busiest worker against the mean over the workers that were there.
    const withWork = workers.filter((w) => w.tasks > 0 || w.leftAt === null);
    if (withWork.length >= 2) {
      const total = withWork.reduce((a, w) => a + w.busySeconds, 0);
      const mean = total / withWork.length;
      const top = [...withWork].sort((a, b) => b.busySeconds - a.busySeconds)[0];
      if (top.busySeconds >= INSIGHT_THRESHOLDS.imbalanceRatio * mean && top.busySeconds - mean >= INSIGHT_THRESHOLDS.imbalanceMinSeconds) {
        const pid = pidOf(model, c, top.pid);
        out.push(
          makeWarning(
            'dask-imbalance',
            pid,
            `dask cluster ${c.scheduler} is unbalanced: worker ${workerLabel(top)} computed for ${formatSecondsBrief(top.busySeconds)} ` +
              `(${top.tasks} tasks) while its ${withWork.length} workers averaged ${formatSecondsBrief(mean)}. ` +
              'Pin fewer tasks to one worker (workers=), split the long tasks, or let the scheduler place them.',
            now,
            extra([pid], 'warning'),
          ),
        );
      }
    }

    // A worker removed while it had tasks: it died (or was killed) in the middle of the work.
    for (const w of workers) {
      if (w.leftReason !== 'removed' || w.lostTasks <= 0 || w.leftAt === null) continue;
      const pid = pidOf(model, c, w.pid);
      out.push(
        makeWarning(
          'dask-worker-lost',
          pid,
          `dask worker ${workerLabel(w)}${w.pid !== null ? ` (pid ${w.pid})` : ''} left the cluster at ${formatSecondsBrief(w.leftAt)} ` +
            `while processing ${w.lostTasks} task${w.lostTasks === 1 ? '' : 's'}: the scheduler had to run them again elsewhere. ` +
            'Look at its memory (a worker over its memory limit is restarted) and at its output.',
          w.leftAt,
          extra([pid], 'error'),
        ),
      );
    }

    // Tasks that raised.
    if (c.erred > 0) {
      const prefixes = new Map<string, number>();
      for (const t of c.tasks) if (t.state === 'erred') prefixes.set(t.prefix, (prefixes.get(t.prefix) ?? 0) + 1);
      const first = c.tasks.find((t) => t.state === 'erred');
      const named = [...prefixes.entries()].map(([p, n]) => `${p} (${n})`).join(', ');
      out.push(
        makeWarning(
          'dask-erred',
          c.clientPid,
          `${c.erred} dask task${c.erred === 1 ? '' : 's'} raised on cluster ${c.scheduler}${named ? `: ${named}` : ''}. ` +
            'Their exceptions are re-raised where the client asks for their results (future.result(), client.gather()).',
          first ? first.end : now,
          extra([c.clientPid], 'warning'),
        ),
      );
    }

    // Idle: stretches with no task running anywhere between the first task's start and the last task's end.
    const spans = c.tasks.map((t) => [t.begin, t.end] as const).sort((a, b) => a[0] - b[0]);
    if (spans.length >= 2) {
      const first = spans[0][0];
      let covered = spans[0][1];
      let last = covered;
      let idle = 0;
      let longest = 0;
      let longestAt = first;
      for (const [b, e] of spans) {
        if (b > covered) {
          idle += b - covered;
          if (b - covered > longest) {
            longest = b - covered;
            longestAt = covered;
          }
        }
        if (e > covered) covered = e;
        if (e > last) last = e;
      }
      const span = last - first;
      if (longest >= DASK_THRESHOLDS.idleMinSeconds && span > 0 && idle >= DASK_THRESHOLDS.idleFraction * span) {
        out.push(
          makeWarning(
            'dask-idle',
            c.clientPid,
            `dask cluster ${c.scheduler} ran no task for ${formatSecondsBrief(idle)} of the ${formatSecondsBrief(span)} between its first and last task ` +
              `(the longest gap ${formatSecondsBrief(longest)}, from ${formatSecondsBrief(longestAt)}): the client did not give it work. ` +
              'Submit everything before waiting (client.map / client.compute on the whole graph, then gather) instead of .result() after each submit, ' +
              "and keep the client's own work off the path between submissions.",
            longestAt,
            extra([c.clientPid], 'info'),
          ),
        );
      }
    }
  }
  return out;
}

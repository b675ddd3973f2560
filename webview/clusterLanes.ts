/**
 * Rows of their own for a remote dask cluster (a scheduler the script's client reached over the network):
 * its workers are not processes of the run, so the tree and the timeline get stand-ins — a row for the
 * scheduler with a row per worker under it, labelled with the worker's host and pid there. The stand-ins
 * are ProcessModels marked with `daskLane`, negative pids, kept out of `RunModel.processes` (the summary,
 * insights and charts never see them); the timeline draws no state bands on them, only the worker's tasks
 * and the transfers (timeline/daskOverlay.ts). A LocalCluster needs none: its workers are processes of
 * the run, under the process whose client (and scheduler) started them.
 */

import { workerLabel, type ClusterModel, type ClusterWorkerModel } from '../core/model/clusters';
import { newProcess } from '../core/model/reducer';
import type { ProcessRole } from '../core/model/roles';
import type { ProcessModel, RunModel } from '../core/model/types';
import type { TreeRow } from '../core/treeRows';

function standIn(
  pid: number,
  name: string,
  role: ProcessRole,
  startedAt: number,
  lane: NonNullable<ProcessModel['daskLane']>,
): ProcessModel {
  return { ...newProcess(pid, startedAt, 0.1), name, role, connected: true, daskLane: lane };
}

/** The stand-ins of one inspector, kept per cluster and worker so the tree keeps its rows. */
export class ClusterLanes {
  private readonly byKey = new Map<string, ProcessModel>();
  private nextPid = -1001;
  private model: RunModel | null = null;

  /** How many stand-in rows the model's remote clusters need (the inspector lays rows out again when it changes). */
  static count(model: RunModel): number {
    let n = 0;
    for (const c of model.clusters.values()) if (!c.local) n += 1 + c.workers.size;
    return n;
  }

  private get(key: string, make: (pid: number) => ProcessModel): ProcessModel {
    let p = this.byKey.get(key);
    if (!p) {
      p = make(this.nextPid--);
      this.byKey.set(key, p);
    }
    return p;
  }

  private worker(c: ClusterModel, w: ClusterWorkerModel): ProcessModel {
    const p = this.get(`${c.scheduler}\u0000${w.address}`, (pid) =>
      standIn(pid, `worker ${workerLabel(w)}`, 'dask-worker', w.joinedAt, {
        scheduler: c.scheduler,
        address: w.address,
        where: '',
      }),
    );
    // What the scheduler says of it can arrive after the row was made.
    p.name = `worker ${workerLabel(w)}`;
    p.daskLane!.where = `on ${w.host ?? '?'}${w.pid !== null ? `, pid ${w.pid}` : ''}`;
    p.endedAt = w.leftAt;
    p.connected = w.leftAt === null;
    return p;
  }

  /** The rows for the remote clusters: a scheduler row (level 1) with its workers under it when it is expanded. */
  rows(model: RunModel, expanded: (pid: number) => boolean, filter = ''): TreeRow[] {
    if (this.model !== model) {
      this.byKey.clear();
      this.model = model;
    }
    const rows: TreeRow[] = [];
    const f = filter.trim().toLowerCase();
    for (const c of model.clusters.values()) {
      if (c.local) continue;
      const sched = this.get(c.scheduler, (pid) =>
        standIn(pid, `dask scheduler ${c.scheduler}`, 'dask-scheduler', c.firstSeen, {
          scheduler: c.scheduler,
          address: null,
          where: 'outside this run',
        }),
      );
      const workers = [...c.workers.values()]
        .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0))
        .map((w) => this.worker(c, w))
        .filter((p) => !f || p.name.toLowerCase().includes(f) || (p.daskLane?.where ?? '').toLowerCase().includes(f));
      if (f && !workers.length && !sched.name.toLowerCase().includes(f)) continue;
      const open = workers.length > 0 && (f !== '' || expanded(sched.pid));
      rows.push({ p: sched, level: 1, parent: null, hasChildren: workers.length > 0, expanded: open, context: false });
      if (open) for (const p of workers) rows.push({ p, level: 2, parent: sched, hasChildren: false, expanded: false, context: false });
    }
    return rows;
  }
}

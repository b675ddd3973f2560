/**
 * dask.distributed clusters as the scheduler plugin saw them (runtime events `dcluster`, `dworker`,
 * `dworkerend`, `dtasks`, `dxfer`, `dmetrics`; docs/runtime-protocol.md, "dask"): the cluster's
 * workers (linked by pid to the run's processes where they are this run's processes, a LocalCluster's),
 * every task that ran (bounded like pool tasks), transfers between workers and the workers' own metrics.
 * Times are seconds from the run's start, like the rest of the model.
 */

import { num, obj, str } from './values';

export interface ClusterWorkerModel {
  address: string;
  host: string | null;
  /** The worker process's pid on its host (a process of this run when `local`). */
  pid: number | null;
  name: string | null;
  nthreads: number | null;
  memoryLimit: number | null;
  /** The nanny's address, when the worker has one. */
  nanny: string | null;
  joinedAt: number;
  leftAt: number | null;
  /** `removed` (the scheduler removed it: it left or died) or `scheduler-closed`. */
  leftReason: string | null;
  /** Tasks it was processing when the scheduler removed it. */
  lostTasks: number;
  /** Tasks that ran on it (memory or erred), exact. */
  tasks: number;
  erred: number;
  busySeconds: number;
  peakMemoryBytes: number | null;
  /** Its own metrics from its heartbeats: CPU percent and memory bytes over time. */
  metrics: { t: number[]; cpu: (number | null)[]; memory: (number | null)[] };
  tasksByPrefix: Record<string, number>;
}

export interface ClusterTaskModel {
  /** The key's prefix (`inc`, `sum`, `getitem`): the colour of its band. */
  prefix: string;
  key: string;
  worker: string | null;
  begin: number;
  end: number;
  /** `memory` or `erred`. */
  state: string;
}

export interface ClusterTransferModel {
  from: string;
  to: string;
  bytes: number | null;
  /** When the worker fetched it (null where the worker did not say). */
  begin: number | null;
  end: number | null;
  /** Prefix of the key that moved. */
  prefix: string | null;
  /** When the scheduler heard of it (the dependent task finished). */
  at: number;
}

export interface ClusterModel {
  /** The scheduler's address (the cluster's id). */
  scheduler: string;
  /** The scheduler lives in a process of this run (a LocalCluster). */
  local: boolean;
  schedulerPid: number | null;
  /** The run's process whose client saw it. */
  clientPid: number;
  firstSeen: number;
  workers: Map<string, ClusterWorkerModel>;
  /** Tasks kept (bounded by CLUSTER_LIMITS.tasks); the counts below are exact. */
  tasks: ClusterTaskModel[];
  taskCount: number;
  erred: number;
  transfers: ClusterTransferModel[];
  transferCount: number;
  /** Tasks and transfers not kept because of the bounds. */
  notKept: number;
}

export const CLUSTER_LIMITS = { tasks: 200_000, transfers: 100_000 };

/** A function from an event's absolute time to seconds from the run's start. */
export type RelTime = (t: unknown) => number;

function cluster(map: Map<string, ClusterModel>, id: string, pid: number, t: number): ClusterModel {
  let c = map.get(id);
  if (!c) {
    c = {
      scheduler: id,
      local: false,
      schedulerPid: null,
      clientPid: pid,
      firstSeen: t,
      workers: new Map(),
      tasks: [],
      taskCount: 0,
      erred: 0,
      transfers: [],
      transferCount: 0,
      notKept: 0,
    };
    map.set(id, c);
  }
  return c;
}

function worker(c: ClusterModel, address: string, t: number): ClusterWorkerModel {
  let w = c.workers.get(address);
  if (!w) {
    w = {
      address,
      host: null,
      pid: null,
      name: null,
      nthreads: null,
      memoryLimit: null,
      nanny: null,
      joinedAt: t,
      leftAt: null,
      leftReason: null,
      lostTasks: 0,
      tasks: 0,
      erred: 0,
      busySeconds: 0,
      peakMemoryBytes: null,
      metrics: { t: [], cpu: [], memory: [] },
      tasksByPrefix: {},
    };
    c.workers.set(address, w);
  }
  return w;
}

/**
 * Applies one dask event of process `pid` (the client's) at `t`; returns the pids of workers that joined
 * (so the reducer can give their processes the `dask-worker` role), or null when the event is not a dask one.
 */
export function applyClusterEvent(
  clusters: Map<string, ClusterModel>,
  pid: number,
  t: number,
  ev: unknown[],
  rel: RelTime,
): number[] | null {
  const type = ev[0];
  if (type !== 'dcluster' && type !== 'dworker' && type !== 'dworkerend' && type !== 'dtasks' && type !== 'dxfer' && type !== 'dmetrics')
    return null;
  const info = obj(ev[2]);
  const id = str(info.cluster);
  if (!id) return [];
  const c = cluster(clusters, id, pid, t);
  switch (type) {
    case 'dcluster':
      c.local = info.local === true;
      c.schedulerPid = num(info.pid);
      return [];
    case 'dworker': {
      const address = str(info.address);
      if (!address) return [];
      const w = worker(c, address, t);
      w.host = str(info.host) ?? w.host;
      w.pid = num(info.pid) ?? w.pid;
      w.name = str(info.name) ?? w.name;
      w.nthreads = num(info.nthreads) ?? w.nthreads;
      w.memoryLimit = num(info.memoryLimit) ?? w.memoryLimit;
      w.nanny = str(info.nanny) ?? w.nanny;
      return w.pid !== null ? [w.pid] : [];
    }
    case 'dworkerend': {
      const address = str(info.address);
      if (!address) return [];
      const w = worker(c, address, t);
      w.leftAt = t;
      w.leftReason = str(info.reason);
      w.lostTasks = num(info.processing) ?? 0;
      return [];
    }
    case 'dtasks': {
      const list = Array.isArray(info.tasks) ? info.tasks : [];
      for (const r of list) {
        if (!Array.isArray(r)) continue;
        const prefix = str(r[0]) ?? '?';
        const address = str(r[1]);
        const begin = rel(r[2]);
        const end = Math.max(begin, rel(r[3]));
        const state = str(r[4]) ?? 'memory';
        c.taskCount++;
        if (state === 'erred') c.erred++;
        if (address) {
          const w = worker(c, address, begin);
          w.tasks++;
          if (state === 'erred') w.erred++;
          w.busySeconds += end - begin;
          w.tasksByPrefix[prefix] = (w.tasksByPrefix[prefix] ?? 0) + 1;
        }
        if (c.tasks.length < CLUSTER_LIMITS.tasks) c.tasks.push({ prefix, key: str(r[5]) ?? prefix, worker: address, begin, end, state });
        else c.notKept++;
      }
      return [];
    }
    case 'dxfer': {
      const list = Array.isArray(info.transfers) ? info.transfers : [];
      for (const r of list) {
        if (!Array.isArray(r)) continue;
        const from = str(r[0]);
        const to = str(r[1]);
        if (!from || !to) continue;
        c.transferCount++;
        if (c.transfers.length >= CLUSTER_LIMITS.transfers) {
          c.notKept++;
          continue;
        }
        c.transfers.push({
          from,
          to,
          bytes: num(r[2]),
          begin: num(r[3]) === null ? null : rel(r[3]),
          end: num(r[4]) === null ? null : rel(r[4]),
          prefix: str(r[5]),
          at: t,
        });
      }
      return [];
    }
    case 'dmetrics': {
      const ws = obj(info.workers);
      for (const [address, v] of Object.entries(ws)) {
        if (!Array.isArray(v)) continue;
        const w = worker(c, address, t);
        const cpu = num(v[0]);
        const mem = num(v[1]);
        w.metrics.t.push(t);
        w.metrics.cpu.push(cpu);
        w.metrics.memory.push(mem);
        if (mem !== null && (w.peakMemoryBytes === null || mem > w.peakMemoryBytes)) w.peakMemoryBytes = mem;
      }
      return [];
    }
  }
  return [];
}

/** The workers of all clusters whose pid is a process of the run (a LocalCluster's), by pid. */
export function clusterWorkerPids(clusters: Map<string, ClusterModel>): Map<number, { cluster: ClusterModel; worker: ClusterWorkerModel }> {
  const out = new Map<number, { cluster: ClusterModel; worker: ClusterWorkerModel }>();
  for (const c of clusters.values()) {
    if (!c.local) continue;
    for (const w of c.workers.values()) if (w.pid !== null) out.set(w.pid, { cluster: c, worker: w });
  }
  return out;
}

/** A short label for a worker: its host and port (`127.0.0.1:40923`), with its name when that says more. */
export function workerLabel(w: ClusterWorkerModel): string {
  const hostPort = w.address.replace(/^[a-z]+:\/\//, '');
  return w.name && w.name !== w.address && !/^\d+$/.test(w.name) ? `${w.name} (${hostPort})` : hostPort;
}

/**
 * `forkscope export FILE --chrome-trace OUT.json`: the run as Chrome Trace
 * Event JSON, which Perfetto (ui.perfetto.dev) and chrome://tracing open.
 * One track per process (pid = tid = the OS pid, `process_name` metadata),
 * state slices as complete (X) events, a flow (s → f) per recorded message,
 * pool chunks on a second track of their worker, CPU and RSS as counters.
 * Times are microseconds from the run's start.
 */

import { HELPER_ROLES } from '../../core/model/roles';
import { stateBands } from '../../core/model/states';
import type { RunModel } from '../../core/model/types';
import { RefNames } from '../../core/format';
import { ROLE_LABELS } from '../../core/model/roles';
import { treeRows } from '../../core/treeRows';

export interface TraceEvent {
  name: string;
  ph: 'X' | 'M' | 's' | 'f' | 'C' | 'i';
  pid: number;
  tid?: number;
  ts?: number;
  dur?: number;
  cat?: string;
  id?: number;
  bp?: 'e';
  s?: 'g' | 'p' | 't';
  args?: Record<string, unknown>;
}

export interface ChromeTrace {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  otherData: Record<string, unknown>;
}

/** Thread id of a worker's pool-chunk track (a second track under the same process). */
export const TASK_TID_OFFSET = 1_000_000_000;
/** Trace pids of remote dask workers (not processes of the run) and the track of a worker's dask tasks. */
export const DASK_REMOTE_PID = 900_000_000;
export const DASK_TID_OFFSET = 2_000_000_000;

const us = (s: number) => Math.round(s * 1e9) / 1e3;

/** Builds the trace for a reduced (finished) run. */
export function chromeTrace(model: RunModel, options: { samples?: boolean } = {}): ChromeTrace {
  const names = new RefNames(model);
  const ev: TraceEvent[] = [];
  const now = model.run.wallSeconds;
  // Processes in tree order, so Perfetto lists them parent first.
  const order = treeRows(model, () => true);
  const seen = new Set<number>();
  order.forEach((r, i) => {
    const p = r.p;
    if (seen.has(p.pid)) return;
    seen.add(p.pid);
    const role = ROLE_LABELS[p.role] ?? p.role;
    ev.push({ name: 'process_name', ph: 'M', pid: p.pid, args: { name: `${p.name} (${role})` } });
    ev.push({ name: 'process_sort_index', ph: 'M', pid: p.pid, args: { sort_index: i } });
    ev.push({ name: 'process_labels', ph: 'M', pid: p.pid, args: { labels: [role, p.startMethod, p.target].filter(Boolean).join(', ') } });
    ev.push({ name: 'thread_name', ph: 'M', pid: p.pid, tid: p.pid, args: { name: 'state' } });
    for (const b of stateBands(p, now)) {
      if (b.state === 'exited' || b.end <= b.begin) continue;
      const name =
        b.state === 'waiting'
          ? `waiting: ${names.describeWait(b.what ?? 'wait', b.ref ?? null, b.detail ?? null)}`
          : b.state === 'blocked'
            ? names.describeBlocked(b)
            : b.state === 'starting'
              ? 'starting Python'
              : b.state;
      const args: Record<string, unknown> = { state: b.state };
      if (b.what) args.what = b.what;
      if (b.ref) args.on = names.refName(b.what ?? '', b.ref);
      if (b.detail) args.detail = b.detail;
      ev.push({
        name,
        cat: HELPER_ROLES.has(p.role) ? 'state,helper' : 'state',
        ph: 'X',
        pid: p.pid,
        tid: p.pid,
        ts: us(b.begin),
        dur: us(b.end - b.begin),
        args,
      });
    }
    if (p.endedAt !== null) {
      ev.push({
        name: p.exitCode !== null ? `exit ${p.exitCode}` : 'ended',
        cat: 'lifecycle',
        ph: 'i',
        s: 't',
        pid: p.pid,
        tid: p.pid,
        ts: us(p.endedAt),
        args: { exitCode: p.exitCode, error: p.error },
      });
    }
  });

  // Pool chunks: a second track per worker.
  const taskThreads = new Set<number>();
  for (const t of model.tasks) {
    const tid = TASK_TID_OFFSET + t.worker;
    if (!taskThreads.has(t.worker)) {
      taskThreads.add(t.worker);
      ev.push({ name: 'thread_name', ph: 'M', pid: t.worker, tid, args: { name: 'pool tasks' } });
    }
    ev.push({
      name: `job ${t.job}${t.chunk !== null ? ` chunk ${t.chunk}` : ''}`,
      cat: 'task',
      ph: 'X',
      pid: t.worker,
      tid,
      ts: us(t.begin),
      dur: us(Math.max(0, t.end - t.begin)),
      args: { items: t.items, ok: t.ok, pool: names.channelName(t.ref) },
    });
  }

  // dask clusters: a track per worker (a LocalCluster's on its process; a remote worker's in a trace process
  // of its own), a slice per task named by its key prefix, a flow per transfer between workers.
  let remoteIndex = 0;
  let flowId = model.messages.length + 1;
  for (const c of model.clusters.values()) {
    const track = new Map<string, { pid: number; tid: number }>();
    for (const w of c.workers.values()) {
      const own = c.local && w.pid !== null && model.byPid.has(w.pid) && w.pid !== c.clientPid;
      const pid = own ? w.pid! : DASK_REMOTE_PID + remoteIndex++;
      const tid = DASK_TID_OFFSET + (own ? w.pid! : 0);
      track.set(w.address, { pid, tid });
      if (!own) {
        ev.push({
          name: 'process_name',
          ph: 'M',
          pid,
          args: { name: `dask worker ${w.address} on ${w.host ?? '?'} (pid ${w.pid ?? '?'})` },
        });
        ev.push({ name: 'process_labels', ph: 'M', pid, args: { labels: `dask scheduler ${c.scheduler}` } });
      }
      ev.push({ name: 'thread_name', ph: 'M', pid, tid, args: { name: 'dask tasks' } });
    }
    for (const t of c.tasks) {
      const at = t.worker !== null ? track.get(t.worker) : undefined;
      if (!at) continue;
      ev.push({
        name: t.prefix,
        cat: 'dask-task',
        ph: 'X',
        pid: at.pid,
        tid: at.tid,
        ts: us(t.begin),
        dur: us(Math.max(0, t.end - t.begin)),
        args: { key: t.key, state: t.state },
      });
    }
    for (const x of c.transfers) {
      const a = track.get(x.from);
      const b = track.get(x.to);
      if (!a || !b) continue;
      const id = flowId++;
      const t1 = x.end ?? x.at;
      const t0 = Math.min(x.begin ?? t1, t1);
      ev.push({
        name: x.prefix ?? 'transfer',
        cat: 'dask-transfer',
        ph: 's',
        id,
        pid: a.pid,
        tid: a.tid,
        ts: us(t0),
        args: { bytes: x.bytes },
      });
      ev.push({
        name: x.prefix ?? 'transfer',
        cat: 'dask-transfer',
        ph: 'f',
        bp: 'e',
        id,
        pid: b.pid,
        tid: b.tid,
        ts: us(t1),
        args: { bytes: x.bytes },
      });
    }
  }

  // Messages: a flow from the sender's track to the receiver's.
  model.messages.forEach((m, i) => {
    const name = names.channelName(m.ref);
    const id = i + 1;
    const sent = Math.min(m.sentAt, m.t);
    ev.push({ name, cat: 'message', ph: 's', id, pid: m.from, tid: m.from, ts: us(sent), args: { bytes: m.bytes, tag: m.tag } });
    ev.push({
      name,
      cat: 'message',
      ph: 'f',
      bp: 'e',
      id,
      pid: m.to,
      tid: m.to,
      ts: us(m.t),
      args: { bytes: m.bytes, latencyMs: Math.round((m.t - sent) * 1e6) / 1e3 },
    });
  });

  if (options.samples !== false) {
    for (const p of model.processes) {
      const s = p.samples;
      for (let i = 0; i < s.t.length; i++) {
        ev.push({ name: 'CPU %', ph: 'C', pid: p.pid, ts: us(s.t[i]), args: { cpu: s.cpu[i] } });
        ev.push({ name: 'RSS MiB', ph: 'C', pid: p.pid, ts: us(s.t[i]), args: { rss: Math.round((s.rss[i] / 1048576) * 10) / 10 } });
      }
    }
  }

  const h = model.run.header;
  return {
    traceEvents: ev,
    displayTimeUnit: 'ms',
    otherData: {
      producer: `forkscope ${h.forkscope}`,
      script: h.script ?? (h.module ? `-m ${h.module}` : null),
      python: h.python,
      cpuCount: h.cpuCount,
      startedAt: new Date(h.startedAt * 1000).toISOString(),
      exitCode: model.run.exitCode,
      wallSeconds: model.run.wallSeconds,
    },
  };
}

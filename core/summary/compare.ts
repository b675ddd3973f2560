/**
 * Two runs side by side (`forkscope compare`, the VS Code compare view): the
 * `forkscope.compare/1` document (docs/compare.md) built from two
 * `forkscope.summary/1` summaries. Pure code: the CLI, the extension and the
 * webview build the same numbers.
 */

import { POOL_WORKER_ROLES, WORKER_ROLES } from '../model/roles';
import type { Summary, SummaryProcess } from './summary';

export const COMPARE_SCHEMA = 'forkscope.compare/1';

export interface CompareWorker {
  pid: number;
  name: string;
  role: string;
  /** Seconds spent on the script's work: time in Pool/executor tasks for pool workers, time running for other processes. */
  busySeconds: number;
  cpuSeconds: number;
  runningSeconds: number;
  waitingSeconds: number;
  /** Pool/executor tasks it ran (null for a plain Process). */
  tasks: number | null;
}

export interface CompareRun {
  /** What the user called it (the recording's file name). */
  label: string;
  script: string | null;
  module: string | null;
  args: string[];
  exitCode: number | null;
  cpuCount: number;
  wallSeconds: number;
  cpuSeconds: number;
  /** CPU seconds ÷ wall seconds (the summary's `speedup`). */
  speedup: number | null;
  /** The summary's `efficiency` (speedup ÷ the cores the run could use). */
  efficiency: number | null;
  processes: number;
  messages: number;
  warnings: number;
  workers: CompareWorker[];
  /** Sum of the workers' busy seconds. */
  busySeconds: number;
  /** Mean busy seconds per worker (null without workers). */
  meanBusySeconds: number | null;
}

export interface Comparison {
  schema: typeof COMPARE_SCHEMA;
  a: CompareRun;
  b: CompareRun;
  /** B ÷ A for each figure (null when A's is 0 or unknown). */
  ratios: {
    wallSeconds: number | null;
    cpuSeconds: number | null;
    speedup: number | null;
    efficiency: number | null;
    processes: number | null;
    messages: number | null;
    busySeconds: number | null;
    meanBusySeconds: number | null;
  };
}

const round = (n: number, digits = 6): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

function worker(p: SummaryProcess, s: Summary): CompareWorker {
  let poolBusy: number | null = null;
  let tasks: number | null = null;
  for (const pool of s.pools) {
    const key = String(p.pid);
    if (key in pool.busySecondsByWorker || key in pool.tasksByWorker) {
      poolBusy = (poolBusy ?? 0) + (pool.busySecondsByWorker[key] ?? 0);
      tasks = (tasks ?? 0) + (pool.tasksByWorker[key] ?? 0);
    }
  }
  // A pool's worker that ran no task (another took every chunk) was busy for no time: its time running is its start.
  const pooled = POOL_WORKER_ROLES.has(p.role);
  if (tasks === null && pooled) tasks = 0;
  return {
    pid: p.pid,
    name: p.name,
    role: p.role,
    busySeconds: round(poolBusy ?? (pooled ? 0 : p.stateSeconds.running)),
    cpuSeconds: p.cpuSeconds,
    runningSeconds: p.stateSeconds.running,
    waitingSeconds: p.stateSeconds.waiting,
    tasks,
  };
}

/** One side of a comparison from its summary. */
export function compareRun(s: Summary, label: string): CompareRun {
  const workers = s.processes.filter((p) => WORKER_ROLES.has(p.role)).map((p) => worker(p, s));
  const busy = workers.reduce((n, w) => n + w.busySeconds, 0);
  return {
    label,
    script: s.run.script,
    module: s.run.module,
    args: s.run.args,
    exitCode: s.run.exitCode,
    cpuCount: s.run.cpuCount,
    wallSeconds: s.run.wallSeconds,
    cpuSeconds: s.run.cpuSeconds,
    speedup: s.run.speedup,
    efficiency: s.run.efficiency ?? null,
    processes: s.run.processes,
    messages: s.run.messages,
    warnings: s.warnings.length,
    workers,
    busySeconds: round(busy),
    meanBusySeconds: workers.length ? round(busy / workers.length) : null,
  };
}

/** B ÷ A, or null when it means nothing. */
export function ratio(b: number | null, a: number | null): number | null {
  if (a === null || b === null || !Number.isFinite(a) || !Number.isFinite(b) || a === 0) return null;
  return round(b / a, 4);
}

/** The `forkscope.compare/1` document of two runs. */
export function compareSummaries(a: Summary, b: Summary, labels: [string, string] = ['A', 'B']): Comparison {
  const ra = compareRun(a, labels[0]);
  const rb = compareRun(b, labels[1]);
  return {
    schema: COMPARE_SCHEMA,
    a: ra,
    b: rb,
    ratios: {
      wallSeconds: ratio(rb.wallSeconds, ra.wallSeconds),
      cpuSeconds: ratio(rb.cpuSeconds, ra.cpuSeconds),
      speedup: ratio(rb.speedup, ra.speedup),
      efficiency: ratio(rb.efficiency, ra.efficiency),
      processes: ratio(rb.processes, ra.processes),
      messages: ratio(rb.messages, ra.messages),
      busySeconds: ratio(rb.busySeconds, ra.busySeconds),
      meanBusySeconds: ratio(rb.meanBusySeconds, ra.meanBusySeconds),
    },
  };
}

/** The comparison as a table for a terminal. */
export function formatComparison(c: Comparison): string {
  const secs = (n: number | null) => (n === null ? '–' : n < 1 ? `${(n * 1000).toFixed(1)} ms` : `${n.toFixed(3)} s`);
  const times = (n: number | null) => (n === null ? '–' : `${n.toFixed(2)}×`);
  const pct = (n: number | null) => (n === null ? '–' : `${Math.round(n * 100)} %`);
  const int = (n: number) => n.toLocaleString('en-US');
  const rows: [string, string, string, string][] = [
    ['', `A: ${c.a.label}`, `B: ${c.b.label}`, 'B/A'],
    ['wall time', secs(c.a.wallSeconds), secs(c.b.wallSeconds), times(c.ratios.wallSeconds)],
    ['CPU time', secs(c.a.cpuSeconds), secs(c.b.cpuSeconds), times(c.ratios.cpuSeconds)],
    ['speedup', `${times(c.a.speedup)} on ${c.a.cpuCount}`, `${times(c.b.speedup)} on ${c.b.cpuCount}`, times(c.ratios.speedup)],
    ['efficiency', pct(c.a.efficiency), pct(c.b.efficiency), times(c.ratios.efficiency)],
    ['processes', int(c.a.processes), int(c.b.processes), times(c.ratios.processes)],
    ['messages', int(c.a.messages), int(c.b.messages), times(c.ratios.messages)],
    ['workers', int(c.a.workers.length), int(c.b.workers.length), ''],
    ['busy (all workers)', secs(c.a.busySeconds), secs(c.b.busySeconds), times(c.ratios.busySeconds)],
    ['busy per worker', secs(c.a.meanBusySeconds), secs(c.b.meanBusySeconds), times(c.ratios.meanBusySeconds)],
    ['warnings', int(c.a.warnings), int(c.b.warnings), ''],
  ];
  const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => (i === 0 ? cell.padEnd(w[i]) : cell.padStart(w[i])))
      .join('  ')
      .trimEnd();
  const out = rows.map(line);
  for (const side of [c.a, c.b]) {
    out.push('', `${side === c.a ? 'A' : 'B'}: ${side.label} — busy time per worker`);
    if (!side.workers.length) out.push('  (no worker processes)');
    for (const wk of side.workers) {
      out.push(
        `  ${`${wk.name} (pid ${wk.pid})`.padEnd(32)} ${secs(wk.busySeconds).padStart(10)} busy  ${secs(wk.cpuSeconds).padStart(10)} CPU${wk.tasks !== null ? `  ${int(wk.tasks)} tasks` : ''}`,
      );
    }
  }
  return out.join('\n') + '\n';
}

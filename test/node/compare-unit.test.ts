/**
 * `compareRun` on hand-made summaries: a worker's busy time is its pool's task
 * time when it is a pool's worker (0 when it ran no task: another worker took
 * every chunk, as with chunksize 8 over 32 items and a worker slow to start),
 * and its time running for any other worker process.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareRun } from '../../core/summary/compare';
import type { Summary } from '../../core/summary/summary';

function summary(
  processes: { pid: number; role: string; running: number }[],
  busy: Record<string, number>,
  tasks: Record<string, number>,
): Summary {
  return {
    run: {
      script: 'pool_chunks.py',
      module: null,
      args: ['8', '2'],
      exitCode: 0,
      cpuCount: 2,
      wallSeconds: 1,
      cpuSeconds: 1,
      speedup: 1,
      efficiency: 0.5,
      processes: processes.length,
      messages: 10,
    },
    warnings: [],
    processes: processes.map((p) => ({
      pid: p.pid,
      name: `P-${p.pid}`,
      role: p.role,
      cpuSeconds: p.running,
      stateSeconds: { running: p.running, waiting: 0 },
    })),
    pools: [{ busySecondsByWorker: busy, tasksByWorker: tasks }],
  } as unknown as Summary;
}

test('a pool worker that ran no task was busy 0 s, not its start-up time', () => {
  const s = summary(
    [
      { pid: 1, role: 'main', running: 0.05 },
      { pid: 2, role: 'pool-worker', running: 0.4 },
      { pid: 3, role: 'pool-worker', running: 0.02 },
      { pid: 4, role: 'executor-worker', running: 0.03 },
    ],
    { '2': 0.35 },
    { '2': 32 },
  );
  const run = compareRun(s, 'b');
  assert.deepEqual(
    run.workers.map((w) => [w.pid, w.busySeconds, w.tasks]),
    [
      [2, 0.35, 32],
      [3, 0, 0],
      [4, 0, 0],
    ],
  );
  assert.equal(run.busySeconds, 0.35);
  assert.equal(run.meanBusySeconds, round(0.35 / 3));
});

test('a plain Process worker is busy for its time running, with no task count', () => {
  const run = compareRun(
    summary(
      [
        { pid: 1, role: 'main', running: 0.05 },
        { pid: 2, role: 'process', running: 0.25 },
      ],
      {},
      {},
    ),
    'a',
  );
  assert.deepEqual(
    run.workers.map((w) => [w.pid, w.busySeconds, w.tasks]),
    [[2, 0.25, null]],
  );
});

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}

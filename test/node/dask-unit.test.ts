/**
 * The dask events on built recordings (test/builders): how the reducer builds `clusters`, links a
 * LocalCluster's worker processes by pid (role `dask-worker`, whichever of the worker's own `proc` event
 * and the scheduler's `dworker` comes first), leaves remote workers out of the processes, bounds nothing
 * it counts, and the dask insights' thresholds. Real runs are in dask.test.ts.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../core/insights/analyze';
import { chromeTrace, DASK_REMOTE_PID, DASK_TID_OFFSET } from '../../extension/runtime/chromeTrace';
import { RunReducer } from '../../core/model/reducer';
import type { RunModel } from '../../core/model/types';
import { summarize } from '../../core/summary/summary';
import { RunBuilder, T0 } from '../builders/runBuilder';

const reduce = (b: RunBuilder): RunModel => {
  const r = new RunReducer(b.head);
  for (const rec of b.records) r.apply(rec);
  r.finish();
  return r.model;
};

const A = 'tcp://127.0.0.1:1001';
const B = 'tcp://127.0.0.1:1002';
const S = 'tcp://127.0.0.1:8786';

/** main (100) with a LocalCluster (local) or a remote scheduler; workers A (pid 201) and B (pid 202). */
function clusterRun(
  local: boolean,
  tasks: [string, string, number, number, string][],
  extra: (b: RunBuilder) => void = () => {},
): RunBuilder {
  const b = new RunBuilder();
  b.spawned(0, 100).ev(100, ['proc', 0.01, { pid: 100, ppid: 99, key: null, name: 'MainProcess', role: 'main' }]);
  if (local) {
    // A worker process says who it is before the scheduler names it (201) and after (202).
    b.hello(0.1, 201, 100).ev(201, [
      'proc',
      0.1,
      { pid: 201, ppid: 100, key: '100:1', name: 'Dask Worker process (from Nanny)', role: 'process' },
    ]);
  }
  b.ev(
    100,
    ['dcluster', 0.2, { cluster: S, local, pid: 100 }],
    ['dworker', 0.2, { cluster: S, address: A, host: '127.0.0.1', pid: 201, name: '0', nthreads: 1, memoryLimit: 1e9, nanny: null }],
    ['dworker', 0.2, { cluster: S, address: B, host: 'otherhost', pid: 202, name: 'b', nthreads: 2, memoryLimit: 2e9, nanny: null }],
  );
  if (local)
    b.hello(0.25, 202, 100).ev(202, [
      'proc',
      0.25,
      { pid: 202, ppid: 100, key: '100:2', name: 'Dask Worker process (from Nanny)', role: 'process' },
    ]);
  b.ev(100, ['dtasks', 0.5, { cluster: S, tasks: tasks.map(([p, w, t0, t1, st]) => [p, w, T0 + t0, T0 + t1, st, `${p}-1`]) }]);
  b.ev(100, ['dxfer', 0.5, { cluster: S, transfers: [[B, A, 4096, T0 + 0.4, T0 + 0.41, 'part']] }]);
  b.ev(
    100,
    ['dmetrics', 0.6, { cluster: S, workers: { [A]: [50, 1000], [B]: [10, 3000] } }],
    ['dmetrics', 0.7, { cluster: S, workers: { [A]: [0, 2000] } }],
  );
  extra(b);
  b.exited(3, 0).end(3);
  return b;
}

test('a LocalCluster: clusters[] with workers, counts, transfers; its worker processes are dask-workers', () => {
  const m = reduce(
    clusterRun(true, [
      ['inc', A, 0.3, 0.35, 'memory'],
      ['inc', B, 0.3, 0.36, 'memory'],
      ['sum', A, 0.42, 0.45, 'memory'],
      ['boom', B, 0.46, 0.47, 'erred'],
    ]),
  );
  assert.equal(m.byPid.get(201)!.role, 'dask-worker');
  assert.equal(m.byPid.get(202)!.role, 'dask-worker');
  const s = summarize(m);
  const c = s.clusters![0];
  assert.equal(c.scheduler, S);
  assert.equal(c.local, true);
  assert.equal(c.clientPid, 100);
  assert.equal(c.tasks, 4);
  assert.equal(c.erred, 1);
  assert.deepEqual(
    c.workers.map((w) => [w.address, w.tasks, w.erred, w.peakMemoryBytes, w.tasksByPrefix]),
    [
      [A, 2, 0, 2000, { inc: 1, sum: 1 }],
      [B, 2, 1, 3000, { inc: 1, boom: 1 }],
    ],
  );
  assert.ok(Math.abs(c.workers[0].busySeconds - 0.08) < 1e-9);
  assert.deepEqual(c.transfers, [{ from: B, to: A, count: 1, bytes: 4096 }]);
  assert.ok(s.warnings.some((w) => w.kind === 'dask-erred' && /1 dask task raised .*boom \(1\)/.test(w.message)));
});

test('a remote scheduler: its workers are not processes of the run, even where a pid matches one', () => {
  const b = clusterRun(false, [['inc', A, 0.3, 0.35, 'memory']]);
  b.hello(0.05, 201, 100).ev(201, ['proc', 0.05, { pid: 201, ppid: 100, key: '100:1', name: 'helper', role: 'process' }]);
  const m = reduce(b);
  assert.equal(m.byPid.get(201)!.role, 'process');
  assert.equal(m.processes.filter((p) => p.role === 'dask-worker').length, 0);
  assert.equal(summarize(m).clusters![0].local, false);
});

test('no dask events: no clusters key in the summary, no dask insights', () => {
  const b = new RunBuilder();
  b.spawned(0, 100)
    .ev(100, ['proc', 0.01, { pid: 100, ppid: 99, key: null, name: 'MainProcess', role: 'main' }])
    .exited(1, 0)
    .end(1);
  const s = summarize(reduce(b));
  assert.equal('clusters' in s, false);
  assert.equal(s.warnings.filter((w) => w.kind.startsWith('dask-')).length, 0);
});

test('dask insights: imbalance, a worker lost with tasks, an idle cluster; balanced runs stay quiet', () => {
  const busy = reduce(
    clusterRun(
      false,
      [
        ['slow', A, 0.3, 1.3, 'memory'],
        ['fast', B, 0.3, 0.35, 'memory'],
        ['late', B, 2.5, 2.6, 'memory'],
      ],
      (b) => b.ev(100, ['dworkerend', 2.7, { cluster: S, address: B, processing: 3, reason: 'removed' }]),
    ),
  );
  const kinds = analyze(busy).map((w) => w.kind);
  assert.ok(kinds.includes('dask-imbalance'), kinds.join());
  assert.ok(kinds.includes('dask-worker-lost'), kinds.join());
  assert.ok(kinds.includes('dask-idle'), kinds.join());
  const lost = analyze(busy).find((w) => w.kind === 'dask-worker-lost')!;
  assert.equal(lost.severity, 'error');
  assert.match(lost.message, /while processing 3 tasks/);

  const even = reduce(
    clusterRun(false, [
      ['inc', A, 0.3, 0.8, 'memory'],
      ['inc', B, 0.3, 0.8, 'memory'],
      ['inc', A, 0.8, 1.3, 'memory'],
      ['inc', B, 0.8, 1.3, 'memory'],
    ]),
  );
  assert.deepEqual(
    analyze(even).filter((w) => w.kind.startsWith('dask-')),
    [],
  );
});

test('LocalCluster(processes=False): workers in the client process leave its role alone', () => {
  const b = new RunBuilder();
  b.spawned(0, 100).ev(100, ['proc', 0.01, { pid: 100, ppid: 99, key: null, name: 'MainProcess', role: 'main' }]);
  b.ev(
    100,
    ['dcluster', 0.2, { cluster: S, local: true, pid: 100 }],
    [
      'dworker',
      0.2,
      { cluster: S, address: 'inproc://10.0.0.1/100/1', host: '10.0.0.1', pid: 100, name: '0', nthreads: 2, memoryLimit: 1e9, nanny: null },
    ],
    ['dtasks', 0.5, { cluster: S, tasks: [['inc', 'inproc://10.0.0.1/100/1', T0 + 0.3, T0 + 0.31, 'memory', 'inc-1']] }],
  );
  b.exited(1, 0).end(1);
  const m = reduce(b);
  assert.equal(m.byPid.get(100)!.role, 'main');
  assert.equal(summarize(m).clusters![0].tasks, 1);
});

test('the Chrome trace: a dask-task slice per task on its worker, a flow per transfer', () => {
  const m = reduce(
    clusterRun(true, [
      ['inc', A, 0.3, 0.35, 'memory'],
      ['sum', B, 0.42, 0.45, 'memory'],
    ]),
  );
  const ev = chromeTrace(m).traceEvents;
  const slices = ev.filter((e) => e.cat === 'dask-task');
  assert.deepEqual(
    slices.map((e) => [e.name, e.pid, e.tid]),
    [
      ['inc', 201, DASK_TID_OFFSET + 201],
      ['sum', 202, DASK_TID_OFFSET + 202],
    ],
  );
  const flows = ev.filter((e) => e.cat === 'dask-transfer');
  assert.deepEqual(
    flows.map((e) => [e.ph, e.pid]),
    [
      ['s', 202],
      ['f', 201],
    ],
  );
  // A remote cluster's workers get trace processes of their own.
  const remote = chromeTrace(reduce(clusterRun(false, [['inc', A, 0.3, 0.35, 'memory']]))).traceEvents;
  const names = remote.filter((e) => e.name === 'process_name').map((e) => String((e.args as { name: string }).name));
  assert.ok(
    names.some((n) => n === `dask worker ${A} on 127.0.0.1 (pid 201)`),
    names.join('\n'),
  );
  assert.ok(remote.some((e) => e.cat === 'dask-task' && e.pid === DASK_REMOTE_PID));
});

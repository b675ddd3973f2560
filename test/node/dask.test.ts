/**
 * dask.distributed under `forkscope record`, for real: Debian's python3-distributed (2022.12) with
 * /usr/bin/python3 (`node scripts/test.mjs` installs it). A LocalCluster the script starts (its two
 * worker processes are processes of the run, role `dask-worker`), and a scheduler with two workers
 * started here outside the run, which the script reaches over TCP. Task counts per worker, worker pids
 * and the one transfer of a sum over partitions pinned to the two workers are asserted exactly.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Summary, SummaryCluster } from '../../core/summary/summary';
import { daskMissing, DEBIAN_PYTHON, startExternalCluster } from './support/dask';
import { record } from './support/run';

const skip = daskMissing() ?? false;
/** The script recorded with Debian's interpreter (the one python3-distributed is for). */
const recordDask = (script: string, args: string[]) => record(script, args, { cliArgs: ['--python', DEBIAN_PYTHON], timeoutMs: 180_000 });

function onlyCluster(s: Summary): SummaryCluster {
  assert.ok(s.clusters, 'the summary has clusters[]');
  assert.equal(s.clusters.length, 1);
  return s.clusters[0];
}

test(
  "LocalCluster(n_workers=2, processes=True): workers are the run's dask-worker processes; tasks, errors and the transfer",
  { skip },
  async () => {
    const r = await recordDask('dask_local.py', ['--nested', '--fail']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^2470\n1999000\nworkers seen from a task: 2\nerred: bad 1\n$/);
    // The Client made inside a task (in a worker process) did not register a second plugin: one dcluster.
    assert.equal((r.recordingText.match(/"dcluster"/g) ?? []).length, 1);
    const s = r.summary;
    const c = onlyCluster(s);
    assert.equal(c.local, true);
    const main = s.processes.find((p) => p.role === 'main')!;
    assert.equal(c.clientPid, main.pid);
    // Workers in address order; the script pinned to them in the same order.
    assert.equal(c.workers.length, 2);
    const [w0, w1] = c.workers;
    const daskProcs = s.processes.filter((p) => p.role === 'dask-worker');
    assert.deepEqual(
      daskProcs.map((p) => p.pid).sort((a, b) => a - b),
      [w0.pid, w1.pid].sort((a, b) => (a ?? 0) - (b ?? 0)),
    );
    for (const p of daskProcs) assert.equal(p.parentPid, main.pid);
    assert.deepEqual(w0.tasksByPrefix, { square: 10, part: 1, total: 1, nested: 1 });
    assert.deepEqual(w1.tasksByPrefix, { square: 10, part: 1, fail: 1 });
    assert.equal(w0.tasks, 13);
    assert.equal(w1.tasks, 12);
    assert.equal(w1.erred, 1);
    assert.equal(c.tasks, 25);
    assert.equal(c.erred, 1);
    for (const w of c.workers) {
      assert.equal(w.host, '127.0.0.1');
      assert.equal(w.nthreads, 1);
      assert.ok((w.memoryLimit ?? 0) > 0);
      assert.ok((w.peakMemoryBytes ?? 0) > 0, 'the workers reported their memory');
      assert.ok(w.leftAt !== null && w.leftAt >= w.joinedAt, 'the workers left when the cluster closed');
    }
    // total(a, b) ran on w0 with b computed on w1: exactly one transfer, w1 → w0, of a 1000-int list.
    assert.equal(c.transfers.length, 1);
    assert.equal(c.transfers[0].from, w1.address);
    assert.equal(c.transfers[0].to, w0.address);
    assert.equal(c.transfers[0].count, 1);
    assert.ok(c.transfers[0].bytes >= 28_000, String(c.transfers[0].bytes));
    // Task times lie inside the run.
    for (const t of r.model.clusters.get(c.scheduler)!.tasks) assert.ok(t.begin >= 0 && t.end <= s.run.wallSeconds && t.begin <= t.end);
  },
);

test(
  'an external dask-scheduler with two dask-workers: tasks per worker, worker pids, the transfer; the plugin leaves',
  { skip },
  async () => {
    const cluster = await startExternalCluster();
    try {
      const r = await recordDask('dask_remote.py', [cluster.address]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '78\n50000\n');
      const s = r.summary;
      const c = onlyCluster(s);
      assert.equal(c.scheduler, cluster.address);
      assert.equal(c.local, false);
      // Remote workers are not processes of the run.
      assert.equal(s.processes.filter((p) => p.role === 'dask-worker').length, 0);
      assert.deepEqual(
        c.workers.map((w) => w.pid).sort((a, b) => (a ?? 0) - (b ?? 0)),
        [...cluster.workerPids].sort((a, b) => a - b),
      );
      const [w0, w1] = c.workers;
      assert.deepEqual(w0.tasksByPrefix, { inc: 5, part: 1 });
      assert.deepEqual(w1.tasksByPrefix, { inc: 7, part: 1, total: 1 });
      assert.equal(c.tasks, 15);
      assert.equal(c.erred, 0);
      for (const w of c.workers) {
        assert.equal(w.host, '127.0.0.1');
        assert.equal(w.leftAt, null, 'the workers outlive the script');
        assert.match(w.name ?? '', /^w[01]$/);
      }
      assert.deepEqual(c.transfers, [{ from: w0.address, to: w1.address, count: 1, bytes: 20_000 }]);
      // The plugin removed itself from the scheduler when the script's client closed.
      const left = await cluster.ask(
        'print([n for n in client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.plugins)) if n.startswith("forkscope")])',
      );
      assert.equal(left.trim(), '[]');
    } finally {
      await cluster.stop();
    }
  },
);

test('a script that does not use dask does not import distributed under Forkscope', { skip }, async () => {
  const r = await recordDask('dask_absent.py', []);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'False\n');
  assert.equal(r.summary.clusters, undefined);
});

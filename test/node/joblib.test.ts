/**
 * joblib under `forkscope record`, for real: Debian's python3-joblib (joblib 1.2, loky 3.3
 * vendored) with /usr/bin/python3, both backends (`node scripts/test.mjs` installs the package).
 * Each Parallel call is a pool whose tasks are the user's calls and whose chunks are joblib's
 * batches (the script prints joblib's own counts); every batch and its result are messages between
 * main and the worker that ran it; output is byte-identical with and without Forkscope.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { RunReducer } from '../../core/model/reducer';
import { parseRecording } from '../../core/model/recording';
import { summarize, type Summary } from '../../core/summary/summary';
import { CLI, runCommand, SCRIPTS } from './support/run';

export const DEBIAN_PYTHON = '/usr/bin/python3';
const DIR = path.join(SCRIPTS, 'joblib');

/** Why joblib cannot run here, or null. */
export function joblibMissing(): string | null {
  if (!fs.existsSync(DEBIAN_PYTHON)) return `no ${DEBIAN_PYTHON}`;
  const r = spawnSync(DEBIAN_PYTHON, ['-c', 'import joblib'], { encoding: 'utf8' });
  return r.status === 0 ? null : `joblib cannot be imported by ${DEBIAN_PYTHON} (apt-get install python3-joblib)`;
}

/** [tasks, batches] per Parallel call, as the script printed them (joblib's own counts). */
const printed = (out: string): [number, number][] =>
  out
    .trim()
    .split('\n')
    .map((l) => l.split(/\s+/))
    .map((w) => [Number(w[2]), Number(w[4])]);

async function recordJoblib(
  args: string[],
  script = 'parallel.py',
): Promise<{ stdout: string; stderr: string; code: number | null; summary: Summary; plain: { stdout: string; stderr: string } }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-joblib-'));
  const out = path.join(dir, 'run.forkscope');
  try {
    const ran = await runCommand(
      process.execPath,
      [CLI, 'record', '--quiet', '--out', out, '--python', DEBIAN_PYTHON, '--', script, ...args],
      { cwd: DIR, timeoutMs: 120_000 },
    );
    const plain = await runCommand(DEBIAN_PYTHON, [script, ...args], { cwd: DIR, timeoutMs: 120_000 });
    const rec = parseRecording(fs.readFileSync(out, 'utf8'), out);
    return { ...ran, summary: summarize(RunReducer.fromRecords(rec.header, rec.records)), plain };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const flow = (s: Summary, ref: string, from: number, to: number): number =>
  s.channels.find((c) => c.id === ref)?.flows.find((f) => f.from === from && f.to === to)?.messages ?? 0;

const skip = joblibMissing() ?? false;

test(
  'joblib loky backend: workers are loky executor workers; each Parallel call is a pool of its calls and batches',
  { skip },
  async () => {
    const r = await recordJoblib(['loky', '4', '2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, r.plain.stdout);
    assert.equal(r.stderr, r.plain.stderr);
    const s = r.summary;
    const main = s.processes.find((p) => p.role === 'main')!.pid;
    const workers = s.processes.filter((p) => p.role === 'executor-worker');
    assert.equal(workers.length, 2);
    for (const w of workers) {
      assert.equal(w.startMethod, 'loky');
      assert.equal(w.parentPid, main);
      assert.equal(w.exitCode, 0);
    }
    // loky's own resource tracker (forked, then exec'd as `python -c`): its exit code and how its main ended.
    const trackers = s.processes.filter((p) => p.name === 'ResourceTracker (loky)');
    assert.equal(trackers.length, 1, JSON.stringify(s.processes.map((p) => p.name)));
    assert.equal(trackers[0].role, 'resource-tracker');
    assert.equal(trackers[0].exitCode, 0);
    assert.equal(trackers[0].endReason, 'returned');
    const calls = printed(r.stdout);
    assert.deepEqual(
      calls.map((c) => c[0]),
      [40, 41],
    );
    assert.equal(s.pools.length, 2);
    s.pools.forEach((pool, i) => {
      const [tasks, batches] = calls[i];
      assert.equal(pool.kind, 'executor');
      assert.equal(pool.name, 'results');
      assert.equal(pool.library, 'joblib');
      assert.equal(pool.tasks, tasks);
      assert.equal(pool.chunks, batches);
      assert.deepEqual(
        pool.calls.map((c) => [c.method, c.tasks, c.chunksize]),
        [['Parallel', tasks, 4]],
      );
      const byWorker = Object.values(pool.tasksByWorker).reduce((a, b) => a + b, 0);
      assert.equal(byWorker, tasks);
      assert.equal(
        Object.values(pool.chunksByWorker).reduce((a, b) => a + b, 0),
        batches,
      );
      for (const pid of Object.keys(pool.busySecondsByWorker)) assert.ok(workers.some((w) => String(w.pid) === pid));
    });
    // Both calls run on one executor: its queues carry every batch and every result, per worker.
    const tasksRef = s.channels.find((c) => c.name === 'results tasks')!.id;
    const resultsRef = s.channels.find((c) => c.name === 'results results')!.id;
    for (const w of workers) {
      const chunks = s.pools.reduce((n, p) => n + (p.chunksByWorker[w.pid] ?? 0), 0);
      assert.equal(flow(s, resultsRef, w.pid, main), chunks, `results from ${w.pid}`);
      const into = flow(s, tasksRef, main, w.pid);
      assert.ok(into === chunks || into === chunks + 1, `batches to ${w.pid}: ${into} for ${chunks} (+ the shutdown sentinel)`);
    }
  },
);

test('joblib multiprocessing backend: a Pool of pool workers, tasks = calls, chunks = batches, exact flows', { skip }, async () => {
  const r = await recordJoblib(['multiprocessing', '4']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, r.plain.stdout);
  assert.equal(r.stderr, r.plain.stderr);
  const s = r.summary;
  const main = s.processes.find((p) => p.role === 'main')!.pid;
  const workers = s.processes.filter((p) => p.role === 'pool-worker');
  assert.equal(workers.length, 2);
  for (const w of workers) assert.equal(w.startMethod, 'fork');
  const [[tasks, batches]] = printed(r.stdout);
  assert.equal(s.pools.length, 1);
  const pool = s.pools[0];
  assert.equal(pool.kind, 'pool');
  assert.equal(pool.tasks, 40);
  assert.equal(tasks, 40);
  assert.equal(pool.chunks, batches);
  assert.deepEqual(
    pool.calls.map((c) => [c.method, c.tasks, c.chunksize]),
    [['Parallel', 40, 4]],
  );
  assert.deepEqual(
    pool.workers,
    workers.map((w) => w.pid).sort((a, b) => a - b),
  );
  const tasksRef = s.channels.find((c) => c.kind === 'pool' && c.name?.endsWith('tasks'))!.id;
  const resultsRef = s.channels.find((c) => c.kind === 'pool' && c.name?.endsWith('results'))!.id;
  for (const w of workers) {
    const chunks = pool.chunksByWorker[w.pid] ?? 0;
    // its batches, and the stop sentinel when it read it before Pool.terminate() ended it
    const into = flow(s, tasksRef, main, w.pid);
    assert.ok(into === chunks || into === chunks + 1, `batches to ${w.pid}: ${into} for ${chunks}`);
    assert.equal(flow(s, resultsRef, w.pid, main), chunks);
  }
});

test('joblib: the imbalance insight names the Parallel call and the worker that ran the long call', { skip }, async () => {
  const r = await recordJoblib([], 'imbalance.py');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, r.plain.stdout);
  const s = r.summary;
  const pool = s.pools[0];
  assert.equal(pool.tasks, 16);
  assert.equal(pool.chunks, 16);
  const long = Number(Object.entries(pool.busySecondsByWorker).sort((a, b) => b[1] - a[1])[0][0]);
  assert.equal(pool.tasksByWorker[long], 1, 'the long call ran alone on its worker');
  const w = s.warnings.filter((x) => x.kind === 'imbalance');
  assert.equal(w.length, 1, JSON.stringify(s.warnings));
  assert.equal(w[0].pid, long);
  assert.match(w[0].message, /joblib Parallel call .* \(at imbalance\.py:\d+\) is unbalanced/);
});

/**
 * Insights against real runs: a small script per insight provokes it under
 * `forkscope record`, and the test asserts the warning's kind, the real pids
 * of the processes involved, the line of code and the advice. Scripts that
 * must not warn (a healthy Pool, a pipeline with a slow producer) check the
 * false alarms; the samples' warnings are checked in samples.test.ts. Hang scripts break their own deadlock
 * after a few seconds, except the one the test stops itself.
 */

import assert from 'node:assert/strict';
import { fork, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { INSIGHT_KINDS } from '../../core/insights/shared';
import type { RecordLine } from '../../core/model/recording';
import { RunReducer } from '../../core/model/reducer';
import { parseRecording } from '../../core/model/recording';
import { summarize, type Summary, type SummaryWarning } from '../../core/summary/summary';
import { alive, CLI, PYTHON, record, SCRIPTS, type Recorded } from './support/run';

const INSIGHTS = path.join(SCRIPTS, 'insights');
/** A short threshold so hang tests are quick; each script breaks its hang after PATIENCE seconds. */
const HANG = ['--hang-seconds', '1'];
const PATIENCE = '4';

/** The 1-based line of `script` (in test/scripts/insights) that contains `marker`. */
function lineOf(script: string, marker: string): number {
  const lines = fs.readFileSync(path.join(INSIGHTS, script), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(marker));
  assert.ok(i >= 0, `${marker} in ${script}`);
  return i + 1;
}

const pidOf = (s: Summary, name: string): number => {
  const p = s.processes.find((x) => x.name === name);
  assert.ok(p, `${name} in ${JSON.stringify(s.processes.map((x) => x.name))}`);
  return p!.pid;
};
const mainPid = (s: Summary): number => s.processes.find((x) => x.role === 'main')!.pid;

function only(s: Summary, kind: string): SummaryWarning {
  const ws = s.warnings.filter((w) => w.kind === kind);
  assert.equal(ws.length, 1, `one ${kind} warning in ${JSON.stringify(s.warnings, null, 1)}`);
  return ws[0];
}

/** The deadlock warning the supervisor wrote into the recording while the run was going. */
function liveDeadlock(r: Recorded): unknown[] {
  const recs = parseRecording(r.recordingText).records.filter((x) => x[0] === 'warn' && x[2] === 'deadlock');
  assert.equal(recs.length, 1, `one live deadlock record: ${JSON.stringify(recs)}`);
  return recs[0] as unknown[];
}

const runInsight = (script: string, args: string[] = [PATIENCE], cliArgs: string[] = HANG) =>
  record(path.join('insights', script), args, { cliArgs, timeoutMs: 120_000 });

test('deadlock: join before draining a queue names the joiner, the stuck writer, the queue and the join() line', async () => {
  const r = await runInsight('join_before_drain.py');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '1048576 0');
  const s = r.summary;
  const w = only(s, 'deadlock');
  const main = mainPid(s);
  const writer = pidOf(s, 'stuck-writer');
  assert.equal(w.pid, main);
  assert.deepEqual(w.pids, [main, writer]);
  assert.equal(w.severity, 'error');
  assert.equal(path.basename(w.file ?? ''), 'join_before_drain.py');
  assert.equal(w.line, lineOf('join_before_drain.py', 'p.join(timeout=patience)'));
  assert.equal(w.ref, s.channels.find((c) => c.name === 'q')!.id);
  assert.match(w.message, new RegExp(`main \\(pid ${main}\\) waits in join\\(stuck-writer \\(pid ${writer}\\)\\)`));
  assert.match(w.message, /1\.0 MiB on Queue q/);
  assert.match(w.message, /Read the queue before joining/);
  // Found live: the record carries the same fields, and `since` is when the join began.
  const rec = liveDeadlock(r);
  const extra = rec[5] as { pids: number[]; line: number; since: number };
  assert.deepEqual(extra.pids, [main, writer]);
  assert.equal(extra.line, w.line);
  const mainWaits = r.model.byPid.get(main)!.waits.filter((x) => x.what === 'join');
  assert.ok(Math.abs(extra.since - mainWaits[0].begin) < 0.5, `since ${extra.since} vs join at ${mainWaits[0].begin}`);
});

test('deadlock: two processes each waiting to get from the other (a cycle)', async () => {
  const r = await runInsight('mutual_get.py');
  assert.equal(r.code, 0, r.stderr);
  const s = r.summary;
  const w = only(s, 'deadlock');
  const alice = pidOf(s, 'alice');
  const bob = pidOf(s, 'bob');
  assert.deepEqual(new Set(w.pids), new Set([mainPid(s), alice, bob]));
  assert.match(w.message, new RegExp(`alice \\(pid ${alice}\\) waits in get\\(\\) on Queue b_to_a`));
  assert.match(w.message, new RegExp(`bob \\(pid ${bob}\\) waits in get\\(\\) on Queue a_to_b`));
  assert.match(w.message, /a cycle/);
  assert.match(w.message, /send before it receives/);
  assert.equal(w.line, lineOf('mutual_get.py', 'inbox.get(timeout=patience)'));
  liveDeadlock(r);
});

test('deadlock: a lock never released by a dead process', async () => {
  const r = await runInsight('dead_lock_holder.py');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'gave up 3');
  const s = r.summary;
  const w = only(s, 'deadlock');
  const holder = pidOf(s, 'holder');
  assert.deepEqual(w.pids, [mainPid(s), holder]);
  assert.equal(w.ref, s.locks.find((l) => l.name === 'lock')!.id);
  assert.equal(w.line, lineOf('dead_lock_holder.py', 'lock.acquire(timeout=patience)'));
  assert.match(w.message, /waits to acquire Lock lock/);
  assert.match(w.message, new RegExp(`holder \\(pid ${holder}\\) ended \\(exit code 3\\)`));
  assert.match(w.message, /not released when the process holding it dies/);
  liveDeadlock(r);
});

test('deadlock: a Pool whose worker died in a task', async () => {
  const r = await runInsight('pool_worker_died.py');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'gave up');
  const s = r.summary;
  const w = only(s, 'deadlock');
  const dead = s.processes.filter((p) => p.role === 'pool-worker' && p.exitCode === 1);
  assert.equal(dead.length, 1, JSON.stringify(s.processes));
  assert.equal(w.pid, mainPid(s));
  assert.ok(w.pids.includes(dead[0].pid), `the dead worker ${dead[0].pid} in ${w.pids}`);
  assert.equal(w.ref, s.pools[0].id);
  assert.equal(w.line, lineOf('pool_worker_died.py', 'result.get(timeout=patience)'));
  assert.match(w.message, new RegExp(`${dead[0].name} \\(pid ${dead[0].pid}\\) died \\(exit code 1\\)`));
  assert.match(w.message, /never resubmits/);
  assert.match(w.message, /ProcessPoolExecutor/);
  liveDeadlock(r);
});

test('deadlock: get() on a queue nobody will ever put to', async () => {
  const r = await runInsight('get_nobody_puts.py');
  assert.equal(r.code, 0, r.stderr);
  const s = r.summary;
  const w = only(s, 'deadlock');
  assert.deepEqual(w.pids, [mainPid(s)]);
  assert.equal(w.ref, s.channels.find((c) => c.name === 'results')!.id);
  assert.equal(w.line, lineOf('get_nobody_puts.py', 'results.get(timeout=patience)'));
  assert.match(w.message, /No other live process will ever put to it/);
  assert.match(w.message, new RegExp(`forgetful \\(pid ${pidOf(s, 'forgetful')}\\) ended without putting anything`));
  liveDeadlock(r);
});

test('deadlock: JoinableQueue.join() without task_done() in the worker', async () => {
  const r = await runInsight('missing_task_done.py');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'joined');
  const s = r.summary;
  const w = only(s, 'deadlock');
  assert.deepEqual(w.pids, [mainPid(s), pidOf(s, 'worker')]);
  assert.equal(w.ref, s.channels.find((c) => c.name === 'jobs')!.id);
  assert.equal(w.line, lineOf('missing_task_done.py', 'jobs.join()'));
  assert.match(w.message, /task_done\(\) has been called once for every item put on it \(3 put so far\)/);
  assert.match(w.message, /Call jobs\.task_done\(\)/);
  liveDeadlock(r);
});

test('deadlock: put() on a full Queue that nobody empties', async () => {
  const r = await runInsight('full_queue.py');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'gave up');
  const s = r.summary;
  const w = only(s, 'deadlock');
  assert.deepEqual(w.pids, [mainPid(s)]);
  assert.equal(w.ref, s.channels.find((c) => c.name === 'items')!.id);
  assert.equal(w.line, lineOf('full_queue.py', 'items.put(i, timeout=patience)'));
  assert.match(w.message, /waits in put\(\) on the full Queue items/);
  assert.match(w.message, /Start the consumers before filling the queue/);
  liveDeadlock(r);
});

test('deadlock: the warn record is in the recording file while the run still hangs, and the summary of the stopped run shows it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-hang-'));
  const out = path.join(dir, 'run.forkscope');
  const child = spawn(
    process.execPath,
    [CLI, 'record', '--out', out, '--python', PYTHON, ...HANG, '--', path.join('insights', 'mutual_get.py')],
    {
      cwd: SCRIPTS,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let pids: number[] = [];
  try {
    const deadline = Date.now() + 60_000;
    let text = '';
    while (Date.now() < deadline) {
      text = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
      if (text.includes('"deadlock"')) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(text.includes('"deadlock"'), `no deadlock record within 60 s: ${stderr}`);
    const live = parseRecording(text);
    assert.ok(!live.records.some((r) => r[0] === 'end'), 'the run is still going');
    const liveModel = RunReducer.fromRecords(live.header, live.records);
    pids = liveModel.processes.map((p) => p.pid);
    const hung = liveModel.processes.filter((p) => p.name === 'alice' || p.name === 'bob');
    assert.equal(hung.length, 2);
    for (const p of hung) assert.ok(alive(p.pid), `${p.name} still hangs when the warning is written`);
    // A recording cut off while hung (the recorder killed: no end record, waits still open) shows it too.
    const cut = summarize(
      RunReducer.fromRecords(
        live.header,
        live.records.filter((r) => r[0] !== 'warn'),
      ),
      { hangSeconds: 1 },
    );
    assert.deepEqual(new Set(only(cut, 'deadlock').pids), new Set([liveModel.run.mainPid!, ...hung.map((p) => p.pid)]));

    child.kill('SIGTERM');
    await exited;
    const rec = parseRecording(fs.readFileSync(out, 'utf8'));
    const s = summarize(RunReducer.fromRecords(rec.header, rec.records));
    assert.equal(s.run.stopped, true);
    const w = only(s, 'deadlock');
    assert.deepEqual(new Set(w.pids), new Set([s.processes.find((p) => p.role === 'main')!.pid, ...hung.map((p) => p.pid)]));

    // Without the live record (a recording made with the detector off), the summary still finds the hang.
    const withoutLive = rec.records.filter((r) => !(r[0] === 'warn' && r[2] === 'deadlock'));
    const s2 = summarize(RunReducer.fromRecords(rec.header, withoutLive), { hangSeconds: 1 });
    const w2 = only(s2, 'deadlock');
    assert.deepEqual(new Set(w2.pids), new Set(w.pids));
  } finally {
    for (const target of [-child.pid!, ...pids.filter(alive)]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('deadlock: streamed live over --ipc (what the extension gets) before the script breaks out', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-hang-ipc-'));
  const out = path.join(dir, 'run.forkscope');
  const child = fork(
    CLI,
    [
      'record',
      '--ipc',
      '--out',
      out,
      '--python',
      PYTHON,
      '--hang-seconds',
      '1',
      '--',
      path.join('insights', 'get_nobody_puts.py'),
      PATIENCE,
    ],
    {
      cwd: SCRIPTS,
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    },
  );
  try {
    const seen: { warnAt: number | null; exitedAt: number | null } = { warnAt: null, exitedAt: null };
    const ended = new Promise<void>((resolve) => {
      let n = 0;
      child.on('message', (m: { type: string; records?: RecordLine[] }) => {
        for (const r of m.records ?? []) {
          n++;
          if (r[0] === 'warn' && r[2] === 'deadlock' && seen.warnAt === null) seen.warnAt = n;
          if (r[0] === 'exited') seen.exitedAt = n;
        }
        if (m.type === 'end') resolve();
      });
      child.on('exit', () => setTimeout(resolve, 100));
    });
    await ended;
    assert.ok(seen.warnAt !== null, 'a deadlock record was streamed');
    assert.ok(seen.exitedAt !== null && seen.warnAt < seen.exitedAt, 'while the script was still running');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--hang-seconds 0 turns the live detector off; the summary still finds the hang in the recording', async () => {
  const r = await runInsight('join_before_drain.py', [PATIENCE], ['--hang-seconds', '0']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(!parseRecording(r.recordingText).records.some((x) => x[0] === 'warn'), 'no live warn record');
  const w = only(r.summary, 'deadlock');
  assert.deepEqual(w.pids, [mainPid(r.summary), pidOf(r.summary, 'stuck-writer')]);
});

test('no deadlock: a pipeline whose producer is legitimately slow (computing, then sleeping) does not warn', async () => {
  const r = await runInsight('slow_producer.py', [], HANG);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    r.summary.warnings.map((w) => w.kind),
    [],
  );
});

test('no warning: a healthy Pool', async () => {
  const r = await runInsight('healthy_pool.py', [], HANG);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    r.summary.warnings.map((w) => w.kind),
    [],
  );
});

test('imbalance: the busiest worker, its chunk, and a smaller chunksize with the reason', async () => {
  const r = await runInsight('imbalance.py', []);
  assert.equal(r.code, 0, r.stderr);
  const s = r.summary;
  assert.ok(
    s.warnings.some((x) => x.kind === 'imbalance'),
    `busy seconds ${JSON.stringify(s.pools[0]?.busySecondsByWorker)}`,
  );
  const w = only(s, 'imbalance');
  const pool = s.pools[0];
  const busiest = Object.entries(pool.busySecondsByWorker).sort((a, b) => b[1] - a[1])[0];
  assert.equal(w.pid, Number(busiest[0]));
  assert.deepEqual(new Set(w.pids), new Set(pool.workers.filter((x) => pool.tasksByWorker[x])));
  assert.equal(w.ref, pool.id);
  assert.equal(w.line, lineOf('imbalance.py', 'mp.Pool(2)'));
  assert.match(w.message, /job 0 chunk 0 \(4 items/);
  assert.match(w.message, /With chunksize=4 the 8 tasks went out in only 2 chunks for 2 workers/);
  assert.match(w.message, /Use a smaller chunksize \(chunksize=1/);
  assert.deepEqual(
    s.warnings.map((x) => x.kind),
    ['imbalance'],
  );
});

test('imbalance in a ProcessPoolExecutor too', async () => {
  const r = await runInsight('imbalance_executor.py', []);
  assert.equal(r.code, 0, r.stderr);
  const s = r.summary;
  const w = only(s, 'imbalance');
  assert.equal(s.pools[0].kind, 'executor');
  assert.equal(w.ref, s.pools[0].id);
  assert.equal(w.line, lineOf('imbalance_executor.py', 'ProcessPoolExecutor(2)'));
  assert.match(w.message, /^ProcessPoolExecutor executor .* is unbalanced/);
  assert.match(w.message, /With chunksize=4 the 8 tasks went out in only 2 chunks for 2 workers/);
});

test('overhead: tiny tasks one per message, workers waiting for data', async () => {
  const r = await runInsight('overhead.py', []);
  assert.equal(r.code, 0, r.stderr);
  const s = r.summary;
  const w = only(s, 'overhead');
  assert.equal(w.pid, mainPid(s));
  assert.deepEqual(new Set(w.pids), new Set([mainPid(s), ...s.pools[0].workers]));
  assert.equal(w.ref, s.pools[0].id);
  assert.equal(w.line, lineOf('overhead.py', 'mp.Pool(2)'));
  assert.match(w.message, /20000 chunks averaged [\d.]+ ms of work each and moved [\d.]+ MiB/);
  assert.match(w.message, /Pass a larger chunksize \(chunksize=2500/);
  assert.deepEqual(
    s.warnings.map((x) => x.kind).filter((k) => INSIGHT_KINDS.has(k)),
    ['overhead'],
  );
});

test('overhead on a Queue: one small message per item', async () => {
  const r = await runInsight('queue_flood.py', []);
  assert.equal(r.code, 0, r.stderr);
  const s = r.summary;
  const w = only(s, 'overhead');
  const ends = [mainPid(s), pidOf(s, 'producer-0'), pidOf(s, 'producer-1')];
  assert.deepEqual(new Set(w.pids), new Set(ends));
  assert.equal(w.ref, s.channels.find((c) => c.name === 'items')!.id);
  assert.equal(w.line, lineOf('queue_flood.py', 'items = mp.Queue()'));
  assert.match(w.message, /carried 150000 messages/);
  assert.match(w.message, /Send items in batches/);
});

test('starvation: idle workers on an empty queue while the producer is the bottleneck', async () => {
  const r = await runInsight('starvation.py', []);
  assert.equal(r.code, 0, r.stderr);
  const s = r.summary;
  const w = only(s, 'starvation');
  const workers = ['worker-0', 'worker-1', 'worker-2'].map((n) => pidOf(s, n));
  assert.equal(w.pid, mainPid(s));
  assert.deepEqual(new Set(w.pids), new Set([mainPid(s), ...workers]));
  assert.equal(w.ref, s.channels.find((c) => c.name === 'tasks')!.id);
  assert.equal(w.line, lineOf('starvation.py', 'tasks = mp.Queue()'));
  assert.match(w.message, /the producer is the bottleneck/);
  assert.match(w.message, /fewer workers/);
  assert.deepEqual(
    s.warnings.map((x) => x.kind),
    ['starvation'],
  );
});

test("starvation: Pool workers idle while imap's input generator is the bottleneck", async () => {
  const r = await runInsight('starving_pool.py', []);
  assert.equal(r.code, 0, r.stderr);
  const s = r.summary;
  const w = only(s, 'starvation');
  assert.equal(w.pid, mainPid(s));
  assert.deepEqual(new Set(w.pids), new Set([mainPid(s), ...s.pools[0].workers.filter((x) => s.pools[0].tasksByWorker[x])]));
  assert.equal(w.line, lineOf('starving_pool.py', 'mp.Pool(3)'));
  assert.match(w.message, /waiting in get\(\) on Pool channel pool tasks/);
  assert.deepEqual(
    s.warnings.map((x) => x.kind),
    ['starvation'],
  );
});

test('too-many-processes: more CPU-bound processes than cores', async () => {
  const r = await runInsight('too_many.py', []);
  assert.equal(r.code, 0, r.stderr);
  const s = r.summary;
  const w = only(s, 'too-many-processes');
  const spinners = s.processes.filter((p) => p.name.startsWith('spinner-')).map((p) => p.pid);
  assert.equal(spinners.length, 2 * s.run.cpuCount + 1);
  assert.ok(w.pids.length > s.run.cpuCount, `${w.pids} busy at once`);
  for (const pid of w.pids) assert.ok(spinners.includes(pid) || pid === mainPid(s), `${pid} is a spinner`);
  assert.match(w.message, new RegExp(`Use at most ${s.run.cpuCount} CPU-bound processes`));
  assert.match(w.message, /of a core each/);
  assert.match(w.message, /together they spent about [\d.]+ s ready to run but waiting for a core/);
  assert.ok(s.run.efficiency !== null && s.run.efficiency <= 1.05, `efficiency ${s.run.efficiency}`);
  // Busy = used a core for at least a tenth of the run; on a loaded machine a spinner may get less.
  const busy = s.processes.filter(
    (p) => p.cpuSeconds > 0 && p.cpuSeconds >= 0.1 * s.run.wallSeconds && p.role !== 'resource-tracker' && p.role !== 'forkserver',
  );
  assert.equal(s.run.busyProcesses, busy.length);
  assert.ok(
    busy.every((p) => spinners.includes(p.pid) || p.pid === mainPid(s)),
    'only the spinners (and main) are busy',
  );
});

test('unjoined: a child reaped in passing, never joined', async () => {
  const r = await runInsight('unjoined.py', []);
  assert.equal(r.code, 0, r.stderr);
  const s = r.summary;
  const w = only(s, 'unjoined');
  assert.deepEqual(w.pids, [pidOf(s, 'forgotten'), mainPid(s)]);
  assert.equal(w.severity, 'info');
  assert.match(w.message, /never joined/);
  assert.match(w.message, /Call join\(\)/);
});

test('terminated-holding-lock: terminate() of a process busy with a Lock and a Queue', async () => {
  const r = await runInsight('terminated_holding_lock.py', []);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), '-15');
  const s = r.summary;
  const w = only(s, 'terminated-holding-lock');
  assert.deepEqual(w.pids, [pidOf(s, 'busy'), mainPid(s)]);
  assert.equal(w.ref, s.locks.find((l) => l.name === 'lock')!.id);
  assert.match(w.message, /terminated \(SIGTERM\)/);
  assert.match(w.message, /Lock lock/);
  assert.match(w.message, /Queue q/);
  assert.match(w.message, /sentinel/);
});

test('daemon-with-children: a daemon process that starts a child', async () => {
  const r = await runInsight('daemon_with_children.py', []);
  assert.equal(r.code, 0, r.stderr);
  const s = r.summary;
  const w = only(s, 'daemon-with-children');
  assert.deepEqual(w.pids, [pidOf(s, 'keeper')]);
  assert.equal(w.severity, 'error');
  assert.match(w.message, /daemonic processes are not allowed to have children/);
  assert.match(w.message, /daemon=False/);
});

/**
 * Insights against real runs: a small script per insight provokes it under
 * `forkscope record`, and the test asserts the warning's kind, the real pids
 * of the processes involved, the line of code and the advice. Scripts that
 * must not warn (a healthy Pool, a pipeline with a slow producer, the
 * samples) check the false alarms. Hang scripts break their own deadlock
 * after a few seconds, except the one the test stops itself.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { INSIGHT_KINDS } from '../../extension/model/insights';
import { RunReducer } from '../../extension/model/model';
import { parseRecording } from '../../extension/model/recording';
import { summarize, type Summary, type SummaryWarning } from '../../extension/model/summary';
import { alive, CLI, PYTHON, record, ROOT, SCRIPTS, type Recorded } from './support/run';

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

test('deadlock: the warn record is in the recording file while the run still hangs, and the summary of the stopped run shows it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-hang-'));
  const out = path.join(dir, 'run.forkscope');
  const child = spawn(process.execPath, [CLI, 'record', '--out', out, '--python', PYTHON, ...HANG, '--', path.join('insights', 'mutual_get.py')], {
    cwd: SCRIPTS,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
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

test('no deadlock: a pipeline whose producer is legitimately slow (computing, then sleeping) does not warn', async () => {
  const r = await runInsight('slow_producer.py', [], HANG);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.summary.warnings.map((w) => w.kind), []);
});

test('no warning: a healthy Pool', async () => {
  const r = await runInsight('healthy_pool.py', [], HANG);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.summary.warnings.map((w) => w.kind), []);
});

test('the samples warn only where they should (13 deadlock, 11 zombie, 12 orphan)', async () => {
  const expected: Record<string, string[]> = {
    '11_zombie.py': ['zombie'],
    '12_orphan.py': ['orphan'],
    '13_deadlock.py': ['deadlock'],
  };
  const dir = path.join(ROOT, 'samples');
  const samples = fs.readdirSync(dir).filter((f) => /^\d\d_.*\.py$/.test(f));
  assert.ok(samples.length >= 13);
  for (const f of samples) {
    const r = await record(path.join(dir, f), [], { cwd: dir, timeoutMs: 120_000 });
    assert.equal(r.code, 0, `${f}: ${r.stderr}`);
    // Only the insights' kinds: the supervisor's own (left-running, …) are tested elsewhere.
    const kinds = [...new Set(r.summary.warnings.map((w) => w.kind).filter((k) => INSIGHT_KINDS.has(k)))].sort();
    assert.deepEqual(kinds, expected[f] ?? [], `${f}: ${JSON.stringify(r.summary.warnings, null, 1)}`);
  }
});

/**
 * `forkscope record` end to end: real Python, real processes, under every
 * start method the platform offers, asserting on the summary (the public
 * contract) reduced from the recording the CLI wrote.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRecording } from '../../core/model/recording';
import { type SummaryProcess } from '../../core/summary/summary';
import { plainRun, PYTHON, record, startMethods } from './support/run';

const methods = startMethods();
const byName = (ps: SummaryProcess[]) => Object.fromEntries(ps.map((p) => [p.name, p]));

for (const method of methods) {
  test(`lifecycle under ${method}: tree, roles, exit codes, joins, zombie time`, async () => {
    const r = await record('lifecycle.py', [method]);
    assert.equal(r.code, 0, r.stderr);
    const s = r.summary;
    const p = byName(s.processes);
    const main = s.processes.find((x) => x.role === 'main')!;
    assert.ok(main, 'main process recorded');
    assert.equal(main.exitCode, 0);
    for (const name of ['ok', 'boom', 'three', 'killed', 'termed', 'zombie', 'nested']) {
      assert.ok(p[name], `${name} recorded`);
      assert.equal(p[name].parentPid, main.pid, `${name}'s parent`);
      assert.equal(p[name].role, 'process');
      assert.equal(p[name].startMethod, method);
      assert.equal(p[name].joined, true, `${name} joined`);
      assert.deepEqual(p[name].joinedBy, [main.pid]);
    }
    assert.equal(p.ok.exitCode, 0);
    assert.match(p.ok.target!, /^(__main__|__mp_main__)\.ok$/);
    assert.equal(p.boom.exitCode, 1);
    assert.match(p.boom.error ?? '', /ValueError: bad input/);
    assert.equal(p.three.exitCode, 3);
    assert.equal(p.killed.exitCode, -9);
    assert.equal(p.termed.exitCode, -15);
    assert.equal(p.nested.exitCode, 0);
    assert.ok(p.grandchild, 'grandchild recorded');
    assert.equal(p.grandchild.parentPid, p.nested.pid);
    // Exited right away, joined ~1.3 s later.
    assert.ok(p.zombie.zombieSeconds > 0.8 && p.zombie.zombieSeconds < 5, `zombie seconds ${p.zombie.zombieSeconds}`);
    assert.ok(p.ok.endedAt !== null && p.ok.startedAt <= p.ok.endedAt);
    // The main process waited in join for the sleepers to die.
    assert.ok((main.waits.join ?? 0) + (main.waits.sleep ?? 0) > 1, JSON.stringify(main.waits));
    assert.ok(main.waits.sleep >= 0.95, `main slept 1 s: ${JSON.stringify(main.waits)}`);
    assert.equal(r.stdout.trim().split('\n').length, 7);
  });

  test(`orphan under ${method}: a grandchild outlives its parent`, async () => {
    const r = await record('orphan.py', [method]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'still here\n');
    const p = byName(r.summary.processes);
    assert.ok(p.middle && p.grandchild, JSON.stringify(r.summary.processes.map((x) => x.name)));
    assert.equal(p.grandchild.parentPid, p.middle.pid);
    assert.equal(p.grandchild.orphaned, true);
    assert.equal(p.middle.orphaned, false);
    assert.equal(p.middle.exitCode, 0);
  });

  test(`flows under ${method}: exact counts on every kind of channel, in each direction`, async () => {
    const r = await record('flows.py', [method]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '2450 7 10 [0, 1, 2, 3] 2470 140 (5, 3)\n');
    const s = r.summary;
    const p = byName(s.processes);
    const main = s.processes.find((x) => x.role === 'main')!;
    const named = (kind: string, name: string) => {
      const c = s.channels.find((x) => x.kind === kind && x.name === name);
      assert.ok(c, `${kind} ${name} in ${JSON.stringify(s.channels.map((x) => [x.kind, x.name]))}`);
      return c!;
    };
    const flow = (c: { flows: { from: number; to: number; messages: number }[] }, from: number, to: number) =>
      c.flows.find((f) => f.from === from && f.to === to)?.messages ?? 0;

    const q = named('queue', 'q');
    assert.equal(q.messages, 100);
    assert.equal(flow(q, p['producer-0'].pid, main.pid), 50);
    assert.equal(flow(q, p['producer-1'].pid, main.pid), 50);
    assert.ok(q.bytes > 100);

    const sq = named('simplequeue', 'sq');
    assert.equal(flow(sq, p.simple.pid, main.pid), 7);

    const jq = named('joinablequeue', 'jq');
    assert.equal(flow(jq, main.pid, p.joinable.pid), 5);

    const duplex = s.channels.find((c) => c.kind === 'pipe' && c.name === 'here/there')!;
    assert.ok(duplex, 'the duplex pipe is one named channel');
    assert.equal(flow(duplex, main.pid, p.ponger.pid), 10);
    assert.equal(flow(duplex, p.ponger.pid, main.pid), 10);

    const simplex = s.channels.find((c) => c.kind === 'pipe' && c.name === 'r/w')!;
    assert.ok(simplex, 'the simplex pipe is one named channel');
    assert.equal(flow(simplex, p.simplex.pid, main.pid), 4);

    const pool = s.pools.find((x) => x.kind === 'pool')!;
    assert.ok(pool, 'pool recorded');
    assert.equal(pool.workers.length, 2);
    assert.equal(pool.tasks, 20);
    assert.equal(pool.chunks, 4);
    assert.deepEqual(
      pool.calls.map((c) => [c.method, c.tasks, c.chunksize]),
      [['map', 20, 5]],
    );
    for (const w of pool.workers) assert.equal(s.processes.find((x) => x.pid === w)!.role, 'pool-worker');

    const ex = s.pools.find((x) => x.kind === 'executor')!;
    assert.ok(ex, 'executor recorded');
    assert.equal(ex.tasks, 8);
    for (const w of ex.workers) assert.equal(s.processes.find((x) => x.pid === w)!.role, 'executor-worker');
    assert.ok(ex.workers.length >= 1 && ex.workers.length <= 2);

    const server = s.processes.find((x) => x.role === 'manager')!;
    assert.ok(server, 'manager server recorded');
    const mgr = s.channels.find((c) => c.kind === 'manager')!;
    assert.ok(mgr, 'manager channel recorded');
    // 5 __setitem__ + 3 append (+ __len__ x2 and the proxies' own bookkeeping calls).
    assert.equal(mgr.methods?.__setitem__, 5);
    assert.equal(mgr.methods?.append, 3);
    assert.ok(flow(mgr, main.pid, server.pid) >= 10);
    assert.ok(flow(mgr, server.pid, main.pid) >= 10);
  });

  test(`lock contention under ${method}`, async () => {
    const r = await record('contention.py', [method]);
    assert.equal(r.code, 0, r.stderr);
    const lock = r.summary.locks.find((l) => l.name === 'lock')!;
    assert.ok(lock, JSON.stringify(r.summary.locks));
    assert.equal(lock.kind, 'Lock');
    assert.equal(lock.acquisitions, 40);
    assert.ok(lock.contended >= 1, `contended ${lock.contended}`); // (the workers start together: contention.py)
    assert.ok(lock.contendedSeconds > 0.05, `contended seconds ${lock.contendedSeconds}`);
    const w = byName(r.summary.processes);
    assert.ok((w.w0.waits.lock ?? 0) + (w.w1.waits.lock ?? 0) > 0.05);
  });

  test(`output, traceback and exit code are byte-identical with and without Forkscope (${method})`, async () => {
    const plain = await plainRun('fidelity.py', [method, 'exit']);
    const r = await record('fidelity.py', [method, 'exit']);
    assert.equal(plain.code, 3);
    assert.equal(r.code, plain.code);
    assert.equal(r.stdout, plain.stdout);
    assert.equal(r.stderr, plain.stderr);
    assert.match(r.stderr, /RuntimeError: child 1 failed on purpose/);
  });
}

test('the recording is written as the run goes and ends with an end record', async () => {
  const r = await record('contention.py', [methods[0]]);
  const rec = parseRecording(r.recordingText);
  assert.equal(rec.header.script, 'contention.py');
  assert.equal(rec.header.python, PYTHON);
  const kinds = new Set(rec.records.map((x) => x[0]));
  for (const k of ['spawned', 'hello', 'ev', 'sample', 'exited', 'bye', 'end']) assert.ok(kinds.has(k as never), `has ${k}`);
  assert.equal(rec.records[rec.records.length - 1][0], 'end');
});

test('-m MODULE runs a module as python -m would', async () => {
  const plain = await plainRun('-m', ['json.tool', '--help']);
  const r = await record('-m', ['json.tool', '--help']);
  assert.equal(r.code, plain.code);
  assert.equal(r.stdout, plain.stdout);
  assert.equal(r.summary.run.module, 'json.tool');
});

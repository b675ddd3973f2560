import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunReducer, stateBands, stateSeconds } from '../../extension/model/model';
import { summarize } from '../../extension/model/summary';
import { formatSummary } from '../../extension/model/summaryText';
import { queueRun, RunBuilder } from '../builders/runBuilder';

const reduce = (b: RunBuilder) => RunReducer.fromRecords(b.head, b.records);

test('tree, roles, identity and exit codes from a queue run', () => {
  const m = reduce(queueRun());
  const s = summarize(m);
  assert.equal(s.schema, 'forkscope.summary/1');
  assert.deepEqual(
    s.processes.map((p) => [p.pid, p.parentPid, p.role, p.name, p.exitCode]),
    [
      [100, null, 'main', 'MainProcess', 0],
      [101, 100, 'process', 'Process-1', 0],
    ],
  );
  const w = s.processes[1];
  assert.equal(w.target, '__main__.work');
  assert.equal(w.startMethod, 'fork');
  assert.equal(w.joined, true);
  assert.deepEqual(w.joinedBy, [100]);
  assert.equal(w.cpuSeconds, 0.3);
  assert.equal(w.peakRssBytes, 10_000_000);
  assert.equal(s.run.exitCode, 0);
  assert.equal(s.run.wallSeconds, 1.7);
});

test('zombie time runs from exit to the parent reaping it', () => {
  const s = summarize(reduce(queueRun()));
  const w = s.processes.find((p) => p.pid === 101)!;
  assert.equal(w.endedAt, 0.5);
  assert.equal(w.zombieSeconds, 1);
  assert.equal(w.stateSeconds.zombie, 1);
  assert.equal(w.orphaned, false);
});

test('waits become waiting bands and state seconds add up to the life', () => {
  const m = reduce(queueRun());
  const main = m.byPid.get(100)!;
  const bands = stateBands(main, m.run.wallSeconds);
  const waiting = bands.filter((b) => b.state === 'waiting');
  assert.deepEqual(
    waiting.map((b) => [b.what, b.ref, +b.begin.toFixed(3), +b.end.toFixed(3)]),
    [
      ['queue.get', 'p11', 0.13, 0.3],
      ['join', '100:1', 1, 1.5],
    ],
  );
  const s = stateSeconds(main, m.run.wallSeconds);
  assert.ok(Math.abs(s.running + s.waiting + (s.starting ?? 0) - (main.endedAt! - main.startedAt)) < 1e-9);
  assert.equal(bands[0].state, 'starting', 'the main process starts with "starting Python" until its first event');
  assert.equal(bands[0].end, main.bootAt);
});

test('flows come from the receiver side with exact counts; the channel keeps its name', () => {
  const s = summarize(reduce(queueRun()));
  const q = s.channels.find((c) => c.name === 'q')!;
  assert.equal(q.kind, 'queue');
  assert.equal(q.messages, 3);
  assert.equal(q.bytes, 300);
  assert.deepEqual(q.flows.map((f) => [f.from, f.to, f.messages, f.bytes]), [[101, 100, 3, 300]]);
  assert.equal(q.flows[0].latencyMeanSeconds, 0.05);
  assert.equal(s.run.detail.recorded, 1);
  assert.equal(s.run.detail.sampledOut, 2);
  // Two messages only counted is no note (DETAIL_SAMPLED_NOTICE); run.detail says it exactly.
  assert.ok(!s.warnings.some((w) => w.kind === 'detail-sampled'));
});

test('a sampled flow: latency is the mean over the timed messages (latencyN), counts stay exact', () => {
  const b = new RunBuilder();
  b.spawned(0, 1)
    .hello(0, 1, 0)
    .hello(0.1, 2, 1)
    .ev(1, ['chan', 0.05, { ref: 'p700', kind: 'queue', name: 'q', refs: ['p700'] }])
    // 1,000 messages, 10 of them timed (0.5 s of latency in all): mean 0.05 s, not 0.0005 s.
    .ev(1, ['ctr', 0.3, { recv: { 'p700 2': [1000, 8000, 0.5, 0.2, 10] }, dropped: 990, detail: 10 }])
    // Four numbers (a recording made before sampling): every message was timed.
    .ev(1, ['ctr', 0.31, { recv: { 'p700 1': [4, 32, 0.4, 0.1] } }])
    .end(1);
  const sampled = summarize(reduce(b));
  const note = sampled.warnings.find((w) => w.kind === 'detail-sampled');
  assert.ok(note && /10 messages\/tasks were recorded in detail and 990 were only counted/.test(note.message), 'most messages only counted: a note says so');
  const q = sampled.channels.find((c) => c.name === 'q')!;
  assert.deepEqual(q.flows.map((f) => [f.from, f.to, f.messages, f.bytes, f.latencyMeanSeconds, f.latencyMaxSeconds]), [
    [1, 1, 4, 32, 0.1, 0.1],
    [2, 1, 1000, 8000, 0.05, 0.2],
  ]);
});

test('a duplex pipe declared with two refs is one channel whatever order events arrive in', () => {
  const b = new RunBuilder();
  b.spawned(0, 1)
    .hello(0, 1, 0)
    .hello(0.1, 2, 1)
    // The child's receive arrives before the parent's declaration of the pipe.
    .ev(2, ['ctr', 0.2, { recv: { p501: [2, 20, 0, 0] } }])
    .ev(2, ['ctr', 0.21, { recv: { 'p501 1': [2, 20, 0.002, 0.001] } }])
    .ev(1, ['chan', 0.05, { ref: 'p500', kind: 'pipe', name: 'parent_conn', refs: ['p500', 'p501'] }])
    .ev(1, ['ctr', 0.3, { recv: { 'p500 2': [1, 8, 0, 0] }, sent: { p500: [2, 20] } }])
    .end(1);
  const s = summarize(reduce(b));
  const pipes = s.channels.filter((c) => c.kind === 'pipe');
  assert.equal(pipes.length, 1);
  assert.equal(pipes[0].name, 'parent_conn');
  assert.deepEqual(pipes[0].flows.map((f) => [f.from, f.to, f.messages]), [
    [1, 2, 2],
    [2, 1, 1],
  ]);
});

test('a child whose parent died while it lived is an orphan; a sample seeing re-parenting marks it too', () => {
  const b = new RunBuilder();
  b.spawned(0, 10)
    .ev(10, ['proc', 0, { pid: 10, role: 'main', name: 'MainProcess' }])
    .ev(10, ['create', 0.1, { key: '10:1', name: 'middle', role: 'process' }], ['started', 0.1, '10:1', 11])
    .ev(11, ['create', 0.2, { key: '11:1', name: 'grandchild', role: 'process' }], ['started', 0.2, '11:1', 12])
    .sample(0.3, [[12, 0, 0, 'S', 11, 0]])
    .ev(11, ['exit', 0.5, 0, 0, 0])
    .sample(0.6, [[12, 0, 0, 'S', 1, 0]])
    .ev(12, ['exit', 1.5, 0, 0, 0])
    .ev(10, ['exit', 2, 0, 0, 0])
    .exited(2, 0)
    .end(2.1);
  const s = summarize(reduce(b));
  const byName = Object.fromEntries(s.processes.map((p) => [p.name, p]));
  assert.equal(byName.grandchild.orphaned, true);
  assert.equal(byName.grandchild.parentPid, 11);
  assert.equal(byName.middle.orphaned, false);
  assert.equal(byName.MainProcess.orphaned, false);
});

test('a process killed by a signal: exit code from the parent, end from its stream closing', () => {
  const b = new RunBuilder();
  b.spawned(0, 1)
    .ev(1, ['create', 0.1, { key: '1:1', name: 'victim', role: 'process' }], ['started', 0.1, '1:1', 2])
    .hello(0.1, 2, 1)
    .ev(2, ['run', 0.11, '1:1'])
    .bye(0.7, 2)
    .ev(1, ['reap', 0.72, 2, -9], ['join', 0.72, '1:1', 0.69, -9])
    .end(1);
  const s = summarize(reduce(b));
  const v = s.processes.find((p) => p.pid === 2)!;
  assert.equal(v.exitCode, -9);
  assert.equal(v.endedAt, 0.7);
  assert.ok(formatSummary(s).includes('-9 (killed by SIGKILL)'));
});

test('pools: tasks, chunks and busy time per worker from the workers’ counters', () => {
  const b = new RunBuilder();
  b.spawned(0, 1)
    .ev(1, ['pool', 0.1, { ref: '1:pool1', kind: 'pool', processes: 2, tasks: 'p70', results: 'p71', name: 'pool' }])
    .ev(1, ['create', 0.1, { key: '1:1', name: 'ForkPoolWorker-1', role: 'pool-worker' }], ['started', 0.1, '1:1', 2])
    .ev(1, ['create', 0.1, { key: '1:2', name: 'ForkPoolWorker-2', role: 'pool-worker' }], ['started', 0.1, '1:2', 3])
    .ev(1, ['pcall', 0.2, { pool: '1:pool1', job: 0, method: 'map', tasks: 10, chunksize: 3 }])
    .ev(2, ['ctr', 0.5, { tasks: { 'p70 0': [3, 9, 0.3] } }])
    .ev(3, ['ctr', 0.5, { tasks: { 'p70 0': [1, 1, 0.1] } }])
    .end(1);
  const s = summarize(reduce(b));
  assert.equal(s.pools.length, 1);
  const p = s.pools[0];
  assert.deepEqual(p.workers, [2, 3]);
  assert.equal(p.tasks, 10);
  assert.equal(p.chunks, 4);
  assert.deepEqual(p.tasksByWorker, { 2: 9, 3: 1 });
  assert.deepEqual(p.calls, [{ method: 'map', tasks: 10, chunksize: 3, at: 0.2 }]);
});

test('counters are absolute: a later snapshot replaces an earlier one', () => {
  const b = new RunBuilder();
  b.spawned(0, 1)
    .ev(1, ['ctr', 0.1, { sent: { p5: [5, 50] }, locks: { lx: [3, 1, 0.25] } }])
    .ev(1, ['ctr', 0.2, { sent: { p5: [7, 70] }, locks: { lx: [4, 2, 0.5] } }])
    .ev(1, ['lock', 0.0, { ref: 'lx', kind: 'Lock', name: 'lock' }])
    .end(1);
  const s = summarize(reduce(b));
  assert.equal(s.channels[0].messages, 7);
  assert.deepEqual(s.locks, [{ id: 'lx', kind: 'Lock', name: 'lock', acquisitions: 4, contended: 2, contendedSeconds: 0.5 }]);
});

test('garbage records are ignored, not fatal', () => {
  const b = queueRun();
  const r = new RunReducer(b.head);
  for (const junk of [null, 5, 'x', [], ['ev', 1, 'nope'], ['ev', 1, [null, 3, ['w']]], ['sample', 1, null], ['unknown-kind', 1]]) {
    r.apply(junk as never);
  }
  for (const rec of b.records) r.apply(rec);
  r.finish();
  assert.equal(summarize(r.model).processes.length, 2);
});

test('a child whose first connection arrives after its parent reaped it is still one process', () => {
  const b = new RunBuilder();
  b.spawned(0, 1)
    .hello(0.01, 1, 0)
    .ev(1, ['create', 0.1, { key: '1:1', name: 'Process-1', role: 'process' }], ['started', 0.1, '1:1', 2])
    .ev(1, ['reap', 0.2, 2, 0], ['join', 0.2, '1:1', 0.1, 0])
    .hello(0.3, 2, 1) // its only flush, at exit, connected late
    .ev(2, ['proc', 0.11, { pid: 2, key: '1:1', name: 'Process-1', role: 'process' }], ['exit', 0.19, 0, 0, 0])
    .bye(0.31, 2)
    .end(1);
  const s = summarize(reduce(b));
  assert.deepEqual(s.processes.map((p) => [p.pid, p.name]), [
    [1, 'MainProcess'],
    [2, 'Process-1'],
  ]);
});

test('a pid the OS reuses after a process said bye is a second process', () => {
  const b = new RunBuilder();
  b.spawned(0, 1)
    .ev(1, ['create', 0.1, { key: '1:1', name: 'first', role: 'process' }], ['started', 0.1, '1:1', 2])
    .hello(0.11, 2, 1)
    .ev(2, ['proc', 0.11, { pid: 2, key: '1:1', name: 'first', role: 'process' }], ['exit', 0.2, 0, 0, 0])
    .bye(0.21, 2)
    .ev(1, ['reap', 0.22, 2, 0], ['create', 0.5, { key: '1:2', name: 'second', role: 'process' }], ['started', 0.5, '1:2', 2])
    .hello(0.51, 2, 1)
    .ev(2, ['proc', 0.51, { pid: 2, key: '1:2', name: 'second', role: 'process' }], ['exit', 0.6, 3, 0, 0])
    .bye(0.61, 2)
    .end(1);
  const s = summarize(reduce(b));
  assert.deepEqual(s.processes.filter((p) => p.pid === 2).map((p) => [p.name, p.exitCode]), [
    ['first', 0],
    ['second', 3],
  ]);
});

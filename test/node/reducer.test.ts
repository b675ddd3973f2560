import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunReducer } from '../../core/model/reducer';
import { stateBands, stateSeconds } from '../../core/model/states';
import { summarize } from '../../core/summary/summary';
import { formatSummary } from '../../core/summary/summaryText';
import { holdersAt, holdersDuring, managerCalls, maxOverlap } from '../../core/model/locks';
import { queueRun, RunBuilder, T0 } from '../builders/runBuilder';

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
  assert.ok(Math.abs(s.running + s.ready + s.waiting + s.blocked + (s.starting ?? 0) - (main.endedAt! - main.startedAt)) < 1e-9);
  assert.equal(bands[0].state, 'starting', 'the main process starts with "starting Python" until its first event');
  assert.equal(bands[0].end, main.bootAt);
});

test('flows come from the receiver side with exact counts; the channel keeps its name', () => {
  const s = summarize(reduce(queueRun()));
  const q = s.channels.find((c) => c.name === 'q')!;
  assert.equal(q.kind, 'queue');
  assert.equal(q.messages, 3);
  assert.equal(q.bytes, 300);
  assert.deepEqual(
    q.flows.map((f) => [f.from, f.to, f.messages, f.bytes]),
    [[101, 100, 3, 300]],
  );
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
  assert.ok(
    note && /10 messages\/tasks were recorded in detail and 990 were only counted/.test(note.message),
    'most messages only counted: a note says so',
  );
  const q = sampled.channels.find((c) => c.name === 'q')!;
  assert.deepEqual(
    q.flows.map((f) => [f.from, f.to, f.messages, f.bytes, f.latencyMeanSeconds, f.latencyMaxSeconds]),
    [
      [1, 1, 4, 32, 0.1, 0.1],
      [2, 1, 1000, 8000, 0.05, 0.2],
    ],
  );
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
  assert.deepEqual(
    pipes[0].flows.map((f) => [f.from, f.to, f.messages]),
    [
      [1, 2, 2],
      [2, 1, 1],
    ],
  );
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
  const { id, kind, name, acquisitions, contended, contendedSeconds } = s.locks[0];
  assert.deepEqual(
    [{ id, kind, name, acquisitions, contended, contendedSeconds }],
    [{ id: 'lx', kind: 'Lock', name: 'lock', acquisitions: 4, contended: 2, contendedSeconds: 0.5 }],
  );
  assert.deepEqual(s.locks[0].holders, [
    { pid: 1, acquisitions: 4, contended: 2, contendedSeconds: 0.5, holds: 0, heldSeconds: 0, waits: 0 },
  ]);
});

test('lock holds and waits: holders per process, most waiters at once, who held it during a wait; Manager calls per caller', () => {
  const b = new RunBuilder();
  b.spawned(0, 1)
    .ev(
      1,
      ['lock', 0.0, { ref: 'lx', kind: 'Lock', name: 'lock', file: '/s.py', line: 3 }],
      ['chan', 0.0, { ref: 'mA', kind: 'manager', name: 'mgr', refs: ['mA'] }],
    )
    .ev(2, ['hold', 0.4, 'lx', T0 + 0.1], ['hold', 0.9, 'lx', T0 + 0.7], ['ctr', 1, { locks: { lx: [2, 0, 0] }, calls: { mq: 3 } }])
    .ev(
      3,
      ['w', 0.2, 'lock', 'lx', null],
      ['we', 0.4],
      ['hold', 0.6, 'lx', T0 + 0.4],
      ['ctr', 1, { locks: { lx: [1, 1, 0.2] }, calls: { 'mA get': 2 }, callTimes: { 'mA get': [2, 0.004, 0.003] } }],
    )
    .ev(4, ['w', 0.3, 'lock', 'lx', null], ['we', 0.7], ['hold', 0.7, 'lx', T0 + 0.7], ['ctr', 1, { locks: { lx: [1, 1, 0.4] } }])
    .end(1);
  const m = reduce(b);
  assert.equal(m.holds.length, 4);
  assert.deepEqual(holdersAt(m, 'lx', 0.25, 3), [2]);
  assert.deepEqual(holdersDuring(m, 'lx', 0.3, 0.7, 4), [2]);
  assert.deepEqual(holdersAt(m, 'lx', 0.65, null), []);
  const s = summarize(m);
  const l = s.locks[0];
  assert.equal(l.acquisitions, 4);
  assert.equal(l.contended, 2);
  assert.equal(l.holds, 4);
  assert.equal(l.heldSeconds, 0.7);
  assert.equal(l.maxWaiters, 2);
  assert.equal(l.file, '/s.py');
  assert.equal(l.line, 3);
  assert.deepEqual(
    l.holders.map((h) => [h.pid, h.acquisitions, h.holds, h.heldSeconds, h.waits]),
    [
      [2, 2, 2, 0.5, 0],
      [3, 1, 1, 0.2, 1],
      [4, 1, 1, 0, 1],
    ],
  );
  const mgr = s.channels.find((c) => c.id === 'mA')!;
  assert.deepEqual(mgr.calls, [{ pid: 3, method: 'get', calls: 2, timed: 2, meanSeconds: 0.002, maxSeconds: 0.003 }]);
  assert.equal(
    maxOverlap([
      { begin: 0, end: 1 },
      { begin: 1, end: 2 },
    ]),
    1,
    'end-to-end is not an overlap',
  );
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
  assert.deepEqual(
    s.processes.map((p) => [p.pid, p.name]),
    [
      [1, 'MainProcess'],
      [2, 'Process-1'],
    ],
  );
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
  assert.deepEqual(
    s.processes.filter((p) => p.pid === 2).map((p) => [p.name, p.exitCode]),
    [
      ['first', 0],
      ['second', 3],
    ],
  );
});

test('how a process ended: a stop by the parent outweighs what the child says afterwards; what it said before outweighs a late stop', () => {
  const b = new RunBuilder({ platform: 'linux' });
  b.spawned(0, 1).ev(1, ['proc', 0.01, { pid: 1, ppid: 0, key: null, name: 'MainProcess', role: 'main' }]);
  const child = (pid: number, name: string) => {
    b.ev(1, ['create', 0.1, { key: `1:${pid}`, name, role: 'process' }], ['started', 0.1, `1:${pid}`, pid])
      .hello(0.1, pid, 1)
      .ev(pid, ['run', 0.11, `1:${pid}`]);
  };
  // interrupt() (3.14): SIGINT, the child raises KeyboardInterrupt after the parent's call, exit code 1.
  child(2, 'interrupted');
  b.ev(1, ['endby', 0.3, 2, 'interrupt()', null]).ev(2, ['ended', 0.31, 'exception', 'KeyboardInterrupt'], ['exit', 0.32, 1, 0, 0, []]);
  b.ev(1, ['join', 0.33, '1:2', 0.3, 1]);
  // terminate() on a child that had already returned and was leaving: it said so first, then died of SIGTERM.
  child(3, 'late-terminated');
  b.ev(3, ['ended', 0.4, 'returned', null]).ev(1, ['endby', 0.41, 3, 'terminate()', null]).ev(1, ['join', 0.42, '1:3', 0.41, -15]);
  // terminate() on a child that had already returned and exited 0: it ended by itself.
  child(4, 'returned-first');
  b.ev(4, ['ended', 0.5, 'returned', null], ['exit', 0.5, 0, 0, 0, []])
    .ev(1, ['endby', 0.51, 4, 'terminate()', null])
    .ev(1, ['join', 0.52, '1:4', 0.51, 0]);
  // Killed from outside with SIGUSR1; and an exit nobody explained.
  child(5, 'shot');
  b.ev(1, ['join', 0.6, '1:5', 0.5, -10]);
  child(6, 'silent');
  b.ev(1, ['join', 0.7, '1:6', 0.6, 2]);
  b.exited(0.8, 0).end(0.9);
  const s = summarize(reduce(b));
  const end = (name: string) => {
    const p = s.processes.find((x) => x.name === name)!;
    return [p.endReason, p.endDetail];
  };
  assert.deepEqual(end('interrupted'), ['interrupt()', 'KeyboardInterrupt']);
  assert.deepEqual(end('late-terminated'), ['terminate()', 'SIGTERM']);
  assert.deepEqual(end('returned-first'), ['returned', null]);
  assert.deepEqual(end('shot'), ['signal', 'SIGUSR1']);
  assert.deepEqual(end('silent'), ['unknown', 'exit code 2']);
  assert.ok(formatSummary(s).includes('ended: terminate() SIGTERM'));
});

test('an orphan is adopted by the OS parent the samples show after its parent died, named by the supervisor', () => {
  const b = new RunBuilder({ platform: 'linux' });
  b.spawned(0, 1)
    .ev(1, ['create', 0.1, { key: '1:1', name: 'middle', role: 'process' }], ['started', 0.1, '1:1', 2])
    .hello(0.1, 2, 1)
    .ev(2, ['proc', 0.11, { pid: 2, ppid: 1, key: '1:1', name: 'middle', role: 'process' }])
    .ev(2, ['create', 0.2, { key: '2:1', name: 'grandchild', role: 'process' }], ['started', 0.2, '2:1', 3])
    .hello(0.2, 3, 2)
    .ev(3, ['proc', 0.21, { pid: 3, ppid: 2, key: '2:1', name: 'grandchild', role: 'process' }])
    .sample(0.25, [[3, 0, 0, 'S', 2, 0]])
    .ev(2, ['ended', 0.3, 'os._exit', '0'], ['exit', 0.3, 0, 0, 0, [3]])
    .bye(0.3, 2)
    .sample(0.35, [[3, 0, 0, 'S', 77, 0]]);
  b.records.push(['adopted', T0 + 0.35, 3, 77, 'subreaper']);
  b.sample(0.45, [[3, 0, 0, 'S', 77, 0]])
    .exited(1, 0)
    .end(1.1);
  const s = summarize(reduce(b));
  const g = s.processes.find((p) => p.name === 'grandchild')!;
  assert.equal(g.orphaned, true);
  assert.equal(g.adoptedBy, 77);
  assert.equal(g.adoptedByName, 'subreaper');
  const m = s.processes.find((p) => p.name === 'middle')!;
  assert.equal(m.adoptedBy, null);
  assert.deepEqual([m.endReason, m.endDetail], ['os._exit', '0']);
});

test("a Manager call's mean round trip is never above its max, whatever the µs rounding of the two did", () => {
  const b = new RunBuilder();
  b.spawned(0, 1)
    .hello(0, 1, 0)
    // Three calls of 100.4 µs each: the runtime sends the sum 301.2 µs as 0.000301 and the max as 0.0001.
    .ev(1, ['ctr', 0.2, { calls: { 'm1 append': 3 }, callTimes: { 'm1 append': [3, 0.000301, 0.0001] } }])
    .end(1);
  const [c] = managerCalls(reduce(b)).get('m1')!;
  assert.equal(c.calls, 3);
  assert.equal(c.maxSeconds, 0.0001);
  assert.equal(c.meanSeconds, 0.0001, 'capped at the max (0.0001003 before)');
});

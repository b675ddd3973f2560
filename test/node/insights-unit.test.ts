/**
 * The insights' rules on built recordings (test/builders): the hang
 * detector's graph and thresholds, what counts as progress, the post-run
 * kinds' thresholds and their deduplication in the summary. Real runs of
 * every insight are in insights.test.ts.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyze } from '../../core/insights/analyze';
import { DEFAULT_HANG_SECONDS } from '../../core/insights/shared';
import { findHangs, findPastHangs } from '../../core/insights/hangs';
import { parseRecordArgs, UsageError } from '../../extension/runtime/recordArgs';
import { RunReducer } from '../../core/model/reducer';
import type { RunModel } from '../../core/model/types';
import { summarize } from '../../core/summary/summary';
import { formatSummary } from '../../core/summary/summaryText';
import { RunBuilder, T0 } from '../builders/runBuilder';

const reduce = (b: RunBuilder, finish = false): RunModel => {
  const r = new RunReducer(b.head);
  for (const rec of b.records) r.apply(rec);
  if (finish) r.finish();
  return r.model;
};

/** main (100), a Queue (`ref`, `name`) it made, and its child (101) called `child`, started at 0.12. */
function mainAndChild(ref: string, name: string, child: string): RunBuilder {
  const b = new RunBuilder();
  b.spawned(0, 100)
    .hello(0.01, 100, 99)
    .ev(100, ['proc', 0.02, { pid: 100, ppid: 99, key: null, name: 'MainProcess', role: 'main' }])
    .ev(100, ['chan', 0.05, { ref, kind: 'queue', name, file: '/tmp/demo.py', line: 9, refs: [ref] }])
    .ev(100, [
      'create',
      0.1,
      {
        key: '100:1',
        name: child,
        target: '__main__.work',
        file: '/tmp/demo.py',
        line: 3,
        startMethod: 'fork',
        daemon: false,
        role: 'process',
      },
    ])
    .hello(0.11, 101, 100)
    .ev(101, ['proc', 0.11, { pid: 101, ppid: 100, key: '100:1', name: child, role: 'process' }], ['run', 0.12, '100:1'])
    .ev(100, ['started', 0.12, '100:1', 101]);
  return b;
}

/** main (100) starts child (101); the child blocks in get() on q at 0.3, main in join(child) at 0.4. */
function joinOnStuckChild(childWait: [string, string | null] = ['queue.get', 'p11']): RunBuilder {
  return mainAndChild('p11', 'q', 'child')
    .ev(101, ['w', 0.3, childWait[0], childWait[1], null], ['ws', 0.5, T0 + 0.3, '/tmp/demo.py', 5])
    .ev(100, ['w', 0.4, 'join', '100:1', 'child'], ['ws', 0.6, T0 + 0.4, '/tmp/demo.py', 14]);
}

test('findHangs: a join on a child stuck in get() is a deadlock once both waited hangSeconds, not before', () => {
  const m = reduce(joinOnStuckChild());
  assert.deepEqual(findHangs(m, 3.0, { hangSeconds: 3 }), [], 'main has waited only 2.6 s');
  const [w, ...rest] = findHangs(m, 3.5, { hangSeconds: 3 });
  assert.equal(rest.length, 0);
  assert.equal(w.kind, 'deadlock');
  assert.equal(w.pid, 100);
  assert.deepEqual(w.pids, [100, 101]);
  assert.equal(w.severity, 'error');
  assert.equal(w.file, '/tmp/demo.py');
  assert.equal(w.line, 5, 'the get() the cycle hangs on');
  assert.ok(w.since !== null && Math.abs(w.since - 0.4) < 1e-6);
  assert.match(
    w.message,
    /main \(pid 100\) waits in join\(child \(pid 101\)\) \(demo\.py:14\); child \(pid 101\) waits in get\(\) on Queue q \(created at demo\.py:9\) \(demo\.py:5\)/,
  );
  assert.match(w.message, /No other live process will ever put to it/);
});

test('findHangs: a sleeping child, a child using CPU, or a child not waiting is progress', () => {
  assert.deepEqual(findHangs(reduce(joinOnStuckChild(['sleep', null])), 10, { hangSeconds: 3 }), []);
  const busy = joinOnStuckChild().sample(9.9, [
    [100, 0, 1, 'S', 99, 0.1],
    [101, 95, 1, 'S', 100, 9],
  ]);
  assert.deepEqual(findHangs(reduce(busy), 10, { hangSeconds: 3 }), [], 'the child uses a core (another thread works)');
  const running = joinOnStuckChild().ev(101, ['we', 1.0]);
  assert.deepEqual(findHangs(reduce(running), 10, { hangSeconds: 3 }), [], 'the child got its item and runs');
});

test('findHangs: a join of a child that is gone is not a hang (the join returns)', () => {
  const b = joinOnStuckChild().ev(101, ['exit', 1.0, 0, 0.1, 1]).bye(1.01, 101);
  assert.deepEqual(findHangs(reduce(b), 10, { hangSeconds: 3 }), []);
});

test('findPastHangs: a hang broken by a timeout is found in the finished recording; summarize records it once', () => {
  const b = joinOnStuckChild()
    .ev(101, ['we', 5.3], ['runend', 5.3, null], ['exit', 5.31, 0, 0.1, 1])
    .bye(5.32, 101)
    .ev(100, ['we', 5.33], ['join', 5.33, '100:1', T0 + 0.4, 0], ['exit', 5.4, 0, 0.1, 1])
    .exited(5.42, 0)
    .bye(5.43, 100)
    .end(5.5, 0);
  const m = reduce(b, true);
  const past = findPastHangs(m, m.run.wallSeconds, { hangSeconds: 3 });
  assert.equal(past.length, 1);
  assert.deepEqual(past[0].pids, [100, 101]);
  assert.equal(findPastHangs(m, m.run.wallSeconds, { hangSeconds: 6 }).length, 0, 'shorter than the threshold');
  // The same hang recorded live is not repeated by the summary.
  const live = findHangs(reduce(joinOnStuckChild()), 3.5, { hangSeconds: 3 })[0];
  const withLive = new RunBuilder();
  withLive.records.push(
    ...b.records.slice(0, -1),
    [
      'warn',
      T0 + 3.5,
      'deadlock',
      live.pid,
      live.message,
      { pids: live.pids, severity: 'error', ref: live.ref, file: live.file, line: live.line, since: live.since },
    ],
    b.records[b.records.length - 1],
  );
  const s = summarize(reduce(withLive, true));
  assert.equal(s.warnings.filter((w) => w.kind === 'deadlock').length, 1);
  assert.equal(s.warnings[0].at, 3.5, 'the live one is kept');
  const text = formatSummary(s);
  assert.match(text, /ERROR \[deadlock\] pid 100 at \/tmp\/demo\.py:5/);
  assert.match(text, /speedup [\d.]+ on 2 cores \(efficiency \d+%\)/);
});

/** main (100) waits in get() on `out` from 0.3 until `getEnds`; its one child (101), which could put to it, ends at `childEnds`. */
function getFromAChild(childEnds: number, getEnds: number): RunModel {
  const b = mainAndChild('p12', 'out', 'consumer')
    .ev(100, ['w', 0.3, 'queue.get', 'p12', null], ['ws', 0.5, T0 + 0.3, '/tmp/demo.py', 14])
    .ev(101, ['runend', childEnds - 0.01, null], ['exit', childEnds, 0, 3, 1])
    .bye(childEnds + 0.001, 101)
    .ev(100, ['we', getEnds], ['exit', getEnds + 0.02, 0, 0.1, 1])
    .exited(getEnds + 0.03, 0)
    .bye(getEnds + 0.04, 100)
    .end(getEnds + 0.05, 0);
  return reduce(b, true);
}

test('findPastHangs: a get() that outlives its last possible sender by less than hangSeconds is no hang', () => {
  // The consumer put its answer and ended; main, slow to wake on a loaded machine, got it 5 ms later. For those
  // 5 ms nobody alive could have put to `out`: that is not 3.6 s stuck.
  const m = getFromAChild(3.87, 3.875);
  assert.deepEqual(findPastHangs(m, m.run.wallSeconds, { hangSeconds: 1 }), []);
  // The same get() still waiting 2 s after the last process that could put to it ended: stuck since that end.
  const stuck = getFromAChild(1.0, 3.0);
  const [w, ...rest] = findPastHangs(stuck, stuck.run.wallSeconds, { hangSeconds: 1 });
  assert.deepEqual(rest, []);
  assert.equal(w?.kind, 'deadlock');
  assert.deepEqual(w.pids, [100]);
  assert.ok(Math.abs((w.since ?? 0) - 1.0) < 0.01, `stuck since the consumer ended, not since the get began: ${w.since}`);
});

/** A pool of two workers (201, 202) of main (100); busy seconds per worker as counted by the runtime. */
function poolRun(busy: [number, number], chunks: [number, number], chunksize: number, items = chunks[0] + chunks[1]): RunModel {
  const b = new RunBuilder();
  b.spawned(0, 100)
    .hello(0.01, 100, 99)
    .ev(100, ['proc', 0.02, { pid: 100, ppid: 99, key: null, name: 'MainProcess', role: 'main' }])
    .ev(100, [
      'pool',
      0.1,
      { ref: '100:pool1', kind: 'pool', processes: 2, tasks: 'p21', results: 'p22', name: 'pool', file: '/tmp/p.py', line: 7 },
    ])
    .ev(100, ['chan', 0.1, { ref: 'p21', kind: 'pool', name: 'pool tasks', refs: ['p21'], pool: '100:pool1' }])
    .ev(100, ['pcall', 0.2, { pool: '100:pool1', job: 0, method: 'map', tasks: items, chunksize }]);
  [201, 202].forEach((pid, i) => {
    b.hello(0.05, pid, 100)
      .ev(pid, ['proc', 0.05, { pid, ppid: 100, key: `100:${i + 1}`, name: `ForkPoolWorker-${i + 1}`, role: 'pool-worker' }])
      .ev(pid, ['task', 0.2 + busy[i], { pool: 'p21', job: 0, chunk: i, items: Math.round(items / 2), tBegin: T0 + 0.2, ok: true }])
      .ev(pid, [
        'ctr',
        0.2 + busy[i],
        { tasks: { 'p21 0': [chunks[i], Math.round(items / 2), busy[i]] }, recv: { 'p21 100': [chunks[i], 100 * chunks[i], 0.01, 0.01] } },
      ]);
  });
  return reduce(b.end(3, 0), true);
}

test('imbalance: over the threshold with the chunksize advice; a balanced pool and a small gap are quiet', () => {
  const [w, ...rest] = analyze(poolRun([2.0, 0.2], [1, 1], 4, 8)).filter((x) => x.kind === 'imbalance');
  assert.equal(rest.length, 0);
  assert.equal(w.pid, 201);
  assert.deepEqual(w.pids, [201, 202]);
  assert.equal(w.ref, '100:pool1');
  assert.equal(w.line, 7);
  assert.match(w.message, /With chunksize=4 the 8 tasks went out in only 2 chunks for 2 workers/);
  assert.match(w.message, /chunksize=1 gives about 8 chunks per worker/);
  assert.deepEqual(
    analyze(poolRun([1.0, 0.95], [1, 1], 4, 8)).filter((x) => x.kind === 'imbalance'),
    [],
  );
  assert.deepEqual(
    analyze(poolRun([0.15, 0.01], [1, 1], 4, 8)).filter((x) => x.kind === 'imbalance'),
    [],
    'less than 0.2 s to gain',
  );
});

test('efficiency: speedup over min(cores, busy processes)', () => {
  const b = new RunBuilder({ cpuCount: 4 });
  b.spawned(0, 100)
    .hello(0.01, 100, 99)
    .ev(100, ['proc', 0.02, { pid: 100, ppid: 99, key: null, name: 'MainProcess', role: 'main' }]);
  for (const pid of [201, 202]) {
    b.hello(0.05, pid, 100)
      .ev(pid, ['proc', 0.05, { pid, ppid: 100, key: `100:${pid}`, name: `w${pid}`, role: 'process' }])
      .ev(pid, ['exit', 1.9, 0, 1.5, 1]);
  }
  b.ev(100, ['exit', 1.95, 0, 0.05, 1]).end(2, 0);
  const s = summarize(reduce(b, true));
  assert.equal(s.run.busyProcesses, 2);
  assert.equal(s.run.speedup, 1.525);
  assert.equal(s.run.efficiency, 0.763, '3.05 CPU s over 2 s, for 2 busy processes on 4 cores');
});

test('record --hang-seconds: a number of seconds ≥ 0, default DEFAULT_HANG_SECONDS', () => {
  assert.equal(parseRecordArgs(['--', 'a.py']).hangSeconds, DEFAULT_HANG_SECONDS);
  assert.equal(parseRecordArgs(['--hang-seconds', '1.5', '--', 'a.py']).hangSeconds, 1.5);
  assert.equal(parseRecordArgs(['--hang-seconds=0', 'a.py']).hangSeconds, 0);
  for (const bad of ['-1', 'soon', ''])
    assert.throws(
      () => parseRecordArgs([`--hang-seconds=${bad}`, 'a.py']),
      (e) => e instanceof UsageError && /--hang-seconds takes a number of seconds/.test((e as Error).message),
    );
});

/** main (100) gets `msgs` messages on Queue q from one producer (101); both run `seconds` without waiting. */
function floodRun(msgs: number, seconds: number): RunModel {
  const b = new RunBuilder();
  b.spawned(0, 100)
    .hello(0.01, 100, 99)
    .ev(100, ['proc', 0.01, { pid: 100, ppid: 99, key: null, name: 'MainProcess', role: 'main' }])
    .ev(100, ['chan', 0.02, { ref: 'p11', kind: 'queue', name: 'q', file: '/tmp/q.py', line: 4, refs: ['p11'] }])
    .hello(0.03, 101, 100)
    .ev(101, ['proc', 0.03, { pid: 101, ppid: 100, key: '100:1', name: 'producer', role: 'process' }], ['run', 0.03, '100:1'])
    .ev(101, ['ctr', seconds, { sent: { p11: [msgs, msgs * 15] } }], ['runend', seconds, null], ['exit', seconds, 0, seconds, 1])
    .ev(
      100,
      ['ctr', seconds, { recv: { 'p11 101': [msgs, msgs * 15, 0.1, 0.01] } }],
      ['join', seconds, '100:1', T0 + seconds, 0],
      ['exit', seconds + 0.01, 0, seconds, 1],
    )
    .end(seconds + 0.02, 0);
  return reduce(b, true);
}

test("overhead on a Queue: only when the ends spend about one message's cost per message", () => {
  const [w] = analyze(floodRun(40_000, 1)).filter((x) => x.kind === 'overhead');
  assert.ok(w, 'two ends running 1 s each for 40,000 messages: 50 µs per message');
  assert.deepEqual(new Set(w.pids), new Set([100, 101]));
  assert.equal(w.ref, 'p11');
  assert.match(w.message, /carried 40000 messages/);
  assert.deepEqual(
    analyze(floodRun(40_000, 10)).filter((x) => x.kind === 'overhead'),
    [],
    '500 µs per message: the work dominates',
  );
  assert.deepEqual(
    analyze(floodRun(5_000, 0.2)).filter((x) => x.kind === 'overhead'),
    [],
    'too few messages to matter',
  );
});

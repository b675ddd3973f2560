/**
 * The reducer's side of children started outside multiprocessing, on event streams shaped like the
 * runtime's (the real runs are in children.test.ts and test/python/test_children.py): an exec'd pid
 * stays one process across its second connection; a `popen` names a command (also one a `child` record
 * took for a fork, caught before its exec); a `child` record with `fork` is a fork; `exitcode` fills a zombie's code; and Python 3.14's lazily submitted
 * `Executor.map(buffersize=)` calls (`pcall` with `lazy: true`, not runnable here) join their map.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RunReducer } from '../../core/model/reducer';
import type { RecordingHeader, RecordLine } from '../../core/model/recording';
import { summarize } from '../../core/summary/summary';

const T0 = 1000;
const header = {
  format: 'forkscope.recording',
  version: 1,
  startedAt: T0,
  script: 'x.py',
  module: null,
  args: [],
  python: 'python3',
  cwd: '/',
  cpuCount: 2,
  sampleMs: 100,
  platform: 'linux',
  maxProcesses: 1000,
  forkscope: 'test',
} as unknown as RecordingHeader;

const proc = (pid: number, ppid: number, info: Record<string, unknown>) => [
  'proc',
  T0,
  { pid, ppid, key: null, name: null, role: null, ...info },
];

test('an exec into Python: one process across two connections, with its execs', () => {
  const records = [
    ['spawned', T0, 10],
    ['hello', T0 + 0.1, 10, 1],
    [
      'ev',
      10,
      [
        proc(10, 1, { name: 'MainProcess', role: 'main' }),
        ['exec', T0 + 0.2, { path: '/usr/bin/python3', argv: ['python3', 'inner.py'], python: true }],
      ],
    ],
    ['bye', T0 + 0.21, 10],
    ['hello', T0 + 0.3, 10, 1],
    [
      'ev',
      10,
      [
        proc(10, 1, { exec: true }),
        ['pool', T0 + 0.4, { ref: '10:pool1', kind: 'pool', processes: 2, tasks: 'p1', results: 'p2' }],
        ['exit', T0 + 0.9, null, 0.1, 1000, []],
      ],
    ],
    ['bye', T0 + 0.95, 10],
    ['exited', T0 + 1, 7, null],
    ['end', T0 + 1, { exitCode: 7, signal: null, stopped: false }],
  ] as unknown as RecordLine[];
  const s = summarize(RunReducer.fromRecords(header, records));
  assert.equal(s.processes.length, 1);
  const p = s.processes[0];
  assert.equal(p.role, 'main');
  assert.equal(p.name, 'MainProcess');
  assert.equal(p.exitCode, 7);
  assert.deepEqual(p.execs, [{ at: 0.2, argv: ['python3', 'inner.py'], python: true }]);
  assert.equal(p.command, 'python3 inner.py');
  assert.equal(p.endedAt, 0.9);
  assert.equal(s.pools.length, 1);
});

test('popen names a command, a reap gives its code; child records: forks and zombies', () => {
  const records = [
    ['spawned', T0, 10],
    ['hello', T0 + 0.1, 10, 1],
    [
      'ev',
      10,
      [
        proc(10, 1, { name: 'MainProcess', role: 'main' }),
        ['popen', T0 + 0.2, 11, { argv: ['sh', '-c', 'exit 5'], python: false, how: 'subprocess' }],
        ['reap', T0 + 0.3, 11, 5],
      ],
    ],
    ['child', T0 + 0.35, 12, 10, ['python3', 'x.py'], { fork: true }],
    ['exitcode', T0 + 0.36, 12, 3],
    ['child', T0 + 0.37, 13, 11, ['sleep', '1']],
    ['end', T0 + 1, { exitCode: 0, signal: null, stopped: false }],
  ] as unknown as RecordLine[];
  const s = summarize(RunReducer.fromRecords(header, records));
  const by = Object.fromEntries(s.processes.map((p) => [p.pid, p]));
  assert.deepEqual([by[11].role, by[11].name, by[11].command, by[11].exitCode, by[11].ppid], ['command', 'sh', 'sh -c "exit 5"', 5, 10]);
  assert.deepEqual([by[12].role, by[12].name, by[12].exitCode, by[12].ppid, by[12].command], ['fork', 'Fork-12', 3, 10, undefined]);
  assert.deepEqual([by[13].role, by[13].name, by[13].ppid], ['command', 'sleep', 11]);
});

test("a command caught in /proc between its fork and its exec (its parent's argv): the popen that follows names it", () => {
  const records = [
    ['spawned', T0, 10],
    ['hello', T0 + 0.1, 10, 1],
    ['ev', 10, [proc(10, 1, { name: 'MainProcess', role: 'main' })]],
    ['child', T0 + 0.2, 11, 10, ['python3', 'x.py'], { fork: true }],
    [
      'ev',
      10,
      [
        ['popen', T0 + 0.2, 11, { argv: ['sleep', '0.3'], python: false, how: 'subprocess' }],
        ['reap', T0 + 0.5, 11, 0],
      ],
    ],
    ['end', T0 + 1, { exitCode: 0, signal: null, stopped: false }],
  ] as unknown as RecordLine[];
  const s = summarize(RunReducer.fromRecords(header, records));
  const p = s.processes.find((x) => x.pid === 11)!;
  assert.deepEqual([p.role, p.name, p.command, p.exitCode, p.ppid], ['command', 'sleep', 'sleep 0.3', 0, 10]);
});

test('a child taken for a fork, seen again after its exec (no hook saw it: C’s system()): a second child record names the command', () => {
  const records = [
    ['spawned', T0, 10],
    ['hello', T0 + 0.1, 10, 1],
    ['ev', 10, [proc(10, 1, { name: 'MainProcess', role: 'main' })]],
    ['child', T0 + 0.2, 11, 10, ['python3', 'x.py'], { fork: true }],
    ['child', T0 + 0.3, 11, 10, ['sh', '-c', 'sleep 0.4']],
    // A fork that connected is what it said, and a second look changes nothing.
    ['child', T0 + 0.3, 12, 10, ['python3', 'x.py'], { fork: true }],
    ['ev', 12, [proc(12, 10, { name: 'worker', role: 'fork', key: 'k12' })]],
    ['child', T0 + 0.4, 12, 10, ['sleep', '1']],
    ['end', T0 + 1, { exitCode: 0, signal: null, stopped: false }],
  ] as unknown as RecordLine[];
  const s = summarize(RunReducer.fromRecords(header, records));
  const by = Object.fromEntries(s.processes.map((p) => [p.pid, p]));
  assert.deepEqual([by[11].role, by[11].name, by[11].command, by[11].ppid], ['command', 'sh', 'sh -c "sleep 0.4"', 10]);
  assert.deepEqual([by[12].role, by[12].name, by[12].command], ['fork', 'worker', undefined]);
});

test('a Python child seen in /proc first, then connected: role subprocess, its own argv', () => {
  const records = [
    ['spawned', T0, 10],
    ['hello', T0 + 0.1, 10, 1],
    ['ev', 10, [proc(10, 1, { name: 'MainProcess', role: 'main' })]],
    ['child', T0 + 0.2, 11, 10, ['/usr/bin/python3', 'inner.py']],
    ['hello', T0 + 0.3, 11, 10],
    [
      'ev',
      11,
      [proc(11, 10, { name: 'inner.py', role: 'subprocess', startMethod: 'subprocess', argv: ['inner.py', 'a b'], startedBy: 10 })],
    ],
    ['ev', 10, [['reap', T0 + 0.5, 11, 0]]],
    ['end', T0 + 1, { exitCode: 0, signal: null, stopped: false }],
  ] as unknown as RecordLine[];
  const s = summarize(RunReducer.fromRecords(header, records));
  const p = s.processes.find((x) => x.pid === 11)!;
  assert.deepEqual(
    [p.role, p.name, p.startMethod, p.command, p.ppid, p.exitCode],
    ['subprocess', 'inner.py', 'subprocess', 'inner.py "a b"', 10, 0],
  );
});

test('Executor.map(buffersize=) (3.14): lazily submitted calls count into the same map call', () => {
  const pcall = (job: number, tasks: number, lazy?: boolean) => [
    'pcall',
    T0 + 0.3,
    { pool: '10:pool1', job, method: 'map', tasks, chunksize: 1, ...(lazy ? { lazy } : {}) },
  ];
  const records = [
    ['spawned', T0, 10],
    ['hello', T0 + 0.1, 10, 1],
    [
      'ev',
      10,
      [
        proc(10, 1, { name: 'MainProcess', role: 'main' }),
        ['pool', T0 + 0.2, { ref: '10:pool1', kind: 'executor', processes: 2, tasks: 'p1', results: 'p2' }],
        pcall(0, 4),
        pcall(0, 36, true),
        pcall(40, 3),
      ],
    ],
    ['end', T0 + 1, { exitCode: 0, signal: null, stopped: false }],
  ] as unknown as RecordLine[];
  const m = RunReducer.fromRecords(header, records);
  const calls = m.pools.get('10:pool1')!.calls;
  assert.deepEqual(
    calls.map((c) => [c.job, c.method, c.tasks]),
    [
      [0, 'map', 40],
      [40, 'map', 3],
    ],
  );
});

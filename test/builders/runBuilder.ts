/**
 * Builds recordings record by record for reducer and UI tests: the shapes are
 * those the supervisor writes (docs/recording-format.md), the times relative
 * to a fixed start. Real-run tests live beside these and use real Python.
 */

import { RECORDING_FORMAT, RECORDING_VERSION, type RecordingHeader, type RecordLine, type RuntimeEvent } from '../../core/model/recording';

export const T0 = 1_700_000_000;

export function header(over: Partial<RecordingHeader> = {}): RecordingHeader {
  return {
    format: RECORDING_FORMAT,
    version: RECORDING_VERSION,
    startedAt: T0,
    script: 'demo.py',
    module: null,
    args: [],
    python: 'python3',
    cwd: '/tmp',
    cpuCount: 2,
    sampleMs: 100,
    platform: 'linux',
    maxProcesses: 1000,
    forkscope: 'test',
    ...over,
  };
}

/** Accumulates records; times given to its methods are seconds from the run's start. */
export class RunBuilder {
  readonly records: RecordLine[] = [];
  readonly head: RecordingHeader;

  constructor(over: Partial<RecordingHeader> = {}) {
    this.head = header(over);
  }

  /** A batch of runtime events from `pid`; each event's second element is a relative time. */
  ev(pid: number, ...events: [string, number, ...unknown[]][]): this {
    this.records.push(['ev', pid, events.map(([type, t, ...rest]) => [type, T0 + t, ...rest] as RuntimeEvent)]);
    return this;
  }

  hello(t: number, pid: number, ppid: number): this {
    this.records.push(['hello', T0 + t, pid, ppid]);
    return this;
  }

  bye(t: number, pid: number): this {
    this.records.push(['bye', T0 + t, pid]);
    return this;
  }

  spawned(t: number, pid: number): this {
    this.records.push(['spawned', T0 + t, pid]);
    return this;
  }

  sample(t: number, rows: [number, number, number, string | null, number | null, number | null][]): this {
    this.records.push(['sample', T0 + t, rows]);
    return this;
  }

  exited(t: number, code: number | null, signal: string | null = null): this {
    this.records.push(['exited', T0 + t, code, signal]);
    return this;
  }

  end(t: number, exitCode: number | null = 0, stopped = false): this {
    this.records.push(['end', T0 + t, { exitCode, signal: null, stopped }]);
    return this;
  }

  /** The recording file's text. */
  text(): string {
    return [JSON.stringify(this.head), ...this.records.map((r) => JSON.stringify(r))].join('\n') + '\n';
  }
}

/**
 * A typical small run: main (100) starts worker (101) with fork; the worker
 * puts 3 messages on queue `q`, main gets them, joins the worker 1 s after it
 * exited (a zombie for 1 s).
 */
export function queueRun(): RunBuilder {
  const b = new RunBuilder();
  b.spawned(0.0, 100)
    .hello(0.01, 100, 99)
    .ev(100, ['proc', 0.02, { pid: 100, ppid: 99, key: null, name: 'MainProcess', role: 'main', startMethod: null, target: null }])
    .ev(100, ['chan', 0.05, { ref: 'p11', kind: 'queue', name: 'q', file: '/tmp/demo.py', line: 9, refs: ['p11'] }])
    .ev(100, [
      'create',
      0.1,
      {
        key: '100:1',
        name: 'Process-1',
        target: '__main__.work',
        file: '/tmp/demo.py',
        line: 3,
        startMethod: 'fork',
        daemon: false,
        role: 'process',
      },
    ])
    .hello(0.11, 101, 100)
    .ev(
      101,
      [
        'proc',
        0.11,
        { pid: 101, ppid: 100, key: '100:1', name: 'Process-1', role: 'process', startMethod: 'fork', target: '__main__.work' },
      ],
      ['run', 0.12, '100:1'],
    )
    .ev(100, ['started', 0.12, '100:1', 101])
    .ev(100, ['w', 0.13, 'queue.get', 'p11', null])
    .ev(101, ['ctr', 0.2, { sent: { p11: [3, 300] } }], ['runend', 0.5, null], ['exit', 0.5, 0, 0.3, 10_000_000])
    .ev(
      100,
      ['we', 0.3],
      ['m', 0.3, 'p11', 101, T0 + 0.25, 100, null],
      ['ctr', 0.31, { recv: { 'p11 101': [3, 300, 0.15, 0.06] }, detail: 1, dropped: 2 }],
    )
    .bye(0.51, 101)
    .sample(0.6, [
      [100, 50, 20_000_000, 'S', 99, 0.2],
      [101, 0, 0, 'Z', 100, 0.3],
    ])
    .ev(100, ['w', 1.0, 'join', '100:1', null], ['we', 1.5], ['reap', 1.5, 101, 0], ['join', 1.5, '100:1', T0 + 1.0, 0])
    .ev(100, ['exit', 1.6, 0, 0.25, 21_000_000])
    .exited(1.62, 0)
    .bye(1.63, 100)
    .end(1.7, 0);
  return b;
}

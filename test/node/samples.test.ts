/**
 * The samples are lessons: each one's docstring lists what to look at in the
 * inspector, and every item of those lists is asserted here over a REAL
 * recording of that sample (`forkscope record`, the interpreter the tests
 * use). A sample whose lesson stops happening under the recorder, or a view
 * that stops showing it, fails the build. The visual claims are checked again
 * over the rendered report in test/browser/samples.test.ts.
 *
 * Each test names the claim it checks in the sample's own words.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { INSIGHT_KINDS } from '../../core/insights/shared';
import { RunReducer } from '../../core/model/reducer';
import { type StateBand, stateBands } from '../../core/model/states';
import type { ProcessModel } from '../../core/model/types';
import { parseRecording } from '../../core/model/recording';
import type { Summary, SummaryProcess } from '../../core/summary/summary';
import { describeExit, processStatus, RefNames } from '../../core/format';
import { CLI, record, ROOT, runCommand, type Recorded } from './support/run';

const SAMPLES = path.join(ROOT, 'samples');
const MiB = 1 << 20;

const runs = new Map<string, Promise<Recorded>>();
/** Each sample is recorded once (on first use) and shared by its tests. */
function sample(file: string): Promise<Recorded> {
  let r = runs.get(file);
  if (!r) {
    r = record(path.join(SAMPLES, file), [], { cwd: SAMPLES, timeoutMs: 120_000 }).then((x) => {
      assert.equal(x.code, 0, `${file}: ${x.stderr}`);
      return x;
    });
    runs.set(file, r);
  }
  return r;
}

function proc(r: Recorded, name: string): SummaryProcess {
  const p = r.summary.processes.find((x) => x.name === name);
  assert.ok(p, `a process named ${name} in ${r.summary.processes.map((x) => x.name)}`);
  return p;
}
const main = (r: Recorded): SummaryProcess => r.summary.processes.find((x) => x.role === 'main')!;
const model = (r: Recorded, pid: number): ProcessModel => r.model.byPid.get(pid)!;
const output = (r: Recorded, pid: number, stream: 'stdout' | 'stderr' = 'stdout'): string =>
  (model(r, pid).output?.chunks ?? [])
    .filter((c) => c.stream === stream)
    .map((c) => c.text)
    .join('');
const bandsOf = (r: Recorded, pid: number): StateBand[] => stateBands(model(r, pid), r.model.run.now);
const channelNamed = (r: Recorded, name: string) => {
  const c = r.summary.channels.find((x) => x.name === name);
  assert.ok(c, `a channel named ${name} in ${r.summary.channels.map((x) => x.name)}`);
  return c;
};
const flow = (c: Summary['channels'][number], from: number, to: number): number =>
  c.flows.find((f) => f.from === from && f.to === to)?.messages ?? 0;
/** The insights' warnings (not the supervisor's own), by kind. */
const insightKinds = (s: Summary): string[] => [...new Set(s.warnings.map((w) => w.kind).filter((k) => INSIGHT_KINDS.has(k)))].sort();
/** Seconds of a process's life in the given states, within [a, b]. */
function secondsIn(bands: StateBand[], states: string[], a: number, b: number): number {
  let t = 0;
  for (const x of bands) if (states.includes(x.state)) t += Math.max(0, Math.min(b, x.end) - Math.max(a, x.begin));
  return t;
}
/** Seconds during which some interval of `a` and some interval of `b` both run (each list's intervals disjoint). */
function overlapSeconds(a: { begin: number; end: number | null }[], b: { begin: number; end: number | null }[]): number {
  let t = 0;
  for (const x of a) for (const y of b) t += Math.max(0, Math.min(x.end ?? x.begin, y.end ?? y.begin) - Math.max(x.begin, y.begin));
  return t;
}
const lengthOf = (xs: { begin: number; end: number | null }[]): number => xs.reduce((t, x) => t + (x.end ?? x.begin) - x.begin, 0);

/** The mean of the run's total CPU % samples within [a, b] (the CPU chart's line). */
function meanTotalCpu(r: Recorded, a: number, b: number): number {
  const { t, cpu } = r.model.totalCpu;
  const inside = cpu.filter((_, i) => t[i] > a && t[i] <= b);
  assert.ok(inside.length >= 2, `CPU samples between ${a} and ${b}`);
  return inside.reduce((x, y) => x + y, 0) / inside.length;
}

describe('01 · a first Process and its PIDs', () => {
  it('the tree: main and "greeter", each with its own PID; the child\'s parent PID is the main process\'s', async () => {
    const r = await sample('01_first_process.py');
    const m = main(r);
    const g = proc(r, 'greeter');
    assert.notEqual(g.pid, m.pid);
    assert.equal(g.ppid, m.pid, 'the OS parent');
    assert.equal(g.parentPid, m.pid, 'the multiprocessing parent');
    assert.deepEqual(
      r.summary.processes.filter((p) => p.role === 'main' || p.role === 'process').map((p) => p.name),
      ['MainProcess', 'greeter'],
    );
    // What the child printed about itself is what the recording says.
    assert.match(output(r, g.pid), new RegExp(`I am pid ${g.pid}, my parent is ${m.pid}\\n`));
  });

  it('the timeline: the main process waits on join(greeter) while the child runs', async () => {
    const r = await sample('01_first_process.py');
    const g = model(r, proc(r, 'greeter').pid);
    const join = model(r, main(r).pid).waits.find((w) => w.what === 'join' && w.ref === g.key);
    assert.ok(join && join.end !== null, 'a join wait on greeter');
    assert.ok(join.begin <= (g.runAt ?? g.startedAt) + 0.05, 'it begins as the child starts running');
    assert.ok(join.end >= g.endedAt!, 'and ends after the child ended');
  });

  it('the exit codes: 0 for both (and each ended by returning)', async () => {
    const r = await sample('01_first_process.py');
    for (const p of [main(r), proc(r, 'greeter')]) {
      assert.equal(p.exitCode, 0, p.name);
      assert.equal(p.endReason, 'returned', p.name);
    }
  });
});

describe('02 · start/join order decides whether work overlaps', () => {
  const names = (kind: string) => [1, 2, 3].map((i) => `${kind}-${i}`);

  it('the timeline: the serial workers run one after another (a staircase); the parallel three side by side', async () => {
    const r = await sample('02_start_join_order.py');
    const serial = names('serial').map((n) => model(r, proc(r, n).pid));
    for (let i = 1; i < 3; i++)
      assert.ok(serial[i].startedAt >= serial[i - 1].endedAt!, `${serial[i].name} starts after ${serial[i - 1].name} ended`);
    const parallel = names('parallel').map((n) => model(r, proc(r, n).pid));
    const lastStart = Math.max(...parallel.map((p) => p.runAt ?? p.startedAt));
    const firstEnd = Math.min(...parallel.map((p) => p.endedAt!));
    assert.ok(firstEnd - lastStart > 0.1, `all three alive together for ${(firstEnd - lastStart).toFixed(3)} s`);
  });

  it("the main process's waits: join(serial-N) before each next start, then three joins in a row", async () => {
    const r = await sample('02_start_join_order.py');
    const m = model(r, main(r).pid);
    const serial = names('serial').map((n) => model(r, proc(r, n).pid));
    const parallel = names('parallel').map((n) => model(r, proc(r, n).pid));
    const joinOf = (p: ProcessModel) => {
      const j = p.joins.find((x) => x.by === m.pid);
      assert.ok(j, `${p.name} joined by the main process`);
      return j;
    };
    for (let i = 0; i < 2; i++)
      assert.ok(joinOf(serial[i]).end <= serial[i + 1].createdAt!, `join(serial-${i + 1}) returns before serial-${i + 2} is started`);
    const lastCreated = Math.max(...parallel.map((p) => p.createdAt!));
    for (const p of parallel) assert.ok(joinOf(p).begin >= lastCreated, `join(${p.name}) comes after every start`);
    // The joins that lasted are the main process's waits on the timeline: each serial one, and the first parallel one.
    const waited = m.waits.filter((w) => w.what === 'join').map((w) => w.ref);
    assert.deepEqual(
      waited.slice(0, 4),
      [...serial, parallel[0]].map((p) => p.key),
    );
  });

  it('the CPU chart: about one core in the serial part, more than one in the parallel part; the printed speed-up says so', async () => {
    // Other load on the machine takes cores from the parallel part: what the lesson needs is free cores, so a run
    // that did not get them is recorded once more (up to three runs in all) and the best one is checked.
    const parts = (r: Recorded) => {
      const serial = names('serial').map((n) => model(r, proc(r, n).pid));
      const parallel = names('parallel').map((n) => model(r, proc(r, n).pid));
      return {
        serial: meanTotalCpu(r, serial[0].runAt!, serial[2].endedAt!),
        parallel: meanTotalCpu(r, Math.max(...parallel.map((x) => x.runAt!)), Math.min(...parallel.map((x) => x.endedAt!))),
        speedup: Number((/speed-up ([\d.]+)x on (\d+) core/.exec(r.stdout) ?? [])[1]),
      };
    };
    let r = await sample('02_start_join_order.py');
    const cores = r.summary.run.cpuCount;
    let got = parts(r);
    for (let again = 0; again < 2 && cores >= 2 && (got.parallel <= 140 || got.speedup < 1.3); again++) {
      r = await record(path.join(SAMPLES, '02_start_join_order.py'), [], { cwd: SAMPLES, timeoutMs: 120_000 });
      assert.equal(r.code, 0, r.stderr);
      got = parts(r);
    }
    assert.ok(got.serial > 60 && got.serial < 135, `serial part: ${got.serial.toFixed(0)} % (one core)`);
    if (cores >= 2) assert.ok(got.parallel > 140, `parallel part: ${got.parallel.toFixed(0)} % on ${cores} cores`);
    assert.ok(/speed-up ([\d.]+)x on (\d+) core/.test(r.stdout), r.stdout);
    if (cores >= 2) assert.ok(got.speedup >= 1.3, `a measured speed-up: ${r.stdout}`);
  });

  it('pinned to one core: the parallel workers take turns, each drawn "ready" about two thirds of its life, and the speed-up is ~1x', async () => {
    // taskset pins the whole run (supervisor and Python) to core 0: the workers inherit it.
    const out = path.join(os.tmpdir(), `forkscope-sample02-${process.pid}.forkscope`);
    const pinned = () =>
      runCommand('taskset', ['-c', '0', process.execPath, CLI, 'record', '--quiet', '--out', out, '--', '02_start_join_order.py'], {
        cwd: SAMPLES,
        timeoutMs: 120_000,
      });
    const speedupOf = (stdout: string) => Number((/speed-up ([\d.]+)x/.exec(stdout) ?? [])[1]);
    /** Each worker's share of its life (first run to end) drawn "ready", by name. */
    const readyShares = () => {
      const rec = parseRecording(fs.readFileSync(out, 'utf8'), out);
      const m = RunReducer.fromRecords(rec.header, rec.records);
      const share = (name: string) => {
        const p = m.processes.find((x) => x.name === name)!;
        return secondsIn(stateBands(p, m.run.now), ['ready'], -Infinity, Infinity) / (p.endedAt! - (p.runAt ?? p.startedAt));
      };
      return new Map([...names('serial'), ...names('parallel')].map((n) => [n, share(n)]));
    };
    // Three workers sharing one core each get a third of it: ready two thirds of the time (pinned runs give 64-68 %).
    // Other work on core 0 adds ready time (a fourth competitor makes it 3/4), hence the margin above.
    const twoThirds = (x: number) => x >= 0.55 && x <= 0.8;
    try {
      // Other work on core 0 during the serial part (it only slows what it meets) can fake a speed-up, and other work
      // during the parallel part adds ready time: a run that shows either is recorded again, up to three runs in all,
      // and the last is checked.
      let ran = await pinned();
      let shares = ran.code === 0 ? readyShares() : new Map<string, number>();
      const clean = () => speedupOf(ran.stdout) <= 1.25 && names('parallel').every((n) => twoThirds(shares.get(n)!));
      for (let again = 0; again < 2 && ran.code === 0 && !clean(); again++) {
        ran = await pinned();
        if (ran.code === 0) shares = readyShares();
      }
      assert.equal(ran.code, 0, ran.stderr);
      assert.match(ran.stdout, /on 1 core\(s\)/);
      const speedup = speedupOf(ran.stdout);
      assert.ok(speedup <= 1.25, `no speed-up on one core: ${ran.stdout}`);
      const pct = (x: number) => `${(100 * x).toFixed(0)} %`;
      for (const n of names('parallel'))
        assert.ok(twoThirds(shares.get(n)!), `${n} ready ${pct(shares.get(n)!)} of its life (about two thirds)`);
      const serialReady = Math.max(...names('serial').map((n) => shares.get(n)!));
      assert.ok(serialReady < 0.3, `the serial workers had the core to themselves (ready ${pct(serialReady)})`);
    } finally {
      fs.rmSync(out, { force: true });
    }
  });
});

describe('03 · separate memory, copy-on-write under fork vs spawn', () => {
  it('the output of each child: what CONFIG and len(BIG) it saw', async () => {
    const r = await sample('03_memory_fork_vs_spawn.py');
    assert.match(output(r, proc(r, 'spawn-reader').pid), /spawn \(read\) +pid \d+: CONFIG='default', len\(BIG\)=0 MiB/);
    assert.match(output(r, proc(r, 'fork-reader').pid), /fork \(read\) +pid \d+: CONFIG='changed by the parent', len\(BIG\)=40 MiB/);
    assert.match(output(r, proc(r, 'fork-writer').pid), /fork \(write\) +pid \d+: CONFIG='changed by the parent', len\(BIG\)=40 MiB/);
    assert.match(output(r, main(r).pid), /parent +pid \d+: CONFIG='changed by the parent', len\(BIG\)=40 MiB/);
  });

  it('the memory chart: the fork child that writes grows by ~40 MB of private memory; the reader stays small and shares', async () => {
    const r = await sample('03_memory_fork_vs_spawn.py');
    const writer = proc(r, 'fork-writer');
    const reader = proc(r, 'fork-reader');
    assert.ok(writer.peakPrivateBytes !== null && reader.peakPrivateBytes !== null, 'private memory was measured');
    assert.ok(
      writer.peakPrivateBytes - reader.peakPrivateBytes >= 35 * MiB,
      `writer ${writer.peakPrivateBytes} vs reader ${reader.peakPrivateBytes} private bytes`,
    );
    assert.ok(reader.peakPrivateBytes < 20 * MiB, `the reader's private memory stays small: ${reader.peakPrivateBytes}`);
    assert.ok(reader.peakSharedBytes! >= 40 * MiB, `the reader shares BIG with its parent: ${reader.peakSharedBytes}`);
    // The chart's series: the writer's private line reaches the 40 MiB it copied.
    const uss = model(r, writer.pid).samples.uss.filter((x): x is number => x !== null);
    assert.ok(Math.max(...uss) >= 40 * MiB, `writer's private samples ${uss}`);
  });

  it('no peak carried across exec: the spawn child is a fresh interpreter, smaller than its parent', async () => {
    const r = await sample('03_memory_fork_vs_spawn.py');
    const spawn = proc(r, 'spawn-reader');
    assert.ok(spawn.peakRssBytes < main(r).peakRssBytes - 30 * MiB, `spawn child ${spawn.peakRssBytes} vs parent ${main(r).peakRssBytes}`);
  });

  it("the Processes tree: each child's start method", async () => {
    const r = await sample('03_memory_fork_vs_spawn.py');
    assert.equal(proc(r, 'spawn-reader').startMethod, 'spawn');
    assert.equal(proc(r, 'fork-reader').startMethod, 'fork');
    assert.equal(proc(r, 'fork-writer').startMethod, 'fork');
  });
});

describe('04 · Pipe: ping-pong', () => {
  it('the Flows tab: the pipe "parent_end/child_end", 6 messages from the parent and 5 pongs back, with sizes', async () => {
    const r = await sample('04_pipe.py');
    const pipe = channelNamed(r, 'parent_end/child_end');
    assert.equal(pipe.kind, 'pipe');
    const m = main(r).pid;
    const c = proc(r, 'ponger').pid;
    assert.equal(flow(pipe, m, c), 6);
    assert.equal(flow(pipe, c, m), 5);
    for (const f of pipe.flows) assert.ok(f.bytes > 0);
  });

  it('the timeline: one arrow per message, each with its latency; each side waits on recv while the other works', async () => {
    const r = await sample('04_pipe.py');
    const pipe = r.summary.channels.find((x) => x.kind === 'pipe')!;
    const arrows = r.model.messages.filter((x) => r.model.channelOf(x.ref)?.id === pipe.id);
    assert.equal(arrows.length, 11, 'every message is an arrow');
    for (const a of arrows) assert.ok(a.t >= a.sentAt, 'a latency');
    const sides = [main(r), proc(r, 'ponger')].map((p) => {
      const waits = model(r, p.pid).waits;
      const recvs = waits.filter((w) => w.what === 'recv');
      assert.ok(recvs.length >= 4, `${p.name} waits on recv ${recvs.length} times`);
      // The "work" is time.sleep, drawn as a sleep wait.
      return { name: p.name, recvs, work: waits.filter((w) => w.what === 'sleep') };
    });
    // Turns: the two sides' recv waits hardly overlap (only for the moment a message takes to wake its receiver)...
    const both = overlapSeconds(sides[0].recvs, sides[1].recvs);
    const least = Math.min(lengthOf(sides[0].recvs), lengthOf(sides[1].recvs));
    assert.ok(both < 0.25 * least, `both waiting on recv at once for ${both.toFixed(3)} of ${least.toFixed(3)} s`);
    // ...and most of each side's recv waiting is the other side's work.
    for (const [me, other] of [sides, [...sides].reverse()]) {
      const covered = overlapSeconds(me.recvs, other.work);
      const waited = lengthOf(me.recvs);
      assert.ok(
        covered > 0.5 * waited,
        `${me.name} waits on recv ${waited.toFixed(3)} s, ${covered.toFixed(3)} s of it while ${other.name} works`,
      );
    }
  });
});

describe('05 · Queue: producer, consumers, sentinels', () => {
  it('the Flows tab: the producer to each consumer on "tasks", consumers back to main on "results"; 20 tasks spread as printed', async () => {
    const r = await sample('05_queue.py');
    const tasks = channelNamed(r, 'tasks');
    const results = channelNamed(r, 'results');
    const producer = proc(r, 'producer').pid;
    const printed = JSON.parse(/tasks per consumer: (\{.*\})/.exec(r.stdout)![1].replace(/'/g, '"')) as Record<string, number>;
    for (const name of Object.keys(printed)) assert.match(name, /^consumer-[123]$/, 'the sample prints counts per consumer');
    let total = 0;
    for (const i of [1, 2, 3]) {
      const c = proc(r, `consumer-${i}`);
      const n = printed[c.name] ?? 0;
      total += n;
      assert.equal(flow(tasks, producer, c.pid), n + 1, `${c.name}: its tasks and its sentinel`);
      assert.equal(flow(results, c.pid, main(r).pid), n, `${c.name}: its answers`);
    }
    assert.equal(total, 20);
  });

  it('the timeline: consumers waiting on Queue.get(tasks) when the queue is empty', async () => {
    const r = await sample('05_queue.py');
    const tasks = channelNamed(r, 'tasks');
    for (const i of [1, 2, 3]) {
      const c = proc(r, `consumer-${i}`);
      const gets = model(r, c.pid).waits.filter((w) => w.what === 'queue.get' && r.model.channelOf(w.ref ?? '')?.id === tasks.id);
      assert.ok(gets.length >= 2, `${c.name} waited on tasks ${gets.length} times`);
      assert.ok(c.stateSeconds.waiting > 0.1, `${c.name} waited ${c.stateSeconds.waiting} s`);
    }
  });
});

describe('06 · a Lock around shared output', () => {
  it('the timeline: writers waiting on Lock.acquire(print_lock) while another holds it', async () => {
    const r = await sample('06_lock.py');
    const lock = r.summary.locks.find((l) => l.name === 'print_lock')!;
    let waits = 0;
    for (let w = 0; w < 4; w++)
      waits += model(r, proc(r, `writer-${w}`).pid).waits.filter(
        (x) => x.what === 'lock' && r.model.locks.get(x.ref ?? '')?.id === lock.id,
      ).length;
    assert.ok(waits >= 4, `${waits} lock waits drawn`);
  });

  it('the Locks panel: acquisitions, how many were contended and for how long, by whom', async () => {
    const r = await sample('06_lock.py');
    const lock = r.summary.locks.find((l) => l.name === 'print_lock');
    assert.ok(lock, 'print_lock is in the Locks view');
    assert.equal(lock.acquisitions, 20);
    assert.ok(lock.contended > 0 && lock.contendedSeconds > 0, JSON.stringify(lock));
    assert.equal(lock.holders.length, 4);
    for (const h of lock.holders) assert.equal(h.acquisitions, 5);
  });

  it("each line whole, and each writer's five lines are its own", async () => {
    const r = await sample('06_lock.py');
    for (let w = 0; w < 4; w++) {
      const text = output(r, proc(r, `writer-${w}`).pid);
      assert.equal(text, [0, 1, 2, 3, 4].map((i) => `worker ${w} line ${i}\n`).join(''));
    }
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 20);
    for (const l of lines) assert.match(l, /^worker \d line \d$/);
  });
});

describe('07 · shared memory: Value and Array', () => {
  it('the Flows tab: no messages at all', async () => {
    const r = await sample('07_value_array.py');
    assert.equal(r.summary.run.messages, 0);
  });

  it('the timeline: the adders run side by side without waiting on any channel', async () => {
    const r = await sample('07_value_array.py');
    const adders = [0, 1, 2, 3].map((i) => model(r, proc(r, `adder-${i}`).pid));
    for (const a of adders)
      assert.deepEqual(
        a.waits.filter((w) => r.model.channelOf(w.ref ?? '') !== undefined),
        [],
        a.name,
      );
    const lastStart = Math.max(...adders.map((p) => p.runAt!));
    const firstEnd = Math.min(...adders.map((p) => p.endedAt!));
    assert.ok(firstEnd > lastStart, 'all four alive together');
  });

  it('the Locks & shared tab: safe (a Value with a lock), unsafe (without), squares (an Array)', async () => {
    const r = await sample('07_value_array.py');
    const byName = new Map(r.summary.shared.map((x) => [x.name, x]));
    assert.equal(byName.get('safe')?.kind, 'Value');
    assert.equal(byName.get('safe')?.lock, true);
    assert.equal(byName.get('unsafe')?.kind, 'Value');
    assert.equal(byName.get('unsafe')?.lock, false);
    assert.equal(byName.get('squares')?.kind, 'Array');
    assert.equal(byName.get('squares')?.length, 4);
  });

  it('the output: the safe counter is exactly 8000; the unsafe one is less', async () => {
    const r = await sample('07_value_array.py');
    const m = /safe counter: (\d+) \(expected 8000\), unsafe: (\d+), squares: \[0, 1, 4, 9\]/.exec(output(r, main(r).pid));
    assert.ok(m, r.stdout);
    assert.equal(Number(m[1]), 8000);
    assert.ok(Number(m[2]) < 8000, `updates lost: ${m[2]}`);
  });
});

describe('08 · Manager: shared objects through a server process', () => {
  it('the Processes tree: the extra "manager" process', async () => {
    const r = await sample('08_manager.py');
    const managers = r.summary.processes.filter((p) => p.role === 'manager');
    assert.equal(managers.length, 1);
    assert.equal(managers[0].parentPid, main(r).pid);
  });

  it("the Flows tab: each worker's calls to the manager, by method name", async () => {
    const r = await sample('08_manager.py');
    const ch = r.summary.channels.find((c) => c.kind === 'manager')!;
    for (let w = 0; w < 3; w++) {
      const pid = proc(r, `recorder-${w}`).pid;
      const calls = Object.fromEntries(ch.calls!.filter((c) => c.pid === pid).map((c) => [c.method, c.calls]));
      assert.deepEqual(calls, { __setitem__: 3, append: 3 }, `recorder-${w}`);
    }
  });

  it("each worker's time: waiting on the manager's answers — every access is a round trip", async () => {
    const r = await sample('08_manager.py');
    const ch = r.summary.channels.find((c) => c.kind === 'manager')!;
    for (let w = 0; w < 3; w++) {
      const p = proc(r, `recorder-${w}`);
      const trips = ch.calls!.filter((c) => c.pid === p.pid);
      for (const c of trips) assert.equal(c.timed, c.calls, 'every call timed');
      const roundTrips = trips.reduce((a, c) => a + c.meanSeconds! * c.calls, 0);
      assert.ok(p.waits.manager > 0, `${p.name} waits on the manager`);
      assert.ok(p.waits.manager >= 0.8 * roundTrips, `${p.name}: waits ${p.waits.manager} s vs round trips ${roundTrips} s`);
    }
  });
});

describe('09 · Pool: map, map_async, imap, apply_async', () => {
  it('the Pools tab: tasks and chunks per worker for each call', async () => {
    const r = await sample('09_pool.py');
    assert.equal(r.summary.pools.length, 1);
    const pool = r.summary.pools[0];
    assert.deepEqual(
      pool.calls.map((c) => [c.method, c.tasks, c.chunksize]),
      [
        ['map', 24, 1],
        ['map', 24, 8],
        ['map_async', 12, 1],
        ['imap', 12, 2],
        ['apply_async', 1, null],
      ].map(([m, t, c]) => [m, t, c === null ? pool.calls[4].chunksize : c]),
    );
    assert.equal(pool.tasks, 24 + 24 + 12 + 12 + 1);
    assert.equal(pool.chunks, 24 + 3 + 12 + 6 + 1);
    assert.equal(pool.workers.length, 3);
    assert.equal(
      Object.values(pool.tasksByWorker).reduce((a, b) => a + b, 0),
      pool.tasks,
    );
    assert.equal(
      Object.values(pool.chunksByWorker).reduce((a, b) => a + b, 0),
      pool.chunks,
    );
  });

  it("the Pools tab's chart: the chunks each worker ran, by call (3 chunks of 8 for chunksize=8); how evenly (every worker took some)", async () => {
    const r = await sample('09_pool.py');
    const pool = r.summary.pools[0];
    // The chart draws the pool's task bands, a colour per call (job); the calls' jobs are numbered in call order.
    const jobs = [...new Set(r.model.tasks.map((t) => Number(t.job)))].sort((a, b) => a - b);
    assert.equal(jobs.length, pool.calls.length, `a job per call: ${jobs}`);
    const tasksOf = new Map<number, number>();
    const chunksOf = new Map<number, number>();
    jobs.forEach((job, i) => {
      const call = pool.calls[i];
      const chunks = r.model.tasks.filter((t) => Number(t.job) === job);
      // Per worker, for this call: its chunks and their tasks (items).
      const perWorker = new Map<number, { chunks: number; tasks: number }>();
      for (const c of chunks) {
        const w = perWorker.get(c.worker) ?? { chunks: 0, tasks: 0 };
        w.chunks++;
        w.tasks += c.items ?? 1;
        perWorker.set(c.worker, w);
      }
      for (const [pid, w] of perWorker) {
        assert.ok(pool.workers.includes(pid), `call ${i} ran on the pool's workers`);
        tasksOf.set(pid, (tasksOf.get(pid) ?? 0) + w.tasks);
        chunksOf.set(pid, (chunksOf.get(pid) ?? 0) + w.chunks);
      }
      const sum = (k: 'chunks' | 'tasks') => [...perWorker.values()].reduce((a, w) => a + w[k], 0);
      assert.equal(sum('tasks'), call.tasks, `${call.method} #${i}: its tasks over the workers`);
      assert.equal(sum('chunks'), [24, 3, 12, 6, 1][i], `${call.method} #${i}: its chunks over the workers`);
      if (call.chunksize === 8)
        assert.deepEqual(
          chunks.map((c) => c.items),
          [8, 8, 8],
          'chunksize=8: 3 chunks of 8 tasks',
        );
    });
    // The per-call figures add up to the per-worker totals the table shows.
    for (const w of pool.workers) {
      assert.equal(tasksOf.get(w) ?? 0, pool.tasksByWorker[w] ?? 0, `tasks of worker ${w}`);
      assert.equal(chunksOf.get(w) ?? 0, pool.chunksByWorker[w] ?? 0, `chunks of worker ${w}`);
      assert.ok((pool.tasksByWorker[w] ?? 0) > 0, `worker ${w} took tasks: ${JSON.stringify(pool.tasksByWorker)}`);
    }
  });

  it("the timeline: each worker's task bands, arrows for tasks and results; the main process waiting on AsyncResult.get", async () => {
    const r = await sample('09_pool.py');
    const pool = r.summary.pools[0];
    for (const w of pool.workers) assert.ok(r.model.tasks.filter((t) => t.worker === w).length > 0, `task bands of ${w}`);
    const arrows = r.model.messages.filter((m) => m.tag === 'task' || m.tag === 'result');
    assert.ok(arrows.length >= pool.chunks, `${arrows.length} task/result arrows`);
    assert.ok(model(r, main(r).pid).waits.some((w) => w.what === 'pool.result'));
  });
});

describe('10 · the three start methods', () => {
  it('the Processes tree: each child\'s start method, the "forkserver" process and the resource tracker', async () => {
    const r = await sample('10_start_methods.py');
    for (const m of ['fork', 'spawn', 'forkserver']) assert.equal(proc(r, `via-${m}`).startMethod, m);
    assert.equal(r.summary.processes.filter((p) => p.role === 'forkserver').length, 1);
    assert.ok(r.summary.processes.some((p) => p.role === 'resource-tracker'));
  });

  it('the timeline: the "created" band is shortest for fork', async () => {
    const r = await sample('10_start_methods.py');
    const created = (m: string) => {
      const b = bandsOf(r, proc(r, `via-${m}`).pid).find((x) => x.state === 'created');
      assert.ok(b, `via-${m} has a created band`);
      return b.end - b.begin;
    };
    assert.ok(created('fork') < created('spawn'), `fork ${created('fork')} s < spawn ${created('spawn')} s`);
    assert.ok(created('fork') < created('forkserver'), `fork ${created('fork')} s < forkserver ${created('forkserver')} s`);
  });

  it('the timeline: forkserver\'s first child also waits for the server to start (the "forkserver" process appears in its "created" band)', async () => {
    const r = await sample('10_start_methods.py');
    const server = r.summary.processes.find((p) => p.role === 'forkserver')!;
    const child = model(r, proc(r, 'via-forkserver').pid);
    const created = bandsOf(r, child.pid).find((x) => x.state === 'created')!;
    assert.ok(created, 'a created band');
    // The server is started by the child's start() call (its start is when the supervisor saw it, in whole ms, or its
    // runtime's first event, whichever came first): after the child's "created" band began...
    assert.ok(server.startedAt > created.begin - 0.005, `server up at ${server.startedAt} s, child created at ${created.begin} s`);
    // ...and the child, which the server forks, runs only after that.
    assert.ok(
      server.startedAt < created.end && server.startedAt < child.runAt!,
      `server up at ${server.startedAt} s, child ran at ${child.runAt} s`,
    );
    // No other child used the server: this one is its first.
    assert.deepEqual(
      r.summary.processes.filter((p) => p.startMethod === 'forkserver').map((p) => p.name),
      ['via-forkserver'],
    );
  });

  it("the output: each child's own line", async () => {
    const r = await sample('10_start_methods.py');
    for (const m of ['fork', 'spawn', 'forkserver'])
      assert.match(output(r, proc(r, `via-${m}`).pid), new RegExp(`^${m} +running after +\\d+ ms\\n$`));
  });
});

describe('11 · a zombie', () => {
  it("the timeline: the child's zombie band between its end and the join; the summary: stateSeconds.zombie ≈ 1.4", async () => {
    const r = await sample('11_zombie.py');
    const q = proc(r, 'quick');
    const zombie = bandsOf(r, q.pid).find((b) => b.state === 'zombie');
    assert.ok(zombie, 'a zombie band');
    const join = model(r, main(r).pid).waits.find((w) => w.what === 'join');
    assert.ok(Math.abs(zombie.begin - q.endedAt!) < 1e-6);
    assert.ok(zombie.end <= (join?.end ?? Infinity) + 0.05, 'until the join');
    assert.ok(q.stateSeconds.zombie > 1.2 && q.stateSeconds.zombie < 1.6, `zombie ${q.stateSeconds.zombie} s`);
    assert.equal(q.stateSeconds.zombie, q.zombieSeconds);
  });

  it('the CLI: `forkscope summary` prints the zombie seconds on the child\'s line (e.g. "zombie 1.403 s")', async () => {
    const r = await sample('11_zombie.py');
    const q = proc(r, 'quick');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-sample11-'));
    try {
      const file = path.join(dir, 'run.forkscope');
      fs.writeFileSync(file, r.recordingText);
      const ran = await runCommand(process.execPath, [CLI, 'summary', file], { cwd: dir });
      assert.equal(ran.code, 0, ran.stderr);
      const line = ran.stdout.split('\n').find((l) => l.includes(`quick [pid ${q.pid}]`));
      assert.ok(line, ran.stdout);
      const printed = /\bzombie (\d+\.\d{3}) s\b/.exec(line);
      assert.ok(printed, line);
      const s = Number(printed[1]);
      assert.ok(s > 1.2 && s < 1.6, `zombie ${s} s`);
      assert.ok(Math.abs(s - q.stateSeconds.zombie) < 0.0006, `printed ${s} s, summary ${q.stateSeconds.zombie} s`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the Processes view: the child marked zombie while the run is live', async () => {
    const r = await sample('11_zombie.py');
    const q = proc(r, 'quick');
    const rec = parseRecording(r.recordingText, r.recording);
    const at = rec.header.startedAt + q.endedAt! + 0.5; // half a second into its zombie life
    // The recording as it stood then: supervisor records up to that time, and each batch's runtime events up to it.
    const upTo: typeof rec.records = [];
    for (const x of rec.records) {
      if (x[0] === 'ev') {
        const events = (x[2] as unknown[][]).filter((e) => (e[1] as number) <= at);
        if (events.length) upTo.push(['ev', x[1], events] as unknown as (typeof rec.records)[number]);
      } else if (typeof x[1] === 'number' && x[1] <= at) upTo.push(x);
    }
    const m = RunReducer.fromRecords(rec.header, upTo);
    assert.equal(m.run.ended, false, 'still live then');
    const p = m.byPid.get(q.pid)!;
    const status = processStatus(p, m, new RefNames(m));
    assert.equal(status.state, 'zombie', JSON.stringify(status.label));
  });
});

describe('12 · an orphan', () => {
  it('the Processes tree: grandchild under middle, flagged as an orphan', async () => {
    const r = await sample('12_orphan.py');
    const mid = proc(r, 'middle');
    const g = proc(r, 'grandchild');
    assert.equal(g.parentPid, mid.pid);
    assert.equal(g.orphaned, true);
    assert.deepEqual(insightKinds(r.summary), ['orphan']);
    assert.deepEqual(r.summary.warnings.find((w) => w.kind === 'orphan')!.pids, [g.pid, mid.pid]);
    assert.equal(mid.endReason, 'os._exit');
  });

  it("the timeline: grandchild still running after middle's band ended", async () => {
    const r = await sample('12_orphan.py');
    assert.ok(proc(r, 'grandchild').endedAt! > proc(r, 'middle').endedAt! + 0.5);
  });

  it("the grandchild's OS parent PID in its tooltip: no longer middle's PID", async () => {
    const r = await sample('12_orphan.py');
    const g = proc(r, 'grandchild');
    const mid = proc(r, 'middle');
    assert.ok(g.adoptedBy !== null && g.adoptedBy !== mid.pid, `adopted by ${g.adoptedBy}`);
    // The grandchild reported its new parent itself: the same pid.
    assert.match(r.stdout, new RegExp(`grandchild ${g.pid}: my parent is now pid ${g.adoptedBy}\\b`));
  });
});

describe('13 · a deadlock: join before draining a queue', () => {
  it('the warning: which process waits for which, on what queue, at which line', async () => {
    const r = await sample('13_deadlock.py');
    assert.deepEqual(insightKinds(r.summary), ['deadlock']);
    const w = r.summary.warnings.find((x) => x.kind === 'deadlock')!;
    assert.deepEqual(w.pids, [main(r).pid, proc(r, 'writer').pid]);
    assert.match(w.message, /Read the queue before joining/);
    assert.match(w.message, /\bq\b/);
    // At which line: the join that waits, in the sample itself.
    const source = fs.readFileSync(path.join(SAMPLES, '13_deadlock.py'), 'utf8').split('\n');
    const joinLine = source.findIndex((l) => /^\s+p\.join\(timeout=5\.0\)/.test(l)) + 1;
    assert.ok(joinLine > 0);
    assert.equal(w.file && path.basename(w.file), '13_deadlock.py');
    assert.equal(w.line, joinLine, `the warning points at ${w.file}:${w.line}`);
    assert.ok(w.message.includes(`(13_deadlock.py:${joinLine})`), w.message);
    assert.ok(r.recordingText.includes('"deadlock"'), 'found live, at the default threshold');
  });

  it('the timeline: the parent waits on join(writer) for 5 s while the child is stuck — not running, not exited', async () => {
    const r = await sample('13_deadlock.py');
    const writer = proc(r, 'writer');
    const join = model(r, main(r).pid).waits.find((w) => w.what === 'join')!;
    assert.ok(join.end! - join.begin > 4.8 && join.end! - join.begin < 5.6, `join lasted ${join.end! - join.begin} s`);
    const bands = bandsOf(r, writer.pid);
    const a = join.begin + 0.5;
    const b = join.end! - 0.1;
    const stuck = secondsIn(bands, ['blocked'], a, b);
    assert.ok(stuck >= 0.95 * (b - a), `blocked ${stuck.toFixed(2)} of ${(b - a).toFixed(2)} s`);
    assert.equal(secondsIn(bands, ['exited', 'zombie'], a, b), 0);
    // Named as the tooltip and the tree say it.
    const names = new RefNames(r.model);
    const said = new Set(bands.filter((x) => x.state === 'blocked' && x.end > a && x.begin < b).map((x) => names.describeBlocked(x)));
    assert.deepEqual([...said], ["blocked: exiting: waiting for Queue q's feeder to flush"]);
  });

  it('then the arrow of the one big message and both processes ending', async () => {
    const r = await sample('13_deadlock.py');
    const q = channelNamed(r, 'q');
    const writer = proc(r, 'writer');
    assert.equal(flow(q, writer.pid, main(r).pid), 1);
    assert.ok(q.bytes >= 1 << 20);
    const arrow = r.model.messages.find((m) => m.from === writer.pid);
    assert.ok(arrow && arrow.bytes >= 1 << 20, 'the big message is an arrow');
    assert.equal(writer.exitCode, 0);
    assert.equal(main(r).exitCode, 0);
    assert.match(describeExit(model(r, writer.pid)) ?? '', /./);
  });
});

describe('every sample', () => {
  it('warns only where its lesson is a warning (11 zombie, 12 orphan, 13 deadlock)', async () => {
    const expected: Record<string, string[]> = { '11_zombie.py': ['zombie'], '12_orphan.py': ['orphan'], '13_deadlock.py': ['deadlock'] };
    const files = fs.readdirSync(SAMPLES).filter((f) => /^\d\d_.*\.py$/.test(f));
    assert.ok(files.length >= 13);
    for (const f of files) {
      const r = await sample(f);
      assert.deepEqual(insightKinds(r.summary), expected[f] ?? [], `${f}: ${JSON.stringify(r.summary.warnings, null, 1)}`);
    }
    const z = await sample('11_zombie.py');
    assert.deepEqual(z.summary.warnings.find((w) => w.kind === 'zombie')!.pids, [proc(z, 'quick').pid, main(z).pid]);
  });
});

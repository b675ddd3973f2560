/**
 * States from the OS and the runtime together (running / ready / waiting /
 * blocked), private vs shared memory, and peaks that do not cross exec —
 * against real Python runs recorded by the CLI (test/scripts/states/).
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { RunReducer } from '../../core/model/reducer';
import { stateBands } from '../../core/model/states';
import type { RunModel } from '../../core/model/types';
import { parseRecording } from '../../core/model/recording';
import { summarize, type Summary, type SummaryProcess } from '../../core/summary/summary';
import { hasProcfs, parseRollup } from '../../extension/runtime/procfs';
import { ProcessSampler, ReadBudget, ROLLUP_PER_TICK, ROLLUP_REFRESH_MS } from '../../extension/runtime/sampler';
import { spawn } from 'node:child_process';
import { RunBuilder } from '../builders/runBuilder';
import { CLI, PYTHON, runCommand, SCRIPTS } from './support/run';

const MiB = 1024 * 1024;
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/** `forkscope record` of a script in test/scripts/states, optionally under a command prefix (taskset). */
async function recordStates(
  script: string,
  args: string[] = [],
  prefix: string[] = [],
): Promise<{ model: RunModel; summary: Summary; stdout: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-states-'));
  const out = path.join(dir, 'run.forkscope');
  try {
    const cmd = [...prefix, process.execPath, CLI, 'record', '--out', out, '--python', PYTHON, '--', path.join('states', script), ...args];
    const ran = await runCommand(cmd[0], cmd.slice(1), { cwd: SCRIPTS, timeoutMs: 120_000 });
    assert.equal(ran.code, 0, ran.stderr);
    const rec = parseRecording(fs.readFileSync(out, 'utf8'), out);
    const model = RunReducer.fromRecords(rec.header, rec.records);
    return { model, summary: summarize(model), stdout: ran.stdout };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const named = (s: Summary, name: string): SummaryProcess => {
  const p = s.processes.find((x) => x.name === name);
  assert.ok(p, `${name} in ${s.processes.map((x) => x.name).join(', ')}`);
  return p!;
};

/** The burners' ready share of their time outside waits, and their CPU share of a core. */
function burners(s: Summary): { ready: number; cpu: number; procs: SummaryProcess[] } {
  const procs = s.processes.filter((p) => p.name.startsWith('burn-'));
  assert.equal(procs.length, 3);
  let ready = 0;
  let live = 0;
  let cpu = 0;
  for (const p of procs) {
    ready += p.stateSeconds.ready;
    live += p.stateSeconds.running + p.stateSeconds.ready + p.stateSeconds.blocked;
    cpu += p.cpuSeconds;
  }
  return { ready: ready / live, cpu: cpu / live, procs };
}

test(
  'ready: three CPU-bound children pinned to one core spend most of their time ready, less on two cores',
  { skip: !hasProcfs || !hasTaskset ? 'needs /proc and taskset' : false },
  async (t) => {
    const one = await recordStates('cpu_three.py', ['20000000'], ['taskset', '-c', '0']);
    const b1 = burners(one.summary);
    t.diagnostic(`one core: ready ${(b1.ready * 100).toFixed(0)} %, cpu ${(b1.cpu * 100).toFixed(0)} % of a core`);
    // Three on one core: each is on it about a third of the time and ready the rest.
    assert.ok(b1.ready > 0.45, `pinned burners ready ${b1.ready.toFixed(2)} of their time`);
    for (const p of b1.procs) {
      assert.ok(p.stateSeconds.ready > 0.3, `${p.name} ready ${p.stateSeconds.ready} s`);
      // What is drawn on a CPU is what the OS accounted as CPU time (generous margin).
      assert.ok(
        Math.abs(p.stateSeconds.running - p.cpuSeconds) < 0.35 * p.cpuSeconds + 0.1,
        `${p.name} running ${p.stateSeconds.running} s, cpu ${p.cpuSeconds} s`,
      );
    }
    // Its bands say ready too (the timeline's vocabulary, not only the summary).
    const burn0 = one.model.processes.find((p) => p.name === 'burn-0')!;
    assert.ok(stateBands(burn0, one.model.run.wallSeconds).some((b) => b.state === 'ready'));

    const two = await recordStates('cpu_three.py', ['20000000']);
    const b2 = burners(two.summary);
    t.diagnostic(`two cores: ready ${(b2.ready * 100).toFixed(0)} %, cpu ${(b2.cpu * 100).toFixed(0)} % of a core`);
    // Ready is the time runnable and off a CPU: with both cores, as much as the machine's other load leaves.
    assert.ok(Math.abs(b2.ready - (1 - b2.cpu)) < 0.2, `unpinned ready ${b2.ready.toFixed(2)} against CPU share ${b2.cpu.toFixed(2)}`);
    assert.ok(b2.ready < b1.ready + 0.1, `unpinned ready ${b2.ready.toFixed(2)} not above pinned ${b1.ready.toFixed(2)}`);
    // On a machine whose second core was free enough to give them clearly more than one core, much less ready.
    if (b2.cpu > b1.cpu + 0.2)
      assert.ok(b2.ready < b1.ready - 0.15, `unpinned ready ${b2.ready.toFixed(2)} vs pinned ${b1.ready.toFixed(2)}`);
  },
);

test(
  'blocked: a child stuck at exit flushing its Queue is not running; its band names the queue',
  { skip: !hasProcfs ? 'needs /proc' : false },
  async () => {
    const r = await recordStates('stuck_writer.py');
    assert.equal(r.stdout.trim(), '1048576 0');
    const w = named(r.summary, 'writer');
    // The parent joins with a 2 s timeout before reading: the writer is stuck for about 2 s.
    assert.ok(w.stateSeconds.blocked > 1.2, `writer blocked ${w.stateSeconds.blocked} s`);
    assert.ok(w.stateSeconds.running < 0.5, `writer running ${w.stateSeconds.running} s`);
    const p = r.model.processes.find((x) => x.name === 'writer')!;
    const bands = stateBands(p, r.model.run.wallSeconds);
    const stuck = bands.filter((b) => b.state === 'blocked' && b.what === 'exit-flush');
    assert.ok(stuck.length > 0, JSON.stringify(bands.map((b) => [b.state, b.what])));
    const q = r.model.channelOf(stuck[0].ref ?? '');
    assert.equal(q?.name, 'q', `the stuck flush names the queue: ${stuck[0].ref}`);
    // No running band during the stuck time (from the join's start to 2 s later, give or take a sample).
    const main = r.model.processes.find((x) => x.role === 'main')!;
    const join = main.waits.find((x) => x.what === 'join')!;
    const from = join.begin + 0.4;
    const to = join.begin + 1.6;
    const running = bands
      .filter((b) => b.state === 'running' && b.end > from && b.begin < to)
      .reduce((n, b) => n + Math.min(b.end, to) - Math.max(b.begin, from), 0);
    assert.ok(running < 0.1, `running ${running} s while stuck`);
  },
);

test(
  'memory: copy-on-write shows in private memory, not in RSS (fork reader vs writer)',
  { skip: !hasProcfs ? 'needs /proc' : false },
  async (t) => {
    const r = await recordStates('cow.py');
    const reader = named(r.summary, 'reader');
    const writer = named(r.summary, 'writer');
    t.diagnostic(
      `reader private ${(reader.peakPrivateBytes! / MiB).toFixed(1)} MiB rss ${(reader.peakRssBytes / MiB).toFixed(1)}; writer private ${(writer.peakPrivateBytes! / MiB).toFixed(1)} rss ${(writer.peakRssBytes / MiB).toFixed(1)}`,
    );
    assert.ok(reader.peakPrivateBytes !== null && writer.peakPrivateBytes !== null);
    assert.ok(writer.peakPrivateBytes! - reader.peakPrivateBytes! > 30 * MiB, 'the writer copied the 40 MiB, the reader did not');
    assert.ok(reader.peakSharedBytes! > 30 * MiB, `the reader shares the parent's pages: ${reader.peakSharedBytes}`);
    assert.ok(reader.peakPssBytes! < reader.peakRssBytes && reader.peakPssBytes! > 0);
    // RSS cannot tell them apart: both count the 40 MiB.
    assert.ok(reader.peakRssBytes > 40 * MiB && writer.peakRssBytes > 40 * MiB);
    assert.ok(
      Math.abs(writer.peakRssBytes - reader.peakRssBytes) < 0.25 * Math.max(writer.peakRssBytes, reader.peakRssBytes),
      `rss ${reader.peakRssBytes} vs ${writer.peakRssBytes}`,
    );
    // The per-sample series the memory chart draws: private grows in the writer while it lives.
    const wp = r.model.processes.find((p) => p.name === 'writer')!;
    assert.ok(wp.samples.uss.some((v) => v !== null && v > 40 * MiB));
    assert.ok(r.model.processes.find((p) => p.name === 'reader')!.samples.shared.some((v) => v !== null && v > 30 * MiB));
  },
);

test('memory: a spawn child does not carry its parent peak across exec', async (t) => {
  const r = await recordStates('spawn_peak.py');
  const main = r.summary.processes.find((p) => p.role === 'main')!;
  const child = named(r.summary, 'spawned');
  t.diagnostic(`main peak ${(main.peakRssBytes / MiB).toFixed(0)} MiB, spawn child ${(child.peakRssBytes / MiB).toFixed(0)} MiB`);
  assert.ok(main.peakRssBytes > 80 * MiB, `the parent holds 80 MiB: ${main.peakRssBytes}`);
  assert.ok(child.peakRssBytes > 0 && child.peakRssBytes < main.peakRssBytes - 50 * MiB, `spawn child peak ${child.peakRssBytes}`);
});

test('recordings with the old six-column sample rows still load (no private memory; RSS in its place)', () => {
  const b = new RunBuilder()
    .spawned(0, 100)
    .hello(0.01, 100, 99)
    .ev(100, ['proc', 0.01, { key: null, name: 'MainProcess', role: 'main' }])
    .sample(0.1, [[100, 95, 20_000_000, 'R', 99, 0.09]])
    .sample(0.2, [[100, 30, 21_000_000, 'R', 99, 0.12]])
    .sample(0.3, [[100, 0, 21_000_000, 'S', 99, 0.12]])
    .exited(0.4, 0)
    .end(0.4);
  const m = RunReducer.fromRecords(b.head, b.records);
  const s = summarize(m);
  const p = s.processes[0];
  assert.equal(p.peakRssBytes, 21_000_000);
  assert.equal(p.peakPrivateBytes, null);
  assert.equal(p.peakSharedBytes, null);
  assert.equal(p.peakPssBytes, null);
  // 0.1–0.2: R at 30 % → 0.07 s ready; 0.2–0.3: S at 0 % → blocked.
  assert.ok(Math.abs(p.stateSeconds.ready - 0.07) < 1e-6, JSON.stringify(p.stateSeconds));
  assert.ok(p.stateSeconds.blocked > 0.19, JSON.stringify(p.stateSeconds));
  const sum = p.stateSeconds.running + p.stateSeconds.ready + p.stateSeconds.waiting + p.stateSeconds.blocked + p.stateSeconds.starting;
  assert.ok(Math.abs(sum - 0.4) < 1e-6, `states add up to the life: ${sum}`);
  // New rows carry private, PSS and shared bytes; the summary keeps their peaks.
  b.records.splice(b.records.length - 2, 0, [
    'sample',
    b.head.startedAt + 0.35,
    [[100, 0, 21_000_000, 'S', 99, 0.12, 5_000_000, 9_000_000, 16_000_000]],
  ]);
  const s2 = summarize(RunReducer.fromRecords(b.head, b.records));
  assert.equal(s2.processes[0].peakPrivateBytes, 5_000_000);
  assert.equal(s2.processes[0].peakPssBytes, 9_000_000);
  assert.equal(s2.processes[0].peakSharedBytes, 16_000_000);
});

test('a short life takes its CPU share from its own exit accounting', () => {
  const b = new RunBuilder()
    .spawned(0, 100)
    .ev(100, ['proc', 0, { key: null, name: 'MainProcess', role: 'main' }])
    .ev(101, ['proc', 1.0, { key: null, name: 'burst', role: 'process' }], ['run', 1.0, null])
    // One partial sample saw 25 %; the process says it used 0.3 s of CPU in its 0.3 s.
    .sample(1.1, [[101, 25, 10_000_000, 'R', 100, 0.02]])
    .ev(101, ['exit', 1.3, 0, 0.3, 10_000_000, []])
    .end(2);
  const m = RunReducer.fromRecords(b.head, b.records);
  const p = m.byPid.get(101)!;
  const s = summarize(m).processes.find((x) => x.pid === 101)!;
  assert.ok(s.stateSeconds.running > 0.29 && s.stateSeconds.ready < 0.01, JSON.stringify(s.stateSeconds));
  assert.equal(p.exitCpuSeconds, 0.3);
});

test('smaps_rollup parsing: private = Private_Clean + Private_Dirty, shared = Shared_Clean + Shared_Dirty', () => {
  const text = [
    '00400000-7fff [rollup]',
    'Rss: 300 kB',
    'Pss: 120 kB',
    'Shared_Clean: 150 kB',
    'Shared_Dirty: 50 kB',
    'Private_Clean: 40 kB',
    'Private_Dirty: 60 kB',
    'Swap: 0 kB',
  ].join('\n');
  assert.deepEqual(parseRollup(text), { uss: 100 * 1024, pss: 120 * 1024, shared: 200 * 1024 });
  assert.equal(parseRollup('Rss: 1 kB\n'), null);
});

test('ReadBudget refills at its rate up to its burst, and one read may overdraw it', () => {
  let now = 0;
  const b = new ReadBudget(10, 25, () => now);
  assert.equal(b.available(), true);
  b.spend(30); // one slow read: 5 ms overdrawn
  assert.equal(b.available(), false);
  now += 400; // +4 ms
  assert.equal(b.available(), false);
  now += 200; // +2 ms: 1 ms left
  assert.equal(b.available(), true);
  now += 60_000; // capped at the burst
  assert.equal(b.available(), true);
  b.spend(25);
  assert.equal(b.available(), false);
});

/**
 * What the tests' clock moves between two samples: enough to refill any read's cost (a read charges the process's
 * CPU meanwhile, its other threads' included), while the budget's burst of 1e-6 ms still allows one read a refill.
 */
const REFILL = 1e6;

test(
  'the sampler reads smaps_rollup only within its time budget: never-read processes first, then the stalest',
  { skip: !hasProcfs ? 'needs /proc' : false },
  async () => {
    const kids = Array.from({ length: 3 }, () => spawn('sleep', ['20'], { stdio: 'ignore' }));
    let now = 0;
    // A budget that one read empties: 1 ms a second, nothing saved up (REFILL).
    const sampler = new ProcessSampler('procfs', new ReadBudget(1, 1e-6, () => now));
    try {
      await new Promise((r) => setTimeout(r, 200));
      const pids = kids.map((k) => k.pid!);
      const read = (rows: Awaited<ReturnType<ProcessSampler['sample']>>) => rows.filter((r) => typeof r[6] === 'number').map((r) => r[0]);
      const order: number[] = [];
      for (let tick = 0; tick < 3; tick++) {
        const got = read(await sampler.sample(pids));
        assert.equal(got.length, 1, `one read per refill (tick ${tick}: ${got})`);
        assert.deepEqual(read(await sampler.sample(pids)), [], 'nothing more before the budget refills');
        order.push(got[0]);
        now += REFILL;
      }
      assert.deepEqual([...order].sort(), [...pids].sort(), 'each process once before any is read again');
      const again = read(await sampler.sample(pids));
      assert.deepEqual(again, [order[0]], 'then the longest unread');
    } finally {
      for (const k of kids) k.kill('SIGKILL');
      sampler.close();
    }
  },
);

test(
  'the sampler reads smaps_rollup first for a process that copies pages it shares (its RSS stays), not for one that only runs',
  { skip: !hasProcfs ? 'needs /proc' : false },
  async () => {
    const sleepers = Array.from({ length: 3 }, () => spawn('sleep', ['20'], { stdio: 'ignore' }));
    const spinner = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
    // A fork child writing, page by page, to 64 MiB it shares with its parent: a fault per page, the same RSS.
    const cow = spawn(
      PYTHON,
      [
        '-c',
        `import os, sys, time
b = bytearray(64 << 20)
if os.fork() == 0:
    print("ready", flush=True)
    for i in range(0, len(b), 4096):
        b[i] = 1
        if i % (64 * 4096) == 0:
            time.sleep(0.01)
    os._exit(0)
print(os.getpid(), flush=True)
time.sleep(20)`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let now = 0;
    // One read per tick of the clock (10 ms refills any read), nothing saved up.
    const sampler = new ProcessSampler('procfs', new ReadBudget(1e6, 1e-6, () => now));
    try {
      let out = '';
      await new Promise<void>((resolve) => cow.stdout.on('data', (d: Buffer) => (out += d.toString()).includes('ready') && resolve()));
      const writer = Number(fs.readFileSync(`/proc/${cow.pid}/task/${cow.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
      assert.ok(writer > 0, 'the fork child');
      const pids = [...sleepers, spinner, cow].map((k) => k.pid!).concat(writer);
      const read = (rows: Awaited<ReturnType<ProcessSampler['sample']>>) => rows.filter((r) => typeof r[6] === 'number').map((r) => r[0]);
      const first: number[] = [];
      for (let tick = 0; tick < pids.length; tick++) {
        first.push(...read(await sampler.sample(pids)));
        now += 10; // (well under ROLLUP_REFRESH_MS: nothing is read again for its age alone)
      }
      assert.deepEqual([...first].sort(), [...pids].sort(), 'each process read once, never-read ones first');
      // From then on the writer is read at every refill; the spinner ran all along, but took no faults.
      for (let tick = 0; tick < 2; tick++) {
        await new Promise((r) => setTimeout(r, 100)); // (the writer copies pages meanwhile)
        assert.deepEqual(read(await sampler.sample(pids)), [writer], `refill ${tick}: the process that copied pages`);
        now += 10;
      }
      // The writer gone, nothing is read: the spinner keeps running, but it takes no faults.
      process.kill(writer, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(read(await sampler.sample(pids)), [], 'a process that only ran waits for ROLLUP_REFRESH_MS');
    } finally {
      for (const k of [...sleepers, spinner, cow]) k.kill('SIGKILL');
      sampler.close();
    }
  },
);

test(
  'a process no one touches is read again only ROLLUP_REFRESH_MS after its last read',
  { skip: !hasProcfs ? 'needs /proc' : false },
  async () => {
    const kid = spawn('sleep', ['20'], { stdio: 'ignore' });
    let now = 0;
    const sampler = new ProcessSampler('procfs', new ReadBudget(1e6, 1e6, () => now));
    try {
      await new Promise((r) => setTimeout(r, 200));
      const read = async () => (await sampler.sample([kid.pid!])).filter((r) => typeof r[6] === 'number').length;
      assert.equal(await read(), 1, 'read at first sight');
      now += ROLLUP_REFRESH_MS - 1;
      assert.equal(await read(), 0, 'not again before ROLLUP_REFRESH_MS');
      now += 1;
      assert.equal(await read(), 1, 'again after it');
    } finally {
      kid.kill('SIGKILL');
      sampler.close();
    }
  },
);

test(
  'the sampler reads smaps_rollup for at most ROLLUP_PER_TICK processes a tick, the longest unread first',
  { skip: !hasProcfs ? 'needs /proc' : false },
  async () => {
    const kids = Array.from({ length: ROLLUP_PER_TICK + 8 }, () => spawn('sleep', ['20'], { stdio: 'ignore' }));
    const sampler = new ProcessSampler('procfs', new ReadBudget(1e6, 1e6)); // (the time budget is tested below)
    try {
      await new Promise((r) => setTimeout(r, 300));
      const pids = kids.map((k) => k.pid!);
      const withMemory = (rows: Awaited<ReturnType<ProcessSampler['sample']>>) =>
        new Set(rows.filter((r) => typeof r[6] === 'number').map((r) => r[0]));
      const first = await sampler.sample(pids);
      assert.equal(first.length, pids.length);
      for (const r of first) assert.equal(r.length, 9, 'rows have the three memory columns');
      const a = withMemory(first);
      assert.equal(a.size, ROLLUP_PER_TICK);
      for (const r of first) {
        if (typeof r[6] !== 'number') continue;
        const [uss, pss, shared] = [r[6], r[7] as number, r[8] as number];
        assert.ok(
          uss > 0 && pss >= uss && shared > 0 && Math.abs(uss + shared - r[2]) < 0.25 * r[2] + 256 * 1024,
          `uss ${uss} pss ${pss} shared ${shared} rss ${r[2]}`,
        );
      }
      const b = withMemory(await sampler.sample(pids));
      for (const pid of pids) if (!a.has(pid)) assert.ok(b.has(pid), `pid ${pid} not read at the first tick is read at the second`);
    } finally {
      for (const k of kids) k.kill('SIGKILL');
      sampler.close();
    }
  },
);

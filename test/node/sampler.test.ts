import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { confirmProcUnits, hasProcfs, LastPidReader, parseAuxv, parseLastPid, parseStat, procUnits } from '../../extension/runtime/procfs';
import { ProcessSampler, type SampleSource } from '../../extension/runtime/sampler';

test('an auxiliary vector is read as type/value pairs of native words, up to its end', () => {
  const pairs = [
    [33, 0x7ffd0000],
    [6, 16384],
    [17, 250],
    [0, 0],
    [6, 1], // after AT_NULL: not read
  ];
  const b64 = Buffer.alloc(pairs.length * 16);
  const b32 = Buffer.alloc(pairs.length * 8);
  pairs.forEach(([t, v], i) => {
    b64.writeBigUInt64LE(BigInt(t), i * 16);
    b64.writeBigUInt64LE(BigInt(v), i * 16 + 8);
    b32.writeUInt32BE(t, i * 8);
    b32.writeUInt32BE(v, i * 8 + 4);
  });
  for (const aux of [parseAuxv(b64, 8, true), parseAuxv(b32, 4, false)]) {
    assert.equal(aux.get(6), 16384);
    assert.equal(aux.get(17), 250);
    assert.equal(aux.size, 3);
  }
});

test('clock ticks and page size come from the kernel, as getconf says them', { skip: !hasProcfs ? 'needs /proc' : false }, () => {
  confirmProcUnits();
  const getconf = (name: string) => Number(spawnSync('getconf', [name], { encoding: 'utf8' }).stdout.trim());
  assert.equal(procUnits.ticks, getconf('CLK_TCK'));
  assert.equal(procUnits.page, getconf('PAGESIZE'));
});

test('the last pid is the fifth field of /proc/loadavg', () => {
  assert.equal(parseLastPid('0.20 0.18 0.12 1/80 11206\n'), 11206);
  assert.equal(parseLastPid('0.20 0.18 0.12 1/80'), null);
  assert.equal(parseLastPid(''), null);
});

test('the last pid moves when a process starts', { skip: !hasProcfs ? 'needs /proc' : false }, () => {
  const reader = new LastPidReader();
  try {
    const before = reader.read();
    assert.ok(before !== null && before > 0);
    const child = spawnSync('true');
    assert.equal(child.status, 0);
    const after = reader.read()!;
    assert.notEqual(after, before);
  } finally {
    reader.close();
  }
});

test('stat lines are parsed after the last parenthesis (names with spaces and parentheses)', () => {
  const line = '4242 (my (odd) name) S 4241 4242 4242 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 1 0 987654 10000000 2500 18446744073709551615';
  const st = parseStat(line)!;
  assert.equal(st.state, 'S');
  assert.equal(st.ppid, 4241);
  assert.equal(st.cpuTicks, 200);
  assert.equal(st.startTicks, 987654);
  assert.equal(st.rssPages, 2500);
  assert.equal(st.faults, 100, 'minor + major faults');
});

test(
  "a sampler held up between its reads still divides each process's CPU by that process's own window",
  { skip: !hasProcfs },
  async () => {
    // A supervisor descheduled in the middle of a sample (a loaded machine): here the read of the process before
    // the spinner is held up by 300 ms in the second sample. The spinner's CPU time then grows over those 300 ms
    // too, and its window must too.
    const busy = spawn(process.execPath, ['-e', 'const t=Date.now()+8000; while(Date.now()<t){}'], { stdio: 'ignore' });
    const idle = spawn('sleep', ['8'], { stdio: 'ignore' });
    const sampler = new ProcessSampler('procfs');
    const stat = (sampler as unknown as { stat: { read(pid: number): unknown } }).stat;
    const read = stat.read.bind(stat);
    let holdUp = 0;
    stat.read = (pid: number) => {
      const st = read(pid);
      if (pid === idle.pid && holdUp) {
        const until = performance.now() + holdUp;
        while (performance.now() < until) {
          /* held up */
        }
      }
      return st;
    };
    try {
      await new Promise((r) => setTimeout(r, 200));
      const first = await sampler.sample([idle.pid!, busy.pid!]);
      const t1 = performance.now();
      await new Promise((r) => setTimeout(r, 600));
      holdUp = 300;
      const t2 = performance.now();
      const rows = await sampler.sample([idle.pid!, busy.pid!]);
      const b = rows.find((r) => r[0] === busy.pid)!;
      const grew = (b[5] ?? 0) - (first.find((r) => r[0] === busy.pid)?.[5] ?? 0);
      // Its window is at least from the end of the first sample to the end of the hold-up.
      const most = (grew / ((t2 + holdUp - t1) / 1000)) * 100;
      assert.ok(b[1] < most * 1.1 + 3, `busy cpu ${b[1]} %, at most ${most.toFixed(1)} % of its window`);
    } finally {
      busy.kill('SIGKILL');
      idle.kill('SIGKILL');
      sampler.close();
    }
  },
);

const sources: SampleSource[] = hasProcfs ? ['procfs', 'pidusage'] : ['pidusage'];
for (const source of sources) {
  test(`sampling with ${source}: a busy process shows CPU, an idle one none; gone pids are left out`, async () => {
    const busy = spawn(process.execPath, ['-e', 'const t=Date.now()+8000; while(Date.now()<t){}'], { stdio: 'ignore' });
    const idle = spawn('sleep', ['8'], { stdio: 'ignore' });
    const sampler = new ProcessSampler(source);
    try {
      await new Promise((r) => setTimeout(r, 200));
      const t0 = performance.now();
      const first = await sampler.sample([busy.pid!, idle.pid!]);
      const t1 = performance.now();
      await new Promise((r) => setTimeout(r, 600));
      const t2 = performance.now();
      const rows = await sampler.sample([busy.pid!, idle.pid!, 999_999_99]);
      const t3 = performance.now();
      const byPid = new Map(rows.map((r) => [r[0], r]));
      assert.equal(rows.length, 2, 'the nonexistent pid is left out');
      const b = byPid.get(busy.pid!)!;
      const i = byPid.get(idle.pid!)!;
      // A spinning process against a sleeping one. How much CPU the spinner gets depends on how busy the
      // machine is, so compare the sampled percentage with its own CPU-time growth between the two samples.
      // The sampler read /proc somewhere inside each call: its window is at least t2 - t1 and at most t3 - t0
      // (on a loaded machine a call can take a while to come back).
      const c1 = first.find((r) => r[0] === busy.pid)?.[5] ?? 0;
      const grew = (b[5] ?? 0) - c1;
      const most = (grew / ((t2 - t1) / 1000)) * 100;
      const least = (grew / ((t3 - t0) / 1000)) * 100;
      assert.ok(b[1] > 2 && b[1] > i[1], `busy cpu ${b[1]}, idle ${i[1]}`);
      assert.ok(
        b[1] > least * 0.8 - 5 && b[1] < most * 1.2 + 5,
        `busy cpu ${b[1]} %, its CPU time grew ${least.toFixed(1)}–${most.toFixed(1)} % of the window`,
      );
      assert.ok(i[1] < 5, `idle cpu ${i[1]}`);
      assert.ok(b[2] > 1_000_000, 'rss in bytes');
      assert.ok((b[5] ?? 0) > 0.1, 'cpu seconds');
      if (hasProcfs) {
        assert.equal(b[3], 'R');
        assert.equal(i[3], 'S');
        assert.equal(b[4], process.pid);
      }
      busy.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
      const after = await sampler.sample([busy.pid!]);
      // Killed but not yet reaped by us: a zombie where /proc tells, else gone.
      if (after.length) assert.equal(after[0][3], 'Z');
    } finally {
      busy.kill('SIGKILL');
      idle.kill('SIGKILL');
      sampler.close();
    }
  });
}

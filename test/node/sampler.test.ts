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
});

const sources: SampleSource[] = hasProcfs ? ['procfs', 'pidusage'] : ['pidusage'];
for (const source of sources) {
  test(`sampling with ${source}: a busy process shows CPU, an idle one none; gone pids are left out`, async () => {
    const busy = spawn(process.execPath, ['-e', 'const t=Date.now()+8000; while(Date.now()<t){}'], { stdio: 'ignore' });
    const idle = spawn('sleep', ['8'], { stdio: 'ignore' });
    const sampler = new ProcessSampler(source);
    try {
      await new Promise((r) => setTimeout(r, 200));
      const first = await sampler.sample([busy.pid!, idle.pid!]);
      const t1 = performance.now();
      await new Promise((r) => setTimeout(r, 600));
      const rows = await sampler.sample([busy.pid!, idle.pid!, 999_999_99]);
      const t2 = performance.now();
      const byPid = new Map(rows.map((r) => [r[0], r]));
      assert.equal(rows.length, 2, 'the nonexistent pid is left out');
      const b = byPid.get(busy.pid!)!;
      const i = byPid.get(idle.pid!)!;
      // A spinning process against a sleeping one. How much CPU the spinner gets depends on how busy the
      // machine is, so compare the sampled percentage with its own CPU-time growth over the same window.
      const c1 = first.find((r) => r[0] === busy.pid)?.[5] ?? 0;
      const expected = (((b[5] ?? 0) - c1) / ((t2 - t1) / 1000)) * 100;
      assert.ok(b[1] > 2 && b[1] > i[1], `busy cpu ${b[1]}, idle ${i[1]}`);
      assert.ok(
        Math.abs(b[1] - expected) < Math.max(15, expected * 0.35),
        `busy cpu ${b[1]} %, its CPU time grew ${expected.toFixed(1)} % of the window`,
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

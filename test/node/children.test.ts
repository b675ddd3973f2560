/**
 * Children started outside multiprocessing, end to end through `forkscope record` and the summary:
 * a Python started with subprocess joins the run with its pool and its parent; commands that are not
 * Python (sleep, sh) are processes of role `command` with their command line and exit code; an
 * os.execv into Python stays the same process with an `execs` entry; a raw fork child nobody reaps
 * gets its exit code from /proc; the resource tracker and the forkserver say theirs.
 */

import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { plainRun, record, ROOT } from './support/run';

const CHILDREN = path.join(ROOT, 'test', 'scripts', 'children.py');

test('a Python started with subprocess joins the run with its pool', async () => {
  const r = await record(CHILDREN, ['subprocess']);
  const plain = await plainRun(CHILDREN, ['subprocess']);
  assert.equal(r.stdout, plain.stdout);
  assert.equal(r.code, 0, r.stderr);
  const s = r.summary;
  const main = s.processes.find((p) => p.role === 'main')!;
  const inner = s.processes.filter((p) => p.role === 'subprocess');
  assert.equal(inner.length, 1, JSON.stringify(s.processes.map((p) => [p.pid, p.role, p.name])));
  assert.equal(inner[0].ppid, main.pid);
  assert.equal(inner[0].startMethod, 'subprocess');
  assert.equal(inner[0].exitCode, 7);
  assert.match(inner[0].command ?? '', /children_inner\.py pool$/);
  const pool = s.pools.find((p) => p.kind === 'pool')!;
  assert.equal(pool.tasks, 12);
  assert.equal(pool.chunks, 4);
  for (const w of pool.workers) assert.equal(s.processes.find((p) => p.pid === w)!.parentPid, inner[0].pid);
});

test('commands that are not Python: role command, command line, exit code', async () => {
  const r = await record(CHILDREN, ['commands']);
  assert.equal(r.code, 0, r.stderr);
  const main = r.summary.processes.find((p) => p.role === 'main')!;
  const cmds = r.summary.processes.filter((p) => p.role === 'command' && p.ppid === main.pid);
  const by = Object.fromEntries(cmds.map((p) => [p.name, p]));
  assert.deepEqual(Object.keys(by).sort(), ['env', 'sh', 'sleep'], JSON.stringify(cmds));
  assert.equal(by.sleep.command, 'sleep 0.3');
  assert.equal(by.sleep.exitCode, 0);
  assert.equal(by.sh.command, 'sh -c "sleep 0.2; exit 5"');
  assert.equal(by.sh.exitCode, 5);
  assert.ok(by.sleep.endedAt !== null);
});

test("a reaped child's CPU seconds are all of it, as its parent's rusage counts them", async () => {
  const r = await record(path.join(ROOT, 'test', 'scripts', 'reap_cpu.py'), []);
  assert.equal(r.code, 0, r.stderr);
  const [mp, all] = r.stderr.trim().split(/\s+/).slice(-2).map(Number);
  const cpu = (name: string) => r.summary.processes.find((p) => p.name === name)!.cpuSeconds!;
  // the children's own exit accounting misses their teardown: about a fifth of these short lives
  assert.ok(Math.abs(cpu('burner-0') + cpu('burner-1') - mp) < 0.005, `${cpu('burner-0')} + ${cpu('burner-1')} against ${mp}`);
  const sub = r.summary.processes.find((p) => p.role === 'subprocess')!;
  assert.ok(Math.abs(sub.cpuSeconds! - (all - mp)) < 0.005, `${sub.cpuSeconds} against ${all - mp}`);
});

test('a command started by os.system after a quiet spell is found in /proc', { skip: process.platform !== 'linux' }, async () => {
  const r = await record(CHILDREN, ['system']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /system exit 0/);
  const main = r.summary.processes.find((p) => p.role === 'main')!;
  const cmds = r.summary.processes.filter((p) => p.role === 'command' && p.ppid === main.pid);
  assert.equal(cmds.length, 1, JSON.stringify(r.summary.processes.map((p) => [p.pid, p.role, p.command])));
  assert.match(cmds[0].command ?? '', /sleep 0\.4/);
  assert.ok(cmds[0].endedAt !== null);
});

test(
  'a child seen before its exec, with its parent’s command line, is the command it runs after',
  { skip: process.platform !== 'linux' },
  async () => {
    const r = await record(CHILDREN, ['late-exec']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /late-exec exit 0/);
    const main = r.summary.processes.find((p) => p.role === 'main')!;
    const kids = r.summary.processes.filter((p) => p.ppid === main.pid);
    assert.deepEqual(
      kids.map((p) => [p.role, p.name, p.command]),
      [['command', 'sleep', 'sleep 1']],
      'first recorded as a fork (it had python’s command line for 0.3 s), then as what it runs',
    );
    assert.ok(r.recordingText.includes(`,${kids[0].pid},${main.pid},`), 'found in /proc');
  },
);

test('os.execv into Python: the same process, its execs, then its pool', async () => {
  const r = await record(CHILDREN, ['execv']);
  assert.equal(r.code, 7, r.stderr);
  const s = r.summary;
  const main = s.processes.filter((p) => p.role === 'main');
  assert.equal(main.length, 1, JSON.stringify(s.processes.map((p) => [p.pid, p.role, p.name])));
  assert.equal(main[0].execs?.length, 1);
  assert.equal(main[0].execs![0].python, true);
  assert.match(main[0].execs![0].argv.join(' '), /children_inner\.py pool$/);
  const pool = s.pools.find((p) => p.kind === 'pool')!;
  assert.equal(pool.tasks, 12);
  for (const w of pool.workers) assert.equal(s.processes.find((p) => p.pid === w)!.parentPid, main[0].pid);
});

test('a raw fork child nobody reaps: exit code from /proc', { skip: process.platform !== 'linux' }, async () => {
  const r = await record('unreaped_fork.py', []);
  assert.equal(r.code, 0, r.stderr);
  const fork = r.summary.processes.filter((p) => p.role === 'fork');
  assert.equal(fork.length, 1, JSON.stringify(r.summary.processes));
  assert.equal(fork[0].exitCode, 3);
});

test('the resource tracker and the forkserver say their exit code and how their main ended', async () => {
  const r = await record(path.join(ROOT, 'test', 'scripts', 'children_helpers.py'), ['forkserver']);
  assert.equal(r.code, 0, r.stderr);
  // The tracker's main returns at EOF on its pipe; the forkserver's raises SystemExit at EOF on its alive pipe.
  for (const [role, reason, detail] of [
    ['resource-tracker', 'returned', null],
    ['forkserver', 'sys.exit', '0'],
  ] as const) {
    const p = r.summary.processes.filter((x) => x.role === role);
    assert.equal(p.length, 1, role);
    assert.equal(p[0].exitCode, 0, role);
    assert.ok(p[0].endedAt !== null, role);
    assert.equal(p[0].endReason, reason, role);
    assert.equal(p[0].endDetail, detail, role);
  }
});

/**
 * How each process ended (`endReason`/`endDetail`) and who adopted an orphan (`adoptedBy`), from real runs
 * recorded by the CLI, asserted on the summary.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { DAEMON_AT_EXIT, endIsNormal } from '../../core/model/types';
import { type SummaryProcess } from '../../core/summary/summary';
import { record, SCRIPTS, startMethods } from './support/run';

const byName = (ps: SummaryProcess[]) => Object.fromEntries(ps.map((p) => [p.name, p]));
const methods = startMethods();
/** A pyenv interpreter of that minor version, when installed. */
const pyenv = (minor: string): string | null => {
  const dir = path.join(os.homedir(), '.pyenv', 'versions');
  const v = fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((d) => d.startsWith(`${minor}.`))
        .sort()
        .pop()
    : undefined;
  const exe = v ? path.join(dir, v, 'bin', 'python3') : null;
  return exe && fs.existsSync(exe) ? exe : null;
};

const runs: { label: string; method: string; python?: string }[] = methods.map((method) => ({ label: method, method }));
for (const minor of ['3.9', '3.13']) {
  const exe = pyenv(minor);
  if (exe) runs.push({ label: `fork on Python ${minor}`, method: 'fork', python: exe });
}

for (const run of runs) {
  test(`every way a process ends, told apart (${run.label})`, async () => {
    const r = await record('ends.py', [run.method], run.python ? { cliArgs: ['--python', run.python] } : {});
    assert.equal(r.code, 0, r.stderr);
    const p = byName(r.summary.processes);
    const end = (name: string) => [p[name]?.endReason, p[name]?.endDetail];
    assert.deepEqual(end('returns'), ['returned', null]);
    assert.deepEqual(end('raises'), ['exception', 'ValueError: boom']);
    assert.deepEqual(end('exits0'), ['sys.exit', '0']);
    assert.deepEqual(end('exits3'), ['sys.exit', '3']);
    assert.deepEqual(end('osexit4'), ['os._exit', '4']);
    assert.deepEqual(end('terminated'), ['terminate()', 'SIGTERM']);
    assert.deepEqual(end('killed'), ['kill()', 'SIGKILL']);
    assert.deepEqual(end('signalled'), ['signal', 'SIGUSR1']);
    if (p.interrupted) assert.equal(p.interrupted.endReason, 'interrupt()');
    const main = r.summary.processes.find((x) => x.role === 'main')!;
    assert.deepEqual([main.endReason, main.endDetail], ['returned', null]);
    // Leaving `with Pool(...)`: every worker stopped by the pool (by its terminate() or, having read the
    // pool's stop sentinel first, by itself), whatever its exit code.
    const workers = r.summary.processes.filter((x) => x.role === 'pool-worker');
    assert.equal(workers.length, 2);
    for (const w of workers) {
      assert.equal(w.endReason, 'terminated-by-pool', JSON.stringify(w));
      assert.ok(w.endDetail === 'leaving with Pool(...)' || w.endDetail === "the pool's shutdown", String(w.endDetail));
    }
    // The executor's shutdown: each worker ends on the executor's stop sentinel.
    const execWorkers = r.summary.processes.filter((x) => x.role === 'executor-worker');
    assert.equal(execWorkers.length, 2);
    for (const w of execWorkers) assert.deepEqual([w.endReason, w.endDetail], ['terminated-by-pool', "the executor's shutdown"]);
    // Calm ends and alarming ones.
    const calm = (name: string) => endIsNormal({ endReason: p[name].endReason, exitCode: p[name].exitCode });
    for (const name of ['returns', 'exits0', 'shooter']) assert.equal(calm(name), true, name);
    for (const w of [...workers, ...execWorkers]) assert.equal(endIsNormal(w), true, w.name);
    for (const name of ['raises', 'exits3', 'osexit4', 'terminated', 'killed', 'signalled']) assert.equal(calm(name), false, name);
    // A daemon terminated by multiprocessing at its parent's exit, as daemons are meant to be: calm.
    assert.deepEqual(end('daemon'), ['terminate()', DAEMON_AT_EXIT]);
    assert.equal(endIsNormal(p.daemon), true);
  });
}

// Python 3.14's Process.interrupt() (SIGINT), on this machine's older Pythons: test/scripts/py314_interrupt's
// sitecustomize adds 3.14's two methods (BaseProcess.interrupt, popen_fork.Popen.interrupt) at interpreter start,
// before the runtime installs, so the run goes through the runtime's interrupt() path as on 3.14. Under forkserver,
// 3.14's default start method, and fork.
for (const method of methods.filter((m) => m !== 'spawn')) {
  test(`interrupt(), as Python 3.14 has it: the child ends as interrupt() with its KeyboardInterrupt (${method})`, async () => {
    const r = await record('ends.py', [method], { env: { ...process.env, PYTHONPATH: path.join(SCRIPTS, 'py314_interrupt') } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\('interrupted', 1\)/, 'the child had interrupt() and handled SIGINT as KeyboardInterrupt');
    const p = byName(r.summary.processes);
    assert.deepEqual(
      [p.interrupted?.endReason, p.interrupted?.endDetail, p.interrupted?.exitCode],
      ['interrupt()', 'KeyboardInterrupt', 1],
    );
    assert.equal(endIsNormal(p.interrupted), false);
    assert.deepEqual([p.terminated.endReason, p.killed.endReason], ['terminate()', 'kill()'], 'the other stops as before');
  });
}

for (const method of methods) {
  test(`a child that leaves through the C library's exit() ends "unknown", with its exit code (${method})`, async () => {
    const r = await record('ends_unknown.py', [method]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'cexit 5\n');
    const p = byName(r.summary.processes);
    assert.deepEqual([p.cexit.endReason, p.cexit.endDetail, p.cexit.exitCode], ['unknown', 'exit code 5', 5]);
    assert.equal(endIsNormal(p.cexit), false);
  });
}

for (const method of methods.filter((m) => m !== 'forkserver')) {
  test(`an orphan's adopter is the parent the OS gave it (${method})`, async () => {
    const r = await record('adopted.py', [method]);
    assert.equal(r.code, 0, r.stderr);
    const osParent = Number(r.stdout.trim());
    assert.ok(Number.isInteger(osParent) && osParent > 0, r.stdout);
    const p = byName(r.summary.processes);
    assert.equal(p.grandchild.orphaned, true);
    assert.notEqual(osParent, p.middle.pid);
    assert.equal(p.grandchild.adoptedBy, osParent);
    let comm: string | null = null;
    try {
      comm = fs.readFileSync(`/proc/${osParent}/comm`, 'utf8').trim();
    } catch {
      /* not Linux */
    }
    assert.equal(p.grandchild.adoptedByName, comm);
    assert.equal(p.middle.adoptedBy, null, 'its parent outlived it');
    assert.deepEqual([p.middle.endReason, p.middle.endDetail], ['os._exit', '0']);
  });
}

test('how the main process ended: returned, sys.exit, an exception, os._exit, a signal', async () => {
  const cases: [string, string, string | null][] = [
    ['return', 'returned', null],
    ['exit3', 'sys.exit', '3'],
    ['raise', 'exception', "KeyError: 'k'"],
    ['osexit5', 'os._exit', '5'],
    ['sigusr1', 'signal', 'SIGUSR1'],
  ];
  for (const [how, reason, detail] of cases) {
    const r = await record('main_end.py', [how]);
    const main = r.summary.processes.find((p) => p.role === 'main')!;
    assert.deepEqual([main.endReason, main.endDetail], [reason, detail], how);
  }
});

/**
 * Stopping a run: SIGTERM to the CLI, and Ctrl-C as a terminal sends it (to
 * the whole foreground process group), end every process of the run —
 * children, grandchildren, Pool workers, Manager server, forkserver, resource
 * tracker — and the recording keeps everything up to the stop.
 */

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { RunReducer } from '../../core/model/reducer';
import { parseRecording } from '../../core/model/recording';
import { summarize } from '../../core/summary/summary';
import { alive, CLI, PYTHON, SCRIPTS, startMethods } from './support/run';

async function stopRun(method: string, how: 'SIGTERM' | 'ctrl-c') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-stop-'));
  const out = path.join(dir, 'run.forkscope');
  const child = spawn(process.execPath, [CLI, 'record', '--out', out, '--python', PYTHON, '--', 'forever.py', method], {
    cwd: SCRIPTS,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const pgid = child.pid!;
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  // 'exit', not 'close': a leaked process holding our pipes must fail the test, not hang it.
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  let seen: number[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`never ready: ${stderr}`)), 60_000);
      child.stdout.on('data', (d) => {
        stdout += d;
        if (stdout.includes('ready')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    await new Promise((r) => setTimeout(r, 300)); // let the latest events reach the recording
    const before = fs.readFileSync(out, 'utf8');
    const pidsBefore = RunReducer.fromRecords(parseRecording(before).header, parseRecording(before).records).processes.map((p) => p.pid);
    const started = Date.now();
    if (how === 'SIGTERM') child.kill('SIGTERM');
    else process.kill(-pgid, 'SIGINT'); // what a terminal does on Ctrl-C
    const end = await closed;
    const took = Date.now() - started;
    const rec = parseRecording(fs.readFileSync(out, 'utf8'));
    const model = RunReducer.fromRecords(rec.header, rec.records);
    seen = model.processes.map((p) => p.pid);
    return { end, took, pidsBefore, model, summary: summarize(model), records: rec.records, stderr };
  } finally {
    // Whatever a failing run left behind: its process group, and every pid it recorded that still lives.
    for (const target of [-pgid, ...seen.filter(alive)]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

for (const method of startMethods()) {
  test(`SIGTERM to forkscope stops the whole tree (${method}) and keeps the recording`, async () => {
    const r = await stopRun(method, 'SIGTERM');
    const roles = new Set(r.summary.processes.map((p) => p.role));
    for (const role of ['main', 'process', 'pool-worker', 'manager']) assert.ok(roles.has(role as never), `saw a ${role} before the stop`);
    assert.ok(
      r.summary.processes.some((p) => p.name === 'grandchild'),
      'grandchild recorded',
    );
    if (method === 'forkserver') assert.ok(roles.has('forkserver'), 'forkserver recorded');
    await new Promise((res) => setTimeout(res, 200));
    const left = r.summary.processes.map((p) => p.pid).filter(alive);
    assert.deepEqual(left, [], 'no process of the run is left');
    const end = r.records[r.records.length - 1];
    assert.equal(end[0], 'end');
    assert.equal((end[2] as { stopped: boolean }).stopped, true);
    assert.equal(r.summary.run.stopped, true);
    assert.ok(r.took < 10_000, `stopped in ${r.took} ms`);
    assert.equal(r.end.signal ?? null, r.end.signal === null ? null : 'SIGTERM');
  });
}

test('Ctrl-C (SIGINT to the process group) stops the run as it would plainly and keeps the recording', async () => {
  const r = await stopRun(startMethods()[0], 'ctrl-c');
  await new Promise((res) => setTimeout(res, 200));
  assert.deepEqual(r.summary.processes.map((p) => p.pid).filter(alive), []);
  assert.ok(r.summary.processes.length >= 5);
  assert.equal(r.summary.run.stopped, true, 'Ctrl-C counts as a stop');
  assert.ok(r.took < 10_000, `stopped in ${r.took} ms`);
  // Python ended by KeyboardInterrupt; forkscope ends the same way (signal or 128+2 / 1).
  assert.ok(r.end.signal === 'SIGINT' || r.end.code === 130 || r.end.code === 1, JSON.stringify(r.end));
});

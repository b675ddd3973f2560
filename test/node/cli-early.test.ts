/**
 * `forkscope record` starts Python before the rest of the CLI loads (launch.ts, startEarly): with real
 * runs of dist/cli.js, a preload notes the order of two things, the interpreter's spawn and the load of
 * the CLI's bundle for the verb (dist/cli-record.js for record, dist/cli-main.js for the others). Where
 * the interpreter needs a probe first (a shim not yet cached) or the input is bad, the CLI does
 * everything the ordinary way, and the run and its messages are the same.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { RunReducer } from '../../core/model/reducer';
import { parseRecording } from '../../core/model/recording';
import { CLI, PYTHON, runCommand } from './support/run';

const REAL = spawnSync(PYTHON, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();

/** A preload that appends "spawn <file>" and "load cli-record" (or cli-main) lines to $ORDER_FILE as they happen. */
const PRELOAD = `
const fs = require('fs'), cp = require('child_process');
const note = (s) => fs.appendFileSync(process.env.ORDER_FILE, s + '\\n');
const spawn = cp.spawn;
cp.spawn = function (file, ...rest) {
  note('spawn ' + require('path').basename(String(file)));
  const child = spawn.call(this, file, ...rest);
  if (process.env.EARLY_SIGINT) process.kill(process.pid, 'SIGINT'); // a Ctrl-C for Node alone, in the early window
  return child;
};
const vm = require('vm'), Script = vm.Script; // the bundles are compiled as scripts (codeCache.ts)
vm.Script = class extends Script { constructor(code, o) { const m = /(cli-(?:record|main))\\.js$/.exec(String(o && o.filename)); if (m) note('load ' + m[1]); super(code, o); } };
`;

function setup() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-early-'));
  fs.writeFileSync(path.join(dir, 'preload.js'), PRELOAD);
  fs.writeFileSync(
    path.join(dir, 'job.py'),
    'import sys, multiprocessing as mp\nif __name__ == "__main__":\n    p = mp.Process(target=print, args=("child",))\n    p.start(); p.join()\n    print("main", sys.argv[1:])\n    sys.exit(3)\n',
  );
  // A wrapper in front of Python: a shim whose binary is learned by a probe the first time, then cached.
  fs.writeFileSync(path.join(dir, 'python-wrapper'), `#!/bin/sh\nexec ${REAL} "$@"\n`, { mode: 0o755 });
  return dir;
}

async function record(dir: string, args: string[], env: NodeJS.ProcessEnv = {}, verb = 'record') {
  const order = path.join(dir, `order-${Math.random().toString(36).slice(2)}.txt`);
  fs.writeFileSync(order, '');
  const r = await runCommand(process.execPath, ['--require', path.join(dir, 'preload.js'), CLI, verb, ...args], {
    cwd: dir,
    env: { ...process.env, ORDER_FILE: order, FORKSCOPE_CACHE_DIR: path.join(dir, 'cache'), ...env },
  });
  return { ...r, order: fs.readFileSync(order, 'utf8').trim().split('\n').filter(Boolean) };
}

function model(file: string) {
  const rec = parseRecording(fs.readFileSync(file, 'utf8'), file);
  return RunReducer.fromRecords(rec.header, rec.records);
}

test('record starts the interpreter before the rest of the CLI loads, and the run is recorded whole', { timeout: 60_000 }, async () => {
  const dir = setup();
  try {
    const out = path.join(dir, 'a.forkscope');
    const r = await record(dir, ['--quiet', '--out', out, '--', REAL, 'job.py', 'x']);
    assert.equal(r.code, 3, r.stderr);
    assert.deepEqual(r.order, [`spawn ${path.basename(REAL)}`, 'load cli-record']);
    assert.match(r.stdout, /child\nmain \['x'\]\n/);
    const m = model(out);
    assert.equal(m.processes.length, 2, 'the main process and its child');
    const main = m.processes.find((p) => p.role === 'main')!;
    assert.equal(main.exitCode, 3);
    assert.ok(main.startedAt !== null && main.startedAt >= 0, `the recording starts no later than Python does (${main.startedAt})`);
    // Every other verb loads the whole CLI (dist/cli-main.js), and only it.
    const summary = await record(dir, [out], {}, 'summary');
    assert.equal(summary.code, 0, summary.stderr);
    assert.match(summary.stdout, /job\.py/);
    assert.deepEqual(summary.order, ['load cli-main']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test(
  'a shim that needs a probe first, and bad input, go the ordinary way; the cached shim then starts early',
  { timeout: 60_000 },
  async () => {
    const dir = setup();
    try {
      const wrapper = path.join(dir, 'python-wrapper');
      const first = await record(dir, ['--quiet', '--out', path.join(dir, 'b.forkscope'), '--python', wrapper, 'job.py']);
      assert.equal(first.code, 3, first.stderr);
      assert.equal(first.order[0], 'load cli-record', `probed after the CLI loaded: ${first.order}`);
      assert.ok(first.order.includes(`spawn ${path.basename(REAL)}`), 'then the binary behind the shim runs the script');
      assert.equal(model(path.join(dir, 'b.forkscope')).processes.length, 2);

      const again = await record(dir, ['--quiet', '--out', path.join(dir, 'c.forkscope'), '--python', wrapper, 'job.py']);
      assert.equal(again.code, 3, again.stderr);
      assert.deepEqual(again.order, [`spawn ${path.basename(REAL)}`, 'load cli-record'], 'cached: started early');

      const bad = await record(dir, ['--out', path.join(dir, 'nowhere', 'd.forkscope'), '--', 'job.py']);
      assert.equal(bad.code, 2);
      assert.deepEqual(bad.order, ['load cli-record'], 'nothing started');
      assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
      assert.match(bad.stderr, /^forkscope: Cannot write the recording to .*: the folder .* does not exist\.$/m);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

test('a Ctrl-C before the rest of the CLI has loaded is handled as any Ctrl-C: the recording is kept', { timeout: 60_000 }, async () => {
  const dir = setup();
  try {
    const out = path.join(dir, 'e.forkscope');
    const r = await record(dir, ['--quiet', '--out', out, '--', REAL, 'job.py'], { EARLY_SIGINT: '1' });
    assert.deepEqual(r.order, [`spawn ${path.basename(REAL)}`, 'load cli-record']);
    // The script (not signalled: the Ctrl-C went to Node alone) ends by itself within the 2 s it is given.
    assert.equal(r.code, 3, `Node was not ended by the signal: ${r.signal} ${r.stderr}`);
    const rec = parseRecording(fs.readFileSync(out, 'utf8'), out);
    const end = rec.records.find((x) => x[0] === 'end');
    assert.ok(end, 'the recording has its end');
    assert.equal(model(out).processes.length, 2);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

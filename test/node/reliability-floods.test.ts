/**
 * Floods and big data (issue 5, docs/reliability.md): a million small
 * messages, a 50 MB message and an unpicklable payload, a fork bomb, and
 * 100 MB on stdout, each through `forkscope record` with real Python, with
 * the supervisor's peak memory read from /proc.
 */

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, test } from 'node:test';
import { RunReducer } from '../../core/model/reducer';
import { parseRecording } from '../../core/model/recording';
import { summarize } from '../../core/summary/summary';
import { groupMembers, killLeftovers, plainRaw, recordRaw, runRaw, tmpDir, until } from './reliabilitySupport';
import { CLI, PYTHON } from './support/run';

const MB = 1024 * 1024;

afterEach(killLeftovers);

test('1,000,000 small messages: output and exit code unchanged, supervisor memory bounded, dropped detail counted and shown', async (t) => {
  const r = await recordRaw(['flood.py', '1000000', 'fork'], { timeoutMs: 240_000, nice: true });
  // The checksum is the sum of 0..999,999: the script saw every message, as it would plainly.
  assert.equal(r.stdout.toString(), '1000000 499999500000\n');
  assert.equal(r.code, 7);
  assert.equal(r.stderr.toString(), '');
  assert.ok(r.peakRss > 0 && r.peakRss < 400 * MB, `supervisor peak RSS ${(r.peakRss / MB).toFixed(0)} MB`);
  // What the extension host is sent is these same records: bounded too, whatever the message count.
  assert.ok(r.recordingText.length < 30 * MB, `recording ${(r.recordingText.length / MB).toFixed(1)} MB`);
  t.diagnostic(
    `supervisor peak RSS ${(r.peakRss / MB).toFixed(0)} MB, recording ${(r.recordingText.length / MB).toFixed(1)} MB, sampled out ${r.summary.run.detail.sampledOut}`,
  );
  const s = r.summary;
  const q = s.channels.find((c) => c.kind === 'queue')!;
  assert.equal(q.messages, 1_000_002, 'every message counted exactly (and the two end markers)');
  assert.ok(s.run.detail.sampledOut > 0, JSON.stringify(s.run.detail));
  assert.equal(s.run.detail.recorded + s.run.detail.sampledOut, q.messages, 'each message is either in detail or counted as sampled out');
  const w = s.warnings.find((x) => x.kind === 'detail-sampled')!;
  assert.ok(w, 'a warning says detail was sampled');
  assert.match(w.message, new RegExp(`${s.run.detail.sampledOut} were only counted`));
  // …and the summary text a user reads shows it.
  const dir = tmpDir('flood');
  try {
    const file = path.join(dir, 'run.forkscope');
    fs.writeFileSync(file, r.recordingText);
    const text = await runRaw(process.execPath, [CLI, 'summary', file]);
    assert.match(
      text.stdout.toString(),
      /\[detail-sampled\][^\n]*\n\s+Per-message detail was sampled: \d+ messages\/tasks were recorded in detail and \d+ were only counted/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a 50 MB message and an unpicklable payload: output, error text and exit code as without Forkscope; sizes counted', async () => {
  for (const method of ['fork', 'spawn']) {
    const plain = await plainRaw(['bigdata.py', method], { nice: true });
    const r = await recordRaw(['bigdata.py', method], { nice: true });
    assert.equal(r.stdout.toString(), plain.stdout.toString(), method);
    assert.equal(r.stderr.toString(), plain.stderr.toString(), `${method}: the feeder thread's traceback is the same`);
    assert.equal(r.code, plain.code);
    assert.match(r.stderr.toString(), /TypeError: cannot pickle '_thread.lock' object/);
    assert.match(r.stdout.toString(), /pipe send: TypeError cannot pickle '_thread.lock' object/);
    const q = r.summary.channels.find((c) => c.kind === 'queue' && c.name === 'q')!;
    assert.ok(q.bytes >= 50 * MB, `queue bytes ${q.bytes}`);
    const pipe = r.summary.channels.find((c) => c.kind === 'pipe')!;
    assert.ok(pipe.bytes >= 50 * MB, `pipe bytes ${pipe.bytes}`);
  }
});

test('a fork bomb: tracking stops at --max-processes with a warning, and Stop still ends every process', async () => {
  const max = 20;
  const dir = tmpDir('bomb');
  const out = path.join(dir, 'run.forkscope');
  try {
    let stdout = '';
    let group = 0;
    let membersBefore = 0;
    const r = await runRaw(
      process.execPath,
      [CLI, 'record', '--out', out, '--python', PYTHON, '--max-processes', String(max), '--', 'forkbomb.py', '5', '600', 'fork'],
      {
        onStdout: (d) => (stdout += d.toString()),
        onStart: (child) => {
          group = child.pid!;
          void until('every leaf to start', () => stdout.includes('ready')).then(() => {
            membersBefore = groupMembers(group).length;
            child.kill('SIGTERM');
          });
        },
      },
    );
    assert.equal(stdout, 'ready 63\n');
    assert.ok(membersBefore >= 64, `63 Python processes and forkscope were running (${membersBefore})`);
    await new Promise((res) => setTimeout(res, 300));
    assert.deepEqual(groupMembers(group), [], 'no process of the bomb is left');
    assert.ok(r.signal === 'SIGTERM' || r.code === 143, `${r.code} ${r.signal}`);
    const rec = parseRecording(fs.readFileSync(out, 'utf8'));
    const hellos = rec.records.filter((x) => x[0] === 'hello').length;
    assert.equal(hellos, max, 'exactly the cap was tracked');
    const s = summarize(RunReducer.fromRecords(rec.header, rec.records));
    const cap = s.warnings.filter((w) => w.kind === 'process-cap');
    assert.equal(cap.length, 1);
    assert.match(cap[0].message, /More than 20 processes: Forkscope stopped tracking new ones \(raise the limit with --max-processes\)/);
    assert.equal(s.run.stopped, true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('100 MB on stdout passes through byte for byte, never held by the supervisor', async (t) => {
  // What bigout.py writes: 50 MiB from a child, then 50 MiB from the main process.
  const expected = createHash('sha256');
  for (const [mib, seed] of [
    [50, 7],
    [50, 11],
  ]) {
    const line = Buffer.alloc(1024);
    for (let i = 0; i < 1023; i++) line[i] = (seed + i) % 251;
    line[1023] = 10;
    const block = Buffer.concat(Array.from({ length: 1024 }, () => line)); // 1 MiB
    for (let k = 0; k < mib; k++) expected.update(block);
  }
  const r = await recordRaw(['bigout.py', '100', 'fork'], { hashStdout: true, timeoutMs: 180_000, nice: true });
  assert.equal(r.code, 0, r.stderr.toString());
  assert.equal(r.stdoutHash, expected.digest('hex'));
  assert.ok(r.peakRss > 0 && r.peakRss < 200 * MB, `supervisor peak RSS ${(r.peakRss / MB).toFixed(0)} MB`);
  t.diagnostic(`supervisor peak RSS ${(r.peakRss / MB).toFixed(0)} MB`);
  assert.equal(r.summary.processes.find((p) => p.name === 'writer')?.exitCode, 0);
});

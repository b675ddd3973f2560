/**
 * `record --ipc`, the mode the extension forks: live records, the script's
 * output as bytes on the supervisor's own stdout, the final summary, and stop /
 * parent-disconnect ending the whole tree.
 */

import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import type { RecordLine } from '../../core/model/recording';
import type { Summary } from '../../core/summary/summary';
import { alive, CLI, PYTHON, SCRIPTS, startMethods } from './support/run';

interface EndMessage {
  type: 'end';
  result: { exitCode: number | null; stopped: boolean; recording: string; launchError: string | null; summary: Summary };
}

function forkRecord(
  script: string,
  args: string[],
  out: string,
): { child: ChildProcess; records: RecordLine[]; output: Buffer[]; ended: Promise<EndMessage | null>; closed: Promise<void> } {
  const child = fork(CLI, ['record', '--ipc', '--out', out, '--python', PYTHON, '--', script, ...args], {
    cwd: SCRIPTS,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const records: RecordLine[] = [];
  const output: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => output.push(d));
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const ended = new Promise<EndMessage | null>((resolve) => {
    child.on('message', (m: { type: string; records?: RecordLine[] }) => {
      if (m.type === 'records') records.push(...m.records!);
      if (m.type === 'end') resolve(m as EndMessage);
    });
    child.on('exit', () => setTimeout(() => resolve(null), 100));
  });
  return { child, records, output, ended, closed };
}

const tmp = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-ipc-')), 'run.forkscope');

test('--ipc streams records, passes output bytes through, then the summary', async () => {
  const out = tmp();
  const r = forkRecord('hello_children.py', [], out);
  const end = await r.ended;
  assert.ok(end, 'an end message arrived');
  assert.equal(end!.result.exitCode, 0);
  assert.equal(end!.result.recording, out);
  assert.equal(end!.result.summary.schema, 'forkscope.summary/1');
  assert.equal(end!.result.summary.processes.filter((p) => p.role === 'process').length, 2);
  await r.closed; // the output pipe drained
  const text = Buffer.concat(r.output);
  assert.ok(text.includes(Buffer.from('raw \xff\xfe bytes\n', 'latin1')), 'non-UTF-8 bytes pass through untouched');
  assert.match(text.toString('latin1'), /child 0\nchild 1\n/);
  const kinds = new Set(r.records.map((x) => x[0]));
  for (const k of ['spawned', 'hello', 'ev', 'exited', 'end']) assert.ok(kinds.has(k as never), `streamed ${k}`);
  // The stream and the file hold the same records.
  const fileLines = fs.readFileSync(out, 'utf8').trim().split('\n').length - 1;
  assert.equal(r.records.length, fileLines);
});

for (const how of ['stop message', 'parent disconnect'] as const) {
  test(`--ipc: a ${how} stops the whole tree`, async () => {
    const out = tmp();
    const r = forkRecord('forever.py', [startMethods()[0]], out);
    const deadline = Date.now() + 60_000;
    while (!Buffer.concat(r.output).toString().includes('ready')) {
      assert.ok(Date.now() < deadline, 'never ready');
      await new Promise((res) => setTimeout(res, 100));
    }
    await new Promise((res) => setTimeout(res, 300));
    const pids = new Set<number>();
    for (const rec of r.records) if (rec[0] === 'hello') pids.add(rec[2]);
    assert.ok(pids.size >= 5, `pids seen: ${[...pids]}`);
    if (how === 'stop message') r.child.send({ type: 'stop' });
    else r.child.disconnect();
    await new Promise<void>((res) => r.child.once('exit', () => res()));
    await new Promise((res) => setTimeout(res, 300));
    assert.deepEqual([...pids].filter(alive), [], 'no process left');
    const last = fs.readFileSync(out, 'utf8').trim().split('\n').pop()!;
    assert.match(last, /^\["end",[\d.]+,\{"exitCode":.*"stopped":true\}\]$/);
  });
}

test('serve --ipc: a warm supervisor runs the run message as `record --ipc` in its cwd and environment', async () => {
  const out = tmp();
  const child = fork(CLI, ['serve', '--ipc'], {
    cwd: os.tmpdir(),
    env: { ...process.env, FK_FORKED_ONLY: 'stale' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const output: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => output.push(d));
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const records: RecordLine[] = [];
  const ended = new Promise<EndMessage>((resolve) =>
    child.on('message', (m: { type: string; records?: RecordLine[] }) => {
      if (m.type === 'records') records.push(...m.records!);
      if (m.type === 'end') resolve(m as EndMessage);
    }),
  );
  await new Promise((res) => setTimeout(res, 300)); // it waits, warm
  assert.equal(child.exitCode, null, 'still waiting for its run');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  env.FK_PROBE = 'from-the-run';
  child.send({ type: 'run', argv: ['record', '--ipc', '--out', out, '--python', PYTHON, '--', 'env_cwd.py'], cwd: SCRIPTS, env });
  const end = await ended;
  assert.equal(end.result.exitCode, 0);
  assert.equal(end.result.recording, out);
  assert.equal(end.result.summary.processes.filter((p) => p.role === 'process').length, 1);
  assert.equal(await closed, 0);
  const text = Buffer.concat(output).toString();
  assert.match(text, new RegExp(`^cwd ${SCRIPTS.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  assert.match(text, /^probe from-the-run forked-only None$/m);
  assert.match(text, /^child probe from-the-run$/m);
  assert.ok(
    records.some((r) => r[0] === 'hello'),
    'records streamed',
  );
});

test('serve --ipc: the host going away before a run ends it quietly', async () => {
  const child = fork(CLI, ['serve', '--ipc'], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise((res) => setTimeout(res, 300));
  child.disconnect();
  assert.equal(await exited, 0);
  assert.equal(stderr, '');
});

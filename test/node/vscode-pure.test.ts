/** Pure parts of the VS Code side, in plain Node: output lines, the start-method override. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { test } from 'node:test';
import { channel } from './support/channel';

const root = path.join(__dirname, '..', '..', '..');
const python = process.env.FORKSCOPE_TEST_PYTHON || 'python3';

test('output with no records (C code, a non-Python child): whole lines under the script, each stream its own, across chunks', () => {
  let now = 0;
  const { out, lines } = channel('pool.py', () => now);
  out.write('stdout', 'hel');
  out.write('stderr', 'oops\r\nhalf');
  out.write('stdout', 'lo\nworld\n\nlast');
  assert.deepEqual(lines, [], 'half a second for the records first');
  now = 500;
  out.pump();
  assert.deepEqual([...lines].sort(), ['[pool.py stderr] oops', '[pool.py] hello', '[pool.py] world', '[pool.py] '].sort());
  out.flush();
  assert.deepEqual(lines.slice(4), ['[pool.py] last', '[pool.py stderr] half']);
});

function startMethod(code: string, method: string | null): string {
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONPATH: path.join(root, 'extension', 'vscode', 'python') };
  if (method) env.FORKSCOPE_START_METHOD = method;
  else delete env.FORKSCOPE_START_METHOD;
  const r = spawnSync(python, ['-c', code], { env, encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

test('startMethod override: changes the default, not a choice the script makes', () => {
  const get = 'import multiprocessing as mp; print(mp.get_start_method())';
  assert.equal(startMethod(get, 'spawn'), 'spawn');
  if (process.platform === 'linux') assert.equal(startMethod(get, 'forkserver'), 'forkserver');
  assert.equal(
    startMethod('import multiprocessing as mp; mp.set_start_method("spawn"); print(mp.get_start_method())', 'forkserver'),
    'spawn',
  );
  // Without the variable nothing changes.
  const plain = spawnSync(python, ['-c', get], { encoding: 'utf8' }).stdout.trim();
  assert.equal(startMethod(get, null), plain);
});

/**
 * Bad input from the user (issue 5, docs/reliability.md): each case behaves
 * as running the script plainly (same bytes out, same exit code) plus, where
 * it helps, one clear line from Forkscope.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, test } from 'node:test';
import { killLeftovers, plainRaw, recordRaw, RSCRIPTS, runRaw, tmpDir } from './reliabilitySupport';
import { CLI } from './support/run';

afterEach(killLeftovers);

/** Forkscope's own words on stderr: lines starting with "forkscope:". */
const ownLines = (stderr: Buffer) =>
  stderr
    .toString()
    .split('\n')
    .filter((l) => l.startsWith('forkscope:'));

test('a missing interpreter: one line saying what to do, exit 127, no stack trace', async () => {
  const dir = tmpDir('nopython');
  try {
    const out = path.join(dir, 'run.forkscope');
    const r = await runRaw(process.execPath, [CLI, 'record', '--out', out, '--python', '/nonexistent/python3', '--', 'exits_at_once.py']);
    assert.equal(r.code, 127);
    assert.equal(r.stdout.length, 0);
    const err = r.stderr.toString();
    assert.equal(err.trim().split('\n').length, 1, err);
    assert.match(
      err,
      /^forkscope: Python interpreter "\/nonexistent\/python3" was not found\. Install Python 3\.9 or newer, or name one with --python/,
    );
    assert.doesNotMatch(err, /\n\s+at /);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a Python 2 interpreter: its own output and exit code, plus one line saying Forkscope needs Python 3.9+', async () => {
  const fake = path.join(RSCRIPTS, 'fake-python2');
  const r = await recordRaw(['exits_at_once.py'], { python: fake });
  assert.equal(r.code, 1, 'the interpreter’s own exit code');
  assert.match(r.stderr.toString(), /SyntaxError: invalid syntax/, 'what the interpreter said is passed through');
  const own = ownLines(r.stderr);
  assert.equal(own.length, 1, r.stderr.toString());
  assert.match(own[0], /is Python 2\.7\.18; Forkscope needs Python 3\.9 or newer: name one with --python .*Nothing was recorded\./);
  assert.ok(
    r.summary.warnings.some((w) => w.kind === 'python-unsupported'),
    'the recording says so too',
  );
});

for (const [what, script] of [
  ['a script path that does not exist', 'no_such_script.py'],
  ['a script with a syntax error', 'syntax_error.py'],
  ['a script that exits at once', 'exits_at_once.py'],
] as const) {
  test(`${what}: the same output and exit code as plain Python`, async () => {
    const plain = await plainRaw([script]);
    const r = await recordRaw([script]);
    assert.deepEqual(r.stdout, plain.stdout);
    assert.equal(r.stderr.toString(), plain.stderr.toString());
    assert.equal(r.code, plain.code);
    assert.notEqual(r.code, 0);
    assert.deepEqual(ownLines(r.stderr), [], 'Forkscope adds nothing: the error is the script’s');
    if (script === 'exits_at_once.py') {
      assert.equal(r.code, 4);
      const main = r.summary.processes.find((p) => p.role === 'main')!;
      assert.equal(main.exitCode, 4, 'still recorded');
    }
  });
}

test('a script that reads stdin: piped input reaches it', async () => {
  const input = 'line one\nzwei ünïcode\n'.repeat(2000);
  const plain = await plainRaw(['reads_stdin.py'], { input });
  const r = await recordRaw(['reads_stdin.py'], { input });
  assert.equal(r.code, 0, r.stderr.toString());
  assert.deepEqual(r.stdout, plain.stdout);
  assert.match(r.stdout.toString(), /^\d+ LINE ONE\nZWEI ÜNÏCODE\n/);
});

test('bytes that are not UTF-8 on stdout and stderr pass through unchanged', async () => {
  const plain = await plainRaw(['raw_bytes.py']);
  const r = await recordRaw(['raw_bytes.py']);
  assert.equal(r.code, 0);
  assert.deepEqual(r.stdout, plain.stdout);
  assert.deepEqual(r.stderr, plain.stderr);
  assert.ok(r.stdout.includes(Buffer.from([0xff, 0xfe, 0x20])), 'raw bytes kept');
});

test('paths with spaces and unicode: script, folder, arguments and recording', async () => {
  const dir = tmpDir('paths');
  try {
    const folder = path.join(dir, 'a folder with spaces', 'ünï cødé ✓ 日本');
    fs.mkdirSync(folder, { recursive: true });
    const script = path.join(folder, 'my script — ✓.py');
    fs.copyFileSync(path.join(RSCRIPTS, 'where_am_i.py'), script);
    const args = [script, 'an arg with spaces', 'ärg ✓', ''];
    const plain = await plainRaw(args, { cwd: folder });
    const out = path.join(folder, 'the run ✓.forkscope');
    const r = await runRaw(process.execPath, [CLI, 'record', '--out', out, '--', ...args], { cwd: folder });
    assert.equal(r.code, 0, r.stderr.toString());
    assert.equal(r.stdout.toString(), plain.stdout.toString());
    assert.match(
      r.stdout.toString(),
      /^my script — ✓\.py ünï cødé ✓ 日本 \['an arg with spaces', 'ärg ✓', ''\]\nmy script — ✓\.py \['an arg with spaces', 'ärg ✓', ''\]\n$/,
    );
    const summary = await runRaw(process.execPath, [CLI, 'summary', out, '--json'], { cwd: folder });
    const s = JSON.parse(summary.stdout.toString());
    assert.equal(s.run.script, script);
    assert.ok(s.processes.some((p: { name: string; startMethod: string }) => p.name === 'child ✓' && p.startMethod === 'spawn'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

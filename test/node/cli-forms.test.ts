/**
 * The command line people already know (issue 14 items 4–5), with real runs of dist/cli.js:
 * `-- python3 script.py`, `-- /abs/python -m mod`, `-- python3 -X dev script.py`, `-- script.py`; help for every
 * verb; one-line errors for bad input; and a wrapper shim in front of Python resolved once and cached.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { RunReducer } from '../../core/model/reducer';
import { stateBands } from '../../core/model/states';
import { parseRecording } from '../../core/model/recording';
import { CLI, PYTHON, ROOT, runCommand } from './support/run';

const REAL = spawnSync(PYTHON, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-cli-'));
  fs.writeFileSync(
    path.join(d, 'job.py'),
    'import sys\nprint("args", sys.argv[1:], "dev", sys.flags.dev_mode, "u", sys.flags.quiet)\nsys.exit(int(sys.argv[1]) if len(sys.argv) > 1 else 0)\n',
  );
  fs.mkdirSync(path.join(d, 'pkg'));
  fs.writeFileSync(path.join(d, 'pkg', '__init__.py'), '');
  fs.writeFileSync(path.join(d, 'pkg', 'tool.py'), 'import sys\nprint("tool", sys.argv[1:])\nsys.exit(4)\n');
  return d;
}

function cli(dir: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return runCommand(process.execPath, [CLI, ...args], {
    cwd: dir,
    env: { ...process.env, FORKSCOPE_CACHE_DIR: path.join(dir, 'cache'), ...env },
  });
}

function load(file: string) {
  const rec = parseRecording(fs.readFileSync(file, 'utf8'), file);
  return { header: rec.header, model: RunReducer.fromRecords(rec.header, rec.records) };
}

test('record -- python3 script.py, -- /abs/python -m mod, -- python3 -X dev -q script.py and -- script.py all run, with the exit code passed through', async () => {
  const d = tmp();
  try {
    let r = await cli(d, ['record', '--out', 'a.forkscope', '--', PYTHON, 'job.py', '3', 'x']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, "args ['3', 'x'] dev False u 0\n");
    assert.equal(load(path.join(d, 'a.forkscope')).header.script, 'job.py');

    r = await cli(d, ['record', '--out', 'b.forkscope', '--', REAL, '-m', 'pkg.tool', 'y']);
    assert.equal(r.code, 4, r.stderr);
    assert.equal(r.stdout, "tool ['y']\n");
    const b = load(path.join(d, 'b.forkscope'));
    assert.equal(b.header.module, 'pkg.tool');
    assert.equal(b.header.python, REAL);

    r = await cli(d, ['record', '--out', 'c.forkscope', '--', PYTHON, '-X', 'dev', '-q', 'job.py', '0']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "args ['0'] dev True u 1\n", 'the interpreter options reached the interpreter');
    assert.deepEqual(load(path.join(d, 'c.forkscope')).header.pythonOptions, ['-X', 'dev', '-q']);

    r = await cli(d, ['record', '--', 'job.py', '5']);
    assert.equal(r.code, 5, r.stderr);
    assert.equal(r.stdout, "args ['5'] dev False u 0\n");
    assert.ok(fs.existsSync(path.join(d, 'job.forkscope')), 'named after the script, not the interpreter');
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('help: top-level, help VERB, VERB --help and VERB -h print the usage and exit 0', async () => {
  const d = tmp();
  try {
    for (const args of [['--help'], ['help'], ['-h']]) {
      const r = await cli(d, args);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /forkscope record/);
    }
    for (const verb of ['record', 'summary', 'report', 'export', 'compare']) {
      for (const args of [
        ['help', verb],
        [verb, '--help'],
        [verb, '-h'],
      ]) {
        const r = await cli(d, args);
        assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stdout, new RegExp(`^Usage:\\n  forkscope ${verb} `), args.join(' '));
        assert.equal(r.stderr, '');
      }
    }
    // After -- it is the script's own --help.
    const r = await cli(d, ['record', '--out', 'h.forkscope', '--', 'job.py', '--help']);
    assert.equal(r.code, 1, 'int("--help") fails in the script itself');
    assert.match(r.stderr, /ValueError/);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('record --help lists every option the parser takes (but the extension-only --ipc)', async () => {
  const parser = fs.readFileSync(path.join(ROOT, 'extension', 'runtime', 'recordArgs.ts'), 'utf8');
  const flags = [...new Set([...parser.matchAll(/flag === '(--?[a-z][a-z-]*)'/g)].map((m) => m[1]))].filter(
    (f) => f !== '--ipc' && f !== '-m',
  );
  assert.ok(flags.includes('--flush-ms') && flags.length >= 10, flags.join(' '));
  const d = tmp();
  try {
    const r = await cli(d, ['record', '--help']);
    for (const f of flags) assert.match(r.stdout, new RegExp(`^  (?:--[a-z-]+(?: [A-Z]+)?, )?${f}\\b`, 'm'), `${f} in record --help`);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('bad input: one plain line on stderr, a non-zero exit, never a stack trace', async () => {
  const d = tmp();
  try {
    fs.writeFileSync(path.join(d, 'not-a-recording.txt'), 'hello\n');
    const cases: [string[], number, RegExp][] = [
      [['record', '--out', 'missing-folder/x.forkscope', '--', 'job.py'], 2, /the folder .*missing-folder does not exist/],
      [['record', '--out', '.', '--', 'job.py'], 2, /is a folder/],
      [['record', '--', 'nope.py'], 2, /can't open file .*nope\.py/], // Python's own line, as without Forkscope
      [['record', '--python', path.join(d, 'no-python'), '--', 'job.py'], 127, /was not found/],
      [['record', '--', path.join(d, 'bin', 'python3'), 'job.py'], 127, /was not found/],
      [['record', '--python', PYTHON, '--', PYTHON, 'job.py'], 2, /named twice/],
      [['record', '--bogus', 'job.py'], 2, /Unknown option --bogus/],
      [['record', '--', PYTHON, '-c', 'print(1)'], 2, /-c cannot be recorded/],
      [['record', '--', PYTHON, '-I', 'job.py'], 2, /-I/],
      [['record'], 2, /Name the script/],
      [['summary', 'not-a-recording.txt'], 2, /not a Forkscope recording/],
      [['summary', 'absent.forkscope'], 2, /no such file/],
      [['summary', d], 2, /cannot be read/],
      [['report', 'not-a-recording.txt', '--html', 'o.html'], 2, /not a Forkscope recording/],
      [['report', 'absent.forkscope', '--html', 'o.html'], 2, /no such file/],
      [['export', 'absent.forkscope', '--chrome-trace', 'missing-folder/o.json'], 2, /does not exist/],
      [['compare', 'a'], 2, /exactly two/],
      [['summary', '--bogus', 'x'], 2, /Unknown option --bogus/],
      [['frobnicate'], 2, /Unknown command/],
      [['help', 'frobnicate'], 2, /No help for/],
    ];
    for (const [args, code, message] of cases) {
      const r = await cli(d, args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /internal error|unexpected error|\n\s+at /, args.join(' '));
    }
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('a wrapper shim in front of Python is resolved once and cached: the run starts when Python starts', async () => {
  const d = tmp();
  try {
    const bin = path.join(d, 'bin');
    fs.mkdirSync(bin);
    const marks = path.join(d, 'marks');
    const shim = path.join(bin, 'python3');
    // Like pyenv's: a shell script that takes its time, then execs the real interpreter.
    fs.writeFileSync(shim, `#!/bin/sh\nsleep 0.5\necho "$(date +%s.%N)" >> "${marks}"\nexec "${REAL}" "$@"\n`, { mode: 0o755 });
    const r1 = await cli(d, ['record', '--out', 'one.forkscope', '--', 'python3', 'job.py', '0'], { PATH: `${bin}:${process.env.PATH}` });
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(r1.stdout, "args ['0'] dev False u 0\n");
    const one = load(path.join(d, 'one.forkscope'));
    assert.equal(one.header.python, 'python3');
    assert.equal(one.header.executable, REAL, 'the recording names the binary that ran');
    const probed = fs.readFileSync(marks, 'utf8').trim().split('\n').map(Number);
    assert.equal(probed.length, 1, 'the shim ran once, to be asked');
    const main = one.model.byPid.get(one.model.run.mainPid!)!;
    // Ordering facts: the shim (sleep included) was over before the supervisor launched Python.
    assert.ok(probed[0] < one.header.startedAt + main.startedAt, 'the run was launched after the shim had answered');
    assert.ok(main.bootAt !== null && main.bootAt >= main.startedAt);
    assert.ok(fs.existsSync(path.join(d, 'cache', 'interpreters.json')));

    const r2 = await cli(d, ['record', '--out', 'two.forkscope', '--', 'python3', 'job.py', '0'], { PATH: `${bin}:${process.env.PATH}` });
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(fs.readFileSync(marks, 'utf8').trim().split('\n').length, 1, 'the second run used the cache: the shim did not run again');
    assert.equal(load(path.join(d, 'two.forkscope')).header.executable, REAL);

    // A changed shim invalidates the entry (its mtime is watched).
    fs.writeFileSync(shim, `#!/bin/sh\nsleep 0.5\necho "$(date +%s.%N)" >> "${marks}"\nexec "${REAL}" "$@"\n\n`, { mode: 0o755 });
    fs.utimesSync(shim, new Date(), new Date(Date.now() + 5000));
    await cli(d, ['record', '--out', 'three.forkscope', '--', 'python3', 'job.py', '0'], { PATH: `${bin}:${process.env.PATH}` });
    assert.equal(fs.readFileSync(marks, 'utf8').trim().split('\n').length, 2, 'asked again after it changed');
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test("a skipped shim leaves the script the environment the shim would have: its shell's _, PWD and OLDPWD included", async () => {
  const d = tmp();
  try {
    const bin = path.join(d, 'bin');
    fs.mkdirSync(bin);
    // Like pyenv's: bash (which sets PWD to the folder it runs in and _ to each command), a variable removed, then exec.
    fs.writeFileSync(path.join(bin, 'python3'), `#!/usr/bin/env bash\nunset OLDPWD\nexport PYENV_LIKE=1\nexec "${REAL}" "$@"\n`, {
      mode: 0o755,
    });
    fs.writeFileSync(
      path.join(d, 'envdump.py'),
      'import json, os\nprint(json.dumps({k: v for k, v in os.environ.items() if not k.startswith("FORKSCOPE_")}, sort_keys=True))\n',
    );
    // The caller's PWD and OLDPWD name other folders than the one the run starts in, as after a cd in a script.
    const env = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH}`,
      PWD: os.tmpdir(),
      OLDPWD: '/',
      _: '/usr/bin/env',
      FORKSCOPE_CACHE_DIR: path.join(d, 'cache'),
    };
    const plain = await runCommand('python3', ['envdump.py'], { cwd: d, env });
    const r = await runCommand(process.execPath, [CLI, 'record', '--out', 'e.forkscope', '--', 'python3', 'envdump.py'], { cwd: d, env });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(load(path.join(d, 'e.forkscope')).header.executable, REAL, 'the shim was skipped');
    const seen = JSON.parse(r.stdout);
    const expected = JSON.parse(plain.stdout);
    assert.notEqual(expected.PWD, os.tmpdir(), 'bash set PWD to its folder');
    assert.equal(expected.OLDPWD, undefined, 'the shim removed OLDPWD');
    assert.deepEqual(seen, expected);
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

test('a wrapper that cannot be skipped (it changes the environment) runs as is, and its time is drawn as "starting Python"', async () => {
  const d = tmp();
  try {
    const shim = path.join(d, 'pywrap');
    const marks = path.join(d, 'marks');
    fs.writeFileSync(shim, `#!/bin/sh\nexport WRAPPED=1\nsleep 0.5\necho "$(date +%s.%N)" >> "${marks}"\nexec "${REAL}" "$@"\n`, {
      mode: 0o755,
    });
    const r = await cli(d, ['record', '--out', 'w.forkscope', '--', shim, 'job.py', '0']);
    assert.equal(r.code, 0, r.stderr);
    const w = load(path.join(d, 'w.forkscope'));
    assert.equal(w.header.executable, undefined, 'not resolved');
    const execAt = fs.readFileSync(marks, 'utf8').trim().split('\n').map(Number).pop()! - w.header.startedAt;
    const main = w.model.byPid.get(w.model.run.mainPid!)!;
    const bands = stateBands(main, w.model.run.wallSeconds);
    assert.equal(bands[0].state, 'starting');
    assert.ok(bands[0].begin < execAt && execAt < bands[0].end, 'the shim’s sleep lies inside the starting band');
    assert.ok(
      bands.slice(1).every((b) => b.begin >= bands[0].end),
      'nothing of the script before it',
    );
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});

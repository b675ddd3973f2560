/**
 * The CLI's bundles load with V8's code cache (extension/runtime/codeCache.ts): real runs of dist/cli.js as
 * the `forkscope` command, in a cache folder of their own (FORKSCOPE_CACHE_DIR), saying with
 * FORKSCOPE_DEBUG=1 what became of the cache. A run without a cache writes one as it exits, the next uses
 * it; a cache V8 refuses, one of another build of the bundle, or a folder where nothing can be written cost
 * the cache and never the run.
 */

import assert from 'node:assert/strict';
import { fork, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { parseRecording } from '../../core/model/recording';
import { CLI, PYTHON, ROOT, runCommand } from './support/run';

const REAL = spawnSync(PYTHON, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
const BUNDLE = path.join(ROOT, 'dist', 'cli-record.js');

async function record(dir: string, cacheDir: string, name: string) {
  const out = path.join(dir, `${name}.forkscope`);
  const r = await runCommand(CLI, ['record', '-q', '-o', out, '--python', REAL, 'job.py'], {
    cwd: dir,
    env: { ...process.env, FORKSCOPE_CACHE_DIR: cacheDir, FORKSCOPE_DEBUG: '1' },
  });
  assert.equal(r.code, 3, r.stderr);
  assert.equal(r.stdout, 'child\nmain\n');
  const rec = parseRecording(fs.readFileSync(out, 'utf8'), out);
  assert.ok(
    rec.records.some((x) => x[0] === 'end'),
    `${name}: the recording has its end`,
  );
  assert.equal(rec.header.pythonFirst, true, 'the shell launcher started the run');
  return r.stderr
    .split('\n')
    .filter((l) => l.startsWith('forkscope: code cache of '))
    .map((l) => l.slice('forkscope: code cache of '.length));
}

function cacheFiles(cacheDir: string): string[] {
  return fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir).filter((f) => f.endsWith('.v8')) : [];
}

function inDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-codecache-'));
    fs.writeFileSync(
      path.join(dir, 'job.py'),
      'import sys, multiprocessing as mp\nif __name__ == "__main__":\n    p = mp.Process(target=print, args=("child",))\n    p.start(); p.join()\n    print("main")\n    sys.exit(3)\n',
    );
    try {
      await fn(dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
}

const opts = { timeout: 120_000 };

test(
  'a run without a code cache writes one as it exits; the next run uses it',
  opts,
  inDir(async (dir) => {
    const cache = path.join(dir, 'cache');
    assert.deepEqual(await record(dir, cache, 'first'), ['cli-record.js: none', 'cli-record.js: written']);
    const [file] = cacheFiles(cache);
    assert.match(file, new RegExp(`^code-cli-record-${process.version}-${process.arch}-[0-9a-f]{8}\\.v8$`));
    const data = fs.readFileSync(path.join(cache, file));
    const header = JSON.parse(data.subarray(0, data.indexOf(10)).toString());
    const st = fs.statSync(BUNDLE);
    assert.deepEqual(header, { v: 1, bundle: BUNDLE, size: st.size, mtimeMs: st.mtimeMs }, 'the header names this build of the bundle');
    assert.ok(data.length - data.indexOf(10) > 10_000, `V8's data follows (${data.length} bytes)`);
    assert.deepEqual(await record(dir, cache, 'second'), ['cli-record.js: used']);
    assert.deepEqual(cacheFiles(cache), [file], 'nothing more written');

    // Every other verb loads the whole CLI, with a cache of its own.
    const env = { ...process.env, FORKSCOPE_CACHE_DIR: cache, FORKSCOPE_DEBUG: '1' };
    const s1 = await runCommand(CLI, ['summary', path.join(dir, 'second.forkscope')], { cwd: dir, env });
    assert.equal(s1.code, 0, s1.stderr);
    assert.match(s1.stderr, /code cache of cli-main\.js: none\n.*code cache of cli-main\.js: written/s);
    const s2 = await runCommand(CLI, ['summary', path.join(dir, 'second.forkscope')], { cwd: dir, env });
    assert.equal(s2.stdout, s1.stdout);
    assert.match(s2.stderr, /code cache of cli-main\.js: used/);
  }),
);

test(
  'a cache V8 refuses, or one of another build of the bundle, is written anew; the run is whole either way',
  opts,
  inDir(async (dir) => {
    const cache = path.join(dir, 'cache');
    await record(dir, cache, 'first');
    const file = path.join(cache, cacheFiles(cache)[0]);
    const good = fs.readFileSync(file);
    const nl = good.indexOf(10);

    // The right header over damaged data: V8 checks what it is given and compiles instead.
    const damaged = Buffer.from(good);
    for (let i = nl + 1; i < damaged.length; i += 7) damaged[i] ^= 0x5a;
    fs.writeFileSync(file, damaged);
    assert.deepEqual(await record(dir, cache, 'damaged'), ['cli-record.js: refused', 'cli-record.js: written']);
    assert.deepEqual(await record(dir, cache, 'after-damaged'), ['cli-record.js: used']);

    // The cache of another build (the bundle was rebuilt since): not even shown to V8.
    const header = JSON.parse(good.subarray(0, nl).toString());
    fs.writeFileSync(
      file,
      Buffer.concat([Buffer.from(JSON.stringify({ ...header, mtimeMs: header.mtimeMs - 1000 }) + '\n'), good.subarray(nl + 1)]),
    );
    assert.deepEqual(await record(dir, cache, 'stale'), ['cli-record.js: none', 'cli-record.js: written']);
    assert.deepEqual(await record(dir, cache, 'after-stale'), ['cli-record.js: used']);
  }),
);

test(
  'a warm supervisor that had no run leaves the cache a finished run wrote meanwhile',
  opts,
  inDir(async (dir) => {
    // As VS Code does: a supervisor forked ahead (serve --ipc) loads the bundle before any cache exists; a run
    // then finishes and writes one; VS Code closes, and the idle supervisor exits having compiled little.
    const cache = path.join(dir, 'cache');
    const idle = fork(CLI, ['serve', '--ipc'], {
      env: { ...process.env, FORKSCOPE_CACHE_DIR: cache, FORKSCOPE_DEBUG: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
    });
    let idleErr = '';
    idle.stderr!.on('data', (d: Buffer) => (idleErr += d.toString()));
    const exited = new Promise<number | null>((resolve) => idle.on('exit', (code) => resolve(code)));
    try {
      for (let i = 0; i < 200 && !idleErr.includes('cli-record.js: none'); i++) await new Promise((r) => setTimeout(r, 25));
      assert.match(idleErr, /code cache of cli-record\.js: none/, 'the idle supervisor loaded before any cache');
      assert.deepEqual(await record(dir, cache, 'run'), ['cli-record.js: none', 'cli-record.js: written']);
      const file = path.join(cache, cacheFiles(cache)[0]);
      const written = fs.readFileSync(file);
      idle.disconnect(); // the host goes away
      assert.equal(await exited, 0, idleErr);
      assert.match(idleErr, /cli-record\.js: kept the one written meanwhile/);
      assert.ok(fs.readFileSync(file).equals(written), "the finished run's cache is the one kept");
    } finally {
      if (idle.exitCode === null) idle.kill('SIGKILL');
    }
  }),
);

test(
  'where no cache can be written, runs are recorded as ever, without one',
  opts,
  inDir(async (dir) => {
    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, '');
    const cache = path.join(blocker, 'cache'); // a folder inside a file: mkdir fails
    assert.deepEqual(await record(dir, cache, 'first'), ['cli-record.js: none']);
    assert.deepEqual(await record(dir, cache, 'second'), ['cli-record.js: none']);
    assert.ok(!fs.readdirSync(dir).some((f) => f.endsWith('.tmp')), 'no temporary file left');
  }),
);

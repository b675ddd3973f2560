/**
 * `forkscope compare` on two REAL runs of the same Pool.map, chunksize 1 vs 8:
 * the `forkscope.compare/1` JSON carries each run's summary figures exactly,
 * per-worker busy time from the pool's own counters, and B ÷ A; the text
 * form and the HTML page are made; bad input is refused with a clear line.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { COMPARE_SCHEMA, ratio, type Comparison } from '../../core/summary/compare';
import type { Summary } from '../../core/summary/summary';
import { CLI, PYTHON, ROOT, runCommand } from './support/run';

const FIXTURE = path.join(ROOT, 'test', 'scripts', 'pool_chunks.py');

describe('forkscope compare (two real runs)', { skip: fs.existsSync(CLI) ? false : 'dist/cli.js is missing (npm run build)' }, () => {
  let dir: string;
  const files: Record<'a' | 'b', string> = { a: '', b: '' };
  const summaries: Record<'a' | 'b', Summary> = {} as Record<'a' | 'b', Summary>;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-compare-'));
    for (const [side, chunksize] of [
      ['a', '1'],
      ['b', '8'],
    ] as const) {
      files[side] = path.join(dir, `chunks${chunksize}.forkscope`);
      const r = await runCommand(
        process.execPath,
        [CLI, 'record', '--quiet', '--python', PYTHON, '--out', files[side], '--', FIXTURE, chunksize, '2'],
        { cwd: dir },
      );
      assert.equal(r.code, 0, r.stderr);
      const s = await runCommand(process.execPath, [CLI, 'summary', files[side], '--json'], { cwd: dir });
      summaries[side] = JSON.parse(s.stdout) as Summary;
    }
  });

  after(() => {
    if (dir && !process.env.FORKSCOPE_KEEP_TEST_DIRS) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("--json: each side has its summary's figures, per-worker busy time and tasks, and the ratios are B ÷ A", async () => {
    const r = await runCommand(process.execPath, [CLI, 'compare', files.a, files.b, '--json'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const c = JSON.parse(r.stdout) as Comparison;
    assert.equal(c.schema, COMPARE_SCHEMA);
    for (const side of ['a', 'b'] as const) {
      const s = summaries[side];
      const run = c[side];
      assert.equal(run.label, path.basename(files[side]));
      assert.equal(run.wallSeconds, s.run.wallSeconds);
      assert.equal(run.cpuSeconds, s.run.cpuSeconds);
      assert.equal(run.speedup, s.run.speedup);
      assert.equal(typeof s.run.efficiency, 'number');
      assert.equal(run.efficiency, s.run.efficiency);
      assert.equal(run.processes, s.run.processes);
      assert.equal(run.messages, s.run.messages);
      assert.equal(run.cpuCount, s.run.cpuCount);
      assert.equal(run.exitCode, 0);
      assert.deepEqual(run.args, [side === 'a' ? '1' : '8', '2']);
      assert.equal(run.warnings, s.warnings.length);
      const pool = s.pools[0];
      const seen = `${side}: ${s.processes.map((p) => `${p.pid} ${p.role} ${p.name} exit ${p.exitCode}`).join('; ')}; pool ${JSON.stringify(pool)}`;
      assert.equal(pool.tasks, 32, seen);
      assert.deepEqual(
        run.workers.map((w) => w.pid).sort((x, y) => x - y),
        pool.workers,
        `the pool workers are the workers (${seen})`,
      );
      for (const w of run.workers) {
        assert.equal(w.role, 'pool-worker', seen);
        assert.equal(w.busySeconds, pool.busySecondsByWorker[w.pid] ?? 0, `busy time of ${w.name}`);
        assert.equal(w.tasks, pool.tasksByWorker[w.pid] ?? 0);
        const p = s.processes.find((x) => x.pid === w.pid)!;
        assert.equal(w.cpuSeconds, p.cpuSeconds);
        assert.equal(w.runningSeconds, p.stateSeconds.running);
      }
      assert.equal(
        run.workers.reduce((n, w) => n + (w.tasks ?? 0), 0),
        32,
        seen,
      );
    }
    // chunksize 1 sends a task message per item, chunksize 8 one per chunk: B has fewer messages.
    assert.ok(c.b.messages < c.a.messages, `${c.b.messages} < ${c.a.messages}`);
    assert.equal(c.ratios.wallSeconds, ratio(summaries.b.run.wallSeconds, summaries.a.run.wallSeconds));
    assert.equal(c.ratios.cpuSeconds, ratio(summaries.b.run.cpuSeconds, summaries.a.run.cpuSeconds));
    assert.equal(c.ratios.speedup, ratio(summaries.b.run.speedup, summaries.a.run.speedup));
    assert.equal(c.ratios.messages, ratio(summaries.b.run.messages, summaries.a.run.messages));
    assert.equal(c.ratios.processes, 1, `${c.a.processes} and ${c.b.processes} processes`);
    assert.equal(c.ratios.busySeconds, ratio(c.b.busySeconds, c.a.busySeconds));
  });

  it('prints a table by default and writes a self-contained HTML page with --html', async () => {
    const out = path.join(dir, 'cmp', 'compare.html');
    const r = await runCommand(process.execPath, [CLI, 'compare', files.a, files.b, '--html', out], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\s+A: chunks1\.forkscope\s+B: chunks8\.forkscope\s+B\/A$/m);
    assert.match(r.stdout, /^wall time\s+\S+ m?s\s+\S+ m?s\s+\d+\.\d\d×$/m);
    assert.match(r.stdout, /^messages\s+/m);
    assert.match(r.stdout, /busy time per worker/);
    const html = fs.readFileSync(out, 'utf8');
    assert.ok(html.includes('data-mode="compare"'), 'a compare page');
    assert.ok(html.includes('id="forkscope-compare"'), 'with both recordings inlined');
    assert.ok(html.includes('default-src &#39;none&#39;'), 'under the strict CSP');
    assert.ok(!/<script[^>]+src=/.test(html), 'nothing is loaded from elsewhere');
  });

  it('plain Process workers: busy time is their time running, no task count', async () => {
    const plain = path.join(dir, 'four.forkscope');
    const r = await runCommand(
      process.execPath,
      [CLI, 'record', '--quiet', '--python', PYTHON, '--out', plain, '--', path.join(ROOT, 'test', 'scripts', 'four_children.py')],
      { cwd: dir },
    );
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse((await runCommand(process.execPath, [CLI, 'summary', plain, '--json'], { cwd: dir })).stdout) as Summary;
    const c = JSON.parse(
      (await runCommand(process.execPath, [CLI, 'compare', plain, files.b, '--json'], { cwd: dir })).stdout,
    ) as Comparison;
    const kids = s.processes.filter((p) => p.role === 'process');
    const seen = s.processes.map((p) => `${p.pid} ${p.role} ${p.name}`).join('; ');
    assert.equal(kids.length, 4, seen);
    assert.deepEqual(
      c.a.workers.map((w) => w.pid),
      kids.map((p) => p.pid),
      `the four children, in the summary's order; not the main process (${seen})`,
    );
    for (const w of c.a.workers) {
      const p = kids.find((k) => k.pid === w.pid)!;
      assert.equal(w.busySeconds, p.stateSeconds.running);
      assert.equal(w.tasks, null);
    }
    assert.equal(c.a.busySeconds, Math.round(kids.reduce((n, p) => n + p.stateSeconds.running, 0) * 1e6) / 1e6);
  });

  it('refuses bad input with one line that says what to do', async () => {
    const one = await runCommand(process.execPath, [CLI, 'compare', files.a], { cwd: dir });
    assert.equal(one.code, 2);
    assert.match(one.stderr, /name exactly two recordings/);
    const bogus = path.join(dir, 'not-a-recording.forkscope');
    fs.writeFileSync(bogus, 'hello\n');
    const bad = await runCommand(process.execPath, [CLI, 'compare', files.a, bogus], { cwd: dir });
    assert.equal(bad.code, 2);
    assert.ok(bad.stderr.includes(bogus), bad.stderr);
    const missing = await runCommand(process.execPath, [CLI, 'compare', files.a, path.join(dir, 'nope.forkscope')], { cwd: dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no such file/);
    const opt = await runCommand(process.execPath, [CLI, 'compare', files.a, files.b, '--bogus'], { cwd: dir });
    assert.equal(opt.code, 2);
    assert.match(opt.stderr, /Unknown option --bogus/);
  });
});

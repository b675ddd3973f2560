/**
 * The inspector's Pools view on a real joblib run (Debian's python3-joblib with /usr/bin/python3,
 * loky backend): the Parallel call is a pool with its 40 calls, joblib's batches as chunks, each
 * worker's share, and the chunk chart drawn.
 */

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Summary } from '../../core/summary/summary';
import { launch, waitForInspector, type Browser } from './support/chromium';
import { CLI, RESULTS, ROOT, removeTestDirs, runtimeAvailable } from './support/recordings';

const DEBIAN_PYTHON = '/usr/bin/python3';

function skipReason(): string | false {
  if (!runtimeAvailable()) return 'the Python runtime (extension/python) or dist/cli.js is missing';
  if (!fs.existsSync(DEBIAN_PYTHON)) return `no ${DEBIAN_PYTHON}`;
  if (spawnSync(DEBIAN_PYTHON, ['-c', 'import joblib']).status !== 0)
    return `joblib cannot be imported by ${DEBIAN_PYTHON} (apt-get install python3-joblib)`;
  return false;
}

describe('inspector on a real joblib run', { skip: skipReason() }, () => {
  let browser: Browser;
  let dir = '';
  let report = '';
  let summary: Summary;
  let printed = '';

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-browser-joblib-'));
    const script = path.join(ROOT, 'test', 'scripts', 'joblib', 'parallel.py');
    const recording = path.join(dir, 'joblib.forkscope');
    printed = execFileSync(
      process.execPath,
      [CLI, 'record', '--quiet', '--python', DEBIAN_PYTHON, '--out', recording, '--', script, 'loky', '4'],
      { cwd: dir, encoding: 'utf8', timeout: 120_000 },
    );
    summary = JSON.parse(execFileSync(process.execPath, [CLI, 'summary', recording, '--json'], { encoding: 'utf8' })) as Summary;
    report = path.join(dir, 'joblib.html');
    execFileSync(process.execPath, [CLI, 'report', recording, '--html', report]);
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    removeTestDirs(dir);
  });

  it('shows the Parallel call as a pool: 40 calls in joblib batches, per worker, with its chunk chart', async () => {
    const batches = Number(printed.split(/\s+/)[4]);
    assert.equal(summary.pools.length, 1);
    const pool = summary.pools[0];
    assert.equal(pool.tasks, 40);
    assert.equal(pool.chunks, batches);
    const page = await browser.newPage({ width: 1400, height: 900 });
    await page.goto(`file://${report}`);
    await waitForInspector(page);
    await page.click('#fs-tab-pools');
    await page.waitForSelector('section.fs-pool');
    const perWorker = await page.$$eval('tr.fs-pool-worker', (trs) =>
      trs.map((tr) => [Number((tr as HTMLElement).dataset.pid), Number((tr as HTMLElement).dataset.tasks)] as [number, number]),
    );
    assert.equal(
      perWorker.reduce((n, [, t]) => n + t, 0),
      40,
    );
    const workers = summary.processes.filter((p) => p.role === 'executor-worker').map((p) => p.pid);
    assert.deepEqual(
      perWorker.map(([pid]) => pid).sort((a, b) => a - b),
      [...workers].sort((a, b) => a - b),
    );
    for (const [pid, n] of perWorker) assert.equal(n, pool.tasksByWorker[pid] ?? 0);
    const text = await page.$eval('section.fs-pool', (e) => e.textContent ?? '');
    assert.match(text, new RegExp(`40 tasks in ${batches} chunks`));
    assert.match(text, /Parallel\(40 tasks, chunksize 4\)/);
    assert.match(text, /LokyProcess-1/);
    assert.equal(await page.$eval('section.fs-pool h3 span', (e) => e.textContent), 'joblib Parallel → results');
    await page.waitForFunction(() => {
      const c = document.querySelector('canvas.fs-pool-gantt') as HTMLCanvasElement | null;
      return !!c && c.width > 0;
    });
    fs.mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, 'joblib-pools.png') });
    assert.deepEqual(browser.errors, []);
    await page.close();
  });

  it("draws the loky workers' shutdown zombies calmly: grey bands, no badge", async () => {
    const workers = summary.processes.filter((p) => p.role === 'executor-worker' && p.zombieSeconds > 0 && p.endedAt !== null);
    assert.ok(workers.length > 0, 'loky workers are joined a little after they end');
    const page = await browser.newPage({ width: 1400, height: 900 });
    await page.goto(`file://${report}`);
    await waitForInspector(page);
    for (const p of workers) {
      assert.ok(p.zombieSeconds < 1, `${p.name}: a short zombie (${p.zombieSeconds} s)`);
      const seen = await page.evaluate(
        ({ pid, from, to }) => {
          const tl = window.__forkscope!.inspector.timeline;
          tl.restore({ t0: from - (to - from), t1: to + (to - from), scrollY: 0, follow: false, fitted: false });
          tl.draw(true);
          const lane = [...document.querySelectorAll<HTMLElement>('#fs-tree [role=treeitem]')].findIndex(
            (li) => Number(li.dataset.pid) === pid,
          );
          const c = document.getElementById('fs-timeline-canvas') as HTMLCanvasElement;
          const w = c.getBoundingClientRect().width;
          const texts: string[] = [];
          for (let x = 180 + (w - 180) / 3 + 2; x < 180 + ((w - 180) * 2) / 3 - 2; x += 7)
            texts.push(tl.describeAt(x, 22 + lane * 20 + 10) ?? '');
          const li = document.querySelector(`#fs-tree [data-pid="${pid}"]`)!;
          return { texts, flags: li.querySelector('.fs-flags')!.textContent ?? '', badge: li.querySelector('.fs-badge')!.className };
        },
        { pid: p.pid, from: p.endedAt!, to: p.endedAt! + p.zombieSeconds },
      );
      assert.ok(
        seen.texts.some((t) => t.includes('a short zombie is normal')),
        seen.texts.join(' | '),
      );
      assert.doesNotMatch(seen.flags, /zombie/, `${p.name}: no zombie badge`);
      assert.ok(!/zombie(?! calm)/.test(seen.badge) || /calm/.test(seen.badge), `${p.name}: badge ${seen.badge}`);
    }
    assert.deepEqual(browser.errors, []);
    await page.close();
  });
});

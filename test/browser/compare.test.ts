/**
 * The compare page (`forkscope compare A B --html OUT`) in headless Chromium,
 * on two REAL runs of one Pool.map (1 worker vs 2): the figures table shows
 * the JSON's numbers, both timelines are drawn on one aligned time axis (the
 * longer run's), and panning or zooming one moves the other.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { Comparison } from '../../core/summary/compare';
import { formatCount, formatSeconds } from '../../core/format';
import { eventually, launch, type Browser } from './support/chromium';
import { CLI, FIXTURES, PYTHON, removeTestDirs, RESULTS, runtimeAvailable } from './support/recordings';

let browser: Browser;
let dir = '';
let page: Page;
let html = '';
let comparison: Comparison;
const HOSTILE = 'two<img src=x onerror=alert(1)>';

async function waitForCompare(p: Page): Promise<void> {
  await p.waitForFunction(
    () => {
      const hook = window.__forkscopeCompare;
      if (!hook) return false;
      if (hook.error) return true;
      return hook.ready && hook.compare.timelines().every((t) => t.lastFrame.version >= 0);
    },
    null,
    { timeout: 30_000 },
  );
  const error = await p.evaluate(() => window.__forkscopeCompare?.error ?? null);
  if (error) throw new Error(`the compare page failed: ${error}`);
}

/** Pixels of a canvas that differ from its top-left corner (the background). */
const inked = (p: Page, selector: string) =>
  p.evaluate((sel) => {
    const c = document.querySelector(sel) as HTMLCanvasElement;
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2]) n++;
    return n;
  }, selector);

const windows = (p: Page) =>
  p.evaluate(() => window.__forkscopeCompare!.compare.timelines().map((t) => ({ t0: t.win.t0, t1: t.win.t1, width: t.win.width })));

describe(
  'compare page (two real runs)',
  { skip: runtimeAvailable() ? false : 'the Python runtime (extension/python) or dist/cli.js is missing' },
  () => {
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-browser-compare-'));
      // B's file name is markup: it must show as text.
      const files = ['one-worker', HOSTILE].map((n) => path.join(dir, `${n}.forkscope`));
      execFileSync(
        process.execPath,
        [CLI, 'record', '--quiet', '--python', PYTHON, '--out', files[0], '--', path.join(FIXTURES, 'pool_chunks.py'), '4', '1'],
        { cwd: dir },
      );
      execFileSync(
        process.execPath,
        [CLI, 'record', '--quiet', '--python', PYTHON, '--out', files[1], '--', path.join(FIXTURES, 'pool_chunks.py'), '4', '2'],
        { cwd: dir },
      );
      html = path.join(dir, 'compare.html');
      comparison = JSON.parse(
        execFileSync(process.execPath, [CLI, 'compare', files[0], files[1], '--json', '--html', html], { cwd: dir, encoding: 'utf8' }),
      ) as Comparison;
      browser = await launch();
      page = await browser.newPage({ width: 1400, height: 1000 });
      await page.goto(`file://${html}`);
      await waitForCompare(page);
    });

    after(async () => {
      await browser?.close();
      removeTestDirs(dir);
    });

    it("shows the comparison table with the JSON document's numbers", async () => {
      const cells = await page.$$eval('#fs-compare-table tr[data-metric]', (trs) =>
        Object.fromEntries(
          trs.map((tr) => [(tr as HTMLElement).dataset.metric, [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')]),
        ),
      );
      const c = comparison;
      const ratio = (n: number | null) => (n === null ? '–' : `${n.toFixed(2)}×`);
      assert.deepEqual(cells.wallSeconds, [formatSeconds(c.a.wallSeconds), formatSeconds(c.b.wallSeconds), ratio(c.ratios.wallSeconds)]);
      assert.deepEqual(cells.cpuSeconds, [formatSeconds(c.a.cpuSeconds), formatSeconds(c.b.cpuSeconds), ratio(c.ratios.cpuSeconds)]);
      assert.deepEqual(cells.messages, [formatCount(c.a.messages), formatCount(c.b.messages), ratio(c.ratios.messages)]);
      assert.deepEqual(cells.processes, [String(c.a.processes), String(c.b.processes), ratio(c.ratios.processes)]);
      assert.deepEqual(cells.workers, ['1', '2', '']);
      assert.equal(cells.speedup[0], `${c.a.speedup!.toFixed(2)}× on ${c.a.cpuCount} core${c.a.cpuCount === 1 ? '' : 's'}`);
      // Per-worker busy time: one row per worker of each run, with its busy seconds.
      const workers = await page.$$eval('tr.fs-compare-worker', (trs) =>
        trs.map((tr) => ({
          side: (tr as HTMLElement).dataset.side,
          pid: Number((tr as HTMLElement).dataset.pid),
          busy: Number((tr as HTMLElement).dataset.busy),
        })),
      );
      assert.deepEqual(
        workers.filter((w) => w.side === 'a').map((w) => [w.pid, w.busy]),
        c.a.workers.map((w) => [w.pid, w.busySeconds]),
      );
      assert.deepEqual(
        workers.filter((w) => w.side === 'b').map((w) => [w.pid, w.busy]),
        c.b.workers.map((w) => [w.pid, w.busySeconds]),
      );
      assert.equal(c.a.workers.length, 1);
      assert.equal(c.b.workers.length, 2);
      // Labels are text: the hostile file name is shown character for character and runs nothing.
      assert.equal(await page.$eval('.fs-run-name', (e) => e.textContent), `Compare: one-worker.forkscope vs ${HOSTILE}.forkscope`);
      assert.equal(await page.$$eval('#app img, #app script', (l) => l.length), 0);
      assert.deepEqual(browser.errors, [], 'no dialog');
    });

    it('draws both timelines on one time axis that follows the longer run, and keeps them aligned when one moves', async () => {
      assert.ok((await inked(page, '#fs-timeline-canvas-a')) > 2000, 'timeline A is drawn');
      assert.ok((await inked(page, '#fs-timeline-canvas-b')) > 2000, 'timeline B is drawn');
      let [a, b] = await windows(page);
      assert.deepEqual(a, b, 'the same window on both');
      const longer = Math.max(comparison.a.wallSeconds, comparison.b.wallSeconds);
      assert.ok(a.t1 >= longer && a.t1 <= longer * 1.05 + 1e-3, `the axis shows all of the longer run (${a.t1} vs ${longer})`);
      const lanes = await page.evaluate(() => window.__forkscopeCompare!.compare.timelines().map((t) => t.lastFrame.lanes));
      assert.deepEqual(lanes, [comparison.a.processes, comparison.b.processes], 'a lane per process in each');
      // Zoom in on A with the keyboard, pan it: B follows.
      await page.focus('#fs-timeline-canvas-a');
      await page.keyboard.press('+');
      await page.keyboard.press('ArrowRight');
      [a, b] = await eventually(
        () => windows(page),
        ([x, y]) => x.t1 - x.t0 < longer && JSON.stringify(x) === JSON.stringify(y),
      );
      assert.ok(a.t1 - a.t0 < longer, 'zoomed in');
      assert.deepEqual(a, b, 'B follows A');
      // And the other way round: drag B.
      const box = (await page.locator('#fs-timeline-canvas-b').boundingBox())!;
      await page.mouse.move(box.x + 600, box.y + 40);
      await page.mouse.down();
      await page.mouse.move(box.x + 500, box.y + 40, { steps: 4 });
      await page.mouse.up();
      const [a2, b2] = await eventually(
        () => windows(page),
        ([x, y]) => y.t0 > b.t0 && JSON.stringify(x) === JSON.stringify(y),
      );
      assert.ok(b2.t0 > b.t0, 'B panned');
      assert.deepEqual(a2, b2, 'A follows B');
      await page.keyboard.press('0');
      fs.mkdirSync(RESULTS, { recursive: true });
      await page.focus('#fs-timeline-canvas-a');
      await page.keyboard.press('0');
      await page.waitForTimeout(100);
      await page.screenshot({ path: path.join(RESULTS, 'compare.png'), fullPage: true });
      assert.deepEqual(browser.errors, []);
      assert.deepEqual(browser.blocked, [], 'nothing left the page');
    });
  },
);

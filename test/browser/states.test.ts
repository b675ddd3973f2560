/**
 * The inspector shows the states the OS and the runtime agree on, and memory
 * a learner can trust: the legend lists ready and blocked, a child stuck at
 * exit flushing its queue is drawn blocked (with why), the memory chart has
 * private and shared lines, the tree shows private memory. On a report of a
 * real run (test/scripts/cow_stuck.py).
 */

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch, waitForInspector, type Browser } from './support/chromium';
import { recordFixture, removeTestDirs, runtimeAvailable, type RealRun } from './support/recordings';

let browser: Browser;
let run: RealRun;

describe(
  'states and memory in the inspector',
  { skip: runtimeAvailable() && process.platform === 'linux' ? false : 'needs the Python runtime and /proc' },
  () => {
    before(async () => {
      run = await recordFixture('cow_stuck.py');
      browser = await launch();
    });

    after(async () => {
      await browser?.close();
      removeTestDirs(run?.dir);
    });

    it('lists ready and blocked in the legend and draws the stuck reader as blocked on its queue flush', async () => {
      const page = await browser.newPage({ width: 1400, height: 900 });
      await page.goto(`file://${run.report}`);
      await waitForInspector(page);
      const legend = await page.$$eval('.fs-legend span', (spans) => spans.map((s) => [s.className, s.textContent ?? '']));
      const classes = legend.map(([c]) => c);
      for (const state of ['running', 'ready', 'blocked', 'zombie'])
        assert.ok(classes.includes(`fs-sw-${state}`), `legend has ${state}: ${JSON.stringify(legend)}`);
      assert.match(legend.find(([c]) => c === 'fs-sw-ready')![1], /ready/);
      assert.match(legend.find(([c]) => c === 'fs-sw-blocked')![1], /blocked/);
      // Hover the reader's lane across the run: some point says it is blocked flushing queue q.
      const reader = run.summary.processes.find((p) => p.name === 'reader')!;
      const found = await page.evaluate((pid) => {
        const tl = window.__forkscope!.inspector.timeline;
        const c = document.getElementById('fs-timeline-canvas') as HTMLCanvasElement;
        const w = c.getBoundingClientRect().width;
        const h = c.getBoundingClientRect().height;
        const texts = new Set<string>();
        for (let y = 20; y < h; y += 3) {
          for (let x = 182; x < w; x += 2) {
            const text = tl.describeAt(x, y);
            if (text && text.includes(`(pid ${pid})`) && text.includes('blocked')) texts.add(text.split('\n')[1]);
          }
        }
        return [...texts];
      }, reader.pid);
      assert.ok(found.length > 0, 'a blocked band of the reader can be hovered');
      assert.ok(
        found.some((t) => t === "blocked: exiting: waiting for Queue q's feeder to flush"),
        found.join(' | '),
      );
      // The summary agrees: the stuck second and a half is blocked, not running.
      assert.ok(reader.stateSeconds.blocked > 0.8, JSON.stringify(reader.stateSeconds));
      assert.ok(reader.stateSeconds.running < 0.5, JSON.stringify(reader.stateSeconds));
      // The tree shows private memory.
      const mem = await page.$eval(`#fs-tree [role=treeitem][data-pid="${reader.pid}"] .fs-rss`, (e) => [
        e.textContent ?? '',
        (e as HTMLElement).title,
      ]);
      assert.match(mem[0], /private$/);
      assert.match(mem[1], /shared/);
      await page.close();
    });

    it('draws private and shared memory per process in the memory chart', async () => {
      const page = await browser.newPage({ width: 1400, height: 900 });
      await page.goto(`file://${run.report}`);
      await waitForInspector(page);
      await page.click('#fs-tab-cpu');
      await page.waitForFunction(() => !!(document.getElementById('fs-mem-chart') as HTMLCanvasElement).dataset.series);
      const series = (await page.$eval('#fs-mem-chart', (e) => (e as HTMLElement).dataset.series ?? '')).split('\n');
      const writer = run.summary.processes.find((p) => p.name === 'writer')!;
      assert.ok(series.includes(`writer (${writer.pid}) private`), series.join(' | '));
      assert.ok(series.includes(`writer (${writer.pid}) shared`), series.join(' | '));
      // The summary behind it: the writer's copy-on-write shows in private memory.
      const reader = run.summary.processes.find((p) => p.name === 'reader')!;
      assert.ok(
        writer.peakPrivateBytes! - reader.peakPrivateBytes! > 15 * 1024 * 1024,
        `${writer.peakPrivateBytes} vs ${reader.peakPrivateBytes}`,
      );
      await page.close();
    });
  },
);

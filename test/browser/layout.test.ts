/**
 * The inspector where people meet it (issue 13, items 1–3), on REAL runs in
 * headless Chromium:
 *
 * - the layout fits its panel at 480, 680, 1000 and 1600 px: nothing overflows
 *   sideways, the timeline gets the whole width when stacked, and whatever is
 *   cut with an ellipsis carries its full text in a title (a screenshot per
 *   width in test-results/browser/layout-*.png);
 * - the default timeline view shows the run's action (from the first child),
 *   Fit shows everything, a run of one process shows its whole life;
 * - calm by default: a short zombie is grey with no badge, a long one keeps
 *   its alarm; the legend names every state drawn; words are right.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { STACK_BELOW_PX } from '../../core/page/layout';
import { eventually, launch, waitForInspector, type Browser } from './support/chromium';
import { recordFixture, removeTestDirs, RESULTS, runtimeAvailable, type RealRun } from './support/recordings';

const WIDTHS = [480, 680, 1000, 1600];
const TABS = ['flows', 'cpu', 'pools', 'locks', 'output'];
/** The timeline's gutter and axis (webview/timeline/geometry.ts), to find a band's pixels. */
const GUTTER_W = 180;
const AXIS_H = 22;

let browser: Browser;
const runs: Record<string, RealRun> = {};

async function open(run: RealRun, width = 1400, height = 900): Promise<Page> {
  const page = await browser.newPage({ width, height });
  await page.goto(`file://${run.report}`);
  await waitForInspector(page);
  return page;
}

/** Elements wider than their box or than the window, as `selector: scrollWidth > clientWidth` texts. */
function overflows(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth + 1) out.push(`document: ${doc.scrollWidth} > ${doc.clientWidth}`);
    const sel =
      '.fs-header, .fs-facts, .fs-insights, .fs-main, .fs-tree-pane, .fs-tree, .fs-timeline-pane, .fs-toolbar, .fs-tabs, .fs-tablist, ' +
      '.fs-panels, [role=tabpanel], table, .fs-channel, .fs-pool, .fs-flows, .fs-charts, .fs-locks-section, .fs-output';
    for (const e of document.querySelectorAll<HTMLElement>(sel)) {
      if (!e.offsetParent && e.tagName !== 'BODY') continue; // not shown
      const r = e.getBoundingClientRect();
      const name = `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}.${[...e.classList].join('.')}`;
      if (e.scrollWidth > e.clientWidth + 1) out.push(`${name}: scrollWidth ${e.scrollWidth} > clientWidth ${e.clientWidth}`);
      if (r.right > doc.clientWidth + 1) out.push(`${name}: right edge ${Math.round(r.right)} > window ${doc.clientWidth}`);
    }
    return out;
  });
}

/** Texts cut with an ellipsis whose full text is not in a title (on the element or around it). */
function cutWithoutTitle(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    for (const e of document.querySelectorAll<HTMLElement>('body *')) {
      if (!e.offsetParent || e.scrollWidth <= e.clientWidth + 0.5) continue;
      const cs = getComputedStyle(e);
      if (cs.textOverflow !== 'ellipsis' || cs.overflowX === 'visible') continue;
      const text = (e.textContent ?? '').replace(/\s+/g, ' ').trim();
      if (!text) continue;
      const title = (e.closest<HTMLElement>('[title]')?.title ?? '').replace(/\s+/g, ' ');
      // Every word of the text (symbols aside) must be in the title.
      const words = text.split(' ').filter((w) => /[\p{L}\p{N}]/u.test(w));
      if (!words.every((w) => title.includes(w))) out.push(`${e.className}: "${text}" (title "${title}")`);
    }
    return out;
  });
}

describe(
  'inspector layout, default view and calm colours on real runs',
  { skip: runtimeAvailable() ? false : 'the Python runtime (extension/python) or dist/cli.js is missing' },
  () => {
    before(async () => {
      const [pipeline, late, single, zombie] = await Promise.all([
        recordFixture('pipeline_pool.py'),
        recordFixture('late_child.py'),
        recordFixture('single.py'),
        recordFixture(path.join('..', '..', 'samples', '11_zombie.py'), { name: 'zombie11' }),
      ]);
      Object.assign(runs, { pipeline, late, single, zombie });
      browser = await launch();
    });

    after(async () => {
      await browser?.close();
      removeTestDirs(...Object.values(runs).map((r) => r.dir));
    });

    for (const width of WIDTHS) {
      it(`fits a ${width} px panel: no sideways overflow, the timeline's width, full texts in titles`, async () => {
        const page = await open(runs.pipeline, width, 900);
        const stacked = width < STACK_BELOW_PX;
        const box = (sel: string) => page.$eval(sel, (e) => e.getBoundingClientRect().toJSON() as DOMRect);
        const canvas = await box('#fs-timeline-canvas');
        const tree = await box('.fs-tree-pane');
        if (stacked) {
          assert.ok(canvas.width >= width * 0.95, `stacked, the timeline is ${canvas.width} px of ${width}`);
          assert.ok(tree.top >= canvas.bottom - 1, 'stacked, the tree comes under the timeline');
          assert.ok(await page.isVisible('#fs-tree-toggle'), 'the tree folds away');
        } else {
          assert.ok(tree.right <= canvas.left + 1, 'side by side: the tree left of the timeline');
          assert.ok(!(await page.isVisible('#fs-tree-toggle')));
        }
        fs.mkdirSync(RESULTS, { recursive: true });
        for (const tab of TABS) {
          await page.click(`#fs-tab-${tab}`);
          await page.waitForTimeout(250);
          assert.deepEqual(await overflows(page), [], `${width} px, ${tab} tab: nothing overflows`);
          assert.deepEqual(await cutWithoutTitle(page), [], `${width} px, ${tab} tab: every cut text has its title`);
          if (tab === 'flows') await page.screenshot({ path: path.join(RESULTS, `layout-${width}.png`), fullPage: true });
        }
        if (stacked) {
          await page.click('#fs-tree-toggle');
          assert.equal(await page.isVisible('#fs-tree'), false, 'the tree folded');
          assert.equal(await page.getAttribute('#fs-tree-toggle', 'aria-expanded'), 'false');
          await page.click('#fs-tree-toggle');
          assert.equal(await page.isVisible('#fs-tree'), true, 'the tree unfolded');
        }
        assert.deepEqual(browser.errors, []);
        await page.close();
      });
    }

    it("opens on the run's action: from the first child to the end; Fit shows start-up; Action comes back", async () => {
      const run = runs.late;
      const s = run.summary;
      const child = s.processes.find((p) => p.name === 'sender')!;
      const end = s.run.wallSeconds;
      assert.ok(child.startedAt > 0.3, `the child starts after the main process's 0.4 s alone (${child.startedAt})`);
      const page = await open(run);
      const view = () =>
        page.evaluate(() => {
          const tl = window.__forkscope!.inspector.timeline;
          return { t0: tl.win.t0, t1: tl.win.t1, ...tl.fitState() };
        });
      const v = await view();
      assert.equal(v.action, true, 'the default view is the action');
      assert.ok(v.t0 > 0.25, `the view starts near the child (${v.t0}), not at 0`);
      assert.ok(v.t0 <= child.startedAt, `the child's start is in view (${v.t0} ≤ ${child.startedAt})`);
      assert.ok(v.t1 >= end * 0.98, `the view reaches the end (${v.t1} vs ${end})`);
      await page.screenshot({ path: path.join(RESULTS, 'layout-action.png') });

      await page.click('.fs-toolbar button:text-is("Fit")');
      const fit = await view();
      assert.equal(fit.action, false);
      assert.ok(fit.t0 <= 0 && fit.t1 >= end, `Fit shows all of [0, ${end}]: [${fit.t0}, ${fit.t1}]`);
      // Start-up is drawn as a quiet band with its name where it has room: bring it into view.
      const labels = await page.evaluate(() => {
        const hook = window.__forkscope!;
        hook.inspector.timeline.showTime(0, 0.02);
        hook.inspector.timeline.draw(true);
        return hook.inspector.timeline.lastFrame.startupLabels;
      });
      assert.ok(labels >= 1, 'the "starting Python" band is named');

      await page.click('.fs-toolbar button:text-is("Action")');
      const back = await view();
      assert.equal(back.action, true);
      assert.ok(Math.abs(back.t0 - v.t0) < 1e-9, 'Action comes back to the default view');
      await page.close();
    });

    it('shows the whole life of a run of one process, and says "No messages"', async () => {
      const run = runs.single;
      assert.equal(run.summary.processes.length, 1);
      const page = await open(run);
      const v = await page.evaluate(() => window.__forkscope!.inspector.timeline.win.t0);
      assert.ok(v <= 0, `the view starts at 0 (${v})`);
      await page.click('#fs-tab-flows');
      const text = await eventually(
        () => page.$eval('#fs-panel-flows', (e) => e.textContent ?? ''),
        (t) => /No messages between processes\./.test(t),
      );
      assert.match(text, /No messages between processes\./);
      assert.doesNotMatch(text, /\(yet\)|yet\./, 'the run is over: no "yet"');
      await page.close();
    });

    it('words counts in the right number and ends the channel-depth axis with the run', async () => {
      const run = runs.late;
      const page = await open(run);
      await page.click('#fs-tab-flows');
      const meta = await eventually(
        () => page.$$eval('section.fs-channel h3', (hs) => hs.map((h) => h.textContent ?? '')),
        (m) => m.some((x) => /· 1 message ·/.test(x)),
      );
      const one = run.summary.channels.find((c) => c.messages === 1);
      assert.ok(one, 'the run has a channel with one message');
      assert.ok(
        meta.some((m) => /· 1 message ·/.test(m)),
        meta.join(' | '),
      );
      assert.ok(!meta.some((m) => /\b1 messages\b/.test(m)));
      const xMax = Number(await page.$eval('#fs-depth-chart', (c) => (c as HTMLElement).dataset.xMax));
      const now = await page.evaluate(() => window.__forkscope!.inspector.debugInfo().now);
      assert.ok(Math.abs(xMax - now) < 1e-9, `the depth axis ends at the run's end (${xMax} vs ${now})`);
      await page.close();
    });

    it('draws a short zombie grey with no badge and keeps a long one red and flagged; the legend names every state', async () => {
      // pipeline_pool: its children are joined soon after they end (the one zombie longest of them); 11_zombie: joined 1.4 s late.
      const check = async (run: RealRun, name: string) => {
        const page = await open(run);
        const p = run.summary.processes.find((x) => x.name === name)!;
        assert.ok(p.zombieSeconds > 0, `${name} was a zombie for a while`);
        const found = await page.evaluate(
          ({ pid, from, to, G, A }) => {
            const hook = window.__forkscope!;
            const tl = hook.inspector.timeline;
            // The band across the middle third of the plot.
            tl.restore({ t0: from - (to - from), t1: to + (to - from), scrollY: 0, follow: false, fitted: false });
            tl.draw(true);
            const rows = [...document.querySelectorAll<HTMLElement>('#fs-tree [role=treeitem]')].map((li) => Number(li.dataset.pid));
            const lane = rows.indexOf(pid);
            const c = document.getElementById('fs-timeline-canvas') as HTMLCanvasElement;
            const y = A + lane * 20 + 10;
            const ratio = c.width / c.getBoundingClientRect().width;
            // Every pixel across the band's middle row (an arrow may cross it: the most common colour tells).
            const x0 = Math.ceil(G + tl.win.x(from)) + 1;
            const x1 = Math.floor(G + tl.win.x(to)) - 1;
            const row = c
              .getContext('2d')!
              .getImageData(Math.round(x0 * ratio), Math.round(y * ratio), Math.max(1, Math.round((x1 - x0) * ratio)), 1).data;
            const px: number[][] = [];
            for (let i = 0; i < row.length; i += 4) px.push([row[i], row[i + 1], row[i + 2]]);
            const li = document.querySelector(`#fs-tree [data-pid="${pid}"]`)!;
            return {
              px,
              // Hovered at 40 points across the band, on its middle row and above and below it: messages of other
              // lanes' processes may cross it (a hover over an arrow describes the arrow), not everywhere.
              text: Array.from({ length: 40 }, (_, i) => x0 + ((x1 - x0) * (i + 0.5)) / 40)
                .flatMap((hx) => [y, y - 6, y + 6].map((hy) => tl.describeAt(hx, hy) ?? ''))
                .join('\n'),
              flags: li.querySelector('.fs-flags')!.textContent ?? '',
            };
          },
          { pid: p.pid, from: p.endedAt!, to: p.endedAt! + p.zombieSeconds, G: GUTTER_W, A: AXIS_H },
        );
        await page.close();
        return { ...found, seconds: p.zombieSeconds };
      };
      const grey = ([r, g, b]: number[]) => Math.max(r, g, b) - Math.min(r, g, b) < 40;
      const red = ([r, g, b]: number[]) => r > g + 60 && r > b + 60;
      const share = (px: number[][], f: (c: number[]) => boolean) => px.filter(f).length / Math.max(1, px.length);
      const longest = runs.pipeline.summary.processes.filter((p) => p.role !== 'main').sort((a, b) => b.zombieSeconds - a.zombieSeconds)[0];
      const short = await check(runs.pipeline, longest.name);
      assert.ok(short.seconds < 1, `a short zombie (${short.seconds} s)`);
      assert.ok(short.px.length >= 5, `the band is ${short.px.length} px wide`);
      assert.ok(share(short.px, grey) > 0.6, `the short zombie is grey: ${JSON.stringify(short.px.slice(0, 8))}`);
      assert.match(short.text, /a short zombie is normal/);
      assert.doesNotMatch(short.flags, /zombie/, 'no zombie badge');
      const long = await check(runs.zombie, 'quick');
      assert.ok(long.seconds >= 1, `a long zombie (${long.seconds} s)`);
      assert.ok(share(long.px, red) > 0.6, `the long zombie is red: ${JSON.stringify(long.px.slice(0, 8))}`);
      assert.match(long.text, /not yet joined by its parent/);
      assert.match(long.flags, /zombie/, 'a long zombie keeps its badge');

      const page = await open(runs.pipeline);
      const legend = await page.$$eval('.fs-legend [data-legend]', (s) => s.map((e) => (e as HTMLElement).dataset.legend));
      for (const k of [
        'created',
        'starting',
        'running',
        'ready',
        'chan',
        'join',
        'lock',
        'waiting',
        'sleep',
        'blocked',
        'zombie-short',
        'zombie',
        'exited',
      ])
        assert.ok(legend.includes(k), `the legend names ${k}`);
      // Normal ends are neutral: the pool's workers stopped at shutdown (one by SIGTERM) are not red.
      const bad = await page.$$eval('#fs-tree .fs-exit.bad', (es) => es.map((e) => e.textContent));
      assert.deepEqual(bad, [], 'no normal end is marked bad');
      await page.close();
    });
  },
);

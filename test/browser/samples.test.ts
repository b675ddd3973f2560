/**
 * The samples' visual claims, on the inspector's report of a REAL run of each
 * sample (test/node/samples.test.ts asserts every claim over the recording;
 * this file checks the ones a learner reads off the screen): 01's parent PID
 * in the tree, 03's output per child and private vs shared memory lines, 06's
 * Locks tab, 11's zombie band, 12's orphan and its adopter in the tree, 13's
 * stuck writer drawn blocked (not running) with why, and its warning.
 * Screenshots go to test-results/browser/sample-*.png.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { launch, waitForInspector, type Browser } from './support/chromium';
import { recordFixture, removeTestDirs, RESULTS, runtimeAvailable, type RealRun } from './support/recordings';

const SAMPLES = ['01_first_process', '03_memory_fork_vs_spawn', '06_lock', '11_zombie', '12_orphan', '13_deadlock'] as const;
type SampleName = (typeof SAMPLES)[number];

let browser: Browser;
const runs = {} as Record<SampleName, RealRun>;

async function open(name: SampleName): Promise<Page> {
  const page = await browser.newPage({ width: 1400, height: 900 });
  await page.goto(`file://${runs[name].report}`);
  await waitForInspector(page);
  return page;
}

const pidOf = (name: SampleName, process: string): number => {
  const p = runs[name].summary.processes.find((x) => x.name === process);
  assert.ok(p, `${process} in ${name}`);
  return p.pid;
};

/** The second line (the state) of every timeline tooltip over the lane of `pid`. */
function laneStates(page: Page, pid: number): Promise<string[]> {
  return page.evaluate((pid) => {
    const tl = window.__forkscope!.inspector.timeline;
    const c = document.getElementById('fs-timeline-canvas') as HTMLCanvasElement;
    const { width, height } = c.getBoundingClientRect();
    const texts = new Set<string>();
    for (let y = 20; y < height; y += 3) {
      for (let x = 182; x < width; x += 2) {
        const text = tl.describeAt(x, y);
        if (text && text.includes(`(pid ${pid})`)) texts.add(text.split('\n')[1]);
      }
    }
    return [...texts];
  }, pid);
}

interface Row {
  pid: number;
  name: string;
  parent: string;
  flags: string;
  label: string;
}
const treeRows = (page: Page): Promise<Row[]> =>
  page.$$eval('#fs-tree [role=treeitem]', (lis) =>
    lis.map((li) => ({
      pid: Number((li as HTMLElement).dataset.pid),
      name: li.querySelector('.fs-name')?.textContent ?? '',
      parent: li.querySelector('.fs-ppid')?.textContent ?? '',
      flags: li.textContent ?? '',
      label: li.getAttribute('aria-label') ?? '',
    })),
  );

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(RESULTS, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS, `sample-${name}.png`) });
}

describe(
  'the samples, as a learner sees them in the inspector (real runs)',
  { skip: runtimeAvailable() && process.platform === 'linux' ? false : 'needs the Python runtime and /proc' },
  () => {
    before(async () => {
      // One at a time: the samples' lessons are about timing and memory, and the tests run on two cores.
      for (const name of SAMPLES) runs[name] = await recordFixture(`../../samples/${name}.py`);
      browser = await launch();
    });

    after(async () => {
      await browser?.close();
      removeTestDirs(...Object.values(runs).map((r) => r.dir));
    });

    it("01: the tree shows each process's PID and the child's parent PID", async () => {
      const page = await open('01_first_process');
      const main = runs['01_first_process'].summary.processes.find((p) => p.role === 'main')!;
      const greeter = (await treeRows(page)).find((r) => r.pid === pidOf('01_first_process', 'greeter'));
      assert.ok(greeter, 'greeter has a row');
      assert.equal(greeter.parent, `parent ${main.pid}`);
      assert.match(greeter.label, new RegExp(`${greeter.pid}`));
      await shot(page, '01');
      await page.close();
    });

    it("03: each child's output, and private vs shared memory lines for the fork children", async () => {
      const page = await open('03_memory_fork_vs_spawn');
      const spawn = pidOf('03_memory_fork_vs_spawn', 'spawn-reader');
      await page.click(`#fs-tree [data-pid="${spawn}"] .fs-name`);
      await page.click('#fs-tab-output');
      await page.waitForSelector('#fs-output .fs-output-lines');
      const text = await page.$eval('#fs-output', (e) => e.textContent ?? '');
      assert.match(text, /spawn \(read\) +pid \d+: CONFIG='default', len\(BIG\)=0 MiB/);
      assert.doesNotMatch(text, /changed by the parent/, "another process's line is not the spawn child's");
      await page.click('#fs-tab-cpu');
      await page.waitForFunction(() => !!(document.getElementById('fs-mem-chart') as HTMLCanvasElement).dataset.series);
      const series = (await page.$eval('#fs-mem-chart', (e) => (e as HTMLElement).dataset.series ?? '')).split('\n');
      for (const who of ['fork-writer', 'fork-reader']) {
        const pid = pidOf('03_memory_fork_vs_spawn', who);
        assert.ok(series.includes(`${who} (${pid}) private`), series.join(' | '));
        assert.ok(series.includes(`${who} (${pid}) shared`), series.join(' | '));
      }
      await shot(page, '03-memory');
      await page.close();
    });

    it('06: the Locks tab lists print_lock with its 20 acquisitions and who waited', async () => {
      const page = await open('06_lock');
      await page.click('#fs-tab-locks');
      await page.waitForSelector('#fs-locks tr.fs-lock');
      const rows = await page.$$eval('#fs-locks tr.fs-lock', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
      );
      const lock = rows.find((r) => r[0] === 'print_lock');
      assert.ok(lock, JSON.stringify(rows));
      assert.equal(lock[3], '20');
      assert.ok(Number(lock[4]) > 0, `contended ${lock[4]}`);
      const waiters = await page.$$eval('.fs-lock-detail .fs-lock-bar.wait', (bs) => bs.length);
      assert.ok(waiters > 0, 'waits on the lock are drawn');
      await shot(page, '06-locks');
      await page.close();
    });

    it("11: the child's zombie band, named as such", async () => {
      const page = await open('11_zombie');
      const states = await laneStates(page, pidOf('11_zombie', 'quick'));
      assert.ok(states.includes('zombie: exited, not yet joined by its parent'), states.join(' | '));
      await shot(page, '11');
      await page.close();
    });

    it('12: the grandchild under middle, an orphan, with the OS parent that adopted it', async () => {
      const page = await open('12_orphan');
      const s = runs['12_orphan'].summary;
      const g = s.processes.find((p) => p.name === 'grandchild')!;
      const rows = await treeRows(page);
      const row = rows.find((r) => r.pid === g.pid)!;
      assert.equal(
        row.parent,
        `parent ${pidOf('12_orphan', 'middle')} · adopted by ${g.adoptedBy}${g.adoptedByName ? ` (${g.adoptedByName})` : ''}`,
      );
      assert.match(row.flags, /orphan/i);
      // Under middle: its row comes right after middle's, one level deeper.
      const levels = await page.$$eval('#fs-tree [role=treeitem]', (lis) =>
        lis.map((li) => [Number((li as HTMLElement).dataset.pid), Number(li.getAttribute('aria-level'))]),
      );
      const mid = levels.findIndex(([pid]) => pid === pidOf('12_orphan', 'middle'));
      assert.deepEqual(levels[mid + 1], [g.pid, levels[mid][1] + 1]);
      await shot(page, '12');
      await page.close();
    });

    it('13: the stuck writer is drawn blocked, waiting for its queue to flush — not running — and the deadlock is reported', async () => {
      const page = await open('13_deadlock');
      const states = await laneStates(page, pidOf('13_deadlock', 'writer'));
      assert.ok(states.includes("blocked: exiting: waiting for Queue q's feeder to flush"), states.join(' | '));
      const insights = await page.$$eval('#fs-insights li.fs-insight .fs-insight-message', (ms) => ms.map((m) => m.textContent ?? ''));
      assert.ok(
        insights.some((m) => /Read the queue before joining/.test(m)),
        insights.join(' | '),
      );
      await shot(page, '13');
      assert.deepEqual(browser.errors, []);
      await page.close();
    });
  },
);

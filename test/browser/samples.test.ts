/**
 * The samples' visual claims, on the inspector's report of a REAL run of each
 * sample (test/node/samples.test.ts asserts every claim over the recording;
 * this file checks the ones a learner reads off the screen): 01's parent PID
 * in the tree, 03's output per child and private vs shared memory lines, 04's
 * arrows and their latency on hover, 06's Locks tab, 09's Pools tab, 11's
 * zombie band, 12's orphan and its adopter in the tree and in its lane's
 * tooltip, 13's stuck writer drawn blocked (not running) with why, and its
 * warning with its line.
 * Screenshots go to test-results/browser/sample-*.png.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { formatSeconds } from '../../core/format';
import { parseRecording } from '../../core/model/recording';
import { RunReducer } from '../../core/model/reducer';
import { launch, waitForInspector, type Browser } from './support/chromium';
import { recordFixture, removeTestDirs, RESULTS, runtimeAvailable, type RealRun } from './support/recordings';

const SAMPLES = [
  '01_first_process',
  '03_memory_fork_vs_spawn',
  '04_pipe',
  '06_lock',
  '09_pool',
  '11_zombie',
  '12_orphan',
  '13_deadlock',
] as const;
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

/** Every distinct timeline tooltip text found over the canvas (a dense scan of `describeAt`) that `keep` accepts, with a point for each. */
function tooltipsWhere(page: Page, keep: string, x0 = 182, x1 = Infinity): Promise<[number, number, string][]> {
  return page.evaluate(
    ([keep, x0, x1]) => {
      const tl = window.__forkscope!.inspector.timeline;
      const c = document.getElementById('fs-timeline-canvas') as HTMLCanvasElement;
      const { width, height } = c.getBoundingClientRect();
      const found = new Map<string, [number, number, string]>();
      const re = new RegExp(keep);
      for (let y = 20; y < height; y += 2) {
        for (let x = x0; x < Math.min(width, x1); x += 1) {
          const text = tl.describeAt(x, y);
          if (text && re.test(text) && !found.has(text)) found.set(text, [x, y, text]);
        }
      }
      return [...found.values()];
    },
    [keep, x0, x1] as const,
  );
}

/** Moves the real pointer to (x, y) on the timeline canvas and returns the tooltip it shows. */
async function hover(page: Page, x: number, y: number): Promise<string> {
  const box = (await page.locator('#fs-timeline-canvas').boundingBox())!;
  await page.mouse.move(box.x + x, box.y + y);
  await page.waitForFunction(() => !(document.getElementById('fs-tooltip') as HTMLElement).hidden);
  return page.$eval('#fs-tooltip', (e) => e.textContent ?? '');
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

    it('04: an arrow per message between parent and child, each with its latency on hover', async () => {
      const page = await open('04_pipe');
      const main = runs['04_pipe'].summary.processes.find((p) => p.role === 'main')!;
      const child = pidOf('04_pipe', 'ponger');
      const arrows = await tooltipsWhere(page, '^parent_end/child_end \\(pipe\\)\n');
      // The latencies of the recorded messages, as the tooltip writes them.
      const rec = parseRecording(runs['04_pipe'].text, runs['04_pipe'].recording);
      const model = RunReducer.fromRecords(rec.header, rec.records);
      const latencies = new Set(model.messages.map((m) => formatSeconds(m.t - m.sentAt)));
      const ways = new Set<string>();
      for (const [, , text] of arrows) {
        const m = /\nsent [^,]+, received [^,]+, latency ([^\n]+)\n/.exec(text);
        assert.ok(m, text);
        assert.ok(latencies.has(m[1]), `latency ${m[1]} is a recorded message's: ${[...latencies].join(', ')}`);
        ways.add(text.split('\n')[1]);
      }
      assert.ok(arrows.length >= 8, `${arrows.length} arrows can be hovered, each on its own`);
      assert.deepEqual([...ways].sort(), [
        `MainProcess (pid ${main.pid}) → ponger (pid ${child})`,
        `ponger (pid ${child}) → MainProcess (pid ${main.pid})`,
      ]);
      // The real pointer shows it.
      const [x, y, text] = arrows[0];
      const shown = await hover(page, x, y);
      assert.equal(shown, text);
      assert.match(shown, /, latency [\d.]+ (s|ms|µs)\n/);
      await shot(page, '04-latency');
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

    it('09: the Pools tab: each call with its tasks and chunksize, tasks and chunks per worker, bars for how evenly, the chart', async () => {
      const page = await open('09_pool');
      const pool = runs['09_pool'].summary.pools[0];
      await page.click('#fs-tab-pools');
      await page.waitForSelector('.fs-pools tr.fs-pool-worker');
      const calls = await page.$eval('.fs-pools section.fs-pool p.fs-muted', (p) => p.textContent ?? '');
      for (const call of [
        'map(24 tasks, chunksize 1)',
        'map(24 tasks, chunksize 8)',
        'map_async(12 tasks, chunksize 1)',
        'imap(12 tasks, chunksize 2)',
        'apply_async(1 task',
      ])
        assert.ok(calls.includes(call), `${call} in ${calls}`);
      const rows = await page.$$eval('.fs-pools tr.fs-pool-worker', (trs) =>
        trs.map((tr) => ({
          pid: Number((tr as HTMLElement).dataset.pid),
          cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
          bar: (tr.querySelector('.fs-bar') as HTMLElement).getBoundingClientRect().width,
        })),
      );
      assert.deepEqual(rows.map((r) => r.pid).sort(), [...pool.workers].sort());
      const most = Math.max(...pool.workers.map((w) => pool.tasksByWorker[w] ?? 0));
      for (const row of rows) {
        const tasks = pool.tasksByWorker[row.pid] ?? 0;
        assert.equal(row.cells[1], String(tasks), `tasks of ${row.pid}`);
        assert.equal(row.cells[2], String(pool.chunksByWorker[row.pid] ?? 0), `chunks of ${row.pid}`);
        // How evenly: each bar's length is its worker's share of the busiest worker's tasks.
        assert.ok(
          Math.abs(row.bar - Math.max(2, Math.round((tasks / most) * 120))) <= 1,
          `bar of ${row.pid}: ${row.bar} px for ${tasks} tasks`,
        );
      }
      assert.equal(await page.locator('.fs-pools canvas.fs-pool-gantt').count(), 1, 'the chart of chunks per worker');
      await shot(page, '09-pools');
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
      // The lane's tooltip (over its name on the timeline) names the OS parent that adopted it, not middle.
      const adopted = `adopted by ${g.adoptedBy}${g.adoptedByName ? ` (${g.adoptedByName})` : ''}`;
      const [name] = await tooltipsWhere(page, `^grandchild \\(pid ${g.pid}\\)\n`, 20, 150);
      assert.ok(name, "the grandchild's lane name can be hovered");
      assert.equal(name[2].split('\n')[1], `parent ${pidOf('12_orphan', 'middle')} · ${adopted}`);
      assert.notEqual(g.adoptedBy, pidOf('12_orphan', 'middle'));
      assert.equal(await hover(page, name[0], name[1]), name[2], 'the real pointer shows it');
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
      // At which line: the warning shows the join that waits.
      const w = runs['13_deadlock'].summary.warnings.find((x) => x.kind === 'deadlock')!;
      const source = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'samples', '13_deadlock.py'), 'utf8').split('\n');
      const joinLine = source.findIndex((l) => /^\s+p\.join\(timeout=5\.0\)/.test(l)) + 1;
      assert.equal(w.line, joinLine);
      const code = await page.$eval('#fs-insights li.fs-insight[data-kind="deadlock"] .fs-insight-code', (e) => [
        e.textContent ?? '',
        (e as HTMLElement).title,
      ]);
      assert.match(code[0], new RegExp(`13_deadlock\\.py:${joinLine}$`));
      assert.equal(code[1], `${w.file}:${joinLine}`);
      await shot(page, '13');
      assert.deepEqual(browser.errors, []);
      await page.close();
    });
  },
);

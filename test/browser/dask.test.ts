/**
 * The inspector on real dask.distributed runs (Debian's python3-distributed with /usr/bin/python3): a
 * LocalCluster with two worker processes, and a scheduler with two workers started outside the run.
 * The Pools tab shows each cluster as its scheduler with its workers under it, the tasks per worker
 * (exactly the summary's), a lane per worker with a band per task and an arrow per transfer, the
 * transfers per direction; the LocalCluster's workers are dask-worker processes in the tree; the erred
 * task is an insight.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Summary } from '../../core/summary/summary';
import { daskMissing, DEBIAN_PYTHON, startExternalCluster } from '../node/support/dask';
import { launch, waitForInspector, type Browser } from './support/chromium';
import { CLI, RESULTS, ROOT, removeTestDirs, runtimeAvailable } from './support/recordings';

function skipReason(): string | false {
  if (!runtimeAvailable()) return 'the Python runtime (extension/python) or dist/cli.js is missing';
  return daskMissing() ?? false;
}

interface Shown {
  workers: { address: string; tasks: number; erred: number; pid: string | null }[];
  tree: string[];
  transfers: { from: string; to: string; count: number; bytes: number }[];
  canvas: { lanes: number; bands: number; arrows: number };
  heading: string;
}

describe('inspector on real dask.distributed runs', { skip: skipReason() }, () => {
  let browser: Browser;
  let dir = '';
  const reports: Record<string, { html: string; summary: Summary }> = {};

  const recordAndReport = (name: string, script: string, args: string[]) => {
    const recording = path.join(dir, `${name}.forkscope`);
    execFileSync(process.execPath, [CLI, 'record', '--quiet', '--python', DEBIAN_PYTHON, '--out', recording, '--', script, ...args], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 180_000,
    });
    const summary = JSON.parse(execFileSync(process.execPath, [CLI, 'summary', recording, '--json'], { encoding: 'utf8' })) as Summary;
    const html = path.join(dir, `${name}.html`);
    execFileSync(process.execPath, [CLI, 'report', recording, '--html', html]);
    reports[name] = { html, summary };
  };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-browser-dask-'));
    recordAndReport('local', path.join(ROOT, 'test', 'scripts', 'dask_local.py'), ['--fail']);
    const cluster = await startExternalCluster();
    try {
      recordAndReport('remote', path.join(ROOT, 'test', 'scripts', 'dask_remote.py'), [cluster.address]);
    } finally {
      await cluster.stop();
    }
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    removeTestDirs(dir);
  });

  async function open(name: string): Promise<{ shown: Shown; page: Awaited<ReturnType<Browser['newPage']>> }> {
    const page = await browser.newPage({ width: 1400, height: 1000 });
    await page.goto(`file://${reports[name].html}`);
    await waitForInspector(page);
    await page.click('#fs-tab-pools');
    await page.waitForSelector('section.fs-cluster');
    await page.waitForFunction(() => {
      const c = document.querySelector('canvas.fs-cluster-gantt') as HTMLCanvasElement | null;
      return !!c && c.dataset.bands !== undefined;
    });
    const shown = await page.evaluate(() => {
      const d = (e: Element, k: string) => (e as HTMLElement).dataset[k] ?? null;
      const canvas = document.querySelector('canvas.fs-cluster-gantt') as HTMLElement;
      return {
        workers: [...document.querySelectorAll('tr.fs-cluster-worker')].map((tr) => ({
          address: d(tr, 'address')!,
          tasks: Number(d(tr, 'tasks')),
          erred: Number(d(tr, 'erred')),
          pid: d(tr, 'pid'),
        })),
        tree: [...document.querySelectorAll('.fs-cluster-scheduler .fs-cluster-tree-worker')].map((li) => li.textContent ?? ''),
        transfers: [...document.querySelectorAll('tr.fs-cluster-transfer')].map((tr) => ({
          from: d(tr, 'from')!,
          to: d(tr, 'to')!,
          count: Number(d(tr, 'count')),
          bytes: Number(d(tr, 'bytes')),
        })),
        canvas: { lanes: Number(canvas.dataset.lanes), bands: Number(canvas.dataset.bands), arrows: Number(canvas.dataset.arrows) },
        heading: document.querySelector('section.fs-cluster h3')?.textContent ?? '',
      };
    });
    return { shown, page };
  }

  it('LocalCluster: workers under the scheduler, linked to their processes; tasks per worker, bands, the transfer arrow', async () => {
    const s = reports.local.summary;
    const c = s.clusters![0];
    const { shown, page } = await open('local');
    assert.match(
      shown.heading,
      /dask cluster tcp:\/\/127\.0\.0\.1:\d+ · LocalCluster in MainProcess \(\d+\) · 2 workers · 24 tasks · 1 erred/,
    );
    assert.deepEqual(
      shown.workers,
      c.workers.map((w) => ({ address: w.address, tasks: w.tasks, erred: w.erred, pid: String(w.pid) })),
    );
    assert.deepEqual(
      shown.workers.map((w) => w.tasks),
      [12, 12],
    );
    assert.equal(shown.tree.length, 2);
    for (const [i, w] of c.workers.entries()) assert.match(shown.tree[i], new RegExp(`process ${w.pid} of this run`));
    assert.deepEqual(shown.canvas, { lanes: 2, bands: 24, arrows: 1 });
    assert.deepEqual(shown.transfers, c.transfers);
    // The workers are dask-worker processes in the process tree, and the erred task is an insight.
    const tree = await page.$$eval('#fs-tree [role="treeitem"]', (items) => items.map((e) => e.textContent ?? ''));
    assert.equal(tree.filter((t) => /dask worker/.test(t)).length, 2, tree.join('\n'));
    const insights = await page.$eval('#fs-header', (e) => e.textContent ?? '');
    assert.match(insights, /1 dask task raised on cluster tcp:\/\/127\.0\.0\.1:\d+: fail \(1\)/);
    // On the main timeline the two worker processes' lanes carry their task strips and the transfer arrow.
    await page.waitForFunction(() => window.__forkscope!.inspector.timeline.daskDrawn.lanes > 0);
    const onTimeline = await page.evaluate(() => window.__forkscope!.inspector.timeline.daskDrawn);
    assert.equal(onTimeline.lanes, 2);
    assert.equal(onTimeline.arrows, 1);
    assert.ok(onTimeline.tasks >= 2 && onTimeline.tasks <= 24, String(onTimeline.tasks));
    // Clicking a local worker's row selects its process.
    await page.click(`tr.fs-cluster-worker[data-pid="${c.workers[1].pid}"] td`);
    await page.waitForFunction(
      (pid) => document.querySelector(`#fs-tree [aria-selected="true"]`)?.textContent?.includes(String(pid)),
      c.workers[1].pid,
    );
    fs.mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, 'dask-local.png') });
    assert.deepEqual(browser.errors, []);
    await page.close();
  });

  it('external scheduler: remote workers labelled with their host and pid, 6 and 9 tasks, one transfer between them', async () => {
    const c = reports.remote.summary.clusters![0];
    const { shown, page } = await open('remote');
    assert.match(shown.heading, /scheduler outside this run · 2 workers · 15 tasks/);
    assert.deepEqual(
      shown.workers.map((w) => [w.tasks, w.pid]),
      [
        [6, null],
        [9, null],
      ],
    );
    for (const [i, w] of c.workers.entries())
      assert.match(shown.tree[i], new RegExp(`worker ${w.name} \\(127\\.0\\.0\\.1:\\d+\\) · on 127\\.0\\.0\\.1, pid ${w.pid}`));
    assert.deepEqual(shown.canvas, { lanes: 2, bands: 15, arrows: 1 });
    assert.deepEqual(shown.transfers, [{ from: c.workers[0].address, to: c.workers[1].address, count: 1, bytes: 20_000 }]);
    // The process tree and the timeline: a row for the scheduler with its two workers under it, labelled with
    // their host and pid there; their lanes carry their tasks and the transfer arrow.
    const tree = await page.$$eval('#fs-tree [role="treeitem"]', (items) =>
      items.map((e) => [
        e.getAttribute('aria-level') ?? '',
        e.querySelector('.fs-name')?.textContent ?? '',
        e.querySelector('.fs-pid')?.textContent ?? '',
      ]),
    );
    const at = tree.findIndex((r) => r[1] === `dask scheduler ${c.scheduler}`);
    assert.ok(at >= 0, JSON.stringify(tree));
    assert.deepEqual([tree[at][0], tree[at][2]], ['1', 'outside this run']);
    for (const [i, w] of c.workers.entries()) {
      assert.equal(tree[at + 1 + i][0], '2');
      assert.match(tree[at + 1 + i][1], new RegExp(`^worker ${w.name} \\(127\\.0\\.0\\.1:\\d+\\)$`));
      assert.equal(tree[at + 1 + i][2], `on 127.0.0.1, pid ${w.pid}`);
    }
    await page.waitForFunction(() => window.__forkscope!.inspector.timeline.daskDrawn.lanes > 0);
    const onTimeline = await page.evaluate(() => window.__forkscope!.inspector.timeline.daskDrawn);
    assert.equal(onTimeline.lanes, 2);
    assert.equal(onTimeline.arrows, 1);
    assert.ok(onTimeline.tasks >= 2 && onTimeline.tasks <= 15, String(onTimeline.tasks));
    // The stand-ins are not processes: the summary's processes are the script's own.
    assert.equal(reports.remote.summary.processes.filter((p) => p.role.startsWith('dask')).length, 0);
    await page.screenshot({ path: path.join(RESULTS, 'dask-remote.png') });
    assert.deepEqual(browser.errors, []);
    await page.close();
  });
});

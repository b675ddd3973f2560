/**
 * The inspector in headless Chromium, on reports of REAL runs: the fixture
 * scripts in test/scripts/ are recorded at test time with `forkscope record`,
 * turned into standalone reports with `forkscope report --html`, and opened
 * from file: URLs with every other request refused. Screenshots go to
 * test-results/browser/.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { RunReducer } from '../../core/model/reducer';
import { parseRecording } from '../../core/model/recording';
import { renderInspectorPage } from '../../core/page/page';
import { eventually, launch, waitForInspector, type Browser } from './support/chromium';
import { CLI, openLivePage, recordFixture, removeTestDirs, RESULTS, ROOT, runtimeAvailable, type RealRun } from './support/recordings';
import { execFileSync } from 'node:child_process';

const HOSTILE_SCRIPT = 'x<img src=x onerror=alert(7)>.py';
/** docs/images/inspector.png (FORKSCOPE_UPDATE_DOCS_IMAGE=1): a panel beside the editor, where the inspector stacks. */
const DOCS_IMAGE_VIEWPORT = { width: 760, height: 900 };

let browser: Browser;
const runs: Record<string, RealRun> = {};

async function open(run: RealRun, viewport = { width: 1400, height: 900 }): Promise<Page> {
  const page = await browser.newPage(viewport);
  await page.goto(`file://${run.report}`);
  await waitForInspector(page);
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(RESULTS, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS, `${name}.png`) });
}

/** Pixels of a canvas that differ from its top-left corner (the background). */
async function inkedPixels(page: Page, selector: string): Promise<number> {
  return page.evaluate((sel) => {
    const c = document.querySelector(sel) as HTMLCanvasElement | null;
    if (!c || !c.width || !c.height) return 0;
    const ctx = c.getContext('2d')!;
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    // chart.js leaves its background transparent: compare against the first pixel whatever it is.
    const [r, g, b, a] = [d[0], d[1], d[2], d[3]];
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] !== r || d[i + 1] !== g || d[i + 2] !== b || d[i + 3] !== a) n++;
    return n;
  }, selector);
}

/** inkedPixels once the canvas has more than `min` of them (a chart draws a frame or two after its tab opens), or after 5 s. */
const inkedOnceDrawn = (page: Page, selector: string, min: number) =>
  eventually(
    () => inkedPixels(page, selector),
    (n) => n > min,
  );

const rowsOf = (page: Page) =>
  page.$$eval('#fs-tree [role=treeitem]', (lis) =>
    lis.map((li) => ({
      pid: Number((li as HTMLElement).dataset.pid),
      state: (li as HTMLElement).dataset.state ?? '',
      name: li.querySelector('.fs-name')!.textContent ?? '',
      exit: li.querySelector('.fs-exit')!.textContent ?? '',
      exitBad: li.querySelector('.fs-exit')!.classList.contains('bad'),
      flags: li.querySelector('.fs-flags')!.textContent ?? '',
      target: li.querySelector('.fs-target')!.textContent ?? '',
      level: Number(li.getAttribute('aria-level')),
      expanded: li.getAttribute('aria-expanded'),
      selected: li.getAttribute('aria-selected'),
    })),
  );

const waitRows = (page: Page, n: number) =>
  page.waitForFunction((n) => document.querySelectorAll('#fs-tree [role=treeitem]').length === n, n, { timeout: 5000 });

const fact = (page: Page, id: string) => page.$eval(`#fs-facts [data-fact="${id}"] .v`, (e) => e.textContent ?? '');

function expectedExit(p: { exitCode: number | null; error: string | null; endReason?: string | null; endDetail?: string | null }): string {
  const { exitCode: code, error } = p;
  const d = p.endDetail ?? '';
  switch (p.endReason) {
    case 'returned':
      return 'returned';
    case 'exception':
      return `raised ${d}`;
    case 'sys.exit':
      return `sys.exit(${d})`;
    case 'os._exit':
      return `os._exit(${d})`;
    case 'terminated-by-pool':
      return `stopped by the pool${d ? ` (${d})` : ''}`;
    case 'signal':
      return `killed by ${d}`;
    default:
      break;
  }
  if (code === null) return '';
  const signals: Record<number, string> = { 9: 'SIGKILL', 15: 'SIGTERM', 2: 'SIGINT', 11: 'SIGSEGV', 6: 'SIGABRT' };
  if (code < 0) return `killed by ${signals[-code] ?? `signal ${-code}`}`;
  return error ? `exit ${code}: ${error}` : `exit ${code}`;
}

describe(
  'inspector on real recorded runs',
  { skip: runtimeAvailable() ? false : 'the Python runtime (extension/python) or dist/cli.js is missing' },
  () => {
    before(async () => {
      const [a, b, c, d] = await Promise.all([
        recordFixture('pipeline_pool.py'),
        recordFixture('pingpong.py'),
        recordFixture('crash.py'),
        recordFixture('hostile.py', { scriptName: HOSTILE_SCRIPT }),
      ]);
      Object.assign(runs, { pipeline: a, pingpong: b, crash: c, hostile: d });
      browser = await launch();
    });

    after(async () => {
      await browser?.close();
      removeTestDirs(...Object.values(runs).map((r) => r.dir));
    });

    it('shows every process of a Queue pipeline + Pool run with its state, exit code and the header facts', async () => {
      const run = runs.pipeline;
      const page = await open(run);
      const rows = await rowsOf(page);
      const s = run.summary;
      assert.deepEqual(new Set(rows.map((r) => r.pid)), new Set(s.processes.map((p) => p.pid)), 'every PID is in the tree');
      assert.equal(rows.length, s.processes.length);
      for (const p of s.processes) {
        const row = rows.find((r) => r.pid === p.pid)!;
        assert.equal(row.name, p.name);
        assert.equal(row.exit, expectedExit(p), `exit of ${p.name}`);
        assert.equal(row.state, 'exited', `${p.name} ended`);
        assert.equal(row.target, p.target ?? '');
      }
      assert.equal(await fact(page, 'processes'), String(s.run.processes));
      assert.equal(await fact(page, 'exit'), '0');
      assert.equal(await fact(page, 'cores'), String(s.run.cpuCount));
      assert.equal(await fact(page, 'messages'), s.run.messages.toLocaleString('en-US'));
      assert.match(await page.$eval('#fs-status', (e) => e.textContent ?? ''), /^exit 0$/);
      assert.ok((await inkedPixels(page, '#fs-timeline-canvas')) > 5000, 'the timeline is drawn');
      const frame = await page.evaluate(() => window.__forkscope!.inspector.timeline.lastFrame);
      assert.ok(frame.arrows > 0, 'message arrows are drawn');
      await shot(page, 'pipeline_pool-timeline');
      if (process.env.FORKSCOPE_UPDATE_DOCS_IMAGE) {
        // The README's picture: the inspector as people first meet it, beside the editor (about half of a
        // 1600 px window), stacked: the timeline across the width, the tree under it, then the Pools tab.
        const docs = await open(run, DOCS_IMAGE_VIEWPORT);
        await docs.click('#fs-tab-pools');
        await docs.waitForTimeout(300);
        fs.mkdirSync(path.join(ROOT, 'docs', 'images'), { recursive: true });
        await docs.screenshot({ path: path.join(ROOT, 'docs', 'images', 'inspector.png'), fullPage: true });
        await docs.close();
      }
      assert.deepEqual(browser.blocked, []);
      assert.deepEqual(browser.errors, []);
      await page.close();
    });

    it('lists exact flow counts per channel, as the summary does', async () => {
      for (const run of [runs.pipeline, runs.pingpong]) {
        const page = await open(run);
        await page.click('#fs-tab-flows');
        const flows = await page.$$eval('section.fs-channel tr.fs-flow', (trs) =>
          trs.map((tr) => ({
            channel: (tr.closest('section') as HTMLElement).dataset.channel,
            from: Number((tr as HTMLElement).dataset.from),
            to: Number((tr as HTMLElement).dataset.to),
            messages: Number((tr as HTMLElement).dataset.messages),
            bytes: Number((tr as HTMLElement).dataset.bytes),
          })),
        );
        const expected = run.summary.channels.flatMap((c) =>
          c.flows.map((f) => ({ channel: c.id, from: f.from, to: f.to, messages: f.messages, bytes: f.bytes })),
        );
        assert.ok(expected.length > 0, `${run.name} has flows`);
        const key = (f: { channel?: string; from: number; to: number }) => `${f.channel} ${f.from}>${f.to}`;
        assert.deepEqual(new Map(flows.map((f) => [key(f), f])), new Map(expected.map((f) => [key(f), f])));
        assert.ok((await inkedPixels(page, '#fs-depth-chart')) > 200, 'the channel depth chart is drawn');
        await shot(page, `${run.name}-flows`);
        await page.close();
      }
      const pp = runs.pingpong.summary.channels.find((c) => c.flows.length === 2)!;
      assert.deepEqual(
        pp.flows.map((f) => f.messages),
        [20, 20],
      );
    });

    it('draws CPU and memory charts with chart.js and shows the pool: tasks per worker and chunks', async () => {
      const run = runs.pipeline;
      const page = await open(run);
      await page.click('#fs-tab-cpu');
      await page.waitForFunction(() => (document.getElementById('fs-cpu-chart') as HTMLCanvasElement).width > 0);
      assert.ok((await inkedOnceDrawn(page, '#fs-cpu-chart', 500)) > 500, 'CPU chart drawn');
      assert.ok((await inkedOnceDrawn(page, '#fs-mem-chart', 500)) > 500, 'memory chart drawn');
      await shot(page, 'pipeline_pool-cpu');
      await page.click('#fs-tab-pools');
      const pool = run.summary.pools[0];
      const perWorker = await eventually(
        () =>
          page.$$eval('tr.fs-pool-worker', (trs) =>
            trs.map((tr) => [Number((tr as HTMLElement).dataset.pid), Number((tr as HTMLElement).dataset.tasks)] as [number, number]),
          ),
        (rows) => rows.length > 0,
      );
      assert.equal(
        perWorker.reduce((n, [, t]) => n + t, 0),
        pool.tasks,
      );
      assert.equal(pool.tasks, 64);
      for (const [pid, n] of perWorker) assert.equal(n, pool.tasksByWorker[pid] ?? 0);
      const text = await page.$eval('section.fs-pool', (e) => e.textContent ?? '');
      assert.match(text, /chunksize 8/);
      assert.match(text, /64 tasks in 8 chunks/);
      if (await page.$('canvas.fs-pool-gantt'))
        assert.ok((await inkedOnceDrawn(page, 'canvas.fs-pool-gantt', 200)) > 200, 'pool chunks drawn');
      await shot(page, 'pipeline_pool-pools');
      assert.deepEqual(browser.errors, []);
      await page.close();
    });

    it('names crashes, exit codes and signals, and keeps a short zombie calm', async () => {
      const run = runs.crash;
      const page = await open(run);
      const rows = await rowsOf(page);
      const by = (name: string) => rows.find((r) => r.name === name)!;
      assert.equal(by('raiser').exit, 'raised ValueError: bad input 42');
      assert.equal(by('exit-3').exit, 'os._exit(3)');
      assert.equal(by('sigkilled').exit, 'killed by SIGKILL');
      assert.equal(by('late-joined').exit, 'returned');
      for (const n of ['raiser', 'exit-3', 'sigkilled']) assert.ok(by(n).exitBad, `${n} is marked bad`);
      assert.ok(!by('late-joined').exitBad);
      // 0.4 s between its end and its join: a normal, short zombie, drawn calmly (no badge; 11_zombie's 1.4 s keeps one).
      assert.doesNotMatch(by('late-joined').flags, /zombie/);
      for (const p of run.summary.processes) assert.ok(rows.some((r) => r.pid === p.pid));
      await shot(page, 'crash');
      await page.close();
    });

    it('shows hostile names, targets, errors and file names as text and runs nothing', async () => {
      const run = runs.hostile;
      const page = await open(run);
      const rows = await rowsOf(page);
      assert.equal(rows.length, run.summary.processes.length);
      assert.equal(await fact(page, 'processes'), String(run.summary.run.processes));
      for (const p of run.summary.processes) {
        const row = rows.find((r) => r.pid === p.pid);
        assert.ok(row, `pid ${p.pid} shown`);
        assert.equal(row!.name, p.name, 'the name is shown character for character');
      }
      assert.ok(rows.some((r) => r.name === '<img src=x onerror=alert(1)>'));
      assert.ok(rows.some((r) => r.name === '</script><script>window.__pwned=1</script>'));
      assert.ok(rows.some((r) => r.target.includes('<img src=y onerror=alert(4)>')));
      assert.ok(rows.some((r) => r.exit.includes('<img src=z onerror=alert(5)>')));
      assert.equal(await page.$eval('#fs-header .fs-run-name', (e) => e.textContent), HOSTILE_SCRIPT);
      // Hover a hostile lane: the tooltip is text too.
      const box = (await page.$('#fs-timeline-canvas'))!.boundingBox();
      const b = (await box)!;
      await page.mouse.move(b.x + 60, b.y + 22 + 20 * 1.5);
      const tip = await eventually(
        () =>
          page.$eval('#fs-tooltip', (e) => ({
            text: e.textContent ?? '',
            children: e.children.length,
            hidden: (e as HTMLElement).hidden,
          })),
        (t) => !t.hidden,
      );
      assert.equal(tip.hidden, false);
      assert.equal(tip.children, 0);
      assert.match(tip.text, /</);
      for (const tab of ['flows', 'cpu', 'pools']) {
        await page.click(`#fs-tab-${tab}`);
        await page.waitForTimeout(100);
      }
      const injected = await page.evaluate(() => ({
        pwned: (window as unknown as { __pwned?: unknown }).__pwned,
        elements: document.querySelectorAll('#app img, #app iframe, #app svg, #app b, #app script').length,
        scripts: document.scripts.length,
      }));
      assert.equal(injected.pwned, undefined);
      assert.equal(injected.elements, 0);
      assert.equal(injected.scripts, 2, 'only the data block and the bundle');
      await shot(page, 'hostile');
      assert.deepEqual(browser.errors, [], 'no dialog, no error');
      assert.deepEqual(browser.blocked, [], 'no request left the page');
      await page.close();
    });

    it('is keyboard navigable: arrows move and select, left/right collapse and expand, Home/End; filter by name or PID', async () => {
      const run = runs.pipeline;
      const page = await open(run);
      const first = page.locator('#fs-tree [role=treeitem]').first();
      await first.click();
      const focused = () => page.evaluate(() => Number((document.activeElement as HTMLElement).dataset.pid));
      // A key's effect can reach the page a frame later on a loaded machine: wait for it, then say what is there.
      const focusOn = async (pid: number) => {
        await page
          .waitForFunction((pid) => Number((document.activeElement as HTMLElement | null)?.dataset.pid) === pid, pid, { timeout: 5000 })
          .catch(() => undefined);
        assert.equal(await focused(), pid);
      };
      const rows0 = await rowsOf(page);
      assert.equal(rows0[0].selected, 'true');
      assert.equal(rows0[0].expanded, 'true', 'small runs open fully expanded');
      await focusOn(rows0[0].pid);
      await page.keyboard.press('ArrowDown');
      await focusOn(rows0[1].pid);
      assert.equal((await rowsOf(page))[1].selected, 'true');
      await page.keyboard.press('ArrowLeft'); // a child: to its parent
      await focusOn(rows0[0].pid);
      await page.keyboard.press('ArrowLeft'); // the parent: collapse
      await waitRows(page, 1);
      let rows = await rowsOf(page);
      assert.equal(rows.length, 1);
      // Messages of collapsed processes are drawn on the lane of their shown ancestor.
      // (a frame drawn while the lanes change may leave the arrows to the next one: wait for a settled frame)
      await page.waitForFunction(
        () => {
          const f = window.__forkscope!.inspector.timeline.lastFrame;
          return f.lanes === 1 && f.considered > 0;
        },
        null,
        { timeout: 10_000 },
      );
      assert.equal(rows[0].expanded, 'false');
      await page.keyboard.press('ArrowRight'); // expand
      await waitRows(page, rows0.length);
      rows = await rowsOf(page);
      assert.equal(rows.length, rows0.length);
      await page.keyboard.press('End');
      await focusOn(rows0[rows0.length - 1].pid);
      await page.keyboard.press('Home');
      await focusOn(rows0[0].pid);
      const tabStops = await page.$$eval(
        '#fs-tree [role=treeitem]',
        (lis) => lis.filter((li) => (li as HTMLElement).tabIndex === 0).length,
      );
      assert.equal(tabStops, 1, 'one tab stop in the tree');
      // Filter by PID: the match and its ancestors.
      const worker = run.summary.processes.find((p) => p.name === 'worker-1')!;
      await page.fill('#fs-filter', String(worker.pid));
      await waitRows(page, 2);
      rows = await rowsOf(page);
      assert.deepEqual(
        rows.map((r) => r.pid),
        [run.summary.processes.find((p) => p.role === 'main')!.pid, worker.pid],
      );
      await page.fill('#fs-filter', 'ForkPoolWorker');
      await waitRows(page, 1 + run.summary.processes.filter((p) => p.role === 'pool-worker').length);
      rows = await rowsOf(page);
      assert.equal(
        rows.filter((r) => r.name.startsWith('ForkPoolWorker')).length,
        run.summary.processes.filter((p) => p.role === 'pool-worker').length,
      );
      // The timeline keyboard: focus it, zoom and pan, select lanes.
      await page.fill('#fs-filter', '');
      await page.focus('#fs-timeline-canvas');
      const span0 = await page.evaluate(() => window.__forkscope!.inspector.timeline.win.span);
      await page.keyboard.press('+');
      const span1 = await page.evaluate(() => window.__forkscope!.inspector.timeline.win.span);
      assert.ok(span1 < span0, 'zoomed in');
      const t0 = await page.evaluate(() => window.__forkscope!.inspector.timeline.win.t0);
      await page.keyboard.press('ArrowRight');
      assert.ok((await page.evaluate(() => window.__forkscope!.inspector.timeline.win.t0)) > t0, 'panned');
      await page.keyboard.press('0');
      const selectedBefore = (await rowsOf(page)).find((r) => r.selected === 'true')?.pid;
      await page.keyboard.press('ArrowDown');
      await page
        .waitForFunction(
          (before) => {
            const sel = [...document.querySelectorAll<HTMLElement>('#fs-tree [role=treeitem][aria-selected=true]')];
            return sel.length === 1 && Number(sel[0].dataset.pid) !== before;
          },
          selectedBefore ?? -1,
          { timeout: 5000 },
        )
        .catch(() => undefined);
      const selectedAfter = (await rowsOf(page)).filter((r) => r.selected === 'true');
      assert.equal(selectedAfter.length, 1);
      assert.notEqual(selectedAfter[0].pid, selectedBefore, 'ArrowDown on the timeline selects the next lane');
      await page.close();
    });

    it('takes live records through the protocol and freezes in the final state when the run ends', async () => {
      const run = runs.pipeline;
      const page = await openLivePage(browser, run.dir);
      const rec = parseRecording(run.text);
      const half = Math.floor(rec.records.length / 2);
      await page.evaluate(
        ({ header, records }) => window.postMessage({ type: 'init', header, records, live: true, title: 'pipeline (live)' }, '*'),
        { header: rec.header, records: rec.records.slice(0, half) },
      );
      await waitForInspector(page);
      assert.equal(await page.$eval('#fs-status', (e) => e.textContent), 'live');
      // While live the view follows "now": after more records, the window still ends at the latest moment.
      const follows = () =>
        page.evaluate(() => {
          const insp = window.__forkscope!.inspector;
          const w = insp.timeline.win;
          return { follow: w.follow, showsNow: w.t1 >= insp.debugInfo().now && w.t0 <= insp.debugInfo().now };
        });
      assert.deepEqual(await follows(), { follow: true, showsNow: true });
      const quarter = half + Math.floor((rec.records.length - half) / 2);
      await page.evaluate((records) => window.postMessage({ type: 'records', records }, '*'), rec.records.slice(half, quarter));
      await waitForInspector(page);
      assert.deepEqual(await follows(), { follow: true, showsNow: true });
      for (let i = quarter; i < rec.records.length; i += 25) {
        await page.evaluate((records) => window.postMessage({ type: 'records', records }, '*'), rec.records.slice(i, i + 25));
      }
      await page.waitForFunction(() => document.getElementById('fs-status')!.textContent === 'exit 0');
      await waitForInspector(page);
      const rows = await eventually(
        () => rowsOf(page),
        (rs) => rs.length === run.summary.processes.length && rs.every((r) => r.state === 'exited'),
      );
      assert.deepEqual(new Set(rows.map((r) => r.pid)), new Set(run.summary.processes.map((p) => p.pid)));
      for (const r of rows) assert.equal(r.state, 'exited');
      assert.equal(await page.evaluate(() => window.__forkscope!.inspector.debugInfo().live), false);
      await page.close();
    });

    it('works as a VS Code webview: posts ready, renders init, reports and follows selection', async () => {
      const run = runs.pingpong;
      const html = renderInspectorPage({
        kind: 'vscode',
        scriptUri: `file://${path.join(ROOT, 'dist', 'webview.js')}`,
        cspSource: 'file:',
        title: 'pingpong',
      });
      const file = path.join(run.dir, 'vscode.html');
      fs.writeFileSync(file, html);
      const page = await browser.newPage();
      await page.addInitScript(() => {
        const posted: unknown[] = [];
        let state: unknown;
        (window as unknown as { __posted: unknown[] }).__posted = posted;
        (window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({
          postMessage: (m: unknown) => posted.push(m),
          getState: () => state,
          setState: (s: unknown) => (state = s),
        });
      });
      await page.goto(`file://${file}`);
      await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
      const rec = parseRecording(run.text);
      await page.evaluate(
        ({ header, records }) => window.postMessage({ type: 'init', header, records, live: false, title: 'pingpong' }, '*'),
        { header: rec.header, records: rec.records },
      );
      await waitForInspector(page);
      const child = run.summary.processes.find((p) => p.name === 'ponger')!;
      await page.click(`#fs-tree [data-pid="${child.pid}"] .fs-name`);
      const posted = await page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted);
      assert.deepEqual(posted[posted.length - 1], { type: 'selected', pid: child.pid });
      const main = run.summary.processes.find((p) => p.role === 'main')!;
      await page.evaluate((pid) => window.postMessage({ type: 'select', pid }, '*'), main.pid);
      await page.waitForFunction(
        (pid) => document.querySelector(`#fs-tree [data-pid="${pid}"]`)!.getAttribute('aria-selected') === 'true',
        main.pid,
      );
      // Targets link to their source inside VS Code (when the runtime told where the target is defined).
      const target = page.locator(`#fs-tree [data-pid="${child.pid}"] button.fs-target`);
      assert.equal(await target.count(), 1, 'the target is a button');
      if (child.file && child.line) {
        const before = await page.evaluate(() => (window as unknown as { __posted: unknown[] }).__posted.length);
        await target.click();
        const after = await page.evaluate((n) => (window as unknown as { __posted: unknown[] }).__posted.slice(n), before);
        assert.deepEqual(after, [
          { type: 'openSource', file: child.file, line: child.line },
          { type: 'selected', pid: child.pid },
        ]);
      } else {
        assert.equal(await target.isDisabled(), true);
      }
      assert.deepEqual(browser.errors, []);
      await page.close();
    });

    it('hover tells the channel, payload and latency of a message and the process a join waits for; a click on a lane selects it everywhere', async () => {
      const run = runs.pingpong;
      const page = await open(run);
      // Find, on the drawn canvas, a point over a message arrow and one over main's join wait.
      const found = await page.evaluate(() => {
        const tl = window.__forkscope!.inspector.timeline;
        const c = document.getElementById('fs-timeline-canvas') as HTMLCanvasElement;
        const w = c.getBoundingClientRect().width;
        let arrow: [number, number, string] | null = null;
        let join: [number, number, string] | null = null;
        for (let y = 24; y < 70 && !(arrow && join); y += 2) {
          for (let x = 182; x < w && !(arrow && join); x += 1) {
            const text = tl.describeAt(x, y);
            if (!text) continue;
            if (!arrow && text.includes('latency')) arrow = [x, y, text];
            if (!join && text.includes('joined process')) join = [x, y, text];
          }
        }
        return { arrow, join };
      });
      assert.ok(found.arrow, 'an arrow can be hovered');
      assert.match(found.arrow![2], /\(pipe\)/);
      assert.match(found.arrow![2], /payload \d+ B/);
      assert.match(found.arrow![2], /MainProcess \(pid \d+\) → ponger|ponger \(pid \d+\) → MainProcess/);
      assert.ok(found.join, 'the join wait can be hovered');
      assert.match(found.join![2], /waiting: join\(ponger\)/);
      assert.match(found.join![2], /joined process: ponger \(pid \d+\), exit 0/);
      // The real pointer shows the same words in the tooltip.
      const box = (await page.locator('#fs-timeline-canvas').boundingBox())!;
      await page.mouse.move(box.x + found.arrow![0], box.y + found.arrow![1]);
      await page.waitForFunction(() => !(document.getElementById('fs-tooltip') as HTMLElement).hidden);
      assert.equal(await page.$eval('#fs-tooltip', (e) => e.textContent), found.arrow![2]);
      // Click the child's lane: selected in the tree too.
      const child = run.summary.processes.find((p) => p.name === 'ponger')!;
      await page.mouse.click(box.x + 60, box.y + 22 + 20 * 1.5);
      await page.waitForFunction(
        (pid) => document.querySelector(`#fs-tree [data-pid="${pid}"]`)!.getAttribute('aria-selected') === 'true',
        child.pid,
      );
      await shot(page, 'pingpong-hover');
      await page.close();
    });

    it('exports a Chrome trace Perfetto reads: a track per process, state slices, a flow per message', () => {
      const run = runs.pipeline;
      const out = path.join(run.dir, 'trace.json');
      execFileSync(process.execPath, [CLI, 'export', run.recording, '--chrome-trace', out]);
      const trace = JSON.parse(fs.readFileSync(out, 'utf8')) as {
        traceEvents: {
          ph: string;
          name: string;
          pid: number;
          tid?: number;
          ts?: number;
          dur?: number;
          id?: number;
          args?: { name?: string };
        }[];
      };
      const ev = trace.traceEvents;
      const rec = parseRecording(run.text);
      const model = RunReducer.fromRecords(rec.header, rec.records);
      for (const p of run.summary.processes) {
        const meta = ev.find((e) => e.ph === 'M' && e.name === 'process_name' && e.pid === p.pid);
        assert.ok(meta, `process_name for ${p.pid}`);
        assert.ok(meta!.args!.name!.startsWith(p.name));
        assert.ok(
          ev.some((e) => e.ph === 'X' && e.pid === p.pid),
          `state slices for ${p.pid}`,
        );
      }
      const starts = ev.filter((e) => e.ph === 's');
      const ends = ev.filter((e) => e.ph === 'f');
      assert.equal(starts.length, model.messages.length);
      assert.equal(ends.length, model.messages.length);
      assert.deepEqual(new Set(starts.map((e) => e.id)), new Set(ends.map((e) => e.id)));
      for (const e of ev) {
        if (e.ph === 'M') continue;
        assert.ok(Number.isFinite(e.ts) && e.ts! >= 0, `ts of ${e.name}`);
        if (e.ph === 'X') assert.ok(e.dur! >= 0);
      }
    });
  },
);

/**
 * Insights in the inspector, on reports of REAL runs: a run's warnings are
 * listed in the header (severity, kind, message as text), badge the tree rows
 * of the processes they name, are marked on those processes' timeline lanes,
 * and a click on one selects its process and brings its moment into view.
 * Live, a warning shows up as soon as its record arrives.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { parseRecording } from '../../core/model/recording';
import type { SummaryWarning } from '../../core/summary/summary';
import { renderInspectorPage } from '../../core/page/page';
import { eventually, launch, waitForInspector, type Browser } from './support/chromium';
import { openLivePage, recordFixture, removeTestDirs, RESULTS, ROOT, runtimeAvailable, type RealRun } from './support/recordings';

let browser: Browser;
const runs: Record<string, RealRun> = {};

async function open(run: RealRun): Promise<Page> {
  const page = await browser.newPage({ width: 1400, height: 900 });
  await page.goto(`file://${run.report}`);
  await waitForInspector(page);
  return page;
}

async function shot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(RESULTS, { recursive: true });
  await page.screenshot({ path: path.join(RESULTS, `${name}.png`) });
}

const insightItems = (page: Page) =>
  page.$$eval('#fs-insights li.fs-insight', (lis) =>
    lis.map((li) => ({
      kind: (li as HTMLElement).dataset.kind ?? '',
      severity: (li as HTMLElement).dataset.severity ?? '',
      pids: ((li as HTMLElement).dataset.pids ?? '').split(' ').filter(Boolean).map(Number),
      message: li.querySelector('.fs-insight-message')?.textContent ?? '',
      icon: li.querySelector('.fs-insight-icon')?.getAttribute('aria-label') ?? '',
      code: li.querySelector('.fs-insight-code')?.textContent ?? null,
      codeIsButton: li.querySelector('button.fs-insight-code') !== null,
    })),
  );

const badges = (page: Page) =>
  page.$$eval('#fs-tree [role=treeitem]', (lis) =>
    lis.map((li) => {
      const b = li.querySelector('.fs-warn-badge') as HTMLElement;
      return {
        pid: Number((li as HTMLElement).dataset.pid),
        hidden: b.hidden,
        cls: b.className,
        title: b.title,
        text: b.textContent ?? '',
        selected: li.getAttribute('aria-selected'),
      };
    }),
  );

/** The canvas pixel (CSS px) as [r, g, b], and a CSS colour as the browser resolves it. */
async function pixelAndColor(page: Page, x: number, y: number, cssVar: string): Promise<{ pixel: number[]; color: number[] }> {
  return page.evaluate(
    ({ x, y, cssVar }) => {
      const c = document.getElementById('fs-timeline-canvas') as HTMLCanvasElement;
      const dpr = c.width / c.getBoundingClientRect().width;
      const d = c.getContext('2d')!.getImageData(Math.floor(x * dpr), Math.floor(y * dpr), 1, 1).data;
      const probe = document.createElement('span');
      probe.style.color = `var(${cssVar})`;
      document.body.append(probe);
      const rgb = getComputedStyle(probe).color.match(/\d+/g)!.slice(0, 3).map(Number);
      probe.remove();
      return { pixel: [d[0], d[1], d[2]], color: rgb };
    },
    { x, y, cssVar },
  );
}

/** A warning of `run` about a process the run tracked. */
function trackedWarning(run: RealRun): SummaryWarning {
  const pids = new Set(run.summary.processes.map((p) => p.pid));
  const w = run.summary.warnings.find((x) => x.pid !== null && pids.has(x.pid));
  assert.ok(w, `${run.name} has a warning about a tracked process: ${JSON.stringify(run.summary.warnings)}`);
  return w!;
}

describe(
  'insights in the inspector (real runs)',
  { skip: runtimeAvailable() ? false : 'the Python runtime (extension/python) or dist/cli.js is missing' },
  () => {
    before(async () => {
      // Four children with a cap of two tracked processes: the runtime in the main process says so (a real warning).
      runs.capped = await recordFixture('four_children.py', { recordArgs: ['--max-processes', '2'], name: 'capped' });
      browser = await launch();
    });

    after(async () => {
      await browser?.close();
      removeTestDirs(...Object.values(runs).map((r) => r.dir));
    });

    it('lists the warning, badges the row of its process, marks its lane, and a click selects it and shows its moment', async () => {
      const run = runs.capped;
      const w = trackedWarning(run);
      assert.match(w.kind, /max-processes|process-cap/);
      const page = await open(run);
      const items = await insightItems(page);
      assert.equal(items.length, run.summary.warnings.length, 'every warning of the summary is listed');
      const item = items.find((i) => i.kind === w.kind)!;
      assert.ok(item, 'the warning is in the Insights list');
      assert.equal(item.message, w.message, 'the message, as text');
      assert.equal(item.severity, w.severity);
      assert.equal(item.icon, w.severity === 'error' ? 'Error' : w.severity === 'info' ? 'Info' : 'Warning');
      assert.deepEqual(item.pids, w.pids);
      const count = (sev: string, word: string) => {
        const n = run.summary.warnings.filter((x) => x.severity === sev).length;
        return n ? [`${n} ${word}${n > 1 ? 's' : ''}`] : [];
      };
      const expectTitle = `Insights (${[...count('error', 'error'), ...count('warning', 'warning'), ...count('info', 'note')].join(', ')})`;
      assert.equal(await page.$eval('#fs-insights .fs-insights-title', (e) => e.textContent ?? ''), expectTitle);

      // The badge: on the rows of the pids some warning names, and on no other row; for this warning's pids
      // in its severity's colour (when no other warning names them too), the kind in the tooltip.
      const rows = await badges(page);
      const named = (pid: number) => run.summary.warnings.filter((x) => x.pids.includes(pid));
      for (const r of rows) {
        if (w.pids.includes(r.pid)) {
          assert.equal(r.hidden, false, `pid ${r.pid} has a badge`);
          if (named(r.pid).length === 1) assert.match(r.cls, new RegExp(`sev-${w.severity}`));
          assert.ok(r.title.includes(w.kind) && r.title.includes(w.message), 'the tooltip names the kind and says the message');
          assert.ok(r.text.includes(w.kind));
        } else assert.equal(r.hidden, named(r.pid).length === 0, `pid ${r.pid} has a badge exactly when a warning names it`);
      }

      // The timeline: a marker on the lane of the warning's process, at its time, in the severity's colour.
      const { marks, laneOfPid, t0, t1 } = await page.evaluate((pid) => {
        const insp = window.__forkscope!.inspector;
        const lanes = [...document.querySelectorAll('#fs-tree [role=treeitem]')].map((li) => Number((li as HTMLElement).dataset.pid));
        return { marks: insp.timeline.drawnMarks, laneOfPid: lanes.indexOf(pid), t0: insp.timeline.win.t0, t1: insp.timeline.win.t1 };
      }, w.pid!);
      const mark = marks.find((m) => m.pid === w.pid && m.kind === w.kind);
      assert.ok(mark, `a mark on pid ${w.pid}'s lane: ${JSON.stringify(marks)}`);
      assert.equal(mark!.lane, laneOfPid, 'on the lane of that process');
      assert.equal(marks.length, w.pids.length * run.summary.warnings.filter((x) => x.pids.length).length);
      const plotW = await page.evaluate(() => document.getElementById('fs-timeline-canvas')!.getBoundingClientRect().width - 180);
      const expectX = 180 + ((w.at - t0) / (t1 - t0)) * plotW;
      assert.ok(Math.abs(mark!.x - expectX) <= 1.5, `the mark is at the warning's time (${mark!.x} vs ${expectX})`);
      const { pixel, color } = await pixelAndColor(page, mark!.x - 0.5, mark!.y, w.severity === 'error' ? '--c-error' : '--c-warn');
      assert.deepEqual(pixel, color, 'the marker is drawn in the severity colour');
      // Hovering the marker tells the warning.
      const box = (await page.locator('#fs-timeline-canvas').boundingBox())!;
      await page.mouse.move(box.x + mark!.x, box.y + mark!.y);
      await page.waitForFunction(() => !(document.getElementById('fs-tooltip') as HTMLElement).hidden);
      assert.ok((await page.$eval('#fs-tooltip', (e) => e.textContent ?? '')).includes(w.message));
      await page.mouse.move(box.x + 5, box.y + 5);

      // Select another process, zoom far from the warning, then click the insight.
      const other = rows.find((r) => !w.pids.includes(r.pid))!;
      await page.click(`#fs-tree [data-pid="${other.pid}"] .fs-name`);
      await page.evaluate((at) => {
        const tl = window.__forkscope!.inspector.timeline;
        tl.showTime(at + 10, at + 10.01);
      }, w.at);
      await page.click(`#fs-insights li.fs-insight[data-kind="${w.kind}"] .fs-insight-message`);
      await page.waitForFunction(
        (pid) => document.querySelector(`#fs-tree [data-pid="${pid}"]`)!.getAttribute('aria-selected') === 'true',
        w.pid,
      );
      const after = await page.evaluate(() => {
        const insp = window.__forkscope!.inspector;
        return {
          t0: insp.timeline.win.t0,
          t1: insp.timeline.win.t1,
          current: document.querySelector('#fs-insights li[aria-current=true]')?.getAttribute('data-kind') ?? null,
        };
      });
      assert.ok(after.t0 <= w.at && w.at <= after.t1, `the timeline shows the warning's time ${w.at} (window ${after.t0}…${after.t1})`);
      assert.equal(after.current, w.kind);
      await page.waitForTimeout(100);
      await shot(page, 'insights-capped');
      assert.deepEqual(browser.errors, []);
      assert.deepEqual(browser.blocked, []);
      await page.close();
    });

    it('a warning naming a process called with markup shows it as text, in the list, the badge and the tooltip', async () => {
      const run = await recordFixture('hostile_unjoined.py', { scriptName: 'u<svg onload=alert(9)>.py', name: 'hostile_unjoined' });
      try {
        const w = run.summary.warnings.find((x) => x.kind === 'unjoined');
        assert.ok(w, `an unjoined warning: ${JSON.stringify(run.summary.warnings)}`);
        assert.ok(w!.message.startsWith('<img src=x onerror=alert(8)><b>bold</b> (pid'));
        const page = await open(run);
        const items = await insightItems(page);
        const item = items.find((i) => i.kind === 'unjoined')!;
        assert.ok(item, `the list shows it: ${JSON.stringify(items)}`);
        assert.equal(item.message, w!.message, 'character for character');
        assert.equal(item.severity, 'info');
        assert.equal(item.icon, 'Info');
        assert.equal(item.code, `…/${path.basename(run.dir)}/u<svg onload=alert(9)>.py:${w!.line}`, 'the hostile file name too');
        const rows = await badges(page);
        const child = rows.find((r) => r.pid === w!.pid)!;
        assert.equal(child.hidden, false);
        assert.ok(child.title.includes(w!.message));
        const before = await page.evaluate(() => window.__forkscope!.inspector.timeline.lastFrame.at);
        await page.click('#fs-insights li.fs-insight[data-kind="unjoined"] .fs-insight-message');
        await page.waitForFunction(
          (pid) => document.querySelector(`#fs-tree [data-pid="${pid}"]`)!.getAttribute('aria-selected') === 'true',
          w!.pid,
        );
        // Hover its marker: the tooltip is text.
        // (the click brings the warning's moment into view: its marker is where the next frame draws it)
        const { marks } = await eventually(
          () =>
            page.evaluate(() => ({
              at: window.__forkscope!.inspector.timeline.lastFrame.at,
              marks: window.__forkscope!.inspector.timeline.drawnMarks,
            })),
          (f) => f.at > before && f.marks.some((m) => m.pid === w!.pid),
        );
        const mark = marks.find((m) => m.pid === w!.pid);
        assert.ok(mark, `its marker is drawn: ${JSON.stringify(marks)}`);
        const box = (await page.locator('#fs-timeline-canvas').boundingBox())!;
        await page.mouse.move(box.x + mark!.x, box.y + mark!.y);
        await page.waitForFunction(() => !(document.getElementById('fs-tooltip') as HTMLElement).hidden);
        assert.equal(await page.$eval('#fs-tooltip', (e) => e.children.length), 0);
        assert.ok((await page.$eval('#fs-tooltip', (e) => e.textContent ?? '')).includes('<img src=x onerror=alert(8)>'));
        assert.equal(await page.$$eval('#app img, #app svg, #app b, #app script', (l) => l.length), 0, 'nothing became markup');
        assert.deepEqual(browser.errors, [], 'no dialog');
        await page.close();
      } finally {
        removeTestDirs(run.dir);
      }
    });

    it("shows the header speedup on the run's cores and its efficiency", async () => {
      const run = runs.capped;
      const page = await open(run);
      const text = await page.$eval('#fs-facts [data-fact="speedup"] .v', (e) => e.textContent ?? '');
      const s = run.summary.run;
      const cores = `${s.cpuCount} core${s.cpuCount === 1 ? '' : 's'}`;
      assert.equal(typeof s.efficiency, 'number', 'the summary has the efficiency');
      assert.equal(text, `${(s.cpuSeconds / s.wallSeconds).toFixed(2)}× on ${cores}, ${Math.round(s.efficiency! * 100)} % efficient`);
      await page.close();
    });

    it('live: a warning appears as soon as its record arrives, before the run ends', async () => {
      const run = runs.capped;
      const page = await openLivePage(browser, run.dir);
      const rec = parseRecording(run.text);
      // Two sources warn in this run, each on its own clock: the supervisor ("process-cap", a record of its
      // own) and the main process's runtime ("max-processes", inside its events batch). Which record comes
      // first depends on the machine's load, so the test takes the first and the warning it carries.
      const carried = (r: unknown[]): { kind: string; pid: number } | null => {
        if (r[0] === 'warn') return { kind: String(r[2]), pid: Number(r[3]) };
        if (r[0] !== 'ev') return null;
        const inner = (r[2] as unknown[][]).find((e) => e[0] === 'warn');
        return inner ? { kind: String(inner[2]), pid: Number(r[1]) } : null;
      };
      const at = rec.records.findIndex((r) => carried(r as unknown[]) !== null);
      assert.ok(at > 0, 'the recording carries a warning');
      const first = carried(rec.records[at] as unknown[])!;
      assert.ok(
        run.summary.warnings.some((w) => w.kind === first.kind && w.pid === first.pid),
        `the summary has the warning the record carries: ${JSON.stringify(first)}`,
      );
      await page.evaluate(
        ({ header, records }) => window.postMessage({ type: 'init', header, records, live: true, title: 'capped (live)' }, '*'),
        { header: rec.header, records: rec.records.slice(0, at) },
      );
      await waitForInspector(page);
      assert.equal(await page.$$eval('#fs-insights li.fs-insight', (l) => l.length), 0, 'no warning yet');
      await page.evaluate((records) => window.postMessage({ type: 'records', records }, '*'), rec.records.slice(at, at + 1));
      await page.waitForFunction(() => document.querySelectorAll('#fs-insights li.fs-insight').length === 1, null, { timeout: 5000 });
      assert.equal(await page.$eval('#fs-insights li.fs-insight', (li) => (li as HTMLElement).dataset.kind), first.kind);
      assert.equal(await page.$eval('#fs-status', (e) => e.textContent), 'live', 'still live');
      // Its process's row gets the badge and its lane the marker. The supervisor's process-cap warning is on
      // the process it refused to track: that process has a row once its parent's events (or the sampler)
      // name it, which can come after the warning; so the rest of the records are fed until it has one.
      // If the run never shows it, the next warning on a process shown is checked instead.
      const shown = (w: { pid: number } | null) => w !== null && run.summary.processes.some((p) => p.pid === w.pid);
      let on = first;
      let fed = at + 1;
      if (!shown(first)) {
        const next = rec.records.findIndex((r, k) => k > at && shown(carried(r as unknown[])));
        assert.ok(next > at, `a warning on a process shown follows: ${JSON.stringify(run.summary.warnings)}`);
        on = carried(rec.records[next] as unknown[])!;
        fed = next + 1;
        await page.evaluate((records) => window.postMessage({ type: 'records', records }, '*'), rec.records.slice(at + 1, fed));
      }
      const row = (pid: number) => page.$(`#fs-tree [data-pid="${pid}"]`);
      for (; !(await row(on.pid)) && fed < rec.records.length; fed += 25)
        await page.evaluate((records) => window.postMessage({ type: 'records', records }, '*'), rec.records.slice(fed, fed + 25));
      await page.waitForFunction(
        (pid) => {
          const badge = document.querySelector(`#fs-tree [data-pid="${pid}"] .fs-warn-badge`) as HTMLElement | null;
          return badge !== null && !badge.hidden;
        },
        on.pid,
        { timeout: 5000 },
      );
      const marks = await eventually(
        () => page.evaluate(() => window.__forkscope!.inspector.timeline.drawnMarks),
        (ms) => ms.some((m) => m.pid === on.pid && m.kind === on.kind),
      );
      assert.ok(
        marks.some((m) => m.pid === on.pid && m.kind === on.kind),
        `a ${on.kind} marker on pid ${on.pid}: ${JSON.stringify(marks)}`,
      );
      await page.close();
    });
  },
);

describe(
  'a real deadlock in the inspector',
  { skip: runtimeAvailable() ? false : 'the Python runtime (extension/python) or dist/cli.js is missing' },
  () => {
    let run: RealRun;
    before(async () => {
      // Two processes each wait to get from the other first; each gives up after 5 s, after the detector (3 s) spoke.
      run = await recordFixture('insights/mutual_get.py', { args: ['5'], name: 'mutual_get' });
      browser = await launch();
    });

    after(async () => {
      await browser?.close();
      removeTestDirs(run?.dir);
    });

    it('lists the deadlock first with its code line, badges and hatches every process in the cycle, and a click selects the main one', async () => {
      const w = run.summary.warnings.find((x) => x.kind === 'deadlock');
      assert.ok(w, `a deadlock warning: ${JSON.stringify(run.summary.warnings)}`);
      assert.equal(w!.severity, 'error');
      assert.ok(w!.file && w!.line, 'it names a line of code');
      assert.equal(w!.pids.length, 3, 'main, alice and bob');
      const page = await browser.newPage({ width: 1400, height: 900 });
      await page.goto(`file://${run.report}`);
      await waitForInspector(page);
      const items = await insightItems(page);
      assert.equal(items[0].kind, 'deadlock', 'errors come first');
      assert.equal(items[0].severity, 'error');
      assert.equal(items[0].icon, 'Error');
      assert.equal(items[0].message, w!.message);
      assert.equal(
        items[0].code,
        `…/${path.basename(path.dirname(w!.file!))}/${path.basename(w!.file!)}:${w!.line}`,
        'path:line, as text in a report',
      );
      assert.equal(items[0].codeIsButton, false, 'no link outside VS Code');
      const rows = await badges(page);
      for (const pid of w!.pids) {
        const r = rows.find((x) => x.pid === pid)!;
        assert.equal(r.hidden, false);
        assert.match(r.cls, /sev-error/);
        assert.match(r.text, /deadlock/);
      }
      const marks = await page.evaluate(() => window.__forkscope!.inspector.timeline.drawnMarks);
      for (const pid of w!.pids) {
        const m = marks.find((x) => x.pid === pid && x.kind === 'deadlock');
        assert.ok(m, `pid ${pid} is marked`);
        assert.ok(
          m!.bandX0 !== null && m!.bandX1 !== null && m!.bandX1 > m!.bandX0,
          `a hatched band on pid ${pid}'s lane from when it got stuck`,
        );
      }
      await page.click('#fs-insights li.fs-insight[data-kind="deadlock"] .fs-insight-kind');
      await page.waitForFunction(
        (pid) => document.querySelector(`#fs-tree [data-pid="${pid}"]`)!.getAttribute('aria-selected') === 'true',
        w!.pid,
      );
      const view = await page.evaluate(() => ({
        t0: window.__forkscope!.inspector.timeline.win.t0,
        t1: window.__forkscope!.inspector.timeline.win.t1,
      }));
      assert.ok(view.t0 <= w!.at && w!.at <= view.t1, 'the moment it was found is in view');
      await page.waitForTimeout(100);
      await shot(page, 'insights-deadlock');
      assert.deepEqual(browser.errors, []);
      await page.close();
    });

    it('live: the hang is hatched on every lane of the cycle from when it began up to now', async () => {
      const page = await openLivePage(browser, run.dir);
      const rec = parseRecording(run.text);
      const at = rec.records.findIndex((r) => r[0] === 'warn' && r[2] === 'deadlock');
      assert.ok(at > 0, 'the supervisor recorded the deadlock while the run went on');
      // Everything up to the warning and a few records after it: the run is still going.
      const upTo = Math.min(rec.records.length - 1, at + 3);
      assert.ok(!rec.records.slice(0, upTo).some((r) => r[0] === 'end'));
      await page.evaluate(
        ({ header, records }) => window.postMessage({ type: 'init', header, records, live: true, title: 'deadlock (live)' }, '*'),
        { header: rec.header, records: rec.records.slice(0, upTo) },
      );
      await waitForInspector(page);
      await page.waitForFunction(() => window.__forkscope!.inspector.timeline.drawnMarks.some((m) => m.kind === 'deadlock'), null, {
        timeout: 3000,
      });
      const { marks, nowX } = await page.evaluate(() => {
        const insp = window.__forkscope!.inspector;
        const w = insp.timeline.win;
        const c = document.getElementById('fs-timeline-canvas')!;
        return {
          marks: insp.timeline.drawnMarks,
          nowX: 180 + ((insp.debugInfo().now - w.t0) / (w.t1 - w.t0)) * (c.getBoundingClientRect().width - 180),
        };
      });
      assert.equal(await page.$eval('#fs-status', (e) => e.textContent), 'live');
      const w = run.summary.warnings.find((x) => x.kind === 'deadlock')!;
      for (const pid of w.pids) {
        const m = marks.find((x) => x.pid === pid && x.kind === 'deadlock');
        assert.ok(m && m.bandX0 !== null && m.bandX1 !== null, `pid ${pid} has a band`);
        assert.ok(Math.abs(m!.bandX1! - nowX) <= 2, `the band reaches now (${m!.bandX1} vs ${nowX})`);
        assert.ok(m!.bandX0! < m!.x, 'it begins before the moment it was found');
      }
      await page.close();
    });

    it('inside VS Code the code line is a link: a click posts openSource with the file and line', async () => {
      const w = run.summary.warnings.find((x) => x.kind === 'deadlock')!;
      const file = path.join(run.dir, 'vscode.html');
      fs.writeFileSync(
        file,
        renderInspectorPage({
          kind: 'vscode',
          scriptUri: `file://${path.join(ROOT, 'dist', 'webview.js')}`,
          cspSource: 'file:',
          title: 'deadlock',
        }),
      );
      const page = await browser.newPage();
      await page.addInitScript(() => {
        const posted: unknown[] = [];
        (window as unknown as { __posted: unknown[] }).__posted = posted;
        (window as unknown as { acquireVsCodeApi: () => unknown }).acquireVsCodeApi = () => ({
          postMessage: (m: unknown) => posted.push(m),
          getState: () => undefined,
          setState: () => undefined,
        });
      });
      await page.goto(`file://${file}`);
      await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
      const rec = parseRecording(run.text);
      await page.evaluate(
        ({ header, records }) => window.postMessage({ type: 'init', header, records, live: false, title: 'deadlock' }, '*'),
        { header: rec.header, records: rec.records },
      );
      await waitForInspector(page);
      await page.click('#fs-insights li.fs-insight[data-kind="deadlock"] button.fs-insight-code');
      const posted = await page.evaluate(() =>
        (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === 'openSource'),
      );
      assert.deepEqual(posted, [{ type: 'openSource', file: w.file, line: w.line }]);
      // The host can also ask for it (a notification's "Show in Inspector"): the main process is selected.
      await page.click(`#fs-tree [data-pid="${w.pids[1]}"] .fs-name`);
      await page.evaluate((m) => window.postMessage(m, '*'), { type: 'showInsight', kind: w.kind, pid: w.pid, at: w.at });
      await page.waitForFunction(
        (pid) => document.querySelector(`#fs-tree [data-pid="${pid}"]`)!.getAttribute('aria-selected') === 'true',
        w.pid,
      );
      assert.deepEqual(browser.errors, []);
      await page.close();
    });
  },
);

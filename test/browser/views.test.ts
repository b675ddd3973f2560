/**
 * The "Locks & shared" tab in headless Chromium, on reports of REAL runs
 * (test/scripts/locks_view.py: four workers printing under one Lock, a Value,
 * an Array and a RawArray; test/scripts/manager_calls.py: three workers
 * calling a Manager's dict and list): the Locks table and the selected lock's
 * holders and waiters rows, the shared objects, the Manager calls per worker
 * and method, and the timeline tooltip naming a lock wait's holder.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { holdersDuring } from '../../core/model/locks';
import { RunReducer } from '../../core/model/reducer';
import { parseRecording } from '../../core/model/recording';
import { launch, waitForInspector, type Browser } from './support/chromium';
import { recordFixture, removeTestDirs, RESULTS, runtimeAvailable, type RealRun } from './support/recordings';

const HOSTILE = '<img src=x onerror=alert(9)>w';

let browser: Browser;
const runs: Record<string, RealRun> = {};

async function open(run: RealRun): Promise<Page> {
  const page = await browser.newPage({ width: 1400, height: 900 });
  await page.goto(`file://${run.report}`);
  await waitForInspector(page);
  await page.click('#fs-tab-locks');
  await page.waitForSelector('#fs-locks');
  return page;
}

describe(
  'Locks & shared view on real recorded runs',
  { skip: runtimeAvailable() ? false : 'the Python runtime (extension/python) or dist/cli.js is missing' },
  () => {
    before(async () => {
      const [a, b] = await Promise.all([
        recordFixture('locks_view.py', { args: ['fork', HOSTILE] }),
        recordFixture('manager_calls.py', { args: ['fork'] }),
      ]);
      Object.assign(runs, { locks: a, manager: b });
      browser = await launch();
    });

    after(async () => {
      await browser?.close();
      removeTestDirs(...Object.values(runs).map((r) => r.dir));
    });

    it('lists every lock with exact counts and draws holders and waiters of the selected lock', async () => {
      const run = runs.locks;
      const s = run.summary;
      const lock = s.locks.find((l) => l.name === 'print_lock')!;
      assert.ok(lock, 'print_lock is in the summary');
      assert.equal(lock.acquisitions, 20);
      assert.ok(lock.contended > 0);
      assert.equal(lock.holds, 20, 'every hold recorded (well under the detail budget)');
      assert.ok(lock.maxWaiters >= 1);
      assert.equal(lock.holders.length, 4);
      for (const h of lock.holders) assert.equal(h.acquisitions, 5);

      const page = await open(run);
      const rows = await page.$$eval('#fs-locks tr.fs-lock', (trs) =>
        trs.map((tr) => ({
          id: (tr as HTMLElement).dataset.lock,
          cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
          selected: tr.getAttribute('aria-selected'),
        })),
      );
      assert.deepEqual(rows.map((r) => r.cells[0]).sort(), ['nested', 'print_lock']);
      const row = rows.find((r) => r.id === lock.id)!;
      assert.equal(row.cells[1], 'Lock');
      assert.match(row.cells[2], /^locks_view\.py:\d+ in MainProcess$/);
      assert.equal(row.cells[3], '20');
      assert.equal(row.cells[4], String(lock.contended));
      assert.equal(row.cells[6], '20');
      assert.equal(row.selected, 'true', 'the most contended lock is shown first');

      // One row per process: hold bars and wait bars, names as text.
      const detail = await page.$$eval('.fs-lock-detail[data-lock] .fs-lock-row', (rs) =>
        rs.map((r) => ({
          pid: Number((r as HTMLElement).dataset.pid),
          label: r.querySelector('.fs-lock-label')!.textContent ?? '',
          labelChildren: r.querySelector('.fs-lock-label')!.children.length,
          holds: [...r.querySelectorAll('.fs-lock-bar.hold')].reduce((n, b) => n + Number((b as HTMLElement).dataset.n), 0),
          waits: r.querySelectorAll('.fs-lock-bar.wait').length,
        })),
      );
      assert.deepEqual(detail.map((d) => d.pid).sort(), lock.holders.map((h) => h.pid).sort());
      for (const d of detail) {
        assert.equal(d.holds, 5, `pid ${d.pid}: five holds drawn`);
        assert.ok(d.label.startsWith(HOSTILE), `the process name is text: ${d.label}`);
        assert.equal(d.labelChildren, 0);
      }
      assert.ok(
        detail.some((d) => d.waits > 0),
        'waiters are drawn',
      );
      assert.equal(await page.$$eval('img', (imgs) => imgs.length), 0, 'no markup from the script');

      fs.mkdirSync(RESULTS, { recursive: true });
      await page.screenshot({ path: path.join(RESULTS, 'locks-view-lock.png'), fullPage: true });
      // Picking the other lock shows it instead.
      await page.click(`#fs-locks tr.fs-lock[data-lock="${s.locks.find((l) => l.name === 'nested')!.id}"] td`);
      await page.waitForFunction(() => document.querySelector('.fs-lock-detail h4')?.textContent?.startsWith('nested'));
      assert.equal(
        await page.$$eval('.fs-lock-detail .fs-lock-bar.hold', (bs) => bs.length),
        4,
        'one hold per worker for the RLock taken twice',
      );
      await page.screenshot({ path: path.join(RESULTS, 'locks-view-rlock.png'), fullPage: true });
      assert.deepEqual(browser.blocked, []);
      assert.deepEqual(browser.errors, []);
      await page.close();
    });

    it('holds of one Lock never overlap between processes', () => {
      const { header, records } = parseRecording(runs.locks.text);
      const model = RunReducer.fromRecords(header, records);
      const ref = runs.locks.summary.locks.find((l) => l.name === 'print_lock')!.id;
      const holds = model.holds.filter((h) => h.ref === ref).sort((a, b) => a.begin - b.begin);
      assert.equal(holds.length, 20);
      for (let i = 1; i < holds.length; i++) assert.ok(holds[i - 1].end <= holds[i].begin + 1e-4, `holds ${i - 1} and ${i} overlap`);
    });

    it('lists the shared Value, Array and RawArray and says shared memory carries no messages', async () => {
      const run = runs.locks;
      const page = await open(run);
      const rows = await page.$$eval('#fs-shared tr.fs-shared', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
      );
      const byName = Object.fromEntries(rows.map((r) => [r[0], r]));
      assert.deepEqual(byName.counter.slice(1, 6), ['Value', 'i', '–', '4 B', 'yes']);
      assert.deepEqual(byName.samples.slice(1, 6), ['Array', 'd', '6', '48 B', 'yes']);
      assert.deepEqual(byName.raw.slice(1, 6), ['RawArray', 'b', '16', '16 B', 'no']);
      assert.match(await page.$eval('#fs-shared .fs-shared-note', (e) => e.textContent ?? ''), /carries no messages/);
      const shared = Object.fromEntries(run.summary.shared.map((x) => [x.name, x]));
      assert.equal(shared.samples.length, 6);
      assert.equal(shared.samples.bytes, 48);
      assert.equal(shared.raw.lock, false);
      await page.close();
    });

    it('shows Manager calls per worker and method with their round trips', async () => {
      const run = runs.manager;
      const ch = run.summary.channels.find((c) => c.kind === 'manager')!;
      assert.ok(ch.calls, 'the summary has calls per process');
      const workers = run.summary.processes.filter((p) => p.name.startsWith('caller-'));
      assert.equal(workers.length, 3);
      for (const w of workers) {
        const k = Number(w.name.slice('caller-'.length));
        const got: Record<string, number> = Object.fromEntries(ch.calls!.filter((x) => x.pid === w.pid).map((x) => [x.method, x.calls]));
        assert.deepEqual(got, { __setitem__: k + 1, append: 2, __len__: 1 }, w.name);
        for (const c of ch.calls!.filter((x) => x.pid === w.pid)) {
          assert.equal(c.timed, c.calls);
          assert.ok(c.meanSeconds !== null && c.meanSeconds > 0);
        }
      }
      const page = await open(run);
      const rows = await page.$$eval('#fs-managers tr.fs-manager-call', (trs) =>
        trs.map((tr) => ({
          pid: Number((tr as HTMLElement).dataset.pid),
          method: (tr as HTMLElement).dataset.method,
          calls: tr.querySelectorAll('td')[2].textContent,
        })),
      );
      for (const c of ch.calls!)
        assert.ok(
          rows.some((r) => r.pid === c.pid && r.method === c.method && r.calls === String(c.calls)),
          `${c.pid} ${c.method}`,
        );
      assert.equal(rows.length, ch.calls!.length);
      fs.mkdirSync(RESULTS, { recursive: true });
      await page.screenshot({ path: path.join(RESULTS, 'locks-view-manager.png'), fullPage: true });
      await page.close();
    });

    it('names the holder when hovering a lock wait on the timeline', async () => {
      const run = runs.locks;
      const { header, records } = parseRecording(run.text);
      const model = RunReducer.fromRecords(header, records);
      const ref = run.summary.locks.find((l) => l.name === 'print_lock')!.id;
      const page = await browser.newPage({ width: 1400, height: 900 });
      await page.goto(`file://${run.report}`);
      await waitForInspector(page);
      const view = await page.evaluate(() => {
        const insp = window.__forkscope!.inspector;
        const lanes = [...document.querySelectorAll('#fs-tree [role=treeitem]')].map((li) => Number((li as HTMLElement).dataset.pid));
        const c = document.getElementById('fs-timeline-canvas')!.getBoundingClientRect();
        return { lanes, t0: insp.timeline.win.t0, t1: insp.timeline.win.t1, width: c.width, x: c.x, y: c.y };
      });
      const plotW = view.width - 180;
      // The widest lock wait whose holder was recorded, on a lane that is drawn.
      let best: { pid: number; begin: number; end: number; holder: number } | null = null;
      for (const p of model.processes) {
        if (!view.lanes.includes(p.pid)) continue;
        for (const w of p.waits) {
          if (w.what !== 'lock' || w.ref !== ref || w.end === null) continue;
          const holders = holdersDuring(model, ref, w.begin, w.end, p.pid);
          if (holders.length && (!best || w.end - w.begin > best.end - best.begin))
            best = { pid: p.pid, begin: w.begin, end: w.end, holder: holders[0] };
        }
      }
      assert.ok(best, 'a recorded lock wait with a recorded holder');
      // The wait can be a millisecond or less: a pixel or less of the whole run. Zoom in so that it spans
      // the middle of the plot, then hover its middle.
      const span = Math.max(best!.end - best!.begin, 1e-6);
      const t0 = best!.begin - span;
      const t1 = best!.end + span;
      const at = await page.evaluate(
        ({ t0, t1, pid }) => {
          const insp = window.__forkscope!.inspector;
          const at = insp.timeline.lastFrame.at;
          insp.timeline.restore({ t0, t1, scrollY: 0, follow: false, fitted: false, action: false });
          insp.select(pid, { from: 'restore' }); // (draws the next frame)
          return at;
        },
        { t0, t1, pid: best!.pid },
      );
      await page.waitForFunction((at) => window.__forkscope!.inspector.timeline.lastFrame.at > at, at);
      const win = await page.evaluate(() => ({
        t0: window.__forkscope!.inspector.timeline.win.t0,
        t1: window.__forkscope!.inspector.timeline.win.t1,
      }));
      const mid = (best!.begin + best!.end) / 2;
      const x = 180 + ((mid - win.t0) / (win.t1 - win.t0)) * plotW;
      const y = 22 + view.lanes.indexOf(best!.pid) * 20 + 10;
      await page.mouse.move(view.x + x, view.y + y);
      await page.waitForFunction(() => !(document.getElementById('fs-tooltip') as HTMLElement).hidden);
      const tip = await page.$eval('#fs-tooltip', (e) => ({ text: e.textContent ?? '', children: e.children.length }));
      const holder = model.byPid.get(best!.holder)!;
      assert.ok(tip.text.includes('Lock.acquire(print_lock)') || tip.text.includes('print_lock'), tip.text);
      assert.ok(tip.text.includes(`held by ${holder.name} (pid ${holder.pid})`), tip.text);
      assert.equal(tip.children, 0, 'the tooltip is text');
      await page.close();
    });
  },
);

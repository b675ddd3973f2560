/**
 * How processes ended, in the inspector on a real recorded run: the tree shows each process's parent PID and an
 * orphan's adopter, and Pool workers stopped by leaving `with Pool(...)` are drawn calmly (not in the error
 * colour) while a child that raised keeps it.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launch, waitForInspector, type Browser } from './support/chromium';
import { recordFixture, removeTestDirs, RESULTS, runtimeAvailable, type RealRun } from './support/recordings';

let browser: Browser;
let run: RealRun;

describe(
  'how processes ended, in the inspector',
  { skip: runtimeAvailable() ? false : 'the Python runtime (extension/python) or dist/cli.js is missing' },
  () => {
    before(async () => {
      run = await recordFixture('ends_tree.py');
      browser = await launch();
    });

    after(async () => {
      await browser?.close();
      removeTestDirs(run?.dir);
    });

    it('shows the parent pid, the adopter of an orphan, and calm pool ends', async () => {
      const page = await browser.newPage({ width: 1600, height: 900 });
      await page.goto(`file://${run.report}`);
      await waitForInspector(page);
      const rows = await page.$$eval('#fs-tree [role=treeitem]', (lis) =>
        lis.map((li) => {
          const exit = li.querySelector('.fs-exit')!;
          return {
            pid: Number((li as HTMLElement).dataset.pid),
            name: li.querySelector('.fs-name')!.textContent ?? '',
            parent: li.querySelector('.fs-ppid')?.textContent ?? '',
            parentTitle: (li.querySelector('.fs-ppid') as HTMLElement | null)?.title ?? '',
            exit: exit.textContent ?? '',
            exitColor: getComputedStyle(exit).color,
            exitBad: exit.classList.contains('bad'),
            label: li.getAttribute('aria-label') ?? '',
          };
        }),
      );
      const errorColor = await page.evaluate(() => {
        const probe = document.createElement('span');
        probe.className = 'fs-exit bad';
        document.body.append(probe);
        const c = getComputedStyle(probe).color;
        probe.remove();
        return c;
      });
      const s = run.summary;
      const main = s.processes.find((p) => p.role === 'main')!;
      const by = (name: string) => rows.find((r) => r.name === name)!;
      const sp = (name: string) => s.processes.find((p) => p.name === name)!;

      // Parent PIDs on the rows (and in their accessible names).
      const workers = s.processes.filter((p) => p.role === 'pool-worker');
      assert.equal(workers.length, 2);
      for (const w of workers) {
        const row = rows.find((r) => r.pid === w.pid)!;
        assert.equal(row.parent, `parent ${main.pid}`);
        assert.match(row.label, new RegExp(`parent ${main.pid}`));
        // Stopped by the pool: plain words, not the error colour.
        assert.equal(w.endReason, 'terminated-by-pool');
        assert.match(row.exit, /^stopped by the pool/);
        assert.equal(row.exitBad, false);
        assert.notEqual(row.exitColor, errorColor, 'a pool worker stopped by its pool is not drawn in the error colour');
      }
      assert.equal(by('raiser').exit, 'raised ValueError: boom');
      assert.equal(by('raiser').exitColor, errorColor, 'a child that raised keeps the error colour');

      // The orphan: adopted by the pid the OS gave it (what the grandchild itself printed).
      const osParent = Number(run.stdout.trim().split('\n').pop());
      assert.equal(sp('grandchild').adoptedBy, osParent);
      const orphan = by('grandchild');
      assert.equal(
        orphan.parent,
        `parent ${sp('middle').pid} · adopted by ${osParent}${sp('grandchild').adoptedByName ? ` (${sp('grandchild').adoptedByName})` : ''}`,
      );
      assert.match(orphan.parentTitle, new RegExp(`gave it to pid ${osParent}`));
      fs.mkdirSync(RESULTS, { recursive: true });
      await page.screenshot({ path: path.join(RESULTS, 'ends-tree.png') });
      assert.deepEqual(browser.errors, []);
      await page.close();
    });
  },
);

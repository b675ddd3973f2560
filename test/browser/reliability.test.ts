/**
 * Hostile input in the standalone report (issue 5, docs/reliability.md),
 * beyond the names of inspector.test.ts: a Manager method whose name is
 * markup, markup payloads, and file paths whose folder is markup, from a
 * real recorded run. Everything must show as text, nothing may run, and no
 * request may leave the page.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventually, launch, waitForInspector, type Browser } from './support/chromium';
import { CLI, PYTHON, ROOT, runtimeAvailable } from './support/recordings';

const EVIL_METHOD = '<img src=m onerror=alert(8)>';
const EVIL_FOLDER = '<svg onload=alert(9)> & "q"';

describe(
  'the report renders hostile recorded data as text',
  { skip: runtimeAvailable() ? false : 'dist/cli.js or the Python runtime is missing' },
  () => {
    let browser: Browser;
    let dir = '';
    let report = '';
    let script = '';

    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-browser-hostile2-'));
      const folder = path.join(dir, EVIL_FOLDER);
      fs.mkdirSync(folder);
      script = path.join(folder, 'hostile_payloads.py');
      fs.copyFileSync(path.join(ROOT, 'test', 'scripts', 'reliability', 'hostile_payloads.py'), script);
      const recording = path.join(folder, 'run.forkscope');
      const stdout = execFileSync(process.execPath, [CLI, 'record', '--quiet', '--python', PYTHON, '--out', recording, '--', script], {
        cwd: folder,
        encoding: 'utf8',
        timeout: 120_000,
      });
      assert.equal(stdout, '210 <script>window.__pwned=2</script><b>x</b>\n');
      report = path.join(dir, 'report.html');
      execFileSync(process.execPath, [CLI, 'report', recording, '--html', report], { timeout: 60_000 });
      browser = await launch();
    });

    after(async () => {
      await browser?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('shows a markup Manager method name and markup file paths as text; runs nothing; loads nothing', async () => {
      const page = await browser.newPage({ width: 1400, height: 900 });
      await page.goto(`file://${report}`);
      await waitForInspector(page);
      // The worker's target names its file, inside the markup folder: a tooltip of plain text.
      const title = await page.$$eval(
        '#fs-tree [role=treeitem] .fs-target',
        (els) => els.map((e) => (e as HTMLElement).title).find((t) => t.includes('hostile_payloads.py')) ?? '',
      );
      const line =
        fs
          .readFileSync(script, 'utf8')
          .split('\n')
          .findIndex((l) => l.startsWith('def work(')) + 1;
      assert.equal(title, `__main__.work — ${script}:${line}`);
      await page.click('#fs-tab-flows');
      const flows = await eventually(
        () => page.$eval('#fs-panel-flows', (e) => e.textContent ?? ''),
        (t) => t.includes(EVIL_METHOD),
      );
      assert.ok(flows.includes(EVIL_METHOD), `the Manager method name is shown as text: ${flows.slice(0, 400)}`);
      for (const tab of ['cpu', 'pools', 'timeline']) {
        if (await page.$(`#fs-tab-${tab}`)) {
          await page.click(`#fs-tab-${tab}`);
          await page.waitForTimeout(100);
        }
      }
      const injected = await page.evaluate(() => ({
        pwned: (window as unknown as { __pwned?: unknown }).__pwned,
        elements: document.querySelectorAll('#app img, #app svg, #app b, #app script, #app iframe').length,
        scripts: document.scripts.length,
      }));
      assert.deepEqual(injected, { pwned: undefined, elements: 0, scripts: 2 });
      const csp = await page.$eval('meta[http-equiv="Content-Security-Policy"]', (m) => m.getAttribute('content') ?? '');
      assert.match(csp, /default-src 'none'/);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
      assert.deepEqual(browser.errors, [], 'no dialog, no error');
      assert.deepEqual(browser.blocked, [], 'no request left the page');
      await page.close();
    });
  },
);

/**
 * The inspector's Output tab on a REAL run's report: the selected process's
 * own output, with times, as text (markup from the script stays text), and
 * the ticks on its timeline lane that say when it wrote.
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { launch, waitForInspector, type Browser } from './support/chromium';
import { recordFixture, removeTestDirs, RESULTS, runtimeAvailable, type RealRun } from './support/recordings';

describe('inspector output per process', { skip: !runtimeAvailable() && 'no Python runtime' }, () => {
  let browser: Browser;
  let run: RealRun;

  before(async () => {
    run = await recordFixture('printer.py');
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    removeTestDirs(run?.dir);
  });

  it("shows the selected process's output as text, with times", async () => {
    const page = await browser.newPage({ width: 1400, height: 900 });
    await page.goto(`file://${run.report}`);
    await waitForInspector(page);
    const child = run.summary.processes.find((p) => p.name === 'printer')!;
    const main = run.summary.processes.find((p) => p.role === 'main')!;
    assert.ok(child.output.lines >= 4, JSON.stringify(child.output));
    assert.equal(main.output.lines, 2);
    await page.click(`#fs-tree [data-pid="${child.pid}"] .fs-name`);
    await page.click('#fs-tab-output');
    await page.waitForSelector('#fs-output .fs-output-lines');
    const lines = await page.$$eval('#fs-output tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    );
    const texts = lines.map((l) => l[2]);
    assert.ok(texts.includes('<b>bold</b> from the child'), texts.join('\n'));
    assert.ok(texts.includes('<img src=x onerror=alert(1)> on stderr'));
    assert.ok(texts.includes('ValueError: printer failed on purpose'), texts.join('\n'));
    assert.ok(!texts.includes('main says hello'), "the main process's output is not the child's");
    assert.equal(await page.$$eval('#fs-output b, #fs-output img', (n) => n.length), 0, 'text, never markup');
    for (const l of lines) assert.match(l[0], /\d/, 'each line has its time');
    assert.equal(lines.find((l) => l[2].startsWith('<img'))![1], 'err');
    fs.mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: path.join(RESULTS, 'output-tab.png') });

    await page.click(`#fs-tree [data-pid="${main.pid}"] .fs-name`);
    await page.waitForFunction(() => document.querySelector('#fs-output')?.textContent?.includes('main says hello'));
    const mainTexts = await page.$$eval('#fs-output tr .fs-output-text', (tds) => tds.map((t) => t.textContent));
    assert.deepEqual(mainTexts, ['main says hello', 'main done']);
    await page.close();
  });
});

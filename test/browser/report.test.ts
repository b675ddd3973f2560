/**
 * The report's embedded recording (gzip, base64: webview/main.ts inflates it
 * a slice at a time and parses and reduces the lines as they come), on a real
 * run with much output and many messages (test/scripts/report_big.py), inflated in many chunks: the page reduces
 * exactly what the Node reducer reduces from the file; a cut last line and a
 * damaged line are skipped as `parseRecording` skips them; a damaged embed
 * gets one plain line, no stack trace.
 */

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseRecording } from '../../core/model/recording';
import { RunReducer } from '../../core/model/reducer';
import { launch, waitForInspector, type Browser } from './support/chromium';
import { CLI, recordFixture, removeTestDirs, runtimeAvailable, type RealRun } from './support/recordings';

/** What the Node reducer makes of a recording's text. */
function expected(text: string): { processes: number; messages: number; now: number } {
  const rec = parseRecording(text);
  const m = RunReducer.fromRecords(rec.header, rec.records);
  return { processes: m.processes.length, messages: m.messages.length, now: +m.run.now.toFixed(6) };
}

describe(
  'the report inflates its recording and reads every line',
  { skip: runtimeAvailable() ? false : 'dist/cli.js or the Python runtime is missing' },
  () => {
    let browser: Browser;
    let run: RealRun;

    before(async () => {
      // Output and messages: a recording of most of a megabyte, which the page inflates in many chunks.
      run = await recordFixture('report_big.py');
      browser = await launch();
    });

    after(async () => {
      await browser?.close();
      removeTestDirs(run?.dir);
    });

    /** The report of `text` (written to NAME.forkscope, reported by the CLI), as the page shows it. */
    async function shown(
      text: string,
      name: string,
    ): Promise<{ processes: number; messages: number; now: number; chunks: number; where: string | undefined }> {
      const file = path.join(run.dir, `${name}.forkscope`);
      const html = path.join(run.dir, `${name}.html`);
      fs.writeFileSync(file, text);
      execFileSync(process.execPath, [CLI, 'report', file, '--html', html], { timeout: 60_000 });
      const page = await browser.newPage();
      await page.goto(`file://${html}`);
      await waitForInspector(page);
      const info = await page.evaluate(() => window.__forkscope!.inspector.debugInfo());
      const chunks = await page.evaluate(() => window.__forkscope!.inflatedChunks ?? 0);
      const where = await page.evaluate(() => window.__forkscope!.inflatedIn);
      await page.close();
      return { processes: info.processes, messages: info.messages, now: +info.now.toFixed(6), chunks, where };
    }

    it('a run with much output: the same processes, messages and end as the Node reducer, from a quarter of the bytes', async () => {
      const html = fs.readFileSync(run.report, 'utf8');
      assert.match(html, /<script type="application\/octet-stream" id="forkscope-recording-gz">[A-Za-z0-9+/=]+<\/script>/);
      assert.ok(!html.includes('id="forkscope-recording"'), 'no JSON copy of the recording');
      const embedded = /id="forkscope-recording-gz">([A-Za-z0-9+/=]+)</.exec(html)![1];
      assert.ok(
        embedded.length < run.text.length / 2,
        `the embed (${embedded.length} bytes) is much smaller than the recording (${run.text.length})`,
      );
      const want = expected(run.text);
      // (4,000 messages cross; how many are recorded in detail follows the detail budget: 96 to a few hundred)
      assert.ok(want.messages > 20, `messages recorded in detail: ${want.messages}`);
      const { chunks, where, ...got } = await shown(run.text, 'whole');
      assert.ok(chunks >= 3, `inflated in ${chunks} chunks (${run.text.length} bytes)`);
      assert.equal(where, 'worker', "inflated in a Worker, beside the page's main thread");
      assert.deepEqual(got, want);
    });

    it('a cut last line and a damaged line are skipped; everything else loads', async () => {
      const lines = run.text.split('\n');
      const mid = Math.floor(lines.length / 2);
      lines[mid] = lines[mid].slice(0, Math.floor(lines[mid].length / 2)); // damaged: half a line
      const damaged = lines.join('\n');
      const cut = damaged.slice(0, Math.floor(damaged.length * 0.7));
      assert.ok(!cut.endsWith('\n'));
      const want = expected(cut);
      assert.ok(want.messages < expected(run.text).messages, 'the cut run has fewer messages');
      const { chunks, where: _where, ...got } = await shown(cut, 'cut');
      assert.ok(chunks >= 3, `inflated in ${chunks} chunks`);
      assert.deepEqual(got, want);
    });

    it('a damaged embed: one plain line, no stack trace', async () => {
      const html = fs.readFileSync(run.report, 'utf8');
      const m = /(id="forkscope-recording-gz">)([A-Za-z0-9+/=]+)(<\/script>)/.exec(html)!;
      const b64 = m[2];
      const at = Math.floor(b64.length / 2);
      const broken = b64.slice(0, at) + 'A'.repeat(4000) + b64.slice(at + 4000);
      const file = path.join(run.dir, 'damaged.html');
      fs.writeFileSync(file, html.replace(m[0], `${m[1]}${broken}${m[3]}`));
      const page = await browser.newPage();
      await page.goto(`file://${file}`);
      await page.waitForSelector('.fs-error', { timeout: 30_000 });
      const text = await page.$eval('.fs-error', (e) => e.textContent ?? '');
      assert.match(text, /^This report could not be read: /);
      assert.ok(!/\n\s+at /.test(text), `no stack trace: ${text}`);
      assert.ok(await page.evaluate(() => window.__forkscope!.error !== null));
      await page.close();
    });
  },
);

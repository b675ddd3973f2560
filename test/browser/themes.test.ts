/**
 * The standalone report's light and dark schemes in headless Chromium, on a REAL run
 * (test/scripts/locks_view.py: workers waiting on a Lock, on join, running): text keeps
 * 4.5:1 against the page, and every state band 3:1 as the timeline draws it (waits at 70 %),
 * measured from the colours the page computes. Screenshots: test-results/browser/themes-*.png.
 * (VS Code's four themes are tested in the real workbench: test/vscode/tour.test.ts.)
 */

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  contrastRatio,
  GRAPHIC_CONTRAST,
  hex,
  over,
  parseColor,
  TEXT_CONTRAST,
  THEMED_BAND_OPACITY,
  THEMED_TEXT_VARS,
} from '../../core/page/contrast';
import { launch, waitForInspector, type Browser } from './support/chromium';
import { recordFixture, removeTestDirs, RESULTS, runtimeAvailable, type RealRun } from './support/recordings';

const TEXT = THEMED_TEXT_VARS;
const BANDS = THEMED_BAND_OPACITY;

let browser: Browser;
let run: RealRun;

describe('The report in light and dark', { skip: runtimeAvailable() ? false : 'the Python runtime or dist/cli.js is missing' }, () => {
  before(async () => {
    run = await recordFixture('locks_view.py', { args: ['fork', 'w'] });
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    removeTestDirs(run?.dir);
  });

  for (const scheme of ['light', 'dark'] as const) {
    it(`${scheme}: text and state colours keep their contrast`, async () => {
      const page = await browser.newPage({ width: 1200, height: 800 });
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(`file://${run.report}`);
      await waitForInspector(page);
      const m = await page.evaluate(
        (vars: string[]) => {
          const resolve = (v: string) => {
            const e = document.createElement('span');
            e.style.color = `var(${v})`;
            document.body.appendChild(e);
            const c = getComputedStyle(e).color;
            e.remove();
            return c;
          };
          return { bg: getComputedStyle(document.body).backgroundColor, vars: Object.fromEntries(vars.map((v) => [v, resolve(v)])) };
        },
        [...new Set([...TEXT, ...Object.keys(BANDS)])],
      );
      fs.mkdirSync(RESULTS, { recursive: true });
      await page.screenshot({ path: path.join(RESULTS, `themes-report-${scheme}.png`) });
      await page.close();
      const bg = parseColor(m.bg)!;
      assert.ok(bg && bg.a === 1, m.bg);
      // The scheme took: a light page is light, a dark one dark.
      assert.equal(contrastRatio(bg, parseColor('#ffffff')!) < 2, scheme === 'light', `background ${m.bg}`);
      const failures: string[] = [];
      for (const v of TEXT) {
        const c = parseColor(m.vars[v])!;
        const r = contrastRatio(c, bg);
        if (r < TEXT_CONTRAST) failures.push(`${v} ${hex(c)} on ${hex(bg)}: ${r.toFixed(2)}`);
      }
      for (const [v, opacity] of Object.entries(BANDS)) {
        const c = parseColor(m.vars[v])!;
        const r = contrastRatio(over(c, bg, opacity), bg);
        if (r < GRAPHIC_CONTRAST) failures.push(`${v} ${hex(c)} at ${opacity} on ${hex(bg)}: ${r.toFixed(2)}`);
      }
      assert.deepEqual(failures, []);
    });
  }
});

/**
 * Headless Debian Chromium through playwright-core, for the browser tests and
 * the UI benchmark: a fresh profile each time, no background networking, and
 * every request routed: anything that is not a file: or data: URL fails the
 * page (and is listed in `blocked`).
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.FORKSCOPE_CHROMIUM || '/usr/bin/chromium';
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface Browser {
  context: BrowserContext;
  /** Requests that were refused (not file: or data:). */
  blocked: string[];
  /** Console errors and uncaught page errors. */
  errors: string[];
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function launch(extraArgs: string[] = []): Promise<Browser> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_FLAGS, ...extraArgs],
    viewport: { width: 1400, height: 900 },
    offline: true,
  });
  const blocked: string[] = [];
  const errors: string[] = [];
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
    blocked.push(url);
    return route.abort('blockedbyclient');
  });
  const watch = (page: Page) => {
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    page.on('dialog', (d) => {
      errors.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
  };
  context.on('page', watch);
  for (const p of context.pages()) watch(p);
  return {
    context,
    blocked,
    errors,
    async newPage(viewport = { width: 1400, height: 900 }) {
      const page = await context.newPage();
      await page.setViewportSize(viewport);
      return page;
    },
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Waits until the inspector in `page` has drawn its timeline with the whole model (a finished run: and its panels). */
export async function waitForInspector(page: Page, timeout = 30_000): Promise<void> {
  await page.waitForFunction(
    () => {
      const hook = window.__forkscope;
      if (!hook) return false;
      if (hook.error) return true;
      const info = hook.inspector.debugInfo();
      // The DOM panels (insights included) update in a task of their own after the canvas frame is painted:
      // a finished run's are waited for too (a live run's follow on their own cadence).
      return (
        hook.ready &&
        hook.inspector.timeline.lastFrame.version === info.version &&
        info.version >= 0 &&
        (info.live || info.panels === info.version)
      );
    },
    null,
    { timeout },
  );
  const error = await page.evaluate(() => window.__forkscope?.error ?? null);
  if (error) throw new Error(`the inspector failed: ${error}`);
}

/**
 * Reads `get()` until `ok(value)` holds or `timeoutMs` passes, and returns the last value read: what
 * a page shows a frame or two after an input (a tab drawn, a chart painted, a follower view moved)
 * is asserted on once it is there, not after a fixed wait a loaded machine may outlast.
 */
export async function eventually<T>(get: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await get();
    if (ok(value) || Date.now() >= deadline) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
}

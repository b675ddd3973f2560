/**
 * What the workbench suites need from the code-server launcher (scripts/code-server-launcher.mjs):
 * screenshots of the workbench (whole, or one element of it) and probes (a function evaluated in
 * the workbench page or in Forkscope's webviews, whose result comes back as a JSON file), plus the
 * walkthrough pictures' metadata (a PNG `tEXt` chunk naming the step, its sample and the theme).
 * The extension host cannot see the workbench's DOM; the launcher's Playwright can.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as vscode from 'vscode';
import { waitFor } from './support';

/** Where the launcher writes screenshots and probe results; null outside the code-server workbench. */
export const shotsDir = (): string | null =>
  process.env.FORKSCOPE_TEST_HOST === 'code-server' && process.env.FORKSCOPE_SCREENSHOT_DIR ? process.env.FORKSCOPE_SCREENSHOT_DIR : null;

export interface ShotOptions {
  /** A CSS selector of the workbench: only that element is pictured. */
  selector?: string;
  /** [width, height] of the browser page, set before the shot and kept. */
  viewport?: [number, number];
}

/** Asks the launcher for a screenshot NAME.png (NAME may hold folders) and waits until it is written. */
export async function screenshot(name: string, options: ShotOptions = {}): Promise<string> {
  const dir = shotsDir();
  if (!dir) throw new Error('screenshots need the code-server workbench');
  const file = path.join(dir, `${name}.png`);
  fs.rmSync(file, { force: true });
  console.log(`[screenshot] ${name} ${JSON.stringify(options)}`);
  await waitFor(`the screenshot ${name}`, () => fs.existsSync(file) && fs.statSync(file).size > 0, 30_000);
  // Playwright writes the file in one go, but give it a moment to close.
  await new Promise((r) => setTimeout(r, 200));
  return file;
}

/** Evaluates `fn(arg)` in the workbench page or in each Forkscope webview; resolves to the values (one per frame). */
export async function probe<T>(name: string, where: 'workbench' | 'webviews', fn: (arg: never) => T, arg: unknown = null): Promise<T[]> {
  const dir = shotsDir();
  if (!dir) throw new Error('probes need the code-server workbench');
  const file = path.join(dir, 'probes', `${name}.json`);
  fs.rmSync(file, { force: true });
  const payload = Buffer.from(JSON.stringify({ where, fn: fn.toString(), arg })).toString('base64');
  console.log(`[probe] probes/${name} ${payload}`);
  await waitFor(`the probe ${name}`, () => fs.existsSync(file), 30_000);
  const out = JSON.parse(fs.readFileSync(file, 'utf8')) as { url: string; value: T }[] | { error: string };
  if (!Array.isArray(out)) throw new Error(`probe ${name}: ${out.error}`);
  return out.map((r) => r.value);
}

/** Polls a probe until `ok` holds for its values; returns them. */
export async function probeUntil<T>(
  name: string,
  where: 'workbench' | 'webviews',
  fn: (arg: never) => T,
  ok: (values: T[]) => boolean,
  arg: unknown = null,
  timeoutMs = 20_000,
): Promise<T[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe(name, where, fn, arg);
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`probe ${name} never held: ${JSON.stringify(v).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** VS Code's built-in themes the tests switch between, with the body class its webviews get. */
export const THEMES = {
  dark: { name: 'Default Dark Modern', bodyClass: 'vscode-dark' },
  light: { name: 'Default Light Modern', bodyClass: 'vscode-light' },
  hc: { name: 'Default High Contrast', bodyClass: 'vscode-high-contrast' },
  hcLight: { name: 'Default High Contrast Light', bodyClass: 'vscode-high-contrast-light' },
} as const;
export type ThemeKey = keyof typeof THEMES;

/** Switches the colour theme (user settings) and waits for the workbench to take it. */
export async function setTheme(key: ThemeKey): Promise<void> {
  await vscode.workspace.getConfiguration('workbench').update('colorTheme', THEMES[key].name, vscode.ConfigurationTarget.Global);
  const want = key === 'light' ? 'vs' : key === 'dark' ? 'vs-dark' : key === 'hc' ? 'hc-black' : 'hc-light';
  await probeUntil(
    `theme-${key}`,
    'workbench',
    (cls: string) => document.querySelector('.monaco-workbench')?.classList.contains(cls) ?? false,
    (v) => v[0] === true,
    want,
  );
  await new Promise((r) => setTimeout(r, 800));
}

/**
 * Waits until at least `pages` Forkscope webviews are shown, each showing its run (not "Waiting for the run…"),
 * every one with theme `key` (its body class), and each has drawn two frames since: a webview redraws its
 * canvases in the frame after its class changes or its run arrives.
 */
export async function webviewsDrawnIn(key: ThemeKey, pages = 0): Promise<void> {
  await probeUntil(
    `drawn-${key}`,
    'webviews',
    (cls: string) =>
      new Promise<boolean>((resolve) => {
        if (!document.body.classList.contains(cls) || /Waiting for the run/.test(document.body.textContent ?? '')) {
          return resolve(false);
        }
        requestAnimationFrame(() => requestAnimationFrame(() => resolve(true)));
        setTimeout(() => resolve(true), 1000); // a webview out of sight draws no frames
      }),
    // The launcher awaits the promise: the values are its booleans.
    (v) => v.length >= pages && v.every((x) => (x as unknown) === true),
    THEMES[key].bodyClass,
  );
}

// PNG metadata: one tEXt chunk, keyword "forkscope", JSON text.

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const KEYWORD = 'forkscope';

/** The picture's `forkscope` tEXt chunk as an object; null when it has none (or is no PNG). */
export function readPictureInfo(png: Buffer): Record<string, string> | null {
  if (!png.subarray(0, 8).equals(PNG_SIGNATURE)) return null;
  for (let at = 8; at + 8 <= png.length;) {
    const len = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (type === 'tEXt') {
      const data = png.subarray(at + 8, at + 8 + len);
      const nul = data.indexOf(0);
      if (data.toString('latin1', 0, nul) === KEYWORD) return JSON.parse(data.toString('latin1', nul + 1)) as Record<string, string>;
    }
    if (type === 'IEND') break;
    at += 12 + len;
  }
  return null;
}

/** The PNG with a `forkscope` tEXt chunk (JSON of `info`) inserted after its header chunk. */
export function withPictureInfo(png: Buffer, info: Record<string, string>): Buffer {
  if (!png.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG');
  const ihdrEnd = 8 + 12 + png.readUInt32BE(8);
  const body = Buffer.concat([Buffer.from(`tEXt${KEYWORD}\0`, 'latin1'), Buffer.from(JSON.stringify(info), 'latin1')]);
  const chunk = Buffer.alloc(body.length + 8);
  chunk.writeUInt32BE(body.length - 4, 0);
  body.copy(chunk, 4);
  chunk.writeUInt32BE(crc32(body), body.length + 4);
  return Buffer.concat([png.subarray(0, ihdrEnd), chunk, png.subarray(ihdrEnd)]);
}

/** Width and height of a PNG. */
export function pngSize(png: Buffer): [number, number] {
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

/** True when the PNG's image data inflates (a whole, readable picture). */
export function pngReadable(png: Buffer): boolean {
  const parts: Buffer[] = [];
  for (let at = 8; at + 8 <= png.length;) {
    const len = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === 'IDAT') parts.push(png.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  try {
    return zlib.inflateSync(Buffer.concat(parts)).length > 0;
  } catch {
    return false;
  }
}

/**
 * Real recordings for the browser tests: the fixture scripts in
 * test/scripts/ run for real under `node dist/cli.js record`, then
 * `summary --json` and `report --html` are made from the recording.
 */

import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import type { Summary } from '../../../core/summary/summary';
import { renderInspectorPage } from '../../../core/page/page';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
/** Every layer's test scripts (test/scripts); `recordFixture` takes a path relative to it. */
export const FIXTURES = path.join(ROOT, 'test', 'scripts');
export const RESULTS = path.join(ROOT, 'test-results', 'browser');
export const PYTHON = process.env.FORKSCOPE_TEST_PYTHON || 'python3';

export interface RealRun {
  name: string;
  dir: string;
  recording: string;
  report: string;
  summary: Summary;
  text: string;
  stdout: string;
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, maxBuffer: 1 << 28, timeout: 120_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/**
 * Records `script` (a path relative to test/scripts) in a fresh
 * folder, as `scriptName` there when given (hostile file names), and makes
 * its summary and HTML report.
 */
export async function recordFixture(
  fixture: string,
  opts: { scriptName?: string; args?: string[]; recordArgs?: string[]; name?: string } = {},
): Promise<RealRun> {
  const name = opts.name ?? path.basename(fixture, '.py');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `forkscope-browser-${name}-`));
  const scriptName = opts.scriptName ?? path.basename(fixture);
  fs.copyFileSync(path.join(FIXTURES, fixture), path.join(dir, scriptName));
  const recording = path.join(dir, `${name}.forkscope`);
  const rec = await run(
    process.execPath,
    [CLI, 'record', '--quiet', '--python', PYTHON, ...(opts.recordArgs ?? []), '--out', recording, '--', scriptName, ...(opts.args ?? [])],
    dir,
  );
  if (!fs.existsSync(recording)) throw new Error(`recording ${fixture} failed (exit ${rec.code}): ${rec.stderr}`);
  const sum = await run(process.execPath, [CLI, 'summary', recording, '--json'], dir);
  if (sum.code !== 0) throw new Error(`summary of ${fixture} failed: ${sum.stderr}`);
  const report = path.join(dir, `${name}.html`);
  const rep = await run(process.execPath, [CLI, 'report', recording, '--html', report], dir);
  if (rep.code !== 0) throw new Error(`report of ${fixture} failed: ${rep.stderr}`);
  return {
    name,
    dir,
    recording,
    report,
    summary: JSON.parse(sum.stdout) as Summary,
    text: fs.readFileSync(recording, 'utf8'),
    stdout: rec.stdout,
  };
}

/** Removes the directories of recorded runs (kept when FORKSCOPE_KEEP_TEST_DIRS is set, to look at them). */
export function removeTestDirs(...dirs: (string | undefined)[]): void {
  if (process.env.FORKSCOPE_KEEP_TEST_DIRS) return;
  for (const dir of dirs) if (dir) fs.rmSync(dir, { recursive: true, force: true });
}

/** Whether `forkscope record` works here (the Python runtime is present and runs). */
export function runtimeAvailable(): boolean {
  return fs.existsSync(path.join(ROOT, 'extension', 'python', 'forkscope_launch.py')) && fs.existsSync(CLI);
}

/**
 * Opens an empty standalone inspector page (no recording embedded) in `dir`, for tests that feed it
 * records through the protocol as a live run would.
 */
export async function openLivePage(browser: { newPage(): Promise<Page> }, dir: string): Promise<Page> {
  const bundle = fs.readFileSync(path.join(ROOT, 'dist', 'webview.js'), 'utf8');
  const file = path.join(dir, 'live.html');
  fs.writeFileSync(file, renderInspectorPage({ kind: 'standalone', bundle, recording: null, title: 'live' }));
  const page = await browser.newPage();
  await page.goto(`file://${file}`);
  return page;
}

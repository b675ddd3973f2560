// The real-VS-Code layer: one @vscode/test-electron suite (test/vscode), run by
// the standard runner. With desktop VS Code when it can be downloaded (or
// FORKSCOPE_VSCODE=desktop), else inside code-server in headless Chromium
// through scripts/code-server-launcher.mjs (FORKSCOPE_VSCODE=web forces it).
// Prints the suite's counts as JSON on the last line: {"passed":…,"failed":…,"skipped":…}.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { root } from './lib/ensure.mjs';
import { ensureCodeServer } from './lib/codeServer.mjs';

const require = createRequire(import.meta.url);
const { runTests } = require('@vscode/test-electron');

/** Desktop VS Code is used when its download host resolves and a display (or a non-Linux desktop) exists. */
async function canUseDesktop() {
  const want = process.env.FORKSCOPE_VSCODE;
  if (want === 'desktop') return true;
  if (want === 'web') return false;
  if (process.platform === 'linux' && !process.env.DISPLAY) return false;
  try {
    await Promise.race([lookup('update.code.visualstudio.com'), new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 3000))]);
    const r = await fetch('https://update.code.visualstudio.com/api/releases/stable', { signal: AbortSignal.timeout(5000) });
    return r.ok;
  } catch {
    return false;
  }
}

const work = mkdtempSync(join(tmpdir(), 'forkscope-vscode-'));
const workspace = join(work, 'workspace');
const results = join(work, 'results.json');
const results2 = join(work, 'results-untrusted.json');
let code = 1;
try {
  // A fresh copy of the sample workspace: runs write nothing into the repo.
  cpSync(join(root, 'samples'), workspace, { recursive: true, filter: (s) => !s.includes('__pycache__') });
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  const desktop = await canUseDesktop();
  const options = {
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'out', 'test', 'vscode', 'index.js'),
    launchArgs: [workspace, `--user-data-dir=${join(work, 'user-data')}`, `--extensions-dir=${join(work, 'extensions')}`, '--disable-extensions'],
    extensionTestsEnv: {
      FORKSCOPE_TEST_RESULTS: results,
      FORKSCOPE_TEST_WORKSPACE: workspace,
      FORKSCOPE_TEST_HOST: desktop ? 'desktop' : 'code-server',
    },
  };
  if (desktop) {
    console.log('vscode layer: desktop VS Code (downloaded by @vscode/test-electron)');
    options.version = process.env.FORKSCOPE_VSCODE_VERSION || 'stable';
    options.cachePath = join(root, '.cache', 'vscode-test');
  } else {
    ensureCodeServer();
    console.log('vscode layer: VS Code workbench from code-server, in headless Chromium');
    options.vscodeExecutablePath = join(root, 'scripts', 'code-server-launcher.mjs');
    options.extensionTestsEnv.FORKSCOPE_SCREENSHOT_DIR = process.env.FORKSCOPE_SCREENSHOT_DIR || join(root, 'test-results', 'vscode');
  }
  code = await runPass(options, results);
  // Second pass, workbench only (desktop runTests always disables workspace trust): restricted mode.
  if (!desktop && !process.env.FORKSCOPE_TEST_GREP) {
    console.log('vscode layer: second pass, an untrusted workspace');
    const untrusted = {
      ...options,
      launchArgs: [workspace, `--user-data-dir=${join(work, 'user-data-untrusted')}`, `--extensions-dir=${join(work, 'extensions')}`],
      extensionTestsEnv: { ...options.extensionTestsEnv, FORKSCOPE_TEST_UNTRUSTED: '1', FORKSCOPE_TEST_RESULTS: results2 },
    };
    const code2 = await runPass(untrusted, results2);
    if (code === 0) code = code2;
  }
} finally {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const [file, c] of [[results, 'main'], [results2, 'untrusted']]) {
    if (!existsSync(file)) continue;
    try {
      const one = JSON.parse(readFileSync(file, 'utf8'));
      for (const k of Object.keys(counts)) counts[k] += one[k] ?? 0;
    } catch {
      console.error(`vscode layer: unreadable counts of the ${c} pass`);
    }
  }
  if (code !== 0 && counts.failed === 0) counts.failed = 1;
  rmSync(work, { recursive: true, force: true });
  console.log(JSON.stringify(counts));
  process.exitCode = code;
}

/** One runTests() call; resolves to its exit code. */
async function runPass(options, resultsFile) {
  try {
    return await runTests(options);
  } catch (e) {
    if (!existsSync(resultsFile)) console.error(`vscode layer: ${e?.message ?? e}`);
    return typeof e?.code === 'number' && e.code !== 0 ? e.code : 1;
  }
}

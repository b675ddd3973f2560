// The real-VS-Code layer: one @vscode/test-electron suite (test/vscode), run by
// the standard runner. With desktop VS Code when it can be downloaded (or
// FORKSCOPE_VSCODE=desktop), else inside code-server in headless Chromium
// through scripts/code-server-launcher.mjs (FORKSCOPE_VSCODE=web forces it).
// In the workbench, two more passes follow the main one, side by side: the
// untrusted-workspace suite (restricted mode), and the main suite's core tests
// against the packaged .vsix installed (its files, its layout). Screenshots: test-results/vscode/.
// Prints the suites' counts as JSON on the last line: {"passed":…,"failed":…,"skipped":…}.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { lookup } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { root } from './lib/ensure.mjs';
import { codeServerEntry, ensureCodeServer } from './lib/codeServer.mjs';

const require = createRequire(import.meta.url);
const { runTests } = require('@vscode/test-electron');

/** Desktop VS Code is used when its download host resolves and a display (or a non-Linux desktop) exists. */
async function canUseDesktop() {
  const want = process.env.FORKSCOPE_VSCODE;
  if (want === 'desktop') return true;
  if (want === 'web') return false;
  if (process.platform === 'linux' && !process.env.DISPLAY) return false;
  try {
    await Promise.race([
      lookup('update.code.visualstudio.com'),
      new Promise((_, rej) => setTimeout(() => rej(new Error('timeout')), 3000)),
    ]);
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
const results3 = join(work, 'results-installed.json');
const shots = process.env.FORKSCOPE_SCREENSHOT_DIR || join(root, 'test-results', 'vscode');
/** The tests the packaged extension runs: that it loads, finds its files, runs Python, shows and stops a run. */
const INSTALLED_TESTS = 'contributed|a first process|Manager and Pool|a live run|opening a recording|stop button';
let code = 1;
try {
  // A fresh copy of the sample workspace: runs write nothing into the repo.
  cpSync(join(root, 'samples'), workspace, { recursive: true, filter: (s) => !s.includes('__pycache__') });
  mkdirSync(join(workspace, '.vscode'), { recursive: true });
  const desktop = await canUseDesktop();
  const options = {
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'out', 'test', 'vscode', 'index.js'),
    launchArgs: [
      workspace,
      `--user-data-dir=${join(work, 'user-data')}`,
      `--extensions-dir=${join(work, 'extensions')}`,
      '--disable-extensions',
    ],
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
    options.extensionTestsEnv.FORKSCOPE_SCREENSHOT_DIR = shots;
  }
  code = await runPass(options, results);
  // Second pass, workbench only (desktop runTests always disables workspace trust): restricted mode.
  if (!desktop && !process.env.FORKSCOPE_TEST_GREP) {
    console.log('vscode layer: second pass, an untrusted workspace');
    const untrusted = {
      ...options,
      launchArgs: [workspace, `--user-data-dir=${join(work, 'user-data-untrusted')}`, `--extensions-dir=${join(work, 'extensions')}`],
      extensionTestsEnv: {
        ...options.extensionTestsEnv,
        FORKSCOPE_TEST_UNTRUSTED: '1',
        FORKSCOPE_TEST_PASS_LABEL: 'untrusted',
        FORKSCOPE_TEST_RESULTS: results2,
        FORKSCOPE_SCREENSHOT_DIR: join(shots, 'untrusted'),
        FORKSCOPE_VSCODE_TIMEOUT_S: '120',
      },
    };
    // The second and third passes run side by side (each line of their output names its pass): the untrusted
    // one runs no script, so the two share the machine with little effect on each other.
    const pass2 = runPass(untrusted, results2);
    console.log('vscode layer: third pass, the packaged extension installed from its .vsix (beside the second)');
    // Extension tests only run for a development extension: point that at the installed copy.
    const installed = {
      ...options,
      extensionDevelopmentPath: installVsix(),
      launchArgs: [workspace, `--user-data-dir=${join(work, 'user-data-installed')}`, `--extensions-dir=${join(work, 'extensions')}`],
      extensionTestsEnv: {
        ...options.extensionTestsEnv,
        FORKSCOPE_TEST_RESULTS: results3,
        FORKSCOPE_TEST_GREP: INSTALLED_TESTS,
        FORKSCOPE_SCREENSHOT_DIR: join(shots, 'installed'),
        FORKSCOPE_VSCODE_TIMEOUT_S: '120',
        FORKSCOPE_TEST_PASS_LABEL: 'installed',
      },
    };
    const [code2, code3] = await Promise.all([pass2, runPass(installed, results3)]);
    if (code === 0) code = code2 || code3;
  }
} finally {
  const counts = { passed: 0, failed: 0, skipped: 0 };
  for (const [file, c] of [
    [results, 'main'],
    [results2, 'untrusted'],
    [results3, 'installed'],
  ]) {
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

/**
 * Packs the .vsix the way `npm run package` does, from the current bundles (a
 * staging copy of exactly the files `vsce ls` lists, so dist/ is not rebuilt
 * under anyone's feet), and installs it into a fresh extensions folder.
 */
function installVsix() {
  const vsce = join(root, 'node_modules', '@vscode', 'vsce', 'vsce');
  const env = { ...process.env, CI: 'true' };
  const files = execFileSync(process.execPath, [vsce, 'ls', '--no-dependencies'], { cwd: root, encoding: 'utf8', env })
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const stage = join(work, 'stage');
  for (const f of [...files, '.vscodeignore']) {
    mkdirSync(dirname(join(stage, f)), { recursive: true });
    cpSync(join(root, f), join(stage, f));
  }
  const vsix = join(work, 'forkscope-test.vsix');
  execFileSync(
    process.execPath,
    [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--no-rewrite-relative-links', '--out', vsix],
    { cwd: stage, env, stdio: 'ignore' },
  );
  const extensions = join(work, 'extensions-installed');
  execFileSync(
    process.execPath,
    [codeServerEntry, '--extensions-dir', extensions, '--user-data-dir', join(work, 'user-data-install'), '--install-extension', vsix],
    { env, stdio: 'ignore' },
  );
  const [folder] = readdirSync(extensions).filter((f) => f.startsWith('forkscope.forkscope-'));
  if (!folder) throw new Error(`the .vsix did not install into ${extensions}`);
  console.log(`vscode layer: installed ${vsix} (${Math.round(statSync(vsix).size / 1024)} KiB) as ${join(extensions, folder)}`);
  return join(extensions, folder);
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

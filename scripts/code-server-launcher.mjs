#!/usr/bin/env node
// A stand-in for the VS Code executable that @vscode/test-electron's runTests()
// launches, for machines that cannot download desktop VS Code: it takes the
// same arguments, serves VS Code's workbench with code-server on loopback,
// opens it in headless Chromium with the extension under development and the
// test suite, and exits with the suite's exit code. code-server and Chromium
// are stopped by PID however the run ends.
//
//   code-server-launcher.mjs [FOLDER] --extensionDevelopmentPath=… --extensionTestsPath=…
//                            --user-data-dir=… --extensions-dir=… [other VS Code flags, ignored]
//
// Environment: FORKSCOPE_VSCODE_TIMEOUT_S (default 240), FORKSCOPE_SCREENSHOT_DIR
// (the suite logs "[screenshot] NAME {options}" to ask for a picture of the workbench, and
// "[probe] NAME {…}" to have a function evaluated in the workbench or its webviews: see below).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, existsSync, readFileSync, renameSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { format } from 'node:util';
import { codeServerArgs, ensureCodeServer } from './lib/codeServer.mjs';

const require = createRequire(import.meta.url);

function parseArgs(argv) {
  const flags = {};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      if (eq > 0) flags[a.slice(2, eq)] = a.slice(eq + 1);
      else if (['--user-data-dir', '--extensions-dir', '--extensionTestsPath', '--extensionDevelopmentPath'].includes(a))
        flags[a.slice(2)] = argv[++i];
      else flags[a.slice(2)] = true;
    } else positional.push(a);
  }
  return { flags, positional };
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** SIGTERM to a process group (or pid), SIGKILL after `graceMs`; resolves when it is gone. */
async function stopPid(pid, { group = false, graceMs = 3000 } = {}) {
  if (!pid) return;
  const target = group ? -pid : pid;
  const send = (sig) => {
    try {
      process.kill(target, sig);
    } catch {
      /* gone */
    }
  };
  send('SIGTERM');
  const until = Date.now() + graceMs;
  while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  send('SIGKILL');
  if (group) send('SIGKILL');
}

/** Waits until code-server answers HTTP on the port. */
async function waitForHttp(url, child, timeoutMs) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode} before serving`);
    try {
      const r = await fetch(url, { redirect: 'manual' });
      if (r.status < 500) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer on ${url} within ${timeoutMs / 1000} s`);
}

/**
 * `[screenshot] NAME {options}` from the suite: a picture of the workbench into FILE. Options (JSON):
 * `selector` (only that element of the workbench), `viewport` ([width, height], set before the shot and kept).
 */
async function screenshot(page, file, json) {
  const o = json ? JSON.parse(json) : {};
  mkdirSync(dirname(file), { recursive: true });
  if (Array.isArray(o.viewport)) {
    await page.setViewportSize({ width: o.viewport[0], height: o.viewport[1] });
    await page.waitForTimeout(300);
  }
  if (o.selector) await page.locator(o.selector).first().screenshot({ path: file });
  else await page.screenshot({ path: file });
}

/**
 * `[probe] NAME BASE64` from the suite, BASE64 being the JSON
 * `{"where": "workbench" | "webviews", "fn": "<function source>", "arg": …}` (the suite's extension host cannot see the workbench's DOM):
 * evaluates the function in the workbench page,
 * or in every webview frame whose document has a `.fs-app` (Forkscope's pages), and writes
 * `[{ url, value }]` (or `{ error }`) to FILE for the suite to read.
 */
async function probe(page, file, json) {
  let out;
  try {
    const o = JSON.parse(json);
    const results = [];
    if (o.where === 'workbench') {
      results.push({ url: page.url(), value: await page.evaluate(`(${o.fn})(${JSON.stringify(o.arg ?? null)})`) });
    } else {
      for (const f of page.frames()) {
        if (f === page.mainFrame()) continue;
        const ours = await f.evaluate(`!!document.querySelector('.fs-app')`).catch(() => false);
        if (ours) results.push({ url: f.url(), value: await f.evaluate(`(${o.fn})(${JSON.stringify(o.arg ?? null)})`) });
      }
    }
    out = results;
  } catch (e) {
    out = { error: String(e?.message ?? e) };
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file + '.tmp', JSON.stringify(out, null, 1));
  renameSync(file + '.tmp', file);
}

export async function launch(argv) {
  const { flags, positional } = parseArgs(argv);
  const devPath = resolve(flags.extensionDevelopmentPath ?? process.cwd());
  const testsPath = flags.extensionTestsPath ? resolve(flags.extensionTestsPath) : null;
  const folder = positional[0] ? resolve(positional[0]) : null;
  const userDataDir = resolve(flags['user-data-dir'] ?? mkdtempSync(join(tmpdir(), 'forkscope-ud-')));
  const extensionsDir = resolve(flags['extensions-dir'] ?? mkdtempSync(join(tmpdir(), 'forkscope-ext-')));
  const timeoutS = Number(process.env.FORKSCOPE_VSCODE_TIMEOUT_S || 240);
  // Before each line of the suite's output: which pass it is, when two run side by side.
  const label = process.env.FORKSCOPE_TEST_PASS_LABEL ? `[${process.env.FORKSCOPE_TEST_PASS_LABEL}] ` : '';
  const shots = process.env.FORKSCOPE_SCREENSHOT_DIR;

  const settingsDir = join(userDataDir, 'User');
  mkdirSync(settingsDir, { recursive: true });
  const settingsFile = join(settingsDir, 'settings.json');
  const settings = existsSync(settingsFile) ? JSON.parse(readFileSync(settingsFile, 'utf8') || '{}') : {};
  // FORKSCOPE_TEST_UNTRUSTED=1: workspace trust on, no prompt: the folder opens in restricted mode.
  const untrusted = process.env.FORKSCOPE_TEST_UNTRUSTED === '1';
  Object.assign(settings, {
    'security.workspace.trust.enabled': untrusted,
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.emptyWindow': false,
    'telemetry.telemetryLevel': 'off',
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'update.mode': 'none',
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'extensions.ignoreRecommendations': true,
    'window.restoreWindows': 'none',
  });
  writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
  mkdirSync(extensionsDir, { recursive: true });

  ensureCodeServer();
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const server = spawn(
    process.execPath,
    codeServerArgs({ host, userDataDir, extensionsDir, folder, trust: !untrusted }),
    // Its own process group, so the extension host and everything it started can be stopped together.
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: process.env },
  );
  let serverLog = '';
  const keep = (d) => {
    serverLog = (serverLog + d.toString()).slice(-20000);
    if (process.env.FORKSCOPE_VSCODE_VERBOSE) process.stderr.write(d);
  };
  server.stdout.on('data', keep);
  server.stderr.on('data', keep);

  let browserServer = null;
  let browserPid = null;
  let finished = false;
  const cleanup = async () => {
    if (finished) return;
    finished = true;
    if (browserServer) await Promise.race([browserServer.close().catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
    // Playwright starts Chromium in a process group of its own: end the zygotes and renderers with it.
    await stopPid(browserPid, { group: true });
    await stopPid(server.pid, { group: true });
  };
  const onSignal = (sig) => {
    void cleanup().then(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    await waitForHttp(`http://${host}/healthz`, server, 60_000);
    const { chromium } = require('playwright-core');
    browserServer = await chromium.launchServer({
      executablePath: process.env.FORKSCOPE_CHROMIUM || '/usr/bin/chromium',
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-dev-shm-usage',
        '--disable-crash-reporter',
        '--disable-breakpad',
      ],
    });
    browserPid = browserServer.process().pid;
    const browser = await chromium.connect(browserServer.wsEndpoint());
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    let settle;
    const done = new Promise((r) => (settle = r));
    let shotChain = Promise.resolve();
    await page.exposeFunction('codeAutomationLog', (type, args) => {
      const text = format(...(Array.isArray(args) ? args : [args]));
      const m = /\[screenshot\] ([\w.-]+(?:\/[\w.-]+)*)(?: (\{.*\}))?/.exec(text);
      if (m && shots && !m[1].split('/').includes('..')) {
        const file = join(shots, `${m[1]}.png`);
        shotChain = shotChain.then(() => screenshot(page, file, m[2]).catch((e) => process.stderr.write(`screenshot ${m[1]}: ${e}\n`)));
      }
      const p = /\[probe\] ([\w.-]+(?:\/[\w.-]+)*) ([A-Za-z0-9+/=]+)/.exec(text);
      if (p && shots && !p[1].split('/').includes('..')) {
        shotChain = shotChain.then(() => probe(page, join(shots, `${p[1]}.json`), Buffer.from(p[2], 'base64').toString('utf8')));
      }
      if (!p) (type === 'error' ? process.stderr : process.stdout).write(label + text.replace(/\n/g, `\n${label}`) + '\n');
    });
    await page.exposeFunction('codeAutomationExit', (code, logs) => settle({ code: Number(code) || 0, logs }));
    const payload = [['extensionDevelopmentPath', `vscode-remote://${host}${devPath}`]];
    if (testsPath) payload.push(['extensionTestsPath', `vscode-remote://${host}${testsPath}`]);
    const url = `http://${host}/?${folder ? `folder=${encodeURIComponent(folder)}&` : ''}payload=${encodeURIComponent(JSON.stringify(payload))}`;
    await page.goto(url, { waitUntil: 'domcontentloaded' });
    if (!testsPath) return await new Promise(() => undefined); // interactive use: run until killed
    const timer = new Promise((r) => setTimeout(() => r({ code: 1, logs: null, timedOut: true }), timeoutS * 1000));
    const result = await Promise.race([done, timer]);
    await shotChain;
    if (result.timedOut) {
      process.stderr.write(`code-server-launcher: the suite did not finish within ${timeoutS} s\n`);
      if (shots) await page.screenshot({ path: join(shots, 'timeout.png') }).catch(() => undefined);
    }
    if (result.code !== 0) {
      process.stderr.write(`code-server-launcher: suite exit code ${result.code}; code-server log tail:\n${serverLog.slice(-4000)}\n`);
      if (Array.isArray(result.logs)) {
        for (const l of result.logs) {
          if (/exthost|renderer|remoteagent/i.test(l.relativePath ?? ''))
            process.stderr.write(`--- ${l.relativePath}\n${String(l.contents).slice(-6000)}\n`);
        }
      }
    }
    return result.code;
  } catch (e) {
    process.stderr.write(`code-server-launcher: ${e?.stack ?? e}\ncode-server log tail:\n${serverLog.slice(-4000)}\n`);
    return 1;
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  launch(process.argv.slice(2)).then((code) => process.exit(code));
}

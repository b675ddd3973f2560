// code-server (VS Code's workbench served to a browser) for the real-VS-Code
// test layer and `npm start` on machines without desktop VS Code. Installed
// from the npm registry into .cache/code-server/VERSION (reused by later
// runs). Its tarball carries prebuilt native modules and ripgrep, so no install
// script runs (they would try to download from elsewhere).
// See /work/shared/notes/real-vscode-tests.md for why this works.
import { existsSync, mkdirSync, writeFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ensureApt, root, run } from './ensure.mjs';

export const CODE_SERVER_VERSION = process.env.FORKSCOPE_CODE_SERVER_VERSION || '4.100.3';
export const codeServerDir = join(root, '.cache', 'code-server', CODE_SERVER_VERSION);
export const codeServerEntry = join(codeServerDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const doneMarker = join(codeServerDir, '.installed');

/**
 * Debian packages the tests need next to code-server. code-server's npm
 * tarball ships its native modules prebuilt for linux-x64 / Node 20, so it is
 * installed with --ignore-scripts: no ripgrep or node-gyp download, no build.
 */
export function ensureCodeServerApt() {
  ensureApt({ '/usr/bin/chromium': 'chromium' });
}

/** Installs code-server into .cache/code-server/VERSION once; returns the path of its entry script. */
export function ensureCodeServer() {
  ensureCodeServerApt();
  if (existsSync(doneMarker) && existsSync(codeServerEntry)) return codeServerEntry;
  console.log(`forkscope: installing code-server@${CODE_SERVER_VERSION} into ${codeServerDir} (a few minutes, once)…`);
  rmSync(codeServerDir, { recursive: true, force: true });
  mkdirSync(codeServerDir, { recursive: true });
  writeFileSync(join(codeServerDir, 'package.json'), JSON.stringify({ name: 'forkscope-code-server-cache', private: true }, null, 2));
  const env = {
    ...process.env,
    npm_config_yes: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    CI: 'true',
  };
  run('npm', ['install', '--no-save', '--no-package-lock', '--ignore-scripts', `code-server@${CODE_SERVER_VERSION}`], { cwd: codeServerDir, env, stdio: ['ignore', 'inherit', 'inherit'] });
  // What its postinstall would do that matters here: VS Code looks for bundled modules under node_modules.asar.
  for (const dir of ['lib/vscode']) {
    const asar = join(codeServerDir, 'node_modules', 'code-server', dir, 'node_modules.asar');
    if (!existsSync(asar)) symlinkSync('node_modules', asar);
  }
  if (!existsSync(codeServerEntry)) throw new Error(`code-server did not install: ${codeServerEntry} is missing`);
  writeFileSync(doneMarker, new Date().toISOString() + '\n');
  return codeServerEntry;
}

if (process.argv[1] && process.argv[1].endsWith('codeServer.mjs')) {
  const t = Date.now();
  console.log(ensureCodeServer());
  console.log(`code-server ready in ${((Date.now() - t) / 1000).toFixed(0)} s`);
}

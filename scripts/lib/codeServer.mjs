// code-server (VS Code's workbench served to a browser) for the real-VS-Code
// test layer and `npm start` on machines without desktop VS Code. Installed
// from the npm registry into Forkscope's per-user cache, beside the CLI's
// interpreter cache ($FORKSCOPE_CACHE_DIR, else $XDG_CACHE_HOME/forkscope,
// else ~/.cache/forkscope), as code-server/VERSION: every clone on the machine
// reuses it, so a fresh clone's tests do not build it again (71 s here);
// its install scripts build the native modules against Debian's packages, and
// ripgrep comes from Debian's `rg` (pre-filled into the download cache its
// install script looks in), so nothing is fetched from outside the npm and
// Debian registries.
// See /work/shared/notes/real-vscode-tests.md for why this works.
import { existsSync, mkdirSync, realpathSync, writeFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureApt, run } from './ensure.mjs';

export const CODE_SERVER_VERSION = process.env.FORKSCOPE_CODE_SERVER_VERSION || '4.100.3';
/** Forkscope's per-user cache folder, as the CLI computes it (extension/runtime/pythonResolve.ts). */
const userCache = process.env.FORKSCOPE_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'forkscope');
export const codeServerDir = join(userCache, 'code-server', CODE_SERVER_VERSION);
export const codeServerEntry = join(codeServerDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const doneMarker = join(codeServerDir, '.installed');
/** The prefix Node is installed under (/usr for Debian's nodejs, the tarball's root otherwise). */
const nodePrefix = dirname(dirname(realpathSync(process.execPath)));

/** Debian packages code-server's native modules and our browser need. */
export function ensureCodeServerApt() {
  ensureApt({
    '/usr/bin/chromium': 'chromium',
    '/usr/bin/rg': 'ripgrep',
    '/usr/bin/pkg-config': 'pkg-config',
    '/usr/include/krb5.h': 'libkrb5-dev',
    '/usr/include/libsecret-1/libsecret/secret.h': 'libsecret-1-dev',
    '/usr/include/X11/Xlib.h': 'libx11-dev',
    '/usr/include/X11/extensions/XKBfile.h': 'libxkbfile-dev',
    '/usr/bin/make': 'make',
    '/usr/bin/g++': 'g++',
  });
}

/** Installs code-server into the user cache's code-server/VERSION once; returns the path of its entry script. */
export function ensureCodeServer() {
  ensureCodeServerApt();
  if (existsSync(doneMarker) && existsSync(codeServerEntry)) return codeServerEntry;
  console.log(`forkscope: installing code-server@${CODE_SERVER_VERSION} into ${codeServerDir} (a few minutes, once)…`);
  rmSync(codeServerDir, { recursive: true, force: true });
  mkdirSync(codeServerDir, { recursive: true });
  writeFileSync(join(codeServerDir, 'package.json'), JSON.stringify({ name: 'forkscope-code-server-cache', private: true }, null, 2));
  // @vscode/ripgrep's postinstall looks in this cache before downloading: fill it from Debian's rg.
  for (const v of ['1.15.11', '1.15.10', '1.15.9']) {
    const cache = join(tmpdir(), `vscode-ripgrep-cache-${v}`);
    mkdirSync(cache, { recursive: true });
    for (const tag of ['v13.0.0-10', 'v13.0.0-13', 'v13.0.0-4']) {
      run('tar', ['czf', join(cache, `ripgrep-${tag}-x86_64-unknown-linux-musl.tar.gz`), '-C', '/usr/bin', 'rg']);
    }
  }
  const env = {
    ...process.env,
    npm_config_yes: 'true',
    // node-gyp builds against the running Node's own headers instead of downloading them.
    ...(!process.env.npm_config_nodedir && existsSync(join(nodePrefix, 'include', 'node', 'node.h'))
      ? { npm_config_nodedir: nodePrefix }
      : {}),
    npm_config_unsafe_perm: 'true',
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    CI: 'true',
  };
  run('npm', ['install', '--no-save', '--no-package-lock', `code-server@${CODE_SERVER_VERSION}`], {
    cwd: codeServerDir,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (!existsSync(codeServerEntry)) throw new Error(`code-server did not install: ${codeServerEntry} is missing`);
  writeFileSync(doneMarker, new Date().toISOString() + '\n');
  return codeServerEntry;
}

if (process.argv[1] && process.argv[1].endsWith('codeServer.mjs')) {
  const t = Date.now();
  console.log(ensureCodeServer());
  console.log(`code-server ready in ${((Date.now() - t) / 1000).toFixed(0)} s`);
}

/**
 * The code-server command line both `npm start` and the test launcher use: no auth, bound to `host`
 * (127.0.0.1:PORT), no telemetry or update checks, VS Code's own welcome page (Forkscope's walkthrough
 * opens instead), the given data and extension folders, then the folder to open.
 */
export function codeServerArgs({ host, userDataDir, extensionsDir, folder = null, trust = false }) {
  return [
    codeServerEntry,
    '--auth',
    'none',
    '--bind-addr',
    host,
    '--disable-telemetry',
    '--disable-update-check',
    ...(trust ? ['--disable-workspace-trust'] : []),
    '--disable-getting-started-override',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    ...(folder ? [folder] : []),
  ];
}

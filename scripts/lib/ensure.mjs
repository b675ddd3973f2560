// What the project's commands install for themselves: npm dependencies (npm ci
// when node_modules is missing or older than the lock file) and Debian packages
// (apt-get, as root). Nothing is fetched from anywhere else.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const root = join(new URL('.', import.meta.url).pathname, '..', '..');

/** Runs a command, inheriting stdio; throws when it fails. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
  return r;
}

/** Installs the npm dependencies when they are missing or stale. */
export function ensureNodeModules() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  // A linked node_modules is an install shared with other checkouts (git worktrees): `npm ci` would empty
  // the linked folder for all of them (a fresh worktree's lock file is newer than the install). Leave it be.
  const link = join(root, 'node_modules');
  if (existsSync(marker) && lstatSync(link).isSymbolicLink()) {
    console.log('forkscope: node_modules is a link to a shared install older than package-lock.json: not reinstalling it here.');
    return;
  }
  console.log('forkscope: installing npm dependencies (npm ci)…');
  run('npm', ['ci', '--no-audit', '--no-fund'], { env: { ...process.env, npm_config_yes: 'true' } });
}

/** True when `bin` is on PATH (or is an existing absolute path). */
export function hasBinary(bin) {
  if (bin.startsWith('/')) return existsSync(bin);
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

let aptUpdated = false;
/**
 * Installs Debian packages whose binaries are missing. `wanted` maps a binary
 * (or absolute path) to the package that provides it.
 */
export function ensureApt(wanted) {
  const missing = [
    ...new Set(
      Object.entries(wanted)
        .filter(([bin]) => !hasBinary(bin))
        .map(([, pkg]) => pkg),
    ),
  ];
  if (!missing.length) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = isRoot ? [] : hasBinary('sudo') ? ['sudo'] : null;
  if (sudo === null)
    throw new Error(`Missing Debian packages: ${missing.join(' ')}. Install them (apt-get install ${missing.join(' ')}) and run again.`);
  console.log(`forkscope: installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => (sudo.length ? run('sudo', ['apt-get', ...args], { env }) : run('apt-get', args, { env }));
  if (!aptUpdated) {
    apt(['update', '-q']);
    aptUpdated = true;
  }
  apt(['install', '-y', '-q', '--no-install-recommends', ...missing]);
}

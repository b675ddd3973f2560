/**
 * Forkscope's per-user cache folder (docs/cli.md): what a run can do without but saves time when kept, the
 * interpreters that shims resolve to (pythonResolve.ts) and V8's code cache of the CLI's bundles (codeCache.ts).
 * `$XDG_CACHE_HOME/forkscope`, else `~/.cache/forkscope`; FORKSCOPE_CACHE_DIR names another folder
 * (scripts/lib/codeServer.mjs keeps code-server there too, by the same rule).
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** The folder (it need not exist yet). */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FORKSCOPE_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'forkscope');
}

/**
 * Writes `data` to `file` whole or not at all (other runs may be reading it), making its folder private to this
 * user if it is not there. False when it could not be written: a cache that cannot be kept costs time, nothing more.
 */
export function writeCacheFile(file: string, data: string | Buffer): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(tmp, data, { mode: 0o600 });
    fs.renameSync(tmp, file);
    return true;
  } catch {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      /* nothing to clean */
    }
    return false;
  }
}

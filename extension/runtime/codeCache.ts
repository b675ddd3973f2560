/**
 * Loads one of the CLI's bundles with V8's code cache (docs/cli.md, "How a run starts").
 *
 * Node compiles a bundle at every start: its top level as it loads, then each function the first time it
 * runs. On the way from Node's start to the end of a recorded run that is about 4 ms here, all of it on the
 * run's critical path where Python starts faster than Node. V8 can hand back what it compiled (a code
 * cache) and take it instead of compiling next time. So a bundle is loaded here as `require` would load it,
 * with the cache the last run on this Node left; a run that had none (the first on this Node and this build,
 * or V8 refused it) writes one as it exits, with every function that run compiled.
 *
 * One file per bundle, Node version and bundle path, in the per-user cache folder (userCache.ts), headed by
 * the bundle's path, size and modification time: the cache of another build of the bundle is never used.
 * V8 itself refuses a cache made by another V8 or under other flags. Anything that goes wrong (no cache
 * folder, a full disk, a damaged file) costs the cache, never the run.
 */

import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as vm from 'node:vm';
import { cacheDir, writeCacheFile } from './userCache';

/** What became of a bundle's code cache, for FORKSCOPE_DEBUG=1. */
export type CodeCacheUse = 'used' | 'refused' | 'none';

interface Header {
  v: 1;
  bundle: string;
  size: number;
  mtimeMs: number;
}

/**
 * Runs the CommonJS bundle `file` (ASCII, scripts/build.mjs) and returns its exports, compiled from the code
 * cache when there is a good one.
 */
export function loadBundle(file: string, env: NodeJS.ProcessEnv = process.env): unknown {
  const debug = env.FORKSCOPE_DEBUG ? (s: string) => process.stderr.write(`forkscope: code cache of ${path.basename(file)}: ${s}\n`) : null;
  const st = fs.statSync(file);
  const header: Header = { v: 1, bundle: file, size: st.size, mtimeMs: st.mtimeMs };
  const cacheFile = cacheFileOf(file, env);
  const seen = cacheFile === null ? null : stamp(cacheFile);
  const cachedData = cacheFile === null ? undefined : readCache(cacheFile, header);
  // (latin1: the bundle is ASCII, so this is its text, read as one-byte text without decoding it.)
  const source = fs.readFileSync(file, 'latin1');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, {
    filename: file,
    cachedData,
  });
  const use: CodeCacheUse = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'refused' : 'used';
  debug?.(use);
  if (use !== 'used' && cacheFile !== null) {
    // At the exit the functions the run called are compiled too (V8 compiles a function when it first runs).
    // A cache another process wrote meanwhile for this build is left as it is: it is a finished run's (a warm
    // supervisor that VS Code forked ahead and then closed without a run has compiled little).
    process.once('exit', () => {
      if (stamp(cacheFile) !== seen && readCache(cacheFile, header) !== undefined) debug?.('kept the one written meanwhile');
      else if (writeCacheFile(cacheFile, Buffer.concat([Buffer.from(JSON.stringify(header) + '\n'), script.createCachedData()])))
        debug?.('written');
    });
  }
  const module = { exports: {} as unknown };
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  run.call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  return module.exports;
}

/** The cache file of `bundle` for this Node, or null when there is no cache folder to use. */
function cacheFileOf(bundle: string, env: NodeJS.ProcessEnv): string | null {
  let dir: string;
  try {
    dir = cacheDir(env);
  } catch {
    return null; // (no home folder)
  }
  return path.join(dir, `code-${path.basename(bundle, '.js')}-${process.version}-${process.arch}-${fnv1a(bundle)}.v8`);
}

/** Which version of `file` is there (its modification time, size and inode: a write replaces it), or null when none. */
function stamp(file: string): string | null {
  try {
    const st = fs.statSync(file);
    return `${st.mtimeMs} ${st.size} ${st.ino}`;
  } catch {
    return null;
  }
}

/** The V8 data in `file` when its header names this very build of the bundle; else undefined. */
function readCache(file: string, want: Header): Buffer | undefined {
  let data: Buffer;
  try {
    data = fs.readFileSync(file);
  } catch {
    return undefined;
  }
  const nl = data.indexOf(10);
  if (nl < 0) return undefined;
  try {
    const h = JSON.parse(data.subarray(0, nl).toString('utf8')) as Partial<Header>;
    if (h.v !== want.v || h.bundle !== want.bundle || h.size !== want.size || h.mtimeMs !== want.mtimeMs) return undefined;
  } catch {
    return undefined;
  }
  return data.subarray(nl + 1);
}

/** A short hash of a path, so that two installs of Forkscope (a clone, the extension) keep a cache each. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

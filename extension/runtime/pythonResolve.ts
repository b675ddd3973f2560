/**
 * Which binary a Python command really starts (docs/cli.md, "Interpreter shims").
 *
 * `python3` is often not Python but a shim in front of it: pyenv's and asdf's
 * shims are bash scripts that pick a version (from PYENV_VERSION, a
 * `.python-version` / `.tool-versions` file in the folder or above it, or the
 * global setting) and then exec the real interpreter, 0.3–0.8 s later. Run
 * through the shim, every recording would start with that delay drawn as the
 * script running.
 *
 * Like the Python extension, Forkscope asks the interpreter itself once
 * (`<command> -c …` printing `sys.executable`, its options and its
 * environment) and caches the answer in a small per-user file
 * (`$XDG_CACHE_HOME/forkscope/interpreters.json`, else
 * `~/.cache/forkscope/…`; `FORKSCOPE_CACHE_DIR` overrides the folder). A cache
 * entry is keyed by the shim's path, the folder, PATH and the version
 * variables shims read, and holds the modification times of every file the
 * answer depends on (the shim, the binary, each `.python-version` and
 * `.tool-versions` from the folder up, pyenv's global `version`): a run
 * validates it with a handful of `stat`s and starts no extra interpreter.
 *
 * A real binary (ELF, Mach-O, PE) is never probed. A wrapper that changes
 * more of the environment than shims do (anything beyond PYENV_*, ASDF_* and
 * directories put in front of PATH) cannot be skipped without changing what
 * the script sees: it is left in place, and the model draws its time as
 * "starting Python".
 */

import { childProcess } from './childProcess';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cacheDir, writeCacheFile } from './userCache';

/** What a command resolves to. */
export interface PythonResolution {
  /** The binary to start (the command itself when it is a binary or cannot be resolved). */
  executable: string;
  /** The command as found (an absolute path when it was found), or null when it was not found at all. */
  found: string | null;
  /** True when `executable` differs from the command: a shim/wrapper was skipped. */
  resolved: boolean;
  /** Interpreter options the wrapper itself passes (`exec python3 -E "$@"`): kept. */
  options: string[];
  /** Environment changes the shim makes (PATH's new leading entries, PYENV_ and ASDF_ variables): applied. */
  envSet: Record<string, string>;
  /** Variables the shim removes on its way to Python (pyenv's scripts drop the shell's `_`): removed. */
  envUnset: string[];
  /** The shim's shell sets PWD to the folder Python starts in (as every shell does): so is the run's. */
  pwdIsCwd: boolean;
  /** Python's version ("3.11.4") when it was probed (always for a resolved shim). */
  version: string | null;
  /** Where the answer came from. */
  source: 'binary' | 'cache' | 'probe' | 'unresolved' | 'not-found';
  /** Why a wrapper was left in place (source `unresolved`). */
  reason: string | null;
}

export interface ResolveOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Probe (and cache) real binaries too, for their version (the VS Code side wants it; the CLI does not). */
  probeBinaries?: boolean;
}

/** `name` looked up the way a shell would: a path is taken as is (from `cwd`), a bare name on PATH. */
export function findCommand(command: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string | null {
  if (command.includes('/') || (process.platform === 'win32' && command.includes('\\'))) {
    const p = path.resolve(cwd, command);
    return isExecutableFile(p) ? p : null;
  }
  for (const d of (env.PATH ?? '').split(path.delimiter)) {
    if (!d) continue;
    const p = path.resolve(cwd, d, command);
    if (isExecutableFile(p)) return p;
  }
  return null;
}

function isExecutableFile(p: string): boolean {
  try {
    if (!fs.statSync(p).isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** What a file is, from its first bytes. */
export function fileKind(file: string): { kind: 'binary' | 'script' | 'text' | 'unreadable'; shebang: string | null } {
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, 'r');
    const buf = Buffer.alloc(256);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const head = buf.subarray(0, n);
    if (n >= 4 && head[0] === 0x7f && head.toString('latin1', 1, 4) === 'ELF') return { kind: 'binary', shebang: null };
    const magic = n >= 4 ? head.readUInt32BE(0) : 0;
    if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic)) return { kind: 'binary', shebang: null };
    if (n >= 2 && head[0] === 0x4d && head[1] === 0x5a) return { kind: 'binary', shebang: null }; // MZ (Windows)
    if (n >= 2 && head[0] === 0x23 && head[1] === 0x21)
      return { kind: 'script', shebang: head.toString('utf8').split('\n')[0].slice(2).trim() };
    return { kind: 'text', shebang: null };
  } catch {
    return { kind: 'unreadable', shebang: null };
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}

/** Whether a `#!` line names a Python interpreter (then the file is a Python script, not a wrapper). */
export function shebangIsPython(shebang: string): boolean {
  const words = shebang.split(/\s+/).filter(Boolean);
  if (!words.length) return false;
  let prog = path.basename(words[0]);
  if (prog === 'env') {
    const rest = words.slice(1).filter((w) => !w.startsWith('-') && !w.includes('='));
    prog = rest.length ? path.basename(rest[0]) : '';
  }
  return /^(python|pypy)/i.test(prog);
}

/** A command's name looks like a Python interpreter's (`python`, `python3`, `python3.12`, `pypy3`, `python3-dbg`…), not a script. */
export function looksLikePythonName(command: string): boolean {
  const base = path.basename(command);
  return /^(python|pypy)[\w.+-]*$/i.test(base) && !/\.(py|pyw|pyz|pyc)$/i.test(base);
}

// ---- the cache ------------------------------------------------------------------------------------------------

interface CacheEntry {
  executable: string;
  options: string[];
  envSet: Record<string, string>;
  /** Absent in entries written before they existed (such entries are probed again). */
  envUnset?: string[];
  pwdIsCwd?: boolean;
  version: string | null;
  /** Files the answer depends on and their mtimes (null: absent). */
  watch: [string, number | null][];
  at: number;
}

interface CacheFile {
  v: 1;
  entries: Record<string, CacheEntry>;
}

const CACHE_LIMIT = 64;
const VERSION_VARS = ['PYENV_VERSION', 'PYENV_ROOT', 'ASDF_PYTHON_VERSION', 'ASDF_DATA_DIR', 'ASDF_DIR', 'VIRTUAL_ENV', 'CONDA_PREFIX'];

export function cacheFilePath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(cacheDir(env), 'interpreters.json');
}

function readCache(file: string): CacheFile {
  try {
    const c = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheFile;
    if (c && c.v === 1 && c.entries && typeof c.entries === 'object') return c;
  } catch {
    /* absent or damaged: start over */
  }
  return { v: 1, entries: {} };
}

/** Keeps the newest CACHE_LIMIT entries; a cache that cannot be written costs a probe next time, nothing more. */
function writeCache(file: string, cache: CacheFile): void {
  const keys = Object.keys(cache.entries).sort((a, b) => cache.entries[b].at - cache.entries[a].at);
  for (const k of keys.slice(CACHE_LIMIT)) delete cache.entries[k];
  writeCacheFile(file, JSON.stringify(cache));
}

function mtime(file: string): number | null {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

/** Every file a shim's choice can depend on, for `cwd`. */
function watchedFiles(found: string, cwd: string, env: NodeJS.ProcessEnv): string[] {
  const files = [found];
  for (let d = path.resolve(cwd); ; d = path.dirname(d)) {
    files.push(path.join(d, '.python-version'), path.join(d, '.tool-versions'));
    if (path.dirname(d) === d) break;
  }
  const home = os.homedir();
  files.push(path.join(env.PYENV_ROOT || path.join(home, '.pyenv'), 'version'), path.join(home, '.tool-versions'));
  return files;
}

function cacheKey(found: string, cwd: string, env: NodeJS.ProcessEnv): string {
  return JSON.stringify([found, path.resolve(cwd), env.PATH ?? '', ...VERSION_VARS.map((k) => env[k] ?? null)]);
}

function valid(e: CacheEntry): boolean {
  if (!e || typeof e.executable !== 'string' || !Array.isArray(e.watch) || !Array.isArray(e.envUnset) || typeof e.pwdIsCwd !== 'boolean')
    return false; // (entries older than envUnset: probed again)
  if (mtime(e.executable) === null) return false;
  return e.watch.every(([f, m]) => mtime(f) === m);
}

// ---- the probe ------------------------------------------------------------------------------------------------

const PROBE =
  'import sys, os, json; sys.stdout.write("FORKSCOPE-PROBE " + json.dumps({"exe": sys.executable, "argv": getattr(sys, "orig_argv", None), ' +
  '"env": dict(os.environ), "version": "%d.%d.%d" % sys.version_info[:3]}) + "\\n")';

interface ProbeOut {
  exe: string;
  argv: string[] | null;
  env: Record<string, string>;
  version: string;
}

function probe(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<ProbeOut | string> {
  return new Promise((resolve) => {
    childProcess().execFile(command, ['-c', PROBE], { cwd, env, timeout: 20_000, windowsHide: true, maxBuffer: 4 << 20 }, (err, stdout) => {
      const line = String(stdout)
        .split('\n')
        .find((l) => l.startsWith('FORKSCOPE-PROBE '));
      if (!line) return resolve(err ? `it did not run Python (${err.message.split('\n')[0]})` : 'it did not run Python');
      try {
        resolve(JSON.parse(line.slice('FORKSCOPE-PROBE '.length)) as ProbeOut);
      } catch {
        resolve('its answer could not be read');
      }
    });
  });
}

const SHIM_VAR = /^(_?PYENV_|ASDF_)/;
/** Variables a shell sets for itself on the way (the last command, nesting level, folders): the run changes them as the shim's shell does (envChanges). */
const SHELL_NOISE = new Set(['_', 'SHLVL', 'PWD', 'OLDPWD']);

/**
 * The environment changes a shim made (variables set, and shell variables it removed), or a reason it cannot be
 * skipped. A shell variable the shim changes (`SHLVL`, `_` set to the last command) is not followed: the script
 * would see the value of whichever shell ran last, not the user's.
 */
function envChanges(
  before: NodeJS.ProcessEnv,
  after: Record<string, string>,
  cwd: string,
): { set: Record<string, string>; unset: string[]; pwdIsCwd: boolean } | string {
  const set: Record<string, string> = {};
  const unset: string[] = [];
  let pwdIsCwd = false;
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const k of keys) {
    const a = before[k];
    const b = after[k];
    if (a === b) continue;
    if (SHELL_NOISE.has(k)) {
      // What the shim's shell leaves the script: removed, the folder it runs in (PWD), or a value of its own.
      if (b === undefined) unset.push(k);
      else if (k === 'PWD' && path.resolve(b) === path.resolve(cwd)) pwdIsCwd = true;
      else set[k] = b;
      continue;
    }
    if (SHIM_VAR.test(k) && b !== undefined) set[k] = b;
    else if (k === 'PATH' && a !== undefined && b !== undefined && b.endsWith(a))
      set[k] = b; // entries put in front
    else return `it changes ${k} for the script`;
  }
  return { set, unset, pwdIsCwd };
}

/**
 * Resolves a Python command to the binary it starts (see the file's comment).
 * Never throws; a command that is not found has source `not-found`.
 */
export async function resolvePython(command: string, o: ResolveOptions = {}): Promise<PythonResolution> {
  return resolvePythonNow(command, o) ?? (await probeAndCache(command, o));
}

/** The resolution when no probe is needed (not found, a binary, unreadable, or in the cache), else null. */
export function resolvePythonNow(command: string, o: ResolveOptions = {}): PythonResolution | null {
  const env = o.env ?? process.env;
  const cwd = o.cwd ?? process.cwd();
  const plain = unresolved(command);
  const found = findCommand(command, env, cwd);
  if (!found) return plain('not-found', null);
  const kind = fileKind(found).kind;
  if (kind === 'binary' && !o.probeBinaries) return plain('binary', found);
  if (kind === 'unreadable') return plain('unresolved', found, 'it cannot be read');

  const file = cacheFilePath(env);
  const key = cacheKey(found, cwd, env);
  const cache = readCache(file);
  const hit = cache.entries[key];
  if (hit && valid(hit)) {
    const same = hit.executable === found;
    return {
      executable: same ? command : hit.executable,
      found,
      resolved: !same,
      options: hit.options,
      envSet: hit.envSet,
      envUnset: hit.envUnset ?? [],
      pwdIsCwd: hit.pwdIsCwd ?? false,
      version: hit.version,
      source: 'cache',
      reason: null,
    };
  }

  return null;
}

/** A resolution that keeps `command` as it is (nothing resolved). */
function unresolved(
  command: string,
): (source: PythonResolution['source'], found: string | null, reason?: string | null, version?: string | null) => PythonResolution {
  return (
    source: PythonResolution['source'],
    found: string | null,
    reason: string | null = null,
    version: string | null = null,
  ): PythonResolution => ({
    executable: command,
    found,
    resolved: false,
    options: [],
    envSet: {},
    envUnset: [],
    pwdIsCwd: false,
    version,
    source,
    reason,
  });
}

/** Runs the command once to learn the binary behind it (resolvePythonNow said a probe is needed), and caches it. */
async function probeAndCache(command: string, o: ResolveOptions): Promise<PythonResolution> {
  const env = o.env ?? process.env;
  const cwd = o.cwd ?? process.cwd();
  const plain = unresolved(command);
  const found = findCommand(command, env, cwd)!;
  const file = cacheFilePath(env);
  const key = cacheKey(found, cwd, env);
  const out = await probe(found, cwd, env);
  if (typeof out === 'string') return plain('unresolved', found, out);
  const exe = out.exe;
  const version = typeof out.version === 'string' ? out.version : null;
  if (!exe || !path.isAbsolute(exe) || mtime(exe) === null) return plain('unresolved', found, 'it does not say which binary runs', version);
  if (fileKind(exe).kind !== 'binary') return plain('unresolved', found, `${exe} is not a binary`, version);
  const changes = envChanges(env, out.env ?? {}, cwd);
  if (typeof changes === 'string') return plain('unresolved', found, changes, version);
  // Options the wrapper adds before `-c` (sys.orig_argv, 3.10+): kept.
  const argv = Array.isArray(out.argv) ? out.argv : null;
  const options = argv && argv.length >= 3 && argv[argv.length - 2] === '-c' ? argv.slice(1, -2) : [];
  const same =
    path.resolve(exe) === found &&
    options.length === 0 &&
    Object.keys(changes.set).length === 0 &&
    changes.unset.length === 0 &&
    !changes.pwdIsCwd;
  const entry: CacheEntry = {
    executable: same ? found : exe,
    options,
    envSet: changes.set,
    envUnset: changes.unset,
    pwdIsCwd: changes.pwdIsCwd,
    version,
    watch: [...watchedFiles(found, cwd, env), exe].map((f) => [f, mtime(f)]),
    at: Date.now(),
  };
  const cache = readCache(file); // (read now: another run may have written it during the probe)
  cache.entries[key] = entry;
  writeCache(file, cache);
  return {
    executable: same ? command : exe,
    found,
    resolved: !same,
    options,
    envSet: changes.set,
    envUnset: changes.unset,
    pwdIsCwd: changes.pwdIsCwd,
    version,
    source: 'probe',
    reason: null,
  };
}

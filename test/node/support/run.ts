/**
 * Runs real Python scripts from test/scripts plainly and under
 * `forkscope record` (dist/cli.js), and reduces what the CLI recorded.
 * Every process a helper starts is stopped by pid when the test ends or times out.
 */

import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunReducer } from '../../../core/model/reducer';
import type { RunModel } from '../../../core/model/types';
import { parseRecording } from '../../../core/model/recording';
import { summarize, type Summary } from '../../../core/summary/summary';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const SCRIPTS = path.join(ROOT, 'test', 'scripts');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
export const PYTHON = process.env.FORKSCOPE_TEST_PYTHON || 'python3';

// No test leaves a warm supervisor behind (a cold `forkscope record` would; scripts/test.mjs says the same for
// a whole run): the tests that want one ask for it (cli-warm.test.ts) and stop it by pid.
if (process.env.FORKSCOPE_WARM === undefined) process.env.FORKSCOPE_WARM = '0';

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Recorded extends Ran {
  recording: string;
  recordingText: string;
  model: RunModel;
  summary: Summary;
}

/** Start methods this platform's Python offers. */
export function startMethods(): string[] {
  const r = spawnSync(PYTHON, ['-c', 'import multiprocessing as m; print(" ".join(m.get_all_start_methods()))'], { encoding: 'utf8' });
  return r.stdout.trim().split(/\s+/).filter(Boolean);
}

export interface RunOptions {
  cwd?: string;
  timeoutMs?: number;
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  /** Called with the child once it has started (e.g. to signal it). */
  onStart?: (pid: number) => void;
}

/** Runs a command to its end; kills its process group if it outlives the timeout. */
export function runCommand(cmd: string, args: string[], opts: RunOptions = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: opts.cwd ?? SCRIPTS,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // its own process group, so a timeout can end everything it started
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.stdin.end(opts.input ?? '');
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
      reject(new Error(`${cmd} ${args.join(' ')} did not end within ${opts.timeoutMs ?? 90_000} ms\n${Buffer.concat(err).toString()}`));
    }, opts.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('spawn', () => opts.onStart?.(child.pid!));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
    });
  });
}

/** `python SCRIPT ARGS…` (or `python -m …`) in test/scripts. */
export function plainRun(script: string, args: string[], opts: RunOptions = {}): Promise<Ran> {
  return runCommand(PYTHON, [script, ...args], opts);
}

/** `forkscope record --out TMP -- SCRIPT ARGS…` in test/scripts, then the recording reduced. */
export async function record(script: string, args: string[], opts: RunOptions & { cliArgs?: string[] } = {}): Promise<Recorded> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-test-'));
  const out = path.join(dir, 'run.forkscope');
  try {
    const ran = await runCommand(
      process.execPath,
      [CLI, 'record', '--out', out, '--python', PYTHON, ...(opts.cliArgs ?? []), '--', script, ...args],
      opts,
    );
    const recordingText = fs.readFileSync(out, 'utf8');
    const rec = parseRecording(recordingText, out);
    const model = RunReducer.fromRecords(rec.header, rec.records);
    return { ...ran, recording: out, recordingText, model, summary: summarize(model) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether a process exists (and is not a zombie). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/**
 * A warm supervisor (docs/cli.md, "The warm supervisor") listening on `cacheDir`/warm.sock, as a cold run would
 * leave it: resolves with its pid once its socket is there. `stopWarm` ends it by that pid.
 */
export async function startWarm(cacheDir: string, env: NodeJS.ProcessEnv = {}): Promise<number> {
  const socket = path.join(cacheDir, 'warm.sock');
  const child = spawn(process.execPath, ['--v8-pool-size=1', CLI, 'serve', '--warm', socket], {
    cwd: '/',
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, ...env },
  });
  child.unref();
  const t0 = Date.now();
  while (!fs.existsSync(socket)) {
    if (Date.now() - t0 > 20_000 || child.exitCode !== null) {
      stopWarm(child.pid!);
      throw new Error(`the warm supervisor did not listen on ${socket} (exit ${child.exitCode})`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return child.pid!;
}

/** Ends a warm supervisor (or any process this test started) by its pid, if it still runs. */
export function stopWarm(pid: number | null | undefined): void {
  if (!pid) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone already */
  }
}

/** The pid a warm supervisor wrote beside its socket in `cacheDir`, or null. */
export function warmPid(cacheDir: string): number | null {
  try {
    return Number(fs.readFileSync(path.join(cacheDir, 'warm.pid'), 'utf8').trim()) || null;
  } catch {
    return null;
  }
}

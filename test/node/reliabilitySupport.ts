/**
 * Helpers of the reliability tests (docs/reliability.md): run the CLI or the
 * plain interpreter with raw byte capture, follow a process group and a
 * process's peak memory through /proc, and clean up everything a test
 * started, by pid or process group, even when the test fails.
 */

import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RunReducer } from '../../core/model/reducer';
import { parseRecording } from '../../core/model/recording';
import { summarize, type Summary } from '../../core/summary/summary';
import { CLI, PYTHON, ROOT } from './support/run';

/** Scripts of the reliability tests. */
export const RSCRIPTS = path.join(ROOT, 'test', 'scripts', 'reliability');

export interface RawRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  /** Peak resident memory of the started process itself (VmHWM from /proc), in bytes; 0 when unknown. */
  peakRss: number;
}

export interface RawOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string | Buffer;
  timeoutMs?: number;
  /** Sha-256 the stdout instead of keeping it (100 MB of output). */
  hashStdout?: boolean;
  onStart?: (child: ChildProcess) => void;
  onStdout?: (chunk: Buffer) => void;
  /**
   * Run at a lower CPU priority (`nice -n 10`, which execs: same pid): the heavy
   * flood tests then leave the cores to timing-sensitive tests running beside them.
   */
  nice?: boolean;
}

/** Live process groups started by these helpers: killed when a test ends, whatever happened. */
const groups = new Set<number>();

/** SIGKILLs every process group a helper started and that still has members. */
export function killLeftovers(): void {
  for (const g of groups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  groups.clear();
}

/** Reads VmHWM (peak RSS) of a live process, in bytes (0 if it cannot be read). */
export function peakRssOf(pid: number): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Pids of the live (non-zombie) members of a process group, from /proc. */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(f[2]) === pgid && f[0] !== 'Z') out.push(Number(name));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/**
 * Runs a command in a process group of its own, keeping its output as bytes
 * (or a hash of stdout) and following its peak memory; kills the group when
 * it outlives the timeout.
 */
export function runRaw(cmd: string, args: string[], o: RawOptions = {}): Promise<RawRun & { stdoutHash: string | null }> {
  return new Promise((resolve, reject) => {
    const opts: SpawnOptions = { cwd: o.cwd ?? RSCRIPTS, env: o.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true };
    const child = o.nice && process.platform !== 'win32' ? spawn('nice', ['-n', '10', cmd, ...args], opts) : spawn(cmd, args, opts);
    if (child.pid !== undefined) groups.add(child.pid);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const hash = o.hashStdout ? createHash('sha256') : null;
    let peakRss = 0;
    const poll = setInterval(() => {
      if (child.pid !== undefined) peakRss = Math.max(peakRss, peakRssOf(child.pid));
    }, 100);
    child.stdout!.on('data', (d: Buffer) => {
      o.onStdout?.(d);
      if (hash) hash.update(d);
      else out.push(d);
    });
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.stdin!.on('error', () => undefined); // a script that does not read its stdin
    child.stdin!.end(o.input ?? '');
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
      reject(new Error(`${cmd} ${args.join(' ')} did not end within ${o.timeoutMs ?? 120_000} ms\n${Buffer.concat(err).toString()}`));
    }, o.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('spawn', () => o.onStart?.(child));
    // The last VmHWM before the process is reaped: 'exit' comes before 'close' (pipes drained).
    child.on('exit', () => {
      clearInterval(poll);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(poll);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err),
        peakRss,
        stdoutHash: hash ? hash.digest('hex') : null,
      });
    });
  });
}

/** A fresh temporary folder (removed by the caller). */
export function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `forkscope-rel-${tag}-`));
}

export interface RecordedRaw extends RawRun {
  stdoutHash: string | null;
  out: string;
  recordingText: string;
  summary: Summary;
}

/** `forkscope record --out DIR/run.forkscope [cliArgs] -- args…`, with raw output; the recording reduced. */
export async function recordRaw(
  args: string[],
  o: RawOptions & { cliArgs?: string[]; python?: string; asExecutable?: boolean } = {},
): Promise<RecordedRaw> {
  const dir = tmpDir('rec');
  const out = path.join(dir, 'run.forkscope');
  try {
    const cliArgs = ['record', '--out', out, '--python', o.python ?? PYTHON, ...(o.cliArgs ?? []), '--', ...args];
    // asExecutable: dist/cli.js run as `forkscope` is (its shell lines first), not as `node dist/cli.js`.
    const r = o.asExecutable ? await runRaw(CLI, cliArgs, o) : await runRaw(process.execPath, [CLI, ...cliArgs], o);
    const recordingText = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : '';
    const rec = parseRecording(recordingText, out);
    return { ...r, out, recordingText, summary: summarize(RunReducer.fromRecords(rec.header, rec.records)) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** `python args…` plainly (FORKSCOPE_RUNTIME removed), raw output. */
export function plainRaw(args: string[], o: RawOptions = {}): Promise<RawRun> {
  const env = { ...(o.env ?? process.env) };
  delete env.FORKSCOPE_RUNTIME;
  return runRaw(PYTHON, args, { ...o, env });
}

/** Waits until `cond()` holds (polling), or fails with `what` after `ms`. */
export async function until(what: string, cond: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

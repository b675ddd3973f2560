/**
 * `forkscope warm`: what a person can see of, and do to, their warm supervisor (warm.ts; docs/cli.md, "The warm
 * supervisor") without `kill $(cat …)`. The supervisor is found where the shell launcher looks for it: `warm.sock`
 * and `warm.pid` in Forkscope's per-user cache folder (userCache.ts). A pid is taken for it only when that process
 * runs `serve --warm` on that very socket: a pid file left by one that died may name another program since.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { confirmProcUnits, hasProcfs, procUnits, readCmdline, readStat, stillRuns, uptimeSeconds } from './procfs';
import { cacheDir } from './userCache';

/** Beside the socket: the warm supervisor's pid, written by it (warm.ts). */
export const WARM_PID_FILE = 'warm.pid';

export interface WarmState {
  socket: string;
  /** The supervisor's pid, or null when none runs. */
  pid: number | null;
  /** Seconds since it started (Linux), else null. */
  ageSeconds: number | null;
}

/** This user's warm supervisor, as the `forkscope` command would find it with `env`. */
export function warmState(env: NodeJS.ProcessEnv = process.env): WarmState {
  const dir = cacheDir(env);
  const socket = path.join(dir, 'warm.sock');
  let pid: number | null = null;
  try {
    const n = Number(fs.readFileSync(path.join(dir, WARM_PID_FILE), 'utf8').trim());
    if (Number.isInteger(n) && n > 1 && servesOn(n, socket)) pid = n;
  } catch {
    /* no pid file */
  }
  let ageSeconds: number | null = null;
  if (pid !== null && hasProcfs) {
    confirmProcUnits();
    const st = readStat(pid);
    const up = uptimeSeconds();
    if (st && up !== null) ageSeconds = Math.max(0, up - st.startTicks / procUnits.ticks);
  }
  return { socket, pid, ageSeconds };
}

/** Whether `pid` runs `… serve --warm SOCKET` (its command line in /proc; where there is none, whether it runs). */
function servesOn(pid: number, socket: string): boolean {
  if (!hasProcfs) return stillRuns(pid);
  const argv = readCmdline(pid) ?? [];
  const i = argv.indexOf('--warm');
  return i > 0 && argv[i - 1] === 'serve' && argv[i + 1] === socket && stillRuns(pid);
}

/**
 * Asks the supervisor to end (SIGTERM: it takes no new run, and sees a run under way to its end) and waits up to
 * `waitMs` for it. Returns the pid it asked and whether that process has ended, or null when none runs.
 */
export async function stopWarmSupervisor(
  env: NodeJS.ProcessEnv = process.env,
  waitMs = 3000,
): Promise<{ pid: number; ended: boolean } | null> {
  const { pid, socket } = warmState(env);
  if (pid === null) return null;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return { pid, ended: true };
  }
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    if (!servesOn(pid, socket)) return { pid, ended: true };
    await new Promise((r) => setTimeout(r, 25));
  }
  return { pid, ended: !servesOn(pid, socket) };
}

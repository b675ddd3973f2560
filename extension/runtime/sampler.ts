/**
 * Samples every live process of a run: CPU % and RSS from pidusage, and on
 * Linux the OS state letter (R, S, D, Z, T…) and real parent pid from
 * /proc/<pid>/stat. One sample is one row per process that still exists.
 */

import pidusage from 'pidusage';
import type { SampleRow } from '../model/recording';
import { StatReader } from './procfs';

export class ProcessSampler {
  private readonly stat = new StatReader();
  /** Start ticks first seen per pid: a different value later means the pid was reused. */
  private readonly startTicks = new Map<number, number>();
  private busy = false;

  /** Samples the given pids; pids that are gone are left out of the result. Never throws. */
  async sample(pids: number[]): Promise<SampleRow[]> {
    if (this.busy || pids.length === 0) return [];
    this.busy = true;
    try {
      let usage: Record<string, pidusage.Status | undefined> = {};
      try {
        usage = (await pidusage(pids)) as Record<string, pidusage.Status | undefined>;
      } catch {
        usage = {}; // a single pid that vanished makes pidusage reject; the /proc read below still answers
      }
      const rows: SampleRow[] = [];
      for (const pid of pids) {
        const u = usage[pid];
        const st = this.stat.read(pid);
        if (st) {
          const first = this.startTicks.get(pid);
          if (first === undefined) this.startTicks.set(pid, st.startTicks);
          else if (first !== st.startTicks) continue; // another process now has this pid
        }
        if (!u && !st) continue;
        rows.push([
          pid,
          u ? Math.round(u.cpu * 10) / 10 : 0,
          u ? u.memory : 0,
          st ? st.state : null,
          st ? st.ppid : (u?.ppid ?? null),
          u ? Math.round(u.ctime) / 1000 : null,
        ]);
      }
      return rows;
    } finally {
      this.busy = false;
    }
  }

  /** True if `pid` is still the process first sampled under that pid (false if gone or reused). */
  isSameProcess(pid: number): boolean {
    const first = this.startTicks.get(pid);
    const st = this.stat.read(pid);
    if (!st) return false;
    return first === undefined || first === st.startTicks;
  }

  /** Drops per-pid state for a process that has ended. */
  forget(pid: number): void {
    this.stat.forget(pid);
  }

  close(): void {
    this.stat.close();
    pidusage.clear();
  }
}

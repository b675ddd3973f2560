/**
 * Samples every live process of a run: CPU % (100 = one core), RSS, CPU
 * seconds, and on Linux the OS state letter (R, S, D, Z, T…) and real parent
 * pid. On Linux one read of /proc/<pid>/stat (through a kept-open
 * descriptor) gives all of it — about a third of what pidusage costs for the
 * same figures, which keeps sampling 200 processes at 10 Hz well under 10 % of
 * a core. Where there is no /proc (macOS, Windows) pidusage does the work.
 */

import type pidusageType from 'pidusage';
import type { SampleRow } from '../model/recording';
import { confirmProcUnits, hasProcfs, procUnits, StatReader } from './procfs';

/** pidusage, loaded on first use (only where there is no /proc): the CLI starts Python sooner. */
let pidusageModule: typeof pidusageType | null = null;
function pidusage(): typeof pidusageType {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (pidusageModule ??= require('pidusage') as typeof pidusageType);
}

export type SampleSource = 'procfs' | 'pidusage';

interface Previous {
  cpuTicks: number;
  at: number;
}

export class ProcessSampler {
  private readonly stat = new StatReader();
  /** Start ticks first seen per pid: a different value later means the pid was reused. */
  private readonly startTicks = new Map<number, number>();
  private readonly previous = new Map<number, Previous>();
  private busy = false;

  constructor(readonly source: SampleSource = hasProcfs ? 'procfs' : 'pidusage') {}

  /** Samples the given pids; pids that are gone (or reused) are left out. Never throws. */
  async sample(pids: number[]): Promise<SampleRow[]> {
    if (this.busy || pids.length === 0) return [];
    confirmProcUnits();
    this.busy = true;
    try {
      return this.source === 'procfs' ? this.sampleProcfs(pids) : await this.samplePidusage(pids);
    } finally {
      this.busy = false;
    }
  }

  private sampleProcfs(pids: number[]): SampleRow[] {
    const rows: SampleRow[] = [];
    const now = performance.now();
    for (const pid of pids) {
      const st = this.stat.read(pid);
      if (!st || !this.sameStart(pid, st.startTicks)) continue;
      const prev = this.previous.get(pid);
      const seconds = prev ? (now - prev.at) / 1000 : 0;
      const cpu = prev && seconds > 0 ? ((st.cpuTicks - prev.cpuTicks) / procUnits.ticks / seconds) * 100 : 0;
      this.previous.set(pid, { cpuTicks: st.cpuTicks, at: now });
      rows.push([pid, Math.round(Math.max(0, cpu) * 10) / 10, st.rssPages * procUnits.page, st.state, st.ppid, st.cpuTicks / procUnits.ticks]);
    }
    return rows;
  }

  private async samplePidusage(pids: number[]): Promise<SampleRow[]> {
    let usage: Record<string, pidusageType.Status | undefined> = {};
    try {
      usage = (await pidusage()(pids)) as Record<string, pidusageType.Status | undefined>;
    } catch {
      usage = {}; // a single pid that vanished makes pidusage reject
    }
    const rows: SampleRow[] = [];
    for (const pid of pids) {
      const u = usage[pid];
      if (!u) continue;
      const st = this.stat.read(pid); // the state letter where /proc exists
      if (st && !this.sameStart(pid, st.startTicks)) continue;
      rows.push([pid, Math.round(u.cpu * 10) / 10, u.memory, st ? st.state : null, st ? st.ppid : (u.ppid ?? null), Math.round(u.ctime) / 1000]);
    }
    return rows;
  }

  private sameStart(pid: number, startTicks: number): boolean {
    const first = this.startTicks.get(pid);
    if (first === undefined) {
      this.startTicks.set(pid, startTicks);
      return true;
    }
    return first === startTicks;
  }

  /** True if `pid` is still the process first sampled under that pid (false if gone or reused). */
  isSameProcess(pid: number): boolean {
    if (!hasProcfs) {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    }
    const st = this.stat.read(pid);
    if (!st || st.state === 'Z') return false;
    const first = this.startTicks.get(pid);
    return first === undefined || first === st.startTicks;
  }

  /** Drops per-pid state for a process that has ended. */
  forget(pid: number): void {
    this.stat.forget(pid);
    this.previous.delete(pid);
  }

  close(): void {
    this.stat.close();
    this.previous.clear();
    pidusageModule?.clear();
  }
}

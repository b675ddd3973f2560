/**
 * Samples every live process of a run: CPU % (100 = one core), RSS, CPU
 * seconds, and on Linux the OS state letter (R, S, D, Z, T…), real parent
 * pid and private/PSS/shared memory (smaps_rollup, within a time budget:
 * ReadBudget). On Linux one read of /proc/<pid>/stat (through a kept-open
 * descriptor) gives the rest — about a third of what pidusage costs for the
 * same figures, which keeps sampling 200 processes at 10 Hz well under 10 % of
 * a core. Where there is no /proc (macOS, Windows) pidusage does the work.
 */

import type pidusageType from 'pidusage';
import type { SampleRow } from '../../core/model/recording';
import { confirmProcUnits, hasProcfs, procUnits, RollupReader, StatReader, uptimeSeconds } from './procfs';

/**
 * At most this many /proc/<pid>/smaps_rollup reads per tick (the kernel walks
 * a process's page tables for each): up to this many processes get private,
 * PSS and shared memory at a sample; beyond it they are read in turn, the
 * longest unread first. Rows of processes not read at a tick carry null there.
 */
export const ROLLUP_PER_TICK = 32;
/** A process whose RSS moved by this much since its last rollup read is read first... */
const ROLLUP_RSS_MOVE = 1 << 20;
/**
 * ...and so is one that took this many page faults since then: a fork child writing to pages it shares with its
 * parent gains private memory while its RSS stays the same (the copies replace pages it had mapped already), and
 * each page it copies is a fault. Running alone changes nothing: a CPU-bound worker computing in memory it has
 * takes none, and reading its page tables ten times a second took 1-2 % of a core from a 2-worker Pool.
 */
export const ROLLUP_FAULTS_MOVE = 256;
/**
 * Any other process is read again this long after its last read, at most: its private and proportional memory
 * still change when a process it shares pages with copies them or ends.
 */
export const ROLLUP_REFRESH_MS = 1000;
/**
 * The CPU time smaps_rollup reads may take, in ms per second of run: 1 % of
 * one core. A read costs about 0.01 ms per MiB the process maps (0.15 ms for a
 * bare interpreter, 0.6 ms for one that imported joblib), and on a machine the script keeps busy every such ms is taken
 * from the script: read every 100 ms, a joblib run's five processes cost the
 * supervisor 60 ms of CPU a second. Within the budget small runs are still
 * read at every sample; big ones every few samples.
 */
export const ROLLUP_BUDGET_MS_PER_S = 10;
/** What the budget may save up while reads are cheap or rare (ms). */
const ROLLUP_BURST_MS = 25;

/**
 * A token bucket of read time: `spend(ms)` after each read, `available()`
 * before the next. Refills at `msPerSecond` of the clock, up to `burstMs`.
 */
export class ReadBudget {
  private tokens: number;
  private at: number;

  constructor(
    readonly msPerSecond: number = ROLLUP_BUDGET_MS_PER_S,
    readonly burstMs: number = ROLLUP_BURST_MS,
    readonly clock: () => number = () => performance.now(),
  ) {
    this.tokens = burstMs;
    this.at = clock();
  }

  /** True while some budget is left (a read may overdraw it; the next ones wait for the refill). */
  available(): boolean {
    const now = this.clock();
    this.tokens = Math.min(this.burstMs, this.tokens + ((now - this.at) / 1000) * this.msPerSecond);
    this.at = now;
    return this.tokens > 0;
  }

  spend(ms: number): void {
    this.tokens -= Math.max(0, ms);
  }
}

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
  private readonly rollup = new RollupReader();
  /** Per pid: the tick and time (the budget's clock) of its last smaps_rollup read, and its RSS and faults then. */
  private readonly rollupSeen = new Map<number, { tick: number; at: number; rss: number; faults: number }>();
  private tick = 0;
  /** Start ticks first seen per pid: a different value later means the pid was reused. */
  private readonly startTicks = new Map<number, number>();
  private readonly previous = new Map<number, Previous>();
  private busy = false;

  constructor(
    readonly source: SampleSource = hasProcfs ? 'procfs' : 'pidusage',
    private readonly budget: ReadBudget = new ReadBudget(),
  ) {}

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
    const faults = new Map<number, number>();
    let uptime: number | null | undefined;
    for (const pid of pids) {
      const st = this.stat.read(pid);
      // Each process's time is taken at its read: a supervisor descheduled between a clock read and the
      // reads after it (a loaded machine) would otherwise count that pause's CPU into too short a window.
      const now = performance.now();
      if (!st || !this.sameStart(pid, st.startTicks)) continue;
      const prev = this.previous.get(pid);
      let cpu = 0;
      if (prev) {
        const seconds = (now - prev.at) / 1000;
        if (seconds > 0) cpu = ((st.cpuTicks - prev.cpuTicks) / procUnits.ticks / seconds) * 100;
      } else {
        // First sight: its share of a core since it started (its age from the boot clock), not 0.
        if (uptime === undefined) uptime = uptimeSeconds();
        const age = uptime !== null ? uptime - st.startTicks / procUnits.ticks : 0;
        if (age >= 0.02) cpu = Math.min(100 * 64, (st.cpuTicks / procUnits.ticks / age) * 100);
      }
      this.previous.set(pid, { cpuTicks: st.cpuTicks, at: now });
      faults.set(pid, st.faults);
      rows.push([
        pid,
        Math.round(Math.max(0, cpu) * 10) / 10,
        st.rssPages * procUnits.page,
        st.state,
        st.ppid,
        st.cpuTicks / procUnits.ticks,
      ]);
    }
    this.addMemory(rows, faults);
    return rows;
  }

  /**
   * Adds private, PSS and shared bytes to the rows the read budget allows, at
   * most ROLLUP_PER_TICK: those never read first, then those whose RSS moved or
   * that took page faults since their last read (the stalest of them first),
   * then those read ROLLUP_REFRESH_MS ago or longer (the stalest first); the
   * rest (and zombies) get nulls.
   */
  private addMemory(rows: SampleRow[], faults: Map<number, number>): void {
    this.tick++;
    const now = this.budget.clock();
    const rank = (r: SampleRow): number => {
      const seen = this.rollupSeen.get(r[0]);
      if (!seen) return -Infinity;
      const f = faults.get(r[0]) ?? seen.faults;
      if (f - seen.faults >= ROLLUP_FAULTS_MOVE || Math.abs(r[2] - seen.rss) >= ROLLUP_RSS_MOVE) return -1e9 + seen.tick;
      return now - seen.at >= ROLLUP_REFRESH_MS ? seen.tick : Infinity;
    };
    const order = rows
      .filter((r) => r[3] !== 'Z')
      .map((r) => [rank(r), r] as const)
      .filter(([k]) => k !== Infinity)
      .sort((a, b) => a[0] - b[0]);
    const chosen = new Set<number>();
    for (const [, row] of order) {
      if (chosen.size >= ROLLUP_PER_TICK || !this.budget.available()) break;
      const pid = row[0];
      // What the read cost in CPU (the budget's unit), not in time: on a busy machine the supervisor can be held up
      // in the middle of a read, and a clock would charge that wait to the budget (then reads stop when they matter).
      const t = process.cpuUsage();
      const m = this.rollup.read(pid);
      const used = process.cpuUsage(t);
      this.budget.spend((used.user + used.system) / 1000);
      this.rollupSeen.set(pid, { tick: this.tick, at: now, rss: row[2], faults: faults.get(pid) ?? 0 });
      chosen.add(pid);
      if (m) row.push(m.uss, m.pss, m.shared);
    }
    for (const row of rows) if (row.length < 9) row.push(null, null, null);
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
      rows.push([
        pid,
        Math.round(u.cpu * 10) / 10,
        u.memory,
        st ? st.state : null,
        st ? st.ppid : (u.ppid ?? null),
        Math.round(u.ctime) / 1000,
      ]);
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
    this.rollup.forget(pid);
    this.rollupSeen.delete(pid);
    this.previous.delete(pid);
  }

  close(): void {
    this.stat.close();
    this.rollup.close();
    this.rollupSeen.clear();
    this.previous.clear();
    pidusageModule?.clear();
  }
}

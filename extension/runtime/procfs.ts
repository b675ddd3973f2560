/**
 * Linux /proc readers: a process's state letter, parent pid, start time and
 * CPU ticks from /proc/<pid>/stat (kept-open descriptors, read at offset 0),
 * and the descendants of a process. On other platforms every reader answers
 * "unknown" and the callers fall back to what pidusage and the events say.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';

export const hasProcfs = process.platform === 'linux' && fs.existsSync('/proc/self/stat');

export interface ProcStat {
  state: string;
  ppid: number;
  /** Start time in clock ticks since boot: with the pid, identifies a process across pid reuse. */
  startTicks: number;
  /** User + system CPU time, in clock ticks. */
  cpuTicks: number;
  /** Resident set size, in pages. */
  rssPages: number;
  /** Page faults so far (minor + major): a process gains private memory only through them. */
  faults: number;
}

/**
 * Clock ticks per second and page size as the kernel reports them to user
 * space. Linux's USER_HZ is 100 and pages are 4 KiB on the usual machines;
 * the first sample confirms both from this process's auxiliary vector
 * (`confirmProcUnits`): the kernel's own AT_CLKTCK and AT_PAGESZ, one read of
 * /proc/self/auxv, where `getconf` would cost two processes.
 */
export const procUnits = { ticks: 100, page: 4096 };
let unitsAsked = false;

/** Types of the auxiliary vector's entries (elf.h). */
const AT_PAGESZ = 6;
const AT_CLKTCK = 17;
const WORD64 = new Set(['x64', 'arm64', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el', 'mips64']);

/**
 * The entries of an auxiliary vector (/proc/PID/auxv: pairs of native words,
 * type then value, ending with type 0) as a map of type to value.
 */
export function parseAuxv(buf: Buffer, wordBytes: 4 | 8, littleEndian: boolean): Map<number, number> {
  const out = new Map<number, number>();
  const pair = 2 * wordBytes;
  for (let i = 0; i + pair <= buf.length; i += pair) {
    const word = (at: number): number =>
      wordBytes === 8
        ? Number(littleEndian ? buf.readBigUInt64LE(at) : buf.readBigUInt64BE(at))
        : littleEndian
          ? buf.readUInt32LE(at)
          : buf.readUInt32BE(at);
    const type = word(i);
    if (type === 0) break;
    out.set(type, word(i + wordBytes));
  }
  return out;
}

/** Sets procUnits from the kernel's word for this process, once (keeps the usual values where it cannot). */
export function confirmProcUnits(): void {
  if (unitsAsked || !hasProcfs) return;
  unitsAsked = true;
  try {
    const aux = parseAuxv(fs.readFileSync('/proc/self/auxv'), WORD64.has(process.arch) ? 8 : 4, os.endianness() === 'LE');
    const ticks = aux.get(AT_CLKTCK);
    const page = aux.get(AT_PAGESZ);
    if (ticks && ticks > 0) procUnits.ticks = ticks;
    if (page && page > 0) procUnits.page = page;
  } catch {
    /* keep the usual values */
  }
}

/** Parses the fields after the command name of /proc/<pid>/stat (the name may hold spaces and parentheses). */
export function parseStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const f = text.slice(close + 2).split(' ');
  // After ") ": state(0) ppid(1) pgrp(2) … starttime is field 22 of the whole line, index 19 here.
  // minflt(7) majflt(9) utime(11) stime(12) starttime(19) rss(21), see proc(5).
  const ppid = Number(f[1]);
  if (!f[0] || !Number.isFinite(ppid)) return null;
  return {
    state: f[0],
    ppid,
    startTicks: Number(f[19]),
    cpuTicks: Number(f[11]) + Number(f[12]),
    rssPages: Number(f[21]),
    faults: Number(f[7]) + Number(f[9]),
  };
}

/** Descriptors of /proc files kept open between reads, one per pid (a read is then one pread). */
class KeptFds {
  protected readonly fds = new Map<number, number>();

  forget(pid: number): void {
    const fd = this.fds.get(pid);
    if (fd !== undefined) {
      this.fds.delete(pid);
      try {
        fs.closeSync(fd);
      } catch {
        /* already closed */
      }
    }
  }

  close(): void {
    for (const pid of [...this.fds.keys()]) this.forget(pid);
  }
}

/** Reads /proc/<pid>/stat through descriptors kept open between calls. */
export class StatReader extends KeptFds {
  private readonly buf = Buffer.alloc(1024);

  read(pid: number): ProcStat | null {
    if (!hasProcfs) return null;
    let fd = this.fds.get(pid);
    try {
      if (fd === undefined) {
        fd = fs.openSync(`/proc/${pid}/stat`, 'r');
        this.fds.set(pid, fd);
      }
      const n = fs.readSync(fd, this.buf, 0, this.buf.length, 0);
      return parseStat(this.buf.toString('latin1', 0, n));
    } catch {
      this.forget(pid);
      return null;
    }
  }
}

/** Whether pid is a live process (not a zombie): its state in /proc, else whether a signal 0 reaches it. */
export function stillRuns(pid: number): boolean {
  if (hasProcfs) {
    const st = readStat(pid);
    return st !== null && st.state !== 'Z';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One-shot read of a process's stat (no kept descriptor). */
export function readStat(pid: number): ProcStat | null {
  if (!hasProcfs) return null;
  try {
    return parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return null;
  }
}

/** Every live process whose chain of parents leads to one of `roots` (roots excluded). */
export function descendantsOf(roots: Iterable<number>): number[] {
  if (!hasProcfs) return [];
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const st = readStat(pid);
    if (!st) continue;
    const list = children.get(st.ppid);
    if (list) list.push(pid);
    else children.set(st.ppid, [pid]);
  }
  const out: number[] = [];
  const seen = new Set<number>(roots);
  const stack = [...seen];
  while (stack.length) {
    const pid = stack.pop()!;
    for (const c of children.get(pid) ?? []) {
      if (seen.has(c)) continue;
      seen.add(c);
      out.push(c);
      stack.push(c);
    }
  }
  return out;
}

/** Memory of a process from /proc/<pid>/smaps_rollup, in bytes. */
export interface ProcMemory {
  /** Private_Clean + Private_Dirty (USS): what only this process holds. */
  uss: number;
  /** Proportional set size: private pages plus each shared page divided by its sharers. */
  pss: number;
  /** Shared_Clean + Shared_Dirty: resident pages other processes map too (copy-on-write after fork). */
  shared: number;
}

/** Parses /proc/<pid>/smaps_rollup (kB fields), or null when the fields are not there. */
export function parseRollup(text: string): ProcMemory | null {
  let pss = -1;
  let sc = -1;
  let sd = -1;
  let pc = -1;
  let pd = -1;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    let v: number;
    switch (key) {
      case 'Pss':
      case 'Shared_Clean':
      case 'Shared_Dirty':
      case 'Private_Clean':
      case 'Private_Dirty':
        v = parseInt(line.slice(colon + 1), 10) * 1024;
        if (!Number.isFinite(v)) return null;
        break;
      default:
        continue;
    }
    if (key === 'Pss') pss = v;
    else if (key === 'Shared_Clean') sc = v;
    else if (key === 'Shared_Dirty') sd = v;
    else if (key === 'Private_Clean') pc = v;
    else pd = v;
  }
  if (pss < 0 || sc < 0 || sd < 0 || pc < 0 || pd < 0) return null;
  return { uss: pc + pd, pss, shared: sc + sd };
}

/**
 * Reads /proc/<pid>/smaps_rollup through descriptors kept open between calls
 * (like StatReader). The kernel walks the process's page tables for each
 * read, so callers ration the reads (ProcessSampler reads a bounded number of
 * processes per tick). A pid whose file cannot be opened (older kernels,
 * another user's process) is remembered and not tried again. At most
 * ROLLUP_KEPT_FDS descriptors stay open (StatReader keeps one per process
 * already): beyond that a read opens and closes the file.
 */
export const ROLLUP_KEPT_FDS = 128;

export class RollupReader extends KeptFds {
  private readonly refused = new Set<number>();
  private readonly buf = Buffer.alloc(2048);

  read(pid: number): ProcMemory | null {
    if (!hasProcfs || this.refused.has(pid)) return null;
    let fd = this.fds.get(pid);
    try {
      if (fd === undefined) {
        try {
          fd = fs.openSync(`/proc/${pid}/smaps_rollup`, 'r');
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== 'EMFILE' && code !== 'ENFILE') this.refused.add(pid); // out of descriptors: try again later
          return null;
        }
        if (this.fds.size >= ROLLUP_KEPT_FDS) {
          try {
            const n = fs.readSync(fd, this.buf, 0, this.buf.length, 0);
            return n > 0 ? parseRollup(this.buf.toString('latin1', 0, n)) : null;
          } finally {
            fs.closeSync(fd);
          }
        }
        this.fds.set(pid, fd);
      }
      const n = fs.readSync(fd, this.buf, 0, this.buf.length, 0);
      return n > 0 ? parseRollup(this.buf.toString('latin1', 0, n)) : null;
    } catch {
      this.forget(pid);
      return null;
    }
  }

  forget(pid: number): void {
    this.refused.delete(pid);
    super.forget(pid);
  }

  close(): void {
    super.close();
    this.refused.clear();
  }
}

/** Seconds since boot (/proc/uptime), or null. With a process's start ticks, its age. */
export function uptimeSeconds(): number | null {
  if (!hasProcfs) return null;
  try {
    const n = parseFloat(fs.readFileSync('/proc/uptime', 'latin1'));
    return Number.isFinite(n) ? n : null;
  } catch {
    return null;
  }
}

/** The children of a process, from /proc/<pid>/task/<tid>/children of each of its threads ([] where unknown). */
export function childrenOf(pid: number): number[] {
  if (!hasProcfs) return [];
  const out: number[] = [];
  let tids: string[];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      for (const k of fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'latin1').split(' ')) {
        const n = Number(k);
        if (k && Number.isInteger(n) && n > 0) out.push(n);
      }
    } catch {
      /* a thread that ended meanwhile, or a kernel without the file */
    }
  }
  return out;
}

/** A process's argv from /proc/<pid>/cmdline (null when it cannot be read, [] for a zombie or kernel thread). */
export function readCmdline(pid: number): string[] | null {
  if (!hasProcfs) return null;
  try {
    const text = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const parts = text.split('\0');
    if (parts.length && parts[parts.length - 1] === '') parts.pop();
    return parts;
  } catch {
    return null;
  }
}

/**
 * The exit code of a zombie (exited, not reaped) from field 52 of /proc/<pid>/stat (Linux 3.5+), as
 * multiprocessing reports it (negative: killed by that signal); null when it is not a zombie or unknown.
 */
export function zombieExitCode(pid: number): number | null {
  if (!hasProcfs) return null;
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const close = text.lastIndexOf(')');
    const f = text
      .slice(close + 2)
      .trim()
      .split(' ');
    if (f[0] !== 'Z' || f.length < 50) return null;
    const status = Number(f[49]);
    if (!Number.isInteger(status) || status < 0) return null;
    return (status & 0x7f) === 0 ? (status >> 8) & 0xff : -(status & 0x7f);
  } catch {
    return null;
  }
}

/** The command name of a process (/proc/<pid>/comm, e.g. `systemd`, `bash`), or null where it cannot be read. */
export function readComm(pid: number): string | null {
  if (!hasProcfs) return null;
  try {
    const name = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    return name || null;
  } catch {
    return null;
  }
}

/**
 * The last process id the kernel handed out in this pid namespace: the fifth
 * field of /proc/loadavg (`0.20 0.18 0.12 1/80 11206`), read through a kept
 * descriptor. Every new process and thread takes a new id, so while it stays
 * the same no process has been created since (a child nested in a pid
 * namespace of its own takes an id in this one too). Null where unknown.
 */
export class LastPidReader {
  private fd: number | null | undefined;
  private readonly buf = Buffer.alloc(128);

  read(): number | null {
    if (!hasProcfs || this.fd === null) return null;
    try {
      this.fd ??= fs.openSync('/proc/loadavg', 'r');
      const n = fs.readSync(this.fd, this.buf, 0, this.buf.length, 0);
      return parseLastPid(this.buf.toString('latin1', 0, n));
    } catch {
      this.close();
      this.fd = null; // not again
      return null;
    }
  }

  close(): void {
    if (typeof this.fd === 'number') {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already closed */
      }
    }
    this.fd = undefined;
  }
}

/** The last pid from the text of /proc/loadavg, or null. */
export function parseLastPid(text: string): number | null {
  const n = Number(text.trim().split(/\s+/)[4]);
  return Number.isInteger(n) && n > 0 ? n : null;
}

/**
 * The run's output as whole lines for VS Code's output channel, each prefixed
 * with where it came from: AttributedLines names the process that wrote each
 * line where the recording says so (outputLabel), else the script. Pure code
 * (no VS Code import): tested in plain Node.
 */

export type Stream = 'stdout' | 'stderr';

/** multiprocessing's own names for a Process the script did not name ("Process-1", "SpawnProcess-2:1"). */
const DEFAULT_PROCESS_NAME = /^(?:|Fork|Spawn|ForkServer)Process-\d+(?::\d+)*$/;

/**
 * How the output channel names a process: the script's file name for the main process, the name the script
 * gave a Process (as the inspector shows it), its target function's name when it kept multiprocessing's default
 * name, else its name ("ForkPoolWorker-1"); then the pid. "[greeter 4312]", "[work 4313]", "[demo.py 4310]".
 */
export function outputLabel(p: { role: string; name: string; target: string | null } | undefined, pid: number, scriptBase: string): string {
  const who = !p
    ? 'pid'
    : p.role === 'main'
      ? scriptBase
      : DEFAULT_PROCESS_NAME.test(p.name) && p.target
        ? p.target.slice(p.target.lastIndexOf('.') + 1)
        : p.name;
  return `${who} ${pid}`;
}

/**
 * The run's output as whole lines, each prefixed with the process that wrote
 * it where the recording says so. The pipe's bytes are the truth (every byte
 * is shown once); the runtime's `out` events say which process's Python wrote
 * which text. Several processes share the pipe, and an unbuffered print is two
 * writes (its text, then its newline), so one process's line can reach the
 * pipe cut by another's write. The pipe is therefore read a write at a time:
 * its next bytes go to the process whose recorded, not yet matched text starts
 * with the most of them (when several tie, the one that wrote first), and each
 * process's line is shown when its own newline arrives, whole. A partial match
 * is taken only where it is evidently a write's end: all that process has
 * recorded, a newline, or where another process's recorded text takes over;
 * otherwise it is cut back to its last newline, or waits for the records.
 * Bytes no recorded write explains (C code or a non-Python child writing to
 * the descriptor, a cap, events not arrived yet) wait at most `holdMs` for the
 * records, then are shown a line at a time with the script-name prefix.
 * Pure code (no VS Code import): tested in plain Node.
 */
type Texts = { text: string; times: { t: number; n: number }[]; last?: number };

export class AttributedLines {
  /** stream → pipe bytes not yet attributed, and when each piece of them arrived. */
  private readonly pipe: Record<Stream, Texts> = { stdout: { text: '', times: [] }, stderr: { text: '', times: [] } };
  /** stream → pid → recorded text not matched yet, and the times of its pieces. */
  private readonly recorded: Record<Stream, Map<number, Texts>> = { stdout: new Map(), stderr: new Map() };
  /** stream → writer (a pid, or null for bytes no record explains) → its unfinished line. */
  private readonly partial: Record<Stream, Map<number | null, string>> = { stdout: new Map(), stderr: new Map() };
  static readonly MAX_TEXT = 1024 * 1024;

  constructor(
    private readonly fallback: string,
    private readonly emit: (line: string) => void,
    private readonly label: (pid: number) => string,
    private readonly holdMs = 500,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Bytes from the pipe (decoded). */
  write(stream: Stream, text: string): void {
    if (!text) return;
    const p = this.pipe[stream];
    p.text += text;
    p.times.push({ t: this.now(), n: text.length });
    this.pump();
  }

  /**
   * A recorded run of writes (`out` event) of process `pid` at time `t`; `writes`, when the run is more than
   * one write, is `[length, µs after t, …]` of each (lengths in code points, as Python counts).
   */
  recordedWrite(pid: number, t: number, stream: Stream, text: string, pump = true, writes?: unknown): void {
    let r = this.recorded[stream].get(pid);
    if (!r) this.recorded[stream].set(pid, (r = { text: '', times: [] }));
    r.text += text;
    r.times.push(...pieces(t, text, writes));
    if (r.text.length > AttributedLines.MAX_TEXT) consume(r, r.text.length - AttributedLines.MAX_TEXT);
    if (pump) this.pump();
  }

  /** The `out` events of a batch of recording records. */
  records(records: readonly unknown[]): void {
    for (const rec of records) {
      if (!Array.isArray(rec) || rec[0] !== 'ev' || typeof rec[1] !== 'number' || !Array.isArray(rec[2])) continue;
      for (const ev of rec[2]) {
        if (Array.isArray(ev) && ev[0] === 'out' && typeof ev[3] === 'string')
          this.recordedWrite(rec[1], Number(ev[1]) || 0, ev[2] === 'stderr' ? 'stderr' : 'stdout', ev[3], false, ev[4]);
      }
    }
    this.pump();
  }

  /** Attributes every pipe byte that can be attributed now (and bytes that waited `holdMs` to no one); emits finished lines. */
  pump(final = false): void {
    for (const stream of ['stdout', 'stderr'] as const) this.pumpStream(stream, final);
  }

  /** At the end of the run: everything still waiting, and every unfinished line. */
  flush(): void {
    this.pump(true);
    for (const stream of ['stdout', 'stderr'] as const) {
      for (const [who, text] of this.partial[stream]) if (text) this.line(stream, who, text);
      this.partial[stream].clear();
    }
  }

  private pumpStream(stream: Stream, final: boolean): void {
    const p = this.pipe[stream];
    const recorded = this.recorded[stream];
    while (p.text) {
      const [pid, n] = this.next(recorded, p.text, this.partial[stream]);
      if (pid !== null && n > 0) {
        consume(recorded.get(pid)!, n);
        this.take(stream, pid, n);
        continue;
      }
      if (this.resync(recorded, p.text)) continue;
      if (!final && this.now() - p.times[0].t < this.holdMs) return;
      // Waited long enough: the longest match even where it is not evidently a write's end, else no one's.
      if (pid !== null) {
        consume(recorded.get(pid)!, -n);
        this.take(stream, pid, -n);
        continue;
      }
      const nl = p.text.indexOf('\n');
      this.take(stream, null, nl < 0 ? p.text.length : nl + 1);
    }
  }

  /**
   * Who wrote the pipe's next bytes, and how many of them. First, a whole recorded write at the pipe's start:
   * the earliest (the pipe holds writes in the order they were made). Else (a write not all in the pipe yet,
   * or split in it), the writer whose recorded text starts with the most of them, cut back to where that is
   * evidently a write's end (all it has recorded, a newline, or where another writer's recorded text takes
   * over); when several tie, the one that wrote first. A negative count is a match to take only after waiting:
   * not evidently a write's end, or a lone newline that could end another writer's unfinished line until its
   * records arrive. Null: no writer's recorded text starts with these bytes.
   */
  private next(recorded: Map<number, Texts>, text: string, partial: Map<number | null, string>): [number | null, number] {
    // A whole write at the pipe's start: the earliest one recorded (the pipe has them in the order they were
    // made); of two at the same time, the longer.
    let first: number | null = null;
    let firstN = 0;
    let firstT = Infinity;
    for (const [pid, r] of recorded) {
      const w = r.times[0];
      if (w && w.n <= text.length && (w.t < firstT || (w.t === firstT && w.n > firstN)) && common(r.text, text, 0) >= w.n) {
        first = pid;
        firstN = w.n;
        firstT = w.t;
      }
    }
    if (first !== null) {
      // A lone newline (an unbuffered print's end) could also end another writer's unfinished line whose next
      // records have not arrived: wait for them (or holdMs) when that line was written before it.
      if (firstN === 1 && text.charCodeAt(0) === 10) {
        for (const [pid, line] of partial) {
          const r = pid !== null && pid !== first ? recorded.get(pid) : undefined;
          if (line && r && !r.times.length && (r.last ?? -Infinity) <= firstT) return [first, -1];
        }
      }
      return [first, firstN];
    }
    const found: { pid: number; n: number; t: number; whole: boolean }[] = [];
    for (const [pid, r] of recorded) {
      if (!r.times.length) continue;
      const n = common(r.text, text, 0);
      if (n > 0) found.push({ pid, n, t: r.times[0].t, whole: n === r.text.length });
    }
    if (!found.length) return [null, 0];
    found.sort((a, b) => b.n - a.n || a.t - b.t);
    let best: number | null = null;
    let bestM = 0;
    let bestT = Infinity;
    for (const f of found) {
      if (f.n < bestM) break;
      const evident = f.whole || text.charCodeAt(f.n - 1) === 10 || this.takesOver(recorded, text, f.n, f.pid);
      const m = evident ? f.n : text.lastIndexOf('\n', f.n - 1) + 1; // else cut back to its last newline (0: none)
      if (m > bestM || (m === bestM && m > 0 && f.t < bestT)) {
        best = f.pid;
        bestM = m;
        bestT = f.t;
      }
    }
    if (bestM > 0) return [best, bestM];
    return [found[0].pid, -found[0].n];
  }

  /** True if a writer other than `except` has recorded text that starts with the pipe's bytes from `at`. */
  private takesOver(recorded: Map<number, Texts>, text: string, at: number, except: number): boolean {
    for (const [pid, r] of recorded) if (pid !== except && r.times.length && common(r.text, text, at) > 0) return true;
    return false;
  }

  /**
   * A writer whose recorded text has the pipe's next line after a start the pipe never matched (its earlier
   * text was shown to no one after waiting, or never reached the pipe): that start is dropped. True if found.
   */
  private resync(recorded: Map<number, Texts>, text: string): boolean {
    const nl = text.indexOf('\n');
    if (nl <= 0) return false; // (an empty line is no anchor: any blank line, or a pending newline, has one)
    const line = '\n' + text.slice(0, nl + 1);
    let best: Texts | undefined;
    let skip = 0;
    let bestT = Infinity;
    for (const r of recorded.values()) {
      const i = r.text.slice(0, 65536).indexOf(line);
      if (i >= 0 && r.times.length && r.times[0].t < bestT) {
        best = r;
        bestT = r.times[0].t;
        skip = i + 1;
      }
    }
    if (!best) return false;
    consume(best, skip);
    return true;
  }

  /** The pipe's next `n` bytes are `who`'s: they join its unfinished line; each line they finish is shown. */
  private take(stream: Stream, who: number | null, n: number): void {
    const p = this.pipe[stream];
    const lines = ((this.partial[stream].get(who) ?? '') + p.text.slice(0, n)).split('\n');
    consume(p, n);
    this.partial[stream].set(who, lines.pop()!);
    for (const l of lines) this.line(stream, who, l);
  }

  private line(stream: Stream, who: number | null, text: string): void {
    const name = who === null ? this.fallback : this.label(who);
    this.emit(`[${name}${stream === 'stderr' ? ' stderr' : ''}] ${text.replace(/\r$/, '')}`);
  }
}

/** How many characters `a` and `b` from `from` share at their start. */
function common(a: string, b: string, from: number): number {
  const max = Math.min(a.length, b.length - from);
  let n = 0;
  while (n < max && a.charCodeAt(n) === b.charCodeAt(from + n)) n++;
  return n;
}

/**
 * The pieces of a recorded run: one per write, each with its time, from `writes` (`[length, µs after t, …]`,
 * lengths in code points); the whole run as one piece when `writes` is absent or does not add up.
 */
function pieces(t: number, text: string, writes: unknown): { t: number; n: number }[] {
  const whole = [{ t, n: text.length }];
  if (!Array.isArray(writes) || writes.length < 4 || writes.length % 2) return whole;
  const out: { t: number; n: number }[] = [];
  const astral = /[\uD800-\uDBFF]/.test(text);
  let at = 0;
  for (let i = 0; i < writes.length; i += 2) {
    const points = writes[i];
    const us = writes[i + 1];
    if (typeof points !== 'number' || typeof us !== 'number' || !(points > 0)) return whole;
    let n = points;
    if (astral) {
      // Python counts code points; a JavaScript string, UTF-16 units: a code point above U+FFFF is two.
      n = 0;
      for (let k = 0; k < points; k++) n += (text.codePointAt(at + n) ?? 0) > 0xffff ? 2 : 1;
    }
    out.push({ t: t + us / 1e6, n });
    at += n;
  }
  return at === text.length ? out : whole;
}

/** Drops the first `n` characters of `r`, and the times of the pieces they were. */
function consume(r: Texts, n: number): void {
  r.text = r.text.slice(n);
  while (n > 0 && r.times.length) {
    const first = r.times[0];
    r.last = first.t;
    if (first.n <= n) {
      n -= first.n;
      r.times.shift();
    } else {
      first.n -= n;
      n = 0;
    }
  }
}

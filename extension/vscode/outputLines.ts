/**
 * The run's output as whole lines for VS Code's output channel, each prefixed
 * with where it came from: PrefixedLines names the script (and the stream);
 * AttributedLines names the process that wrote each line where the recording
 * says so (outputLabel). Pure code (no VS Code import): tested in plain Node.
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

export class PrefixedLines {
  private partial: Record<Stream, string> = { stdout: '', stderr: '' };

  constructor(
    private readonly prefix: string,
    private readonly emit: (line: string) => void,
  ) {}

  /** Takes a chunk of output; emits every line it completes. */
  write(stream: Stream, text: string): void {
    const lines = (this.partial[stream] + text).split('\n');
    this.partial[stream] = lines.pop()!;
    for (const l of lines) this.line(stream, l);
  }

  /** Emits what is left of unfinished lines (at the end of the run). */
  flush(): void {
    for (const s of ['stdout', 'stderr'] as const) if (this.partial[s]) this.line(s, this.partial[s]);
    this.partial = { stdout: '', stderr: '' };
  }

  private line(stream: Stream, l: string): void {
    this.emit(`[${this.prefix}${stream === 'stderr' ? ' stderr' : ''}] ${l.replace(/\r$/, '')}`);
  }
}

/**
 * The run's output as whole lines, each prefixed with the process that wrote
 * it where the recording says so. The pipe's bytes are the truth (every line,
 * in the order the pipe gave, both streams together); the runtime's `out`
 * events say which process's Python wrote which text. A pipe line is
 * attributed to the process whose recorded, not yet matched text on that
 * stream starts with exactly that line (when several do, the one that wrote it
 * first). A line no recorded write explains (C code or a non-Python child
 * writing to the descriptor, a cap, events not arrived yet) waits at most
 * `holdMs` for the records, then gets the script-name prefix as before.
 * Pure code (no VS Code import): tested in plain Node.
 */
export class AttributedLines {
  private partial: Record<Stream, string> = { stdout: '', stderr: '' };
  private readonly pending: { stream: Stream; text: string; at: number; last: boolean }[] = [];
  /** stream → pid → recorded text not matched yet, and the times of its pieces. */
  private readonly recorded: Record<Stream, Map<number, { text: string; times: { t: number; n: number }[] }>> = {
    stdout: new Map(),
    stderr: new Map(),
  };
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
    const lines = (this.partial[stream] + text).split('\n');
    this.partial[stream] = lines.pop()!;
    const at = this.now();
    for (const l of lines) this.pending.push({ stream, text: l, at, last: false });
    this.pump();
  }

  /** A recorded write (`out` event) of process `pid` at time `t`. */
  recordedWrite(pid: number, t: number, stream: Stream, text: string, pump = true): void {
    let r = this.recorded[stream].get(pid);
    if (!r) this.recorded[stream].set(pid, (r = { text: '', times: [] }));
    r.text += text;
    r.times.push({ t, n: text.length });
    if (r.text.length > AttributedLines.MAX_TEXT) this.consume(r, r.text.length - AttributedLines.MAX_TEXT);
    if (pump) this.pump();
  }

  /** The `out` events of a batch of recording records. */
  records(records: readonly unknown[]): void {
    for (const rec of records) {
      if (!Array.isArray(rec) || rec[0] !== 'ev' || typeof rec[1] !== 'number' || !Array.isArray(rec[2])) continue;
      for (const ev of rec[2]) {
        if (Array.isArray(ev) && ev[0] === 'out' && typeof ev[3] === 'string')
          this.recordedWrite(rec[1], Number(ev[1]) || 0, ev[2] === 'stderr' ? 'stderr' : 'stdout', ev[3], false);
      }
    }
    this.pump();
  }

  /** Emits every line that can be attributed now, and lines that waited `holdMs` with the fallback prefix. */
  pump(final = false): void {
    const now = this.now();
    while (this.pending.length) {
      const line = this.pending[0];
      const pid = this.match(line.stream, line.last ? line.text : line.text + '\n');
      if (pid === null && !final && now - line.at < this.holdMs) return;
      this.pending.shift();
      const who = pid === null ? this.fallback : this.label(pid);
      this.emit(`[${who}${line.stream === 'stderr' ? ' stderr' : ''}] ${line.text.replace(/\r$/, '')}`);
    }
  }

  /** At the end of the run: unfinished lines too, and everything still waiting. */
  flush(): void {
    for (const s of ['stdout', 'stderr'] as const) {
      if (this.partial[s]) this.pending.push({ stream: s, text: this.partial[s], at: this.now(), last: true });
    }
    this.partial = { stdout: '', stderr: '' };
    this.pump(true);
  }

  private match(stream: Stream, text: string): number | null {
    let best: number | null = null;
    let bestT = Infinity;
    for (const [pid, r] of this.recorded[stream]) {
      if (r.text.startsWith(text) && r.times.length && r.times[0].t < bestT) {
        best = pid;
        bestT = r.times[0].t;
      }
    }
    if (best === null) {
      // Resynchronise: a process whose recorded text has this line after an unmatched start (its
      // earlier text reached the pipe cut by another process's write).
      let skip = 0;
      for (const [pid, r] of this.recorded[stream]) {
        const i = r.text.slice(0, 65536).indexOf('\n' + text);
        if (i >= 0 && r.times.length && r.times[0].t < bestT) {
          best = pid;
          bestT = r.times[0].t;
          skip = i + 1;
        }
      }
      if (best === null) return null;
      this.consume(this.recorded[stream].get(best)!, skip);
    }
    this.consume(this.recorded[stream].get(best)!, text.length);
    return best;
  }

  private consume(r: { text: string; times: { t: number; n: number }[] }, n: number): void {
    r.text = r.text.slice(n);
    while (n > 0 && r.times.length) {
      const first = r.times[0];
      if (first.n <= n) {
        n -= first.n;
        r.times.shift();
      } else {
        first.n -= n;
        n = 0;
      }
    }
  }
}

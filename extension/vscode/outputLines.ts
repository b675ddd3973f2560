/**
 * The run's output as whole lines, each prefixed with where it came from.
 * The supervisor passes stdout/stderr through as bytes from one pipe per
 * stream, shared by every process of the run, so a line cannot be attributed
 * to the PID that wrote it: the prefix names the script (and the stream).
 * Pure code (no VS Code import): tested in plain Node.
 */

export type Stream = 'stdout' | 'stderr';

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

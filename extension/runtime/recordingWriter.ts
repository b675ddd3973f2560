/**
 * Writes a recording as the run goes: the header at once, then records
 * appended in batches every `flushMs`, so a crash or kill of the supervisor
 * loses at most that interval and leaves a loadable file (a cut last line is
 * ignored by the reader).
 */

import * as fs from 'node:fs';
import type { RecordingHeader, RecordLine } from '../../core/model/recording';

export class RecordingWriter {
  private fd: number | null;
  private chunks: string[] = [];
  private size = 0;
  private readonly timer: NodeJS.Timeout;
  /** Set when a write failed (disk full, file removed): later records are dropped, earlier ones kept. */
  error: Error | null = null;

  constructor(
    readonly path: string,
    header: RecordingHeader,
    flushMs = 100,
  ) {
    this.fd = fs.openSync(path, 'w');
    fs.writeSync(this.fd, JSON.stringify(header) + '\n');
    this.timer = setInterval(() => this.flush(), flushMs);
    this.timer.unref();
  }

  /** Appends a record. */
  write(record: RecordLine): void {
    this.writeRaw(JSON.stringify(record));
  }

  /** Appends a batch line without re-encoding its events (they arrived as JSON). */
  writeBatch(pid: number, rawEvents: string): void {
    this.writeRaw(`["ev",${pid},${rawEvents}]`);
  }

  private writeRaw(line: string): void {
    if (this.fd === null) return;
    this.chunks.push(line, '\n');
    this.size += line.length + 1;
    if (this.size > 4 * 1024 * 1024) this.flush();
  }

  /** Writes what is buffered. */
  flush(): void {
    if (this.fd === null || this.chunks.length === 0) return;
    const text = this.chunks.join('');
    this.chunks = [];
    this.size = 0;
    try {
      fs.writeSync(this.fd, text);
    } catch (e) {
      this.error = e as Error;
      this.closeFd();
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.flush();
    this.closeFd();
  }

  private closeFd(): void {
    if (this.fd === null) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      /* nothing more to lose */
    }
    this.fd = null;
  }
}

/**
 * The per-run event socket: a Unix socket in a private (0700) directory that
 * accepts only connections that open with a hello carrying the run's secret
 * (docs/runtime-protocol.md). Each accepted connection is one Python process;
 * its lines are batches of events. Anything else is refused without crashing.
 */

import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RuntimeEvent } from '../../core/model/recording';

/** Longest hello line accepted; a client that sends more without a newline is cut off. */
const MAX_HELLO_BYTES = 4096;
/** Longest batch line accepted (a runtime batch is far smaller). */
const MAX_LINE_BYTES = 64 * 1024 * 1024;
/** A client that has not said hello by then is cut off. */
const HELLO_TIMEOUT_MS = 10_000;

export interface EventServerHandlers {
  /** A process connected with the right secret. Return false to refuse it (process cap). */
  onHello(pid: number, ppid: number | null): boolean;
  /** A batch of events from a process; `raw` is the line as received (valid JSON). */
  onBatch(pid: number, events: RuntimeEvent[], raw: string): void;
  /** The process's connection ended. */
  onBye(pid: number): void;
  /** A connection was refused (wrong secret, garbage, too long). */
  onRefused(reason: string): void;
}

export class EventServer {
  readonly dir: string;
  readonly socketPath: string;
  readonly secret: string;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private closed = false;
  private handlers: EventServerHandlers | null = null;
  /** Connections accepted before `serve` named their handlers. */
  private readonly waiting: net.Socket[] = [];

  private constructor(dir: string | null = null, secret: string | null = null) {
    if (dir === null) {
      this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'forkscope-'));
      fs.chmodSync(this.dir, 0o700);
    } else {
      this.dir = dir;
    }
    this.socketPath = path.join(this.dir, 'events.sock');
    // node:crypto costs 5-9 ms to load, on the way to the bind of a run the shell launcher started (which
    // brings its own secret): loaded only to make one.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    this.secret = secret ?? (require('node:crypto') as typeof import('node:crypto')).randomBytes(24).toString('hex');
    this.server = net.createServer((socket) => (this.handlers ? this.accept(socket) : this.waiting.push(socket)));
  }

  /**
   * Creates the private directory and binds the socket at once: it exists when
   * this returns, so a script can be started before anything else is ready (the
   * CLI starts Python this way before the rest of itself has loaded).
   * Connections wait for `serve`. Throws when the socket cannot be bound.
   */
  static open(): EventServer {
    return new EventServer().bind();
  }

  /**
   * Binds the socket in a private directory named by someone else, with the secret they chose: the `forkscope`
   * shell launcher's, which started Python before Node (launch.ts, adoptEarly). Whichever of this process and
   * the script's runtime comes first makes the directory (0700); it must then be this user's own, a real
   * directory, and closed to everyone else, as `open` makes it; else this throws.
   */
  static adopt(dir: string, secret: string): EventServer {
    privateDir(dir);
    if (!/^[0-9a-f]{32,}$/.test(secret)) throw new Error('the secret is malformed');
    return new EventServer(dir, secret).bind();
  }

  private bind(): this {
    this.server.on('error', () => undefined); // (a bind failure is thrown below, a later one ends nothing)
    this.server.listen(this.socketPath);
    try {
      fs.chmodSync(this.socketPath, 0o600);
    } catch (e) {
      this.server.close();
      fs.rmSync(this.dir, { recursive: true, force: true });
      throw e;
    }
    return this;
  }

  /** Hands every connection, those already waiting first, to `handlers`. */
  serve(handlers: EventServerHandlers): this {
    this.handlers = handlers;
    for (const socket of this.waiting.splice(0)) this.accept(socket);
    return this;
  }

  /** Creates the private directory, starts listening and serves `handlers`. */
  static listen(handlers: EventServerHandlers): EventServer {
    return EventServer.open().serve(handlers);
  }

  private accept(socket: net.Socket): void {
    const handlers = this.handlers!;
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.setEncoding('utf8');
    let pending = '';
    let pid: number | null = null;
    const refuse = (reason: string) => {
      handlers.onRefused(reason);
      socket.destroy();
    };
    const timer = setTimeout(() => refuse('no hello in time'), HELLO_TIMEOUT_MS);
    timer.unref();

    const handleLine = (line: string): boolean => {
      if (pid === null) {
        clearTimeout(timer);
        let hello: { hello?: unknown; secret?: unknown; pid?: unknown; ppid?: unknown };
        try {
          hello = JSON.parse(line);
        } catch {
          refuse('first line is not a hello');
          return false;
        }
        if (!hello || hello.hello !== 1 || typeof hello.secret !== 'string' || !safeEqual(hello.secret, this.secret)) {
          refuse('wrong or missing secret');
          return false;
        }
        if (typeof hello.pid !== 'number' || !Number.isInteger(hello.pid) || hello.pid <= 0) {
          refuse('hello without a pid');
          return false;
        }
        pid = hello.pid;
        const ppid = typeof hello.ppid === 'number' ? hello.ppid : null;
        if (!handlers.onHello(pid, ppid)) {
          pid = null;
          socket.destroy();
          return false;
        }
        return true;
      }
      let events: unknown;
      try {
        events = JSON.parse(line);
      } catch {
        handlers.onRefused(`unreadable batch from pid ${pid}`);
        return true;
      }
      if (Array.isArray(events)) handlers.onBatch(pid, events as RuntimeEvent[], line);
      return true;
    };

    socket.on('data', (chunk: string) => {
      let start = 0;
      let nl = chunk.indexOf('\n');
      if (nl === -1) {
        pending += chunk;
      } else {
        while (nl !== -1) {
          const line = pending ? pending + chunk.slice(start, nl) : chunk.slice(start, nl);
          pending = '';
          if (line && !handleLine(line)) return;
          start = nl + 1;
          nl = chunk.indexOf('\n', start);
        }
        pending = chunk.slice(start);
      }
      const limit = pid === null ? MAX_HELLO_BYTES : MAX_LINE_BYTES;
      if (pending.length > limit) {
        if (pid === null) refuse('hello too long');
        else {
          handlers.onRefused(`line too long from pid ${pid}`);
          pending = '';
        }
      }
    });
    const done = () => {
      clearTimeout(timer);
      this.sockets.delete(socket);
      if (pid !== null) {
        const p = pid;
        pid = null;
        handlers.onBye(p);
      }
    };
    socket.on('close', done);
    socket.on('error', () => socket.destroy());
  }

  /** Number of processes connected now. */
  get connections(): number {
    return this.sockets.size;
  }

  /** Stops accepting, ends every connection, and removes the private directory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sockets) s.destroy();
    for (const s of this.waiting.splice(0)) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Compares every byte whatever the first difference (no early exit for a guessing client to time). */
function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  if (x.length !== y.length) return false;
  let diff = 0;
  for (let i = 0; i < x.length; i++) diff |= x[i] ^ y[i];
  return diff === 0;
}

/** Makes `dir` (0700) unless it is there, and checks that it is this user's own private directory. Throws if not. */
export function privateDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = fs.lstatSync(dir);
  const uid = process.getuid?.() ?? st.uid;
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) throw new Error(`${dir} is not a private folder of this user`);
}

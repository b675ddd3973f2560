/**
 * This user's warm supervisor for the terminal (docs/cli.md, "The warm supervisor"): `forkscope serve --warm
 * SOCKET`, a Node process that a cold `forkscope record` leaves behind (leaveWarm), and that records the next
 * runs of the `forkscope` command, so that none of them waits for a Node to start.
 *
 * The shell launcher (launcher.sh) sees its socket, starts the interpreter as for a cold run and stays its parent.
 * The interpreter hands the run over this socket (forkscope_runtime/warm.py): one JSON line with the command line,
 * the working folder, the environment, its pid and the shell's, and the run's folder and secret. This process
 * plans the run as `record` would (launch.ts, planRecordNow), binds the run's event socket in that folder, opens
 * the folder's two FIFOs, answers `ok`, and supervises the script as it would a child it adopted. The shell passes
 * on the terminal's Ctrl-C, SIGTERM and SIGHUP on `ctl`, and then how the script ended, which only a parent can
 * know; this process answers on `done` with what the command says, and waits for the next run.
 *
 * One run at a time: a second command meanwhile is told `busy` and runs with a Node of its own, as does one of
 * another build or install of Forkscope (`stale`: this process then ends, and that run leaves one of its own).
 * It ends by itself after FORKSCOPE_WARM_IDLE seconds without a run (default 600), when its socket is no longer
 * its own (removed, or taken by another), or on SIGTERM; it is never in a terminal (a session of its own, stdio
 * on /dev/null). FORKSCOPE_WARM=0 asks for none. Its pid is in `warm.pid` beside the socket.
 */

import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { EventServer, privateDir } from './eventServer';
import { planRecordNow, signalName, type ScriptExit, type StartedScript } from './launch';
import { childProcess } from './childProcess';
import { pythonRoot } from './paths';
import { stillRuns } from './procfs';
import { writeCacheFile } from './userCache';
import { RunSupervisor } from './supervisor';
import { endLines, interruptions } from './terminalRun';
import { WARM_PID_FILE } from './warmControl';

/** Default seconds without a run before the warm supervisor ends. */
export const WARM_IDLE_SECONDS = 600;
/** How often it checks that its socket is still its own (and how late an idle end can come). */
const CHECK_MS = 2000;
/** The longest request line taken (the environment is in it). */
const MAX_REQUEST_BYTES = 1 << 20;

/** A file's identity, to tell whether it is the one this process started from. */
function stamp(file: string): string {
  const st = fs.statSync(file);
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}

/** The files of this build that a run depends on: the command (dist/cli.js) and this bundle. */
function buildStamp(): string {
  return ['cli.js', 'cli-record.js'].map((f) => stamp(path.join(__dirname, f))).join(' ');
}

interface WarmRequest {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** The script's main process. */
  pid: number;
  /** The shell launcher waiting for it (its parent, the `forkscope` command). */
  shell: number;
  dir: string;
  secret: string;
  /** The runtime's folder of the build that started it: another build is not served. */
  root: string;
  tty: boolean;
  startedAt: number;
}

function asRequest(m: unknown): WarmRequest | null {
  const r = m as Partial<WarmRequest> & { run?: unknown };
  if (!r || typeof r !== 'object' || r.run !== 1) return null;
  const strings = (a: unknown) => Array.isArray(a) && a.every((x) => typeof x === 'string');
  if (!strings(r.argv) || typeof r.cwd !== 'string' || !r.env || typeof r.env !== 'object') return null;
  if (!Number.isInteger(r.pid) || (r.pid as number) <= 1 || !Number.isInteger(r.shell) || (r.shell as number) <= 1) return null;
  if (typeof r.dir !== 'string' || typeof r.secret !== 'string' || typeof r.root !== 'string' || typeof r.startedAt !== 'number')
    return null;
  return { ...(r as WarmRequest), tty: r.tty === true };
}

/** `serve --warm SOCKET`: serves runs until idle (see the top of this file). Resolves with the exit status. */
export async function serveWarm(socketPath: string, idleSeconds: number): Promise<number> {
  const dir = path.dirname(socketPath);
  privateDir(dir); // (leaveWarm made it: a folder removed since, a test's, is not made again)
  if (await answers(socketPath)) return 0; // another is there already
  const build = buildStamp();
  const ownRoot = realPath(pythonRoot());

  let busy = false;
  let lastRun = Date.now();
  let ended: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (ended = resolve));

  const server = net.createServer((conn) => {
    if (busy) {
      conn.end(`${JSON.stringify({ ok: false, why: 'busy' })}\n`);
      return;
    }
    busy = true;
    void serveOne(conn).finally(() => {
      busy = false;
      lastRun = Date.now();
    });
  });

  /** One run: the request, the answer, the supervision, the end. */
  async function serveOne(conn: net.Socket): Promise<void> {
    const request = asRequest(await firstLine(conn));
    if (!request) {
      conn.destroy();
      return;
    }
    const refuse = (why: string) => conn.end(`${JSON.stringify({ ok: false, why })}\n`);
    if (realPath(request.root) !== ownRoot || safeStamp() !== build) {
      refuse('stale');
      ended();
      return;
    }
    let plan;
    let server: EventServer;
    // (Both FIFOs opened read-write: neither open waits for the shell, and `ctl` never reads an end of file.)
    const fds: number[] = [];
    try {
      plan = request.argv[0] === 'record' ? planRecordNow(request.argv.slice(1), request.env, request.cwd) : null;
      if (!plan || plan.ipc) throw new Error('not a run this supervisor plans without a probe');
      for (const name of ['ctl', 'done']) {
        const file = path.join(request.dir, name);
        if (!fs.lstatSync(file).isFIFO()) throw new Error(`${file} is not a FIFO`);
        fds.push(fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW));
      }
      // Last: a refused run goes to a Node of its own, which binds the socket there.
      server = EventServer.adopt(request.dir, request.secret);
    } catch (e) {
      for (const fd of fds) fs.closeSync(fd);
      refuse(`refused: ${(e as Error).message}`);
      return;
    }
    const ctl = new net.Socket({ fd: fds[0], readable: true, writable: false });
    const done = fds[1];
    let exit: (e: ScriptExit) => void = () => undefined;
    const exited = new Promise<ScriptExit>((resolve) => (exit = resolve));
    const started: StartedScript = { server, pid: request.pid, exited, startedAt: request.startedAt, pythonFirst: true, warm: true };
    const supervisor = new RunSupervisor(plan.options, started);
    const { onInt, onTerm } = interruptions(supervisor);
    // The shell's lines: "int", "stop", then "exit N" or "signal N" once the script has ended.
    let pending = '';
    ctl.setEncoding('utf8');
    ctl.on('data', (d: string) => {
      pending += d;
      let i;
      while ((i = pending.indexOf('\n')) >= 0) {
        const [word, n] = pending.slice(0, i).split(' ');
        pending = pending.slice(i + 1);
        if (word === 'int') onInt();
        else if (word === 'stop') onTerm();
        else if (word === 'exit') exit({ code: Number(n), signal: null, error: null });
        else if (word === 'signal') exit({ code: null, signal: signalName(Number(n)), error: null });
      }
      if (pending.length > 4096) pending = '';
    });
    ctl.on('error', () => undefined);
    // A shell that is gone (killed) says nothing more: the script's end is then waited for in /proc, unknown.
    const shellWatch = setInterval(() => {
      if (!stillRuns(request.shell)) {
        clearInterval(shellWatch);
        void whenGone(request.pid).then(() => exit({ code: null, signal: null, error: null }));
      }
    }, 250);
    conn.end(`${JSON.stringify({ ok: true })}\n`);
    let say: string[] = [];
    try {
      const result = await supervisor.run();
      say = endLines(result, request.cwd, request.tty && !plan.args.quiet);
    } finally {
      clearInterval(shellWatch);
      ctl.destroy();
      try {
        fs.writeSync(done, say.map((l) => `say ${l}\n`).join('') + 'end\n');
      } catch {
        /* the shell is gone */
      }
      fs.closeSync(done);
    }
  }

  function safeStamp(): string | null {
    try {
      return buildStamp();
    } catch {
      return null;
    }
  }

  // Bound under a name of its own, then renamed into place: a command sees either no socket or one that answers.
  const tmp = `${socketPath}.${process.pid}.tmp`;
  fs.rmSync(tmp, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(tmp, () => {
      server.off('error', reject);
      resolve();
    });
  });
  fs.renameSync(tmp, socketPath);
  const bound = fs.statSync(socketPath).ino;
  const pidFile = path.join(dir, WARM_PID_FILE);
  writeCacheFile(pidFile, `${process.pid}\n`);
  const ours = () => {
    try {
      return fs.statSync(socketPath).ino === bound;
    } catch {
      return false;
    }
  };

  const timer = setInterval(
    () => {
      if (!ours() || (!busy && Date.now() - lastRun > idleSeconds * 1000)) ended();
    },
    Math.min(CHECK_MS, Math.max(100, idleSeconds * 250)),
  );
  process.once('SIGTERM', () => ended());
  process.once('SIGHUP', () => ended());
  await done;
  clearInterval(timer);
  // No new run from here on; one under way is seen to its end.
  if (ours()) fs.rmSync(socketPath, { force: true });
  try {
    if (fs.readFileSync(pidFile, 'utf8').trim() === String(process.pid)) fs.rmSync(pidFile, { force: true });
  } catch {
    /* gone already */
  }
  server.close();
  while (busy) await new Promise((r) => setTimeout(r, 50));
  return 0;
}

/** Whether a supervisor answers on `socketPath` (a connection is taken, and given up at once). */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(socketPath);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/** The first line a connection sends, as JSON; null at its end, or when it is not JSON or too long. */
function firstLine(conn: net.Socket): Promise<unknown> {
  return new Promise((resolve) => {
    let buf = '';
    conn.setEncoding('utf8');
    const finish = (v: unknown) => {
      conn.removeAllListeners('data');
      resolve(v);
    };
    conn.on('data', (d: string) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i >= 0) {
        try {
          finish(JSON.parse(buf.slice(0, i)));
        } catch {
          finish(null);
        }
      } else if (buf.length > MAX_REQUEST_BYTES) finish(null);
    });
    conn.on('end', () => finish(null));
    conn.on('error', () => finish(null));
  });
}

/** A path with its links resolved (an install is reached by more than one path: npm links its command), or null. */
function realPath(p: string): string | null {
  try {
    return fs.realpathSync(p);
  } catch {
    return null;
  }
}

/** Resolves when `pid` no longer runs (or is a zombie): polled in /proc. */
function whenGone(pid: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setInterval(() => {
      if (!stillRuns(pid)) {
        clearInterval(t);
        resolve();
      }
    }, 100);
  });
}

/**
 * At the end of a cold run in a terminal: leaves a warm supervisor at `socketPath` for the next run, unless one is
 * there (or FORKSCOPE_WARM=0). It starts in a session of its own, detached from this command, which does not wait
 * for it.
 */
export function leaveWarm(socketPath: string, env: NodeJS.ProcessEnv = process.env): void {
  if (env.FORKSCOPE_WARM === '0' || fs.existsSync(socketPath)) return;
  try {
    fs.mkdirSync(path.dirname(socketPath), { recursive: true, mode: 0o700 });
    const child = childProcess().spawn(
      process.execPath,
      ['--v8-pool-size=1', path.join(__dirname, 'cli.js'), 'serve', '--warm', socketPath],
      {
        cwd: '/',
        detached: true,
        stdio: 'ignore',
        env,
      },
    );
    child.on('error', () => undefined);
    child.unref();
  } catch {
    /* the next run is a cold one too */
  }
}

/**
 * Starting the script: `forkscope record`'s arguments turned into the run's
 * options (planRecord), and the interpreter started under the runtime with
 * the event socket it reports to (startScript), or adopted when the shell
 * launcher started it first (adoptEarly).
 *
 * startEarly is the CLI's fast path. Run as `forkscope`, the plain forms of
 * `record` have Python started by the shell lines of dist/cli.js before Node
 * (extension/runtime/launcher.sh): Node's own start (60–110 ms on a slow
 * machine) no longer comes first, and this process adopts the interpreter.
 * Otherwise dist/cli.js loads only this module and the few it imports,
 * starts Python, and only then loads the rest of the CLI (dist/cli-record.js:
 * the supervisor and the model, codeCache.ts) while Python starts on another core.
 * Either way nothing can reach the script's events before the supervisor
 * serves them: the socket's connections wait (the runtime, started first,
 * keeps its events until the socket exists), and the child's exit is caught
 * from the start.
 */

import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { childProcess } from './childProcess';
import { EventServer, privateDir } from './eventServer';
import { zombieExitCode } from './procfs';
import { pythonRoot } from './paths';
import { resolvePython, resolvePythonNow, type PythonResolution } from './pythonResolve';
import { checkOutput, CliError, defaultOut, defaultPython, parseRecordArgs, scriptEnv, type RecordArgs } from './recordArgs';
import type { RunOptions } from './supervisor';

/** `record`'s arguments, checked, with the interpreter resolved: all a run needs before it starts. */
export interface RecordPlan {
  args: RecordArgs;
  /** Started by the extension (`--ipc` with an IPC channel): live records go to the parent. */
  ipc: boolean;
  options: RunOptions;
}

/** How the script's main process ended (or why it could not start). */
export interface ScriptExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  error: string | null;
}

/** A script started under the runtime: the supervisor adopts it (RunSupervisor's `started`). */
export interface StartedScript {
  server: EventServer;
  /** The main process; null when the interpreter could not be started at all (`exited` says why). */
  pid: number | null;
  exited: Promise<ScriptExit>;
  /** When it was started (epoch seconds): the recording's start. */
  startedAt: number;
  /** Started by the `forkscope` shell launcher before Node, not by Node (adoptEarly), or by the interpreter for a warm supervisor. */
  pythonFirst?: boolean;
  /** Recorded by this user's warm supervisor (warm.ts): no Node started for the run. */
  warm?: boolean;
}

/** The part of record() that needs no answer from elsewhere: parsed, checked, the interpreter named. */
function parse(argv: string[], env: NodeJS.ProcessEnv, cwd: string) {
  const args = parseRecordArgs(argv, env, cwd);
  const out = path.resolve(cwd, args.out ?? defaultOut(args, cwd));
  checkOutput(out);
  const ipc = args.ipc && typeof process.send === 'function';
  const python = args.python ?? defaultPython(env);
  const baseEnv = scriptEnv(env, ipc);
  return { args, out, ipc, python, baseEnv };
}

function finish(p: ReturnType<typeof parse>, resolution: PythonResolution, cwd: string): RecordPlan {
  const { args, out, ipc, python, baseEnv } = p;
  if (resolution.source === 'not-found' && !ipc) {
    throw new CliError(
      `Python interpreter "${python}" was not found. Install Python 3.9 or newer, or name one with --python /path/to/python (or after --: forkscope record -- /path/to/python SCRIPT.py).`,
      127,
    );
  }
  let runEnv = baseEnv;
  if (Object.keys(resolution.envSet).length || resolution.envUnset.length || resolution.pwdIsCwd) {
    // What the skipped shim would have done to the script's environment, done here.
    runEnv = { ...(baseEnv ?? process.env), ...resolution.envSet };
    for (const k of resolution.envUnset) delete runEnv[k];
    if (resolution.pwdIsCwd) runEnv.PWD = cwd;
  }
  return {
    args,
    ipc,
    options: {
      script: args.script,
      module: args.module,
      args: args.args,
      python,
      executable: resolution.resolved ? resolution.executable : undefined,
      pythonArgs: [...resolution.options, ...args.pythonArgs],
      cwd,
      out,
      sampleMs: args.sampleMs,
      maxProcesses: args.maxProcesses,
      hangSeconds: args.hangSeconds,
      detached: ipc,
      env: runEnv,
      flushMs: args.flushMs,
      detailRate: args.detailRate,
    },
  };
}

/** `record`'s arguments (after the word `record`) as a plan; throws UsageError, HelpRequested or CliError for bad input. */
export async function planRecord(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Promise<RecordPlan> {
  const p = parse(argv, env, cwd);
  // A shim in front of Python (pyenv, asdf, a wrapper) is resolved once and cached: the run starts when Python does.
  return finish(p, await resolvePython(p.python, { env: p.baseEnv ?? env, cwd }), cwd);
}

/** The same plan when it can be made now (the interpreter needs no probe), else null. Throws as planRecord. */
export function planRecordNow(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): RecordPlan | null {
  const p = parse(argv, env, cwd);
  const resolution = resolvePythonNow(p.python, { env: p.baseEnv ?? env, cwd });
  return resolution && finish(p, resolution, cwd);
}

/** Starts the interpreter on the runtime's launcher with `server`'s address in its environment. Never throws. */
export function startScript(options: RunOptions, server: EventServer): StartedScript {
  const runtimeConfig = {
    v: 1,
    socket: server.socketPath,
    secret: server.secret,
    root: pythonRoot(),
    flushMs: options.flushMs ?? 20,
    detailRate: options.detailRate ?? 2000,
    waitMs: 1,
    maxProcesses: options.maxProcesses,
  };
  const launcher = path.join(pythonRoot(), 'forkscope_launch.py');
  const argv = [
    ...(options.pythonArgs ?? []),
    ...(options.module !== null ? [launcher, '-m', options.module, ...options.args] : [launcher, options.script ?? '', ...options.args]),
  ];
  const binary = options.executable ?? options.python;
  const env = { ...(options.env ?? process.env), FORKSCOPE_RUNTIME: JSON.stringify(runtimeConfig) };
  const startedAt = Date.now() / 1000;
  let child: ChildProcess | null = null;
  const exited = new Promise<ScriptExit>((resolve) => {
    try {
      child = childProcess().spawn(binary, argv, {
        cwd: options.cwd,
        env,
        stdio: 'inherit',
        // In a terminal the script stays in the terminal's process group, so Ctrl-C reaches it as it would plainly.
        detached: options.detached,
      });
    } catch (e) {
      resolve({ code: null, signal: null, error: launchMessage(options.python, e as NodeJS.ErrnoException) });
      return;
    }
    child.once('error', (e: NodeJS.ErrnoException) => resolve({ code: null, signal: null, error: launchMessage(options.python, e) }));
    child.once('exit', (code, signal) => resolve({ code, signal, error: null }));
  });
  return { server, pid: (child as ChildProcess | null)?.pid ?? null, exited, startedAt };
}

/** A script startEarly started, with its plan; `release` drops the signal listeners that held Ctrl-C meanwhile. */
export interface EarlyStart {
  plan: RecordPlan;
  started: StartedScript;
  release: () => void;
  /** Where the shell launcher would find this user's warm supervisor: one is left there at the end (warm.ts). */
  warmSocket?: string;
}

const HELD_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Until record() has its own handlers, a Ctrl-C must not end Node by the default action (the script, already
 * running, would lose its recording): with a listener, Node dispatches the signal on its next turn, by when
 * record()'s handlers are in place. Returns what drops the listeners again (`release`).
 */
function holdSignals(): () => void {
  const hold = (): void => undefined;
  for (const sig of HELD_SIGNALS) process.on(sig, hold);
  return () => {
    for (const sig of HELD_SIGNALS) process.off(sig, hold);
  };
}

/**
 * The CLI's fast path (see the top of this file): for `record` in a terminal
 * whose interpreter needs no probe, opens the event socket and starts the
 * script now. Null in every other case, bad input included: the CLI then does
 * the same the ordinary way, and says what is wrong.
 */
export function startEarly(argv: string[]): EarlyStart | Unrecorded | null {
  const adopt = takeAdoption(process.env);
  if (adopt) return adoptEarly(argv, adopt);
  // (Forked by the extension, with an IPC channel: the run is not this process's terminal's.)
  if (argv[0] !== 'record' || typeof process.send === 'function') return null;
  try {
    const plan = planRecordNow(argv.slice(1));
    if (!plan) return null;
    const server = EventServer.open();
    const release = holdSignals();
    return { plan, started: startScript(plan.options, server), release };
  } catch {
    return null;
  }
}

/** What the `forkscope` shell launcher hands Node about the interpreter it started (extension/runtime/launcher.sh). */
interface Adoption {
  pid: number;
  dir: string;
  secret: string;
  /** FORKSCOPE_WARM_SOCKET: where this user's warm supervisor would listen (launcher.sh). */
  warmSocket: string | null;
}

/** FORKSCOPE_ADOPT="PID DIR SECRET" (and FORKSCOPE_WARM_SOCKET), taken out of the environment (nothing Node starts inherits them). */
function takeAdoption(env: NodeJS.ProcessEnv): Adoption | null {
  const value = env.FORKSCOPE_ADOPT;
  const warm = env.FORKSCOPE_WARM_SOCKET;
  delete env.FORKSCOPE_WARM_SOCKET;
  if (value === undefined) return null;
  delete env.FORKSCOPE_ADOPT;
  const m = /^(\d+) (\/.*) ([0-9a-f]+)$/.exec(value);
  return m ? { pid: Number(m[1]), dir: m[2], secret: m[3], warmSocket: warm?.startsWith('/') ? warm : null } : null;
}

/** A script the shell launcher started that cannot be recorded after all: it runs on, and the CLI ends with it. */
export interface Unrecorded {
  /** The exit status to end with: the script's own. */
  unrecorded: Promise<number>;
}

/**
 * The shell launcher's Python-first start (extension/runtime/launcher.sh): the interpreter is already running
 * as this process's child, its runtime waiting for the socket in `dir`. The plan is made as for any run (the
 * launcher took this path only for input the plan accepts, so a refusal here is a bug between the two); then
 * the socket is bound and the child adopted. Should anything fail, the script is not stopped: the folder is
 * marked `unrecorded` (its runtime then stops waiting), the reason is said, and the CLI ends when the script
 * does, with its status.
 */
function adoptEarly(argv: string[], adopt: Adoption): EarlyStart | Unrecorded {
  // First of all: the script already runs, and a Ctrl-C now must not end Node by the default action.
  const release = holdSignals();
  const exited = watchAdopted(adopt.pid);
  try {
    const plan = argv[0] === 'record' ? planRecordNow(argv.slice(1)) : null;
    if (!plan || plan.ipc) throw new Error('the shell launcher and the CLI disagree about this command line');
    const server = EventServer.adopt(adopt.dir, adopt.secret);
    // Node started right after the shell forked the interpreter: its own start is the run's.
    const started: StartedScript = { server, pid: adopt.pid, exited, startedAt: performance.timeOrigin / 1000, pythonFirst: true };
    return { plan, started, release, ...(adopt.warmSocket ? { warmSocket: adopt.warmSocket } : {}) };
  } catch (e) {
    // The script's runtime stops waiting for a socket when it sees this mark; the folder goes when the CLI does.
    try {
      privateDir(adopt.dir);
      fs.writeFileSync(path.join(adopt.dir, 'unrecorded'), '');
      process.on('exit', () => fs.rmSync(adopt.dir, { recursive: true, force: true }));
    } catch {
      /* not ours: left alone (the runtime does not use a folder that is not private either) */
    }
    process.stderr.write(`forkscope: this run cannot be recorded (${(e as Error).message}); the script runs on unrecorded.\n`);
    const forward = (sig: NodeJS.Signals) => () => {
      try {
        process.kill(adopt.pid, sig);
      } catch {
        /* gone */
      }
    };
    release();
    process.on('SIGTERM', forward('SIGTERM'));
    process.on('SIGHUP', forward('SIGHUP'));
    process.on('SIGINT', () => undefined); // the terminal's Ctrl-C reaches the script itself
    return { unrecorded: exited.then((r) => (r.signal ? 128 + (os.constants.signals[r.signal] ?? 0) : (r.code ?? 1))) };
  }
}

/**
 * The exit of a child this process did not spawn (the shell forked it, then became Node): Node cannot wait
 * for it, but the kernel keeps its status in /proc until it is reaped, which only this process could do. So
 * each SIGCHLD (and, should one be missed, every 250 ms) looks for the zombie and reads its status. The
 * zombie stays until Node exits, when the init process reaps it.
 */
function watchAdopted(pid: number): Promise<ScriptExit> {
  return new Promise((resolve) => {
    const check = (): void => {
      const status = zombieExitCode(pid);
      const gone = status === null && !fs.existsSync(`/proc/${pid}`);
      if (status === null && !gone) return;
      process.off('SIGCHLD', check);
      clearInterval(timer);
      if (status === null) resolve({ code: null, signal: null, error: null });
      else if (status >= 0) resolve({ code: status, signal: null, error: null });
      else resolve({ code: null, signal: signalName(-status), error: null });
    };
    process.on('SIGCHLD', check);
    const timer = setInterval(check, 250);
    check();
  });
}

export function signalName(n: number): NodeJS.Signals | null {
  for (const [name, value] of Object.entries(os.constants.signals)) if (value === n) return name as NodeJS.Signals;
  return null;
}

function launchMessage(python: string, e: NodeJS.ErrnoException): string {
  if (e.code === 'ENOENT') {
    return `Python interpreter "${python}" was not found. Install Python 3.9 or newer, or name one with --python /path/to/python (in VS Code: the forkscope.pythonPath setting).`;
  }
  if (e.code === 'EACCES') return `Python interpreter "${python}" cannot be executed (permission denied). Name another with --python.`;
  return `Could not start "${python}": ${e.message}`;
}

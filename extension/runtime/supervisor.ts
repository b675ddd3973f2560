/**
 * The run supervisor: starts the user's script under the Python runtime, owns
 * the event socket, samples every known process, reduces events into the run
 * model, writes the recording as it goes, and stops the whole process tree on
 * request. It runs as the `forkscope` CLI and in a process forked by the
 * extension (never inside the extension host).
 */

import * as os from 'node:os';
import { DEFAULT_HANG_SECONDS } from '../../core/insights/shared';
import { findHangs, sameHang } from '../../core/insights/hangs';
import { RunReducer } from '../../core/model/reducer';
import type { RunModel, WarningModel } from '../../core/model/types';
import { RECORDING_FORMAT, RECORDING_VERSION, type RecordingHeader, type RecordLine } from '../../core/model/recording';
import { summarize, type Summary } from '../../core/summary/summary';
import { childProcess } from './childProcess';
import { EventServer, type EventServerHandlers } from './eventServer';
import { startScript, type StartedScript } from './launch';
import { childrenOf, descendantsOf, hasProcfs, LastPidReader, readCmdline, readComm, stillRuns, zombieExitCode } from './procfs';
import { RecordingWriter } from './recordingWriter';
import { ProcessSampler } from './sampler';
import { FORKSCOPE_VERSION } from './paths';

export interface RunOptions {
  /** Script to run (`python SCRIPT`), or null with `module`. */
  script: string | null;
  /** Module to run (`python -m MODULE`). */
  module: string | null;
  args: string[];
  python: string;
  /** The binary to start instead of `python` when a shim in front of it was resolved (pythonResolve.ts). */
  executable?: string;
  /** Interpreter options, before the launcher (`-X dev`, `-u`…). */
  pythonArgs?: string[];
  cwd: string;
  /** The script's environment (default: this process's); Forkscope adds only FORKSCOPE_RUNTIME. */
  env?: NodeJS.ProcessEnv;
  /** Where the recording goes. */
  out: string;
  sampleMs: number;
  maxProcesses: number;
  /**
   * The script always shares this process's stdin, stdout and stderr, so its
   * output never depends on the supervisor living (a supervisor that dies
   * leaves the script's pipes to whoever reads them). `detached`: the script
   * also gets a session of its own (runs of the extension: no terminal whose
   * Ctrl-C it should share).
   */
  detached: boolean;
  /** Runtime tuning (docs/runtime-protocol.md). */
  flushMs?: number;
  detailRate?: number;
  /** The hang detector's threshold: seconds every process involved must be stuck (default 3; 0 turns it off). */
  hangSeconds?: number;
  /** Every record, as it is written (live views). */
  onRecord?: (record: RecordLine) => void;
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stopped: boolean;
  recording: string;
  /** Set when the interpreter could not be started at all. */
  launchError: string | null;
  summary: Summary;
  model: RunModel;
}

/** How long processes still connected after the main process ended get to send their last events. */
const LINGER_MS = 2000;
/** SIGTERM, then SIGKILL after this long. */
const KILL_GRACE_MS = 2500;
/** How often the hang detector looks at the live model. */
const HANG_CHECK_MS = 500;
/** How many samples a child taken for a fork is looked at again for an exec (2 s at the default 100 ms). */
const FORK_GUESS_TICKS = 20;

/** Two command lines, argument for argument. */
function sameArgv(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A command line as a `child` record holds it: at most 64 arguments of at most 4096 characters. */
function recordedArgv(argv: string[]): string[] {
  return argv.slice(0, 64).map((a) => (a.length > 4096 ? a.slice(0, 4096) : a));
}

export class RunSupervisor {
  private readonly reducer: RunReducer;
  private readonly header: RecordingHeader;
  private writer: RecordingWriter | null = null;
  private server: EventServer | null = null;
  private readonly sampler = new ProcessSampler();
  private readonly adoptersNoted = new Set<number>();
  /** The main process, once started (null when it could not be). */
  private mainPid: number | null = null;
  private sampleTimer: NodeJS.Timeout | null = null;
  private hangTimer: NodeJS.Timeout | null = null;
  private readonly hangsReported: WarningModel[] = [];
  private readonly gone = new Set<number>();
  /** Zombies whose exit code was read from /proc. */
  private readonly zombieCodes = new Set<number>();
  /** Pids whose connection was accepted (the cap counts these: a parent's `started` event alone does not track a process). */
  private readonly tracked = new Set<number>();
  /**
   * What the last complete scan for unknown children saw: the kernel's last pid and the parents scanned. While
   * both are the same no child can have appeared, and the scan (a directory and a file per thread of each
   * parent, about 1.5 ms a tick for a six-process run on a slow machine) is skipped.
   */
  private readonly lastPid = new LastPidReader();
  private scanned: { lastPid: number; parents: string } | null = null;
  /**
   * Children recorded as forks because they still had their parent's command line, with their parent and the
   * ticks left to look again: one caught between its fork and its exec (C's `system()`, which no hook sees) runs
   * a command a moment later, and a later look says which.
   */
  private readonly forkGuesses = new Map<number, { ppid: number; argv: string[]; ticks: number }>();
  private stopping: Promise<void> | null = null;
  private stopped = false;
  private refusedWarned = false;
  private capWarned = false;
  private mainExited = false;
  private waiters: (() => void)[] = [];

  /**
   * `started`: the script, already started under the runtime with its event
   * socket (the CLI's fast path, launch.ts); else run() starts it.
   */
  constructor(
    private readonly options: RunOptions,
    private readonly started: StartedScript | null = null,
  ) {
    this.header = {
      format: RECORDING_FORMAT,
      version: RECORDING_VERSION,
      startedAt: started?.startedAt ?? Date.now() / 1000,
      ...(started?.pythonFirst ? { pythonFirst: true as const } : {}),
      ...(started?.warm ? { warm: true as const } : {}),
      script: options.script,
      module: options.module,
      args: options.args,
      python: options.python,
      ...(options.executable ? { executable: options.executable } : {}),
      ...(options.pythonArgs?.length ? { pythonOptions: options.pythonArgs } : {}),
      cwd: options.cwd,
      cpuCount: os.cpus().length,
      sampleMs: options.sampleMs,
      platform: process.platform,
      maxProcesses: options.maxProcesses,
      forkscope: FORKSCOPE_VERSION,
    };
    this.reducer = new RunReducer(this.header);
  }

  /** The live model (updated as records arrive). */
  get model(): RunModel {
    return this.reducer.model;
  }

  private record(r: RecordLine): void {
    this.writer?.write(r);
    this.reducer.apply(r);
    this.options.onRecord?.(r);
  }

  private now(): number {
    return Date.now() / 1000;
  }

  /** Runs the script to its end (or until stopped) and resolves with the result. */
  async run(): Promise<RunResult> {
    this.writer = new RecordingWriter(this.options.out, this.header);
    const handlers: EventServerHandlers = {
      onHello: (pid, ppid) => this.onHello(pid, ppid),
      onBatch: (pid, events, raw) => {
        this.writer?.writeBatch(pid, raw);
        const r: RecordLine = ['ev', pid, events];
        this.reducer.apply(r);
        this.options.onRecord?.(r);
      },
      onBye: (pid) => {
        this.record(['bye', this.now(), pid]);
        this.notify();
      },
      onRefused: (reason) => {
        if (this.refusedWarned) return;
        this.refusedWarned = true;
        this.record([
          'warn',
          this.now(),
          'refused-connection',
          null,
          `A connection to the event socket was refused (${reason}); nothing it sent was recorded.`,
        ]);
      },
    };
    // The handlers are in place before anything awaits: a started script's early connections wait for them.
    this.server = this.started ? this.started.server.serve(handlers) : EventServer.listen(handlers);
    const script = this.started ?? startScript(this.options, this.server);
    this.mainPid = script.pid;
    if (script.pid !== null) this.record(['spawned', script.startedAt, script.pid]);
    const exited = script.exited;

    this.sampleTimer = setInterval(() => void this.sampleOnce(), this.options.sampleMs);
    this.startHangDetector();

    const result = await exited;
    this.mainExited = true;
    if (script.pythonFirst && script.pid !== null) {
      // An adopted main process stays a zombie until this process exits (launch.ts, watchAdopted): plainly its
      // parent would have reaped it by now, so it is not sampled again.
      this.gone.add(script.pid);
      this.sampler.forget(script.pid);
    }
    this.stopHangDetector();
    if (result.error) {
      this.record(['warn', this.now(), 'launch-failed', null, result.error]);
    } else {
      this.record(['exited', this.now(), result.code, result.signal]);
    }
    // A child forked just before the main process ended connects on its first flush: a few flush intervals are
    // waited for such children, the ones its `exit` event lists that have not connected yet (all of them are waited
    // for when it sent no list: killed, or no /proc). Then processes that are still connected (helpers shutting
    // down, late flushes) say their last words.
    if (!this.stopped) await this.waitFor(() => this.unheardChildren()?.length === 0, 3 * (this.options.flushMs ?? 20));
    await this.waitFor(() => this.server!.connections === 0, this.stopped ? 300 : LINGER_MS);
    // The runtime never connected: an interpreter too old for it is the likely cause (checked only then: no cost
    // otherwise). Asked only now: a main process that connected just before it ended may be read after its exit.
    if (!result.error && this.tracked.size === 0 && !this.stopped) {
      const old = await unsupportedPython(this.options.executable ?? this.options.python);
      if (old) this.record(['warn', this.now(), 'python-unsupported', null, old]);
    }
    if (this.stopped) await this.stop();
    await this.sampleOnce();
    if (this.sampleTimer) clearInterval(this.sampleTimer);
    // Still running: not the main process, not a zombie (an orphan whose new parent has not reaped it yet), and not
    // a helper that has said its exit and hung up but needs a moment more to go (the resource tracker reading EOF).
    const stillRunning = () =>
      this.liveKnownPids().filter((pid) => {
        const p = this.reducer.model.byPid.get(pid);
        return pid !== this.mainPid && p?.osState !== 'Z' && !(p && p.endedAt !== null && !p.connected);
      });
    let leftover = stillRunning();
    for (let i = 0; i < 10 && leftover.length && !this.stopped; i++) {
      await new Promise((r) => setTimeout(r, 50));
      await this.sampleOnce();
      leftover = stillRunning();
    }
    if (leftover.length && !this.stopped) {
      this.record([
        'warn',
        this.now(),
        'left-running',
        null,
        `${leftover.length} process(es) were still running when the script ended (pid ${leftover.join(', ')}); they were left running, as without Forkscope, and are not recorded further.`,
      ]);
    }
    this.record(['end', this.now(), { exitCode: result.code, signal: result.signal, stopped: this.stopped }]);
    this.writer.close();
    if (this.writer.error) {
      this.reducer.apply([
        'warn',
        this.now(),
        'recording-incomplete',
        null,
        `Writing ${this.options.out} failed (${this.writer.error.message}); the recording holds what was written before.`,
      ]);
    }
    this.sampler.close();
    this.lastPid.close();
    await this.server.close();
    this.reducer.finish();
    const model = this.reducer.model;
    const hangSeconds = this.options.hangSeconds || undefined;
    let summary: Summary | null = null;
    return {
      exitCode: result.code,
      signal: result.signal,
      stopped: this.stopped,
      recording: this.options.out,
      launchError: result.error,
      // Summed up when first asked for: the CLI, quiet or not in a terminal, never asks (4 ms at the run's end).
      get summary() {
        return (summary ??= summarize(model, { hangSeconds }));
      },
      model,
    };
  }

  private onHello(pid: number, ppid: number | null): boolean {
    if (!this.tracked.has(pid) && this.tracked.size >= this.options.maxProcesses) {
      if (!this.capWarned) {
        this.capWarned = true;
        this.record([
          'warn',
          this.now(),
          'process-cap',
          pid,
          `More than ${this.options.maxProcesses} processes: Forkscope stopped tracking new ones (raise the limit with --max-processes). The script runs on unchanged.`,
        ]);
      }
      return false;
    }
    this.tracked.add(pid);
    this.record(['hello', this.now(), pid, ppid ?? 0]);
    this.notify();
    return true;
  }

  /**
   * The children the main process left that the run has not heard from and that still run: [] when none, null
   * while that is unknown (its connection is still open, or it sent no list of children at exit).
   */
  private unheardChildren(): number[] | null {
    const pid = this.mainPid;
    const main = pid === null ? undefined : this.reducer.model.byPid.get(pid);
    if (!main || main.connected || main.childrenAtExit === null) return null;
    return main.childrenAtExit.filter((k) => !this.tracked.has(k) && stillRuns(k));
  }

  /** Pids the run knows about that have not been seen gone. */
  private liveKnownPids(): number[] {
    const out: number[] = [];
    for (const p of this.reducer.model.processes) {
      if (this.gone.has(p.pid)) continue;
      if (p.reapedAt !== null && p.endedAt !== null && !p.connected) continue;
      out.push(p.pid);
    }
    return out;
  }

  private async sampleOnce(): Promise<void> {
    const pids = this.liveKnownPids();
    if (!pids.length) return;
    const rows = await this.sampler.sample(pids);
    if (!rows.length && !pids.length) return;
    const seen = new Set(rows.map((r) => r[0]));
    for (const pid of pids) {
      if (!seen.has(pid) && !this.reducer.model.byPid.get(pid)?.connected) {
        this.gone.add(pid);
        this.sampler.forget(pid);
      }
    }
    if (rows.length) this.record(['sample', this.now(), rows]);
    if (rows.length) this.noteAdopters(rows);
    this.discoverChildren(pids);
    // A zombie nobody has reaped yet: its exit code is in /proc (a raw os.fork() child whose parent never waits).
    for (const r of rows) {
      if (r[3] !== 'Z') continue;
      const p = this.reducer.model.byPid.get(r[0]);
      if (!p || p.exitCode !== null || this.zombieCodes.has(r[0])) continue;
      const code = zombieExitCode(r[0]);
      if (code === null) continue;
      this.zombieCodes.add(r[0]);
      this.record(['exitcode', this.now(), r[0], code]);
    }
  }

  /**
   * Children of the run's processes that the run does not know yet (a `sleep` or `sh -c` started with subprocess,
   * a Python that has not connected yet) become `child` records, so commands show as processes with their CPU and
   * (from their parent's wait) exit code. Linux only.
   */
  private discoverChildren(pids: number[]): void {
    if (!hasProcfs) return;
    const model = this.reducer.model;
    // Children of processes running Python with the runtime, and of the commands they started (not of an interpreter
    // shim, such as pyenv's, before Python connects).
    const parents = pids.filter((pid) => !this.gone.has(pid) && (this.tracked.has(pid) || model.byPid.get(pid)?.role === 'command'));
    this.lookAgainAtForks();
    // Read before the scan: a child started during it changes the last pid, and the next tick scans again.
    const lastPid = this.lastPid.read();
    const key = parents.join(' ');
    if (lastPid !== null && this.scanned?.lastPid === lastPid && this.scanned.parents === key) return;
    this.scanned = null;
    let complete = true;
    for (const pid of parents) {
      let parentArgv: string[] | null | undefined;
      for (const c of childrenOf(pid)) {
        if (model.byPid.has(c) || this.tracked.has(c) || this.gone.has(c)) continue;
        if (model.processes.length >= this.options.maxProcesses) return;
        const argv = readCmdline(c);
        if (argv === null) {
          complete = false; // gone meanwhile, or not readable yet: scanned again next tick
          continue;
        }
        let fork: boolean;
        if (argv.length === 0) {
          // Already a zombie (no command line left): a fork when it has its parent's program name; its exit code is in /proc.
          const code = zombieExitCode(c);
          if (code === null) {
            complete = false;
            continue;
          }
          fork = readComm(c) !== null && readComm(c) === readComm(pid);
          this.record([
            'child',
            this.now(),
            c,
            pid,
            fork ? [] : [readComm(c) ?? `pid ${c}`],
            ...(fork ? [{ fork: true }] : []),
          ] as RecordLine);
          this.zombieCodes.add(c);
          this.record(['exitcode', this.now(), c, code]);
          continue;
        }
        // The same command line as its parent: a fork that has not connected (yet, or ever: os._exit before its first flush).
        parentArgv ??= readCmdline(pid);
        fork = parentArgv !== null && sameArgv(argv, parentArgv);
        this.record(['child', this.now(), c, pid, recordedArgv(argv), ...(fork ? [{ fork: true }] : [])] as RecordLine);
        if (fork) this.forkGuesses.set(c, { ppid: pid, argv, ticks: FORK_GUESS_TICKS });
      }
    }
    if (complete && lastPid !== null) this.scanned = { lastPid, parents: key };
  }

  /**
   * A child taken for a fork that has since run a program (its command line changed) gets a second `child`
   * record with that command line: it is a command. One that connected is the Python fork it looked like.
   */
  private lookAgainAtForks(): void {
    for (const [pid, guess] of this.forkGuesses) {
      if (this.tracked.has(pid) || this.gone.has(pid) || --guess.ticks < 0) {
        this.forkGuesses.delete(pid);
        continue;
      }
      const argv = readCmdline(pid);
      if (argv === null || argv.length === 0) {
        this.forkGuesses.delete(pid); // gone, or a zombie still with its parent's program
        continue;
      }
      if (sameArgv(argv, guess.argv)) continue;
      this.forkGuesses.delete(pid);
      this.record(['child', this.now(), pid, guess.ppid, recordedArgv(argv)] as RecordLine);
    }
  }

  /** Once per orphan: who adopted it (the reducer saw its OS parent change), with that process's command name. */
  private noteAdopters(rows: readonly (readonly unknown[])[]): void {
    for (const row of rows) {
      const pid = row[0] as number;
      const p = this.reducer.model.byPid.get(pid);
      if (!p || p.adoptedBy === null || this.adoptersNoted.has(pid)) continue;
      this.adoptersNoted.add(pid);
      this.record(['adopted', this.now(), pid, p.adoptedBy, readComm(p.adoptedBy)]);
    }
  }

  /** The live deadlock detector: every HANG_CHECK_MS, the wait-for graph of the live model (core/insights/hangs.ts). */
  private startHangDetector(): void {
    const hangSeconds = this.options.hangSeconds ?? DEFAULT_HANG_SECONDS;
    if (!(hangSeconds > 0)) return;
    this.hangTimer = setInterval(() => this.checkHangs(hangSeconds), HANG_CHECK_MS);
    this.hangTimer.unref();
  }

  private stopHangDetector(): void {
    if (this.hangTimer) clearInterval(this.hangTimer);
    this.hangTimer = null;
  }

  /** Writes a `warn` record at once for each hang not reported yet (so a run killed afterwards keeps it). */
  private checkHangs(hangSeconds: number): void {
    if (this.stopped || this.mainExited) return;
    let hangs: WarningModel[];
    try {
      hangs = findHangs(this.reducer.model, this.now() - this.header.startedAt, { hangSeconds });
    } catch {
      return; // an analysis bug must never take the run down
    }
    for (const w of hangs) {
      if (this.hangsReported.some((r) => sameHang(r, w))) continue;
      this.hangsReported.push(w);
      this.record([
        'warn',
        this.now(),
        w.kind,
        w.pid,
        w.message,
        { pids: w.pids, severity: w.severity, ref: w.ref, file: w.file, line: w.line, since: w.since },
      ]);
      this.writer?.flush();
    }
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async waitFor(cond: () => boolean, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(50, Math.max(1, deadline - Date.now())));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Every process of the run that is alive now: the interpreter, every known pid, and their descendants. */
  treePids(): number[] {
    const roots = new Set<number>();
    if (this.mainPid !== null && !this.mainExited) roots.add(this.mainPid);
    for (const pid of this.liveKnownPids()) if (this.sampler.isSameProcess(pid) || !hasProcfs) roots.add(pid);
    roots.delete(process.pid);
    return [...roots, ...descendantsOf(roots)];
  }

  /**
   * Stops the run: SIGTERM to every process of the tree, SIGKILL to what is
   * left after a grace period. The recording keeps everything up to now.
   */
  stop(): Promise<void> {
    this.stopped = true;
    if (!this.stopping) {
      this.stopping = (async () => {
        const signalAll = (sig: NodeJS.Signals) => {
          const pids = this.treePids();
          for (const pid of pids) {
            try {
              process.kill(pid, sig);
            } catch {
              /* already gone */
            }
          }
          return pids.length;
        };
        if (signalAll('SIGTERM') === 0) return;
        await this.waitFor(() => this.treePids().length === 0, KILL_GRACE_MS);
        signalAll('SIGKILL');
        await this.waitFor(() => this.treePids().length === 0, 1000);
      })().finally(() => {
        this.stopping = null;
      });
    }
    return this.stopping;
  }

  /**
   * Marks the run as stopped without signalling anything yet: the script gets
   * the chance to end by itself (a Ctrl-C it already received), and whatever
   * is still alive when its main process ends is stopped then.
   */
  markStopped(): void {
    this.stopped = true;
  }

  /** Sends a signal to the interpreter only (the CLI forwards a lone Ctrl-C this way). */
  signalMain(sig: NodeJS.Signals): void {
    if (this.mainPid === null || this.mainExited) return;
    try {
      process.kill(this.mainPid, sig);
    } catch {
      /* gone */
    }
  }

  get mainRunning(): boolean {
    return this.mainPid !== null && !this.mainExited;
  }
}

/** Forkscope's runtime needs this Python or newer (docs/cli.md). */
export const MIN_PYTHON: readonly [number, number] = [3, 9];

/** A message when `python --version` names a version older than MIN_PYTHON (or none at all), else null. */
function unsupportedPython(python: string): Promise<string | null> {
  return new Promise((resolve) => {
    childProcess().execFile(python, ['--version'], { timeout: 10_000, windowsHide: true }, (err, stdout, stderr) => {
      const text = `${stdout}${stderr}`.trim(); // Python 2 prints its version on stderr
      const m = /Python (\d+)\.(\d+)(?:\.\d+)?\S*/.exec(text);
      const need = `Forkscope needs Python ${MIN_PYTHON.join('.')} or newer`;
      const fix = 'name one with --python /path/to/python3 (in VS Code: the forkscope.pythonPath setting)';
      if (!m)
        resolve(
          err
            ? null
            : `"${python}" does not say which Python it is (${JSON.stringify(text.split('\n')[0] ?? '')}); ${need}: ${fix}. Nothing was recorded.`,
        );
      else if (Number(m[1]) * 1000 + Number(m[2]) < MIN_PYTHON[0] * 1000 + MIN_PYTHON[1])
        resolve(`"${python}" is ${m[0]}; ${need}: ${fix}. Nothing was recorded.`);
      else resolve(null);
    });
  });
}

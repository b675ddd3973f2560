/**
 * One run of a script under Forkscope, seen from the extension host. The run
 * supervisor is forked (dist/cli.js `record --ipc`), never run here, so an
 * event flood cannot make VS Code sluggish; its records are reduced into a
 * RunModel for the Processes view and forwarded to the inspector.
 */

import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import * as vscode from 'vscode';
import { RunReducer } from '../../core/model/reducer';
import type { RunModel } from '../../core/model/types';
import type { RecordingHeader, RecordLine } from '../../core/model/recording';
import type { FromSupervisor, SupervisorResult, ToSupervisor } from '../../core/protocol/supervisor';
import { Disposable } from './dispose';
import type { WarmSupervisor } from './warmSupervisor';

export interface RunRequest {
  script: string;
  args: string[];
  cwd: string;
  /** Variables to add; null or undefined removes one. */
  env?: Record<string, string | null | undefined>;
  python: string;
  sampleMs: number;
  maxProcesses: number;
  /** Deadlock detector threshold in seconds (0: off); the CLI's default when absent. */
  hangSeconds?: number;
  /** Recording file to write. */
  out: string;
  /** Default start method for the script (`fork`, `spawn`, `forkserver`), or none. */
  startMethod?: string;
}

/** How a run ended: the supervisor's report, or the supervisor's own failure. */
export interface RunEnd extends SupervisorResult {
  /** Set when the supervisor itself failed (crashed, could not start). */
  supervisorError: string | null;
}

let nextId = 1;

export class RunSession extends Disposable {
  readonly id = nextId++;
  readonly title: string;
  private reducer: RunReducer | null = null;
  private readonly pending: RecordLine[] = [];
  private child: ChildProcess | null = null;
  private endResult: RunEnd | null = null;
  private readonly endPromise: Promise<RunEnd>;
  private resolveEnd!: (e: RunEnd) => void;
  private stderrTail = '';
  /** The script's main pid: the leader of its process group (the supervisor starts it in a session of its own). */
  private mainPid: number | null = null;
  /** Set when the supervisor died while the script's processes lived on: Stop then ends their group itself. */
  private strayTree = false;
  /** Resolves when the supervisor has exited and its stdout/stderr are drained. */
  private outputDone: Promise<void> = Promise.resolve();
  /** The supervisor's `end` message arrived (the run is finishing normally). */
  private endReceived = false;

  private readonly _onDidReceiveRecords = this._register(new vscode.EventEmitter<RecordLine[]>());
  /** Records as they arrive (after the model has taken them). */
  readonly onDidReceiveRecords = this._onDidReceiveRecords.event;
  private readonly _onDidOutput = this._register(new vscode.EventEmitter<{ stream: 'stdout' | 'stderr'; text: string }>());
  readonly onDidOutput = this._onDidOutput.event;
  private readonly _onDidEnd = this._register(new vscode.EventEmitter<RunEnd>());
  readonly onDidEnd = this._onDidEnd.event;

  /** Every record so far (the inspector's `init` when it opens mid-run). */
  readonly records: RecordLine[] = [];

  constructor(
    private readonly cliPath: string,
    readonly request: RunRequest,
    readonly debugSessionId: string | null = null,
    private readonly warm: WarmSupervisor | null = null,
  ) {
    super();
    this.title = path.basename(request.script);
    this.endPromise = new Promise((r) => (this.resolveEnd = r));
  }

  get header(): RecordingHeader | null {
    return this.reducer?.model.run.header ?? null;
  }

  /** The live model (null until the supervisor has sent the header). */
  get model(): RunModel | null {
    return this.reducer?.model ?? null;
  }

  get ended(): boolean {
    return this.endResult !== null;
  }

  get result(): RunEnd | null {
    return this.endResult;
  }

  /** The supervisor's pid (for tests and diagnostics). */
  get supervisorPid(): number | undefined {
    return this.child?.pid;
  }

  /** Resolves when the run is over (never rejects). */
  whenEnded(): Promise<RunEnd> {
    return this.endPromise;
  }

  start(): void {
    const r = this.request;
    const args = [
      'record',
      '--ipc',
      '--quiet',
      '--out',
      r.out,
      '--python',
      r.python,
      '--sample-ms',
      String(r.sampleMs),
      '--max-processes',
      String(r.maxProcesses),
      ...(r.hangSeconds !== undefined ? ['--hang-seconds', String(r.hangSeconds)] : []),
      '--',
      r.script,
      ...r.args,
    ];
    const env: NodeJS.ProcessEnv = { ...process.env };
    // A launch configuration's env adds variables, and removes those set to null.
    for (const [k, v] of Object.entries(r.env ?? {})) {
      if (v === null || v === undefined) delete env[k];
      else env[k] = String(v);
    }
    // The extension host's own Node options are not the supervisor's. ELECTRON_RUN_AS_NODE stays: in
    // desktop VS Code, fork() runs VS Code's own binary, which needs it to act as Node (the
    // supervisor drops it from the script's environment).
    delete env.NODE_OPTIONS;
    // Node reads NODE_EXTRA_CA_CERTS at every start (~60 ms with a system bundle) and the supervisor makes no TLS
    // connection: it is handed to the script only (cli.ts, scriptEnv).
    if (env.NODE_EXTRA_CA_CERTS !== undefined) {
      env.FORKSCOPE_SCRIPT_ENV = JSON.stringify({ NODE_EXTRA_CA_CERTS: env.NODE_EXTRA_CA_CERTS });
      delete env.NODE_EXTRA_CA_CERTS;
    }
    if (r.startMethod) {
      env.FORKSCOPE_START_METHOD = r.startMethod;
      const dir = path.join(path.dirname(this.cliPath), '..', 'extension', 'vscode', 'python');
      env.PYTHONPATH = env.PYTHONPATH ? `${dir}${path.delimiter}${env.PYTHONPATH}` : dir;
    }
    // The supervisor could not be started, or failed, or died: the run ends with what it says.
    const supervisorFailed = (e: unknown) =>
      this.finish({
        exitCode: null,
        signal: null,
        stopped: false,
        recording: r.out,
        launchError: null,
        summary: null,
        supervisorError: String(e),
      });
    let child: ChildProcess;
    // A supervisor forked ahead of time starts the run at once (Node's start is already behind it).
    const warm = this.warm?.take() ?? null;
    const request: ToSupervisor = { type: 'run', argv: args, cwd: r.cwd, env: definedOnly(env) };
    if (warm && sent(warm, request)) child = warm;
    else {
      warm?.kill();
      try {
        // The script's stdout/stderr are the supervisor's: these pipes, held here, so the script's output
        // reaches the user (and the script never meets a broken pipe) even if the supervisor dies.
        child = fork(this.cliPath, args, { cwd: r.cwd, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: [] });
      } catch (e) {
        supervisorFailed(e);
        return;
      }
    }
    this.warm?.prepare(); // for the next run
    this.child = child;
    this.outputDone = new Promise((resolve) => child.once('close', () => resolve()));
    for (const stream of ['stdout', 'stderr'] as const) {
      const decoder = new StringDecoder('utf8'); // a character split across two reads stays whole
      child[stream]?.on('data', (d: Buffer) => {
        const text = decoder.write(d);
        if (stream === 'stderr') this.stderrTail = (this.stderrTail + text).slice(-4000);
        if (text) this._onDidOutput.fire({ stream, text });
      });
    }
    child.on('message', (m: FromSupervisor) => this.onMessage(m));
    child.on('error', supervisorFailed);
    child.on('exit', (code, signal) => {
      // `end` normally arrives first; if it did not, the supervisor died.
      setTimeout(() => {
        if (this.endResult || this.endReceived) return;
        this.strayTree = this.mainPid !== null && groupAlive(this.mainPid);
        const crash = /^forkscope: internal error: .*$/m.exec(this.stderrTail)?.[0];
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        const why =
          `the Forkscope supervisor (pid ${child.pid}) ${how}${crash ? ` (${crash})` : ''}. ` +
          (this.strayTree ? 'The script goes on running, unrecorded; its output still shows, and Stop still ends it. ' : '') +
          `The recording up to that moment is in ${r.out}.`;
        supervisorFailed(why);
      }, 100);
    });
  }

  private onMessage(m: FromSupervisor): void {
    if (!m || typeof m !== 'object') return;
    switch (m.type) {
      case 'header':
        this.reducer = new RunReducer(m.header);
        if (this.pending.length) this.take(this.pending.splice(0));
        break;
      case 'records':
        if (!this.reducer) this.pending.push(...m.records);
        else this.take(m.records);
        break;
      case 'end': {
        // The script's last output may still be in the pipes: let it arrive first (not forever: a
        // process left running can hold them open).
        const result = m.result;
        this.endReceived = true;
        void Promise.race([this.outputDone, new Promise((r) => setTimeout(r, 500))]).then(() =>
          this.finish({ ...result, supervisorError: null }),
        );
        break;
      }
    }
  }

  private take(records: RecordLine[]): void {
    for (const rec of records) {
      if (rec[0] === 'spawned') this.mainPid = rec[2];
      this.reducer!.apply(rec);
      this.records.push(rec);
    }
    this._onDidReceiveRecords.fire(records);
  }

  private finish(end: RunEnd): void {
    if (this.endResult) return;
    this.endResult = end;
    this.reducer?.finish();
    this._onDidEnd.fire(end);
    this.resolveEnd(end);
  }

  /** Whether the supervisor died and left the script's processes running (Stop ends them). */
  get hasStrayTree(): boolean {
    return this.strayTree && this.mainPid !== null && groupAlive(this.mainPid);
  }

  /** Stops the whole process tree (the supervisor terminates, then kills, every process of the run). */
  async stop(): Promise<RunEnd> {
    if (this.hasStrayTree) await this.stopStrayTree();
    const child = this.child;
    if (!this.endResult && child && child.connected) {
      child.send({ type: 'stop' } satisfies ToSupervisor);
      // If the supervisor does not answer, end it: its disconnect handling stops the run too.
      const timer = setTimeout(() => {
        if (!this.endResult) child.kill('SIGTERM');
      }, 10_000);
      await this.endPromise;
      clearTimeout(timer);
    }
    return this.endPromise;
  }

  /** Without a supervisor: SIGTERM to the script's process group, SIGKILL to what is left after 2.5 s. */
  private async stopStrayTree(): Promise<void> {
    const group = this.mainPid!;
    signalGroup(group, 'SIGTERM');
    const deadline = Date.now() + 2500;
    while (groupAlive(group) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    signalGroup(group, 'SIGKILL');
    this.strayTree = false;
  }

  override dispose(): void {
    if (this.child && !this.endResult && this.child.connected) this.child.send({ type: 'stop' } satisfies ToSupervisor);
    if (this.hasStrayTree) signalGroup(this.mainPid!, 'SIGKILL'); // nothing else would ever end it
    super.dispose();
  }
}

function signalGroup(group: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-group, sig);
  } catch {
    /* the group is gone */
  }
}

/** Whether a process group still has a member (a pid that leads a live group is never reused). */
function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** An environment as the run message carries it: only the variables that are set. */
function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** Sends `m` over `child`'s IPC channel; false when it could not be sent. */
function sent(child: ChildProcess, m: ToSupervisor): boolean {
  try {
    return child.connected && child.send(m);
  } catch {
    return false;
  }
}

/**
 * One run of a script under Forkscope, seen from the extension host. The run
 * supervisor is forked (dist/cli.js `record --ipc`), never run here, so an
 * event flood cannot make VS Code sluggish; its records are reduced into a
 * RunModel for the Processes view and forwarded to the inspector.
 */

import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RunReducer, type RunModel } from '../model/model';
import type { RecordingHeader, RecordLine } from '../model/recording';
import type { Summary } from '../model/summary';
import { Disposable } from './dispose';

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

export interface RunEnd {
  exitCode: number | null;
  signal: string | null;
  stopped: boolean;
  recording: string;
  launchError: string | null;
  summary: Summary | null;
  /** Set when the supervisor itself failed (crashed, could not start). */
  supervisorError: string | null;
}

type IpcMessage =
  | { type: 'header'; header: RecordingHeader }
  | { type: 'records'; records: RecordLine[] }
  | { type: 'output'; stream: 'stdout' | 'stderr'; data: string }
  | { type: 'end'; result: Omit<RunEnd, 'supervisorError'> };

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
    const args = ['record', '--ipc', '--quiet', '--out', r.out, '--python', r.python, '--sample-ms', String(r.sampleMs), '--max-processes', String(r.maxProcesses), ...(r.hangSeconds !== undefined ? ['--hang-seconds', String(r.hangSeconds)] : []), '--', r.script, ...r.args];
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
    if (r.startMethod) {
      env.FORKSCOPE_START_METHOD = r.startMethod;
      const dir = path.join(path.dirname(this.cliPath), '..', 'extension', 'vscode', 'python');
      env.PYTHONPATH = env.PYTHONPATH ? `${dir}${path.delimiter}${env.PYTHONPATH}` : dir;
    }
    let child: ChildProcess;
    try {
      child = fork(this.cliPath, args, { cwd: r.cwd, env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv: [] });
    } catch (e) {
      this.finish({ exitCode: null, signal: null, stopped: false, recording: r.out, launchError: null, summary: null, supervisorError: String(e) });
      return;
    }
    this.child = child;
    child.stderr?.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString()).slice(-4000);
    });
    child.on('message', (m: IpcMessage) => this.onMessage(m));
    child.on('error', (e) => {
      this.finish({ exitCode: null, signal: null, stopped: false, recording: r.out, launchError: null, summary: null, supervisorError: String(e) });
    });
    child.on('exit', (code, signal) => {
      // `end` normally arrives first; if it did not, the supervisor died.
      setTimeout(() => {
        if (!this.endResult) {
          const why = this.stderrTail.trim() || `the Forkscope supervisor exited with ${code ?? signal}`;
          this.finish({ exitCode: null, signal: null, stopped: false, recording: r.out, launchError: null, summary: null, supervisorError: why });
        }
      }, 100);
    });
  }

  private onMessage(m: IpcMessage): void {
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
      case 'output':
        this._onDidOutput.fire({ stream: m.stream, text: Buffer.from(m.data, 'base64').toString('utf8') });
        break;
      case 'end':
        this.finish({ ...m.result, supervisorError: null });
        break;
    }
  }

  private take(records: RecordLine[]): void {
    for (const rec of records) {
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

  /** Stops the whole process tree (the supervisor terminates, then kills, every process of the run). */
  async stop(): Promise<RunEnd> {
    const child = this.child;
    if (!this.endResult && child && child.connected) {
      child.send({ type: 'stop' });
      // If the supervisor does not answer, end it: its disconnect handling stops the run too.
      const timer = setTimeout(() => {
        if (!this.endResult) child.kill('SIGTERM');
      }, 10_000);
      await this.endPromise;
      clearTimeout(timer);
    }
    return this.endPromise;
  }

  override dispose(): void {
    if (this.child && !this.endResult && this.child.connected) this.child.send({ type: 'stop' });
    super.dispose();
  }
}

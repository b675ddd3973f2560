/**
 * One run supervisor forked ahead of time (`dist/cli.js serve --ipc`), so that a run starts the
 * moment it is asked for: Node's own start (40-100 ms) and loading the CLI are off the run's
 * critical path. At most one waits; the next run takes it (RunSession.start) and another is
 * forked for the run after. It waits with nothing open but its IPC channel, ends by itself when
 * the extension host goes away, and is killed with the extension.
 */

import { fork, type ChildProcess } from 'node:child_process';
import type * as vscode from 'vscode';

export class WarmSupervisor implements vscode.Disposable {
  private idle: ChildProcess | null = null;
  private disposed = false;

  constructor(private readonly cliPath: string) {}

  /** The supervisor waiting, if it is alive and connected (it is then the caller's), else null. */
  take(): ChildProcess | null {
    const c = this.idle;
    this.idle = null;
    return c && c.connected && c.exitCode === null && c.signalCode === null ? c : null;
  }

  /** The pid of the supervisor waiting (tests, diagnostics). */
  get idlePid(): number | undefined {
    return this.idle?.pid;
  }

  /** Forks one to wait, unless one already does. */
  prepare(): void {
    if (this.disposed || this.idle) return;
    // As RunSession forks one: without the host's Node options or the certificates Node would parse at start
    // (the run's own environment, certificates included, comes with the run message).
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.NODE_OPTIONS;
    delete env.NODE_EXTRA_CA_CERTS;
    let c: ChildProcess;
    try {
      c = fork(this.cliPath, ['serve', '--ipc'], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: [] });
    } catch {
      return; // the run forks its own, as before
    }
    const gone = () => {
      if (this.idle === c) this.idle = null;
    };
    c.on('error', gone);
    c.on('exit', gone);
    this.idle = c;
  }

  dispose(): void {
    this.disposed = true;
    const c = this.idle;
    this.idle = null;
    try {
      c?.kill();
    } catch {
      /* already gone */
    }
  }
}

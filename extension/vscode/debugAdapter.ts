/**
 * The `forkscope` debug type: F5 runs a script under Forkscope as a debug
 * session. It is not a debugger (no breakpoints): the session is the run.
 * Output goes to the Debug Console, the session's stop button stops the whole
 * process tree, and the Processes view follows the run. The adapter is an
 * inline implementation of the few Debug Adapter Protocol requests needed.
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import { Disposable } from './dispose';
import { DEBUG_TYPE } from './ids';
import type { RunController } from './runs';
import type { RunSession } from './runSession';

export interface ForkscopeLaunchConfiguration extends vscode.DebugConfiguration {
  program?: string;
  args?: string[];
  cwd?: string;
  env?: Record<string, string>;
  python?: string;
  startMethod?: 'fork' | 'spawn' | 'forkserver';
  openInspector?: boolean;
}

interface DapRequest {
  seq: number;
  type: 'request';
  command: string;
  arguments?: Record<string, unknown>;
}

class ForkscopeDebugAdapter implements vscode.DebugAdapter {
  private readonly emitter = new vscode.EventEmitter<vscode.DebugProtocolMessage>();
  readonly onDidSendMessage = this.emitter.event;
  private seq = 1;
  private run: RunSession | null = null;
  private subs: vscode.Disposable[] = [];
  private terminated = false;

  constructor(
    private readonly session: vscode.DebugSession,
    private readonly runs: RunController,
  ) {}

  private send(m: Record<string, unknown>): void {
    this.emitter.fire({ seq: this.seq++, ...m } as vscode.DebugProtocolMessage);
  }

  private respond(req: DapRequest, body: Record<string, unknown> = {}, error?: string): void {
    this.send({
      type: 'response',
      request_seq: req.seq,
      command: req.command,
      success: !error,
      ...(error ? { message: error } : {}),
      body,
    });
  }

  private event(event: string, body: Record<string, unknown> = {}): void {
    this.send({ type: 'event', event, body });
  }

  private output(category: 'console' | 'stdout' | 'stderr', text: string): void {
    this.event('output', { category, output: text });
  }

  private terminate(exitCode: number): void {
    if (this.terminated) return;
    this.terminated = true;
    this.event('exited', { exitCode });
    this.event('terminated');
  }

  handleMessage(message: vscode.DebugProtocolMessage): void {
    const req = message as DapRequest;
    if (req.type !== 'request') return;
    switch (req.command) {
      case 'initialize':
        this.respond(req, { supportsTerminateRequest: true, supportsConfigurationDoneRequest: true });
        this.event('initialized');
        break;
      case 'launch':
        void this.launch(req);
        break;
      case 'configurationDone':
        this.respond(req);
        break;
      case 'threads':
        this.respond(req, { threads: [] });
        break;
      case 'terminate':
      case 'disconnect':
        void this.stop().then(() => this.respond(req));
        break;
      default:
        this.respond(req, {}, `Forkscope does not support "${req.command}": it records the run rather than pausing it.`);
    }
  }

  private async launch(req: DapRequest): Promise<void> {
    const c = this.session.configuration as ForkscopeLaunchConfiguration;
    if (!c.program) {
      this.respond(req, {}, 'The launch configuration needs "program": the Python script to run.');
      this.terminate(1);
      return;
    }
    const folder = this.session.workspaceFolder?.uri.fsPath;
    const program = path.resolve(folder ?? process.cwd(), c.program);
    this.subs.push(
      this.runs.onDidOutput((e) => {
        if (e.session === this.run) this.output(e.stream, e.text);
      }),
    );
    try {
      this.run = await this.runs.start(vscode.Uri.file(program), {
        args: c.args,
        cwd: c.cwd ? path.resolve(folder ?? process.cwd(), c.cwd) : undefined,
        env: c.env,
        python: c.python,
        startMethod: c.startMethod,
        openInspector: c.openInspector,
        debugSessionId: this.session.id,
      });
    } catch (e) {
      this.respond(req, {}, e instanceof Error ? e.message : String(e));
      this.terminate(1);
      return;
    }
    this.respond(req);
    const run = this.run;
    this.output('console', `Forkscope: recording ${path.basename(program)} (${run.request.python}) → ${run.request.out}\n`);
    this.subs.push(
      run.onDidEnd((end) => {
        const how =
          end.supervisorError ??
          end.launchError ??
          (end.stopped ? 'stopped' : end.signal ? `killed by ${end.signal}` : `exited with code ${end.exitCode}`);
        this.output(
          'console',
          `Forkscope: ${path.basename(program)} ${how}${end.summary ? ` · ${end.summary.run.processes} processes, ${end.summary.run.messages} messages` : ''}\n`,
        );
        this.terminate(end.exitCode ?? 1);
      }),
    );
  }

  private async stop(): Promise<void> {
    if (this.run && (!this.run.ended || this.run.hasStrayTree)) await this.runs.stop(this.run);
  }

  dispose(): void {
    void this.stop();
    for (const s of this.subs) s.dispose();
    this.emitter.dispose();
  }
}

/** Registers the debug type: adapter, initial configurations, F5 without a launch.json. */
export class ForkscopeDebugType extends Disposable implements vscode.DebugConfigurationProvider, vscode.DebugAdapterDescriptorFactory {
  constructor(private readonly runs: RunController) {
    super();
    this._register(vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, this));
    this._register(vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, this));
  }

  createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.ProviderResult<vscode.DebugAdapterDescriptor> {
    return new vscode.DebugAdapterInlineImplementation(new ForkscopeDebugAdapter(session, this.runs));
  }

  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return [{ type: DEBUG_TYPE, request: 'launch', name: 'Forkscope: Run Current File', program: '${file}', cwd: '${workspaceFolder}' }];
  }

  resolveDebugConfiguration(
    _folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): vscode.ProviderResult<vscode.DebugConfiguration> {
    // F5 with no launch.json: run the Python file in the editor.
    if (!config.type && !config.request && !config.name) {
      const editor = vscode.window.activeTextEditor;
      if (editor && editor.document.languageId === 'python') {
        return { type: DEBUG_TYPE, request: 'launch', name: 'Forkscope: Run Current File', program: editor.document.uri.fsPath };
      }
    }
    if (!config.program) {
      return vscode.window.showInformationMessage('Forkscope: open a Python file or set "program" in launch.json.').then(() => undefined);
    }
    return config;
  }
}

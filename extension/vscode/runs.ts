/**
 * Starting and following runs: the interpreter, the recording's place, the
 * supervisor session, and everything that shows a run while it goes: the
 * Processes view, the inspector panel, the status bar item and the output
 * channel. One run is "shown" at a time (the latest); the view keeps it after
 * it ends.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_HANG_SECONDS } from '../../core/insights/shared';
import { HELPER_ROLES } from '../../core/model/roles';
import { RunReducer } from '../../core/model/reducer';
import type { RecordingHeader, RecordLine } from '../../core/model/recording';
import { summarize, type Summary, type SummaryWarning } from '../../core/summary/summary';
import { InsightNotifier, RunInsights } from './diagnostics';
import { Disposable } from './dispose';
import { WarmSupervisor } from './warmSupervisor';
import { ContextKeys, Settings, setContext } from './ids';
import { InspectorPanel, openSource, type InspectorSource } from './inspectorPanel';
import { AttributedLines, outputLabel } from './outputLines';
import { InterpreterError, reportInterpreterError, resolveInterpreter } from './interpreter';
import type { ProcessTreeProvider } from './processTree';
import { RunSession, type RunEnd } from './runSession';

/** Options of `runFile` (the API and the debug type). */
export interface RunFileOptions {
  args?: string[];
  cwd?: string;
  env?: Record<string, string | null | undefined>;
  /** Interpreter to use instead of the usual choice. */
  python?: string;
  startMethod?: 'fork' | 'spawn' | 'forkserver';
  /** Open the inspector panel (default: the `forkscope.openInspectorOnRun` setting). */
  openInspector?: boolean;
  /** Recording file (default: in the recordings folder). */
  out?: string;
  /** Set by the debug type: the session the run belongs to. */
  debugSessionId?: string;
  /** Show errors to the user (default true; the API passes false and rejects instead). */
  interactive?: boolean;
  /** Reveal and expand the Processes view when the run's first process appears and when it ends (default: `interactive`). */
  revealProcesses?: boolean;
}

export interface RunStartEvent {
  id: number;
  script: string;
  recording: string;
  debugSessionId: string | null;
}

export interface RunEndEvent extends RunStartEvent {
  exitCode: number | null;
  signal: string | null;
  stopped: boolean;
  summary: Summary | null;
  error: string | null;
}

/** How many of the output channel's last lines `RunController.outputLines` keeps (at least; up to twice as many). */
const OUTPUT_TAIL_LINES = 2000;

export class RunController extends Disposable {
  private readonly sessions = new Set<RunSession>();
  private shown: RunSession | null = null;
  readonly output: vscode.OutputChannel;
  private readonly status: vscode.StatusBarItem;
  private statusTimer: NodeJS.Timeout | null = null;
  /** Diagnostics of runs' insights (`forkscope`), one RunInsights per script: a new run replaces the last one's. */
  readonly diagnostics: vscode.DiagnosticCollection;
  readonly notifier: InsightNotifier;
  /** A supervisor forked ahead of the next run (warmSupervisor.ts). */
  readonly warm: WarmSupervisor;
  private readonly insightsByScript = new Map<string, RunInsights>();

  private readonly _onDidStartRun = this._register(new vscode.EventEmitter<RunStartEvent>());
  readonly onDidStartRun = this._onDidStartRun.event;
  private readonly _onDidEndRun = this._register(new vscode.EventEmitter<RunEndEvent>());
  readonly onDidEndRun = this._onDidEndRun.event;
  private readonly _onDidOutput = this._register(
    new vscode.EventEmitter<{ session: RunSession; stream: 'stdout' | 'stderr'; text: string }>(),
  );
  /** Raw output of every run (the debug adapter forwards it to the Debug Console). */
  readonly onDidOutput = this._onDidOutput.event;
  /** Set by the extension: reveals the Processes view (expanded, not focused) on a run's process. */
  revealProcesses: ((pid: number) => void) | null = null;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly tree: ProcessTreeProvider,
    readonly inspector: InspectorPanel,
  ) {
    super();
    this.output = this._register(vscode.window.createOutputChannel('Forkscope'));
    this.status = this._register(vscode.window.createStatusBarItem('forkscope.run', vscode.StatusBarAlignment.Left, 50));
    this.status.name = 'Forkscope run';
    this.status.command = 'forkscope.openInspector';
    this.diagnostics = this._register(vscode.languages.createDiagnosticCollection('forkscope'));
    this.notifier = this._register(new InsightNotifier());
    this.warm = this._register(new WarmSupervisor(this.cliPath));
    // A supervisor waits for the first run too, where scripts may run at all.
    if (vscode.workspace.isTrusted) this.warm.prepare();
  }

  private get cliPath(): string {
    return path.join(this.context.extensionPath, 'dist', 'cli.js');
  }

  /** Runs that have not ended, and runs whose supervisor died while the script's processes live on. */
  get liveSessions(): RunSession[] {
    return [...this.sessions].filter((s) => !s.ended || s.hasStrayTree);
  }

  /** The run the views show (the latest; kept after it ends). */
  get shownSession(): RunSession | null {
    return this.shown;
  }

  /** Where a run's recording goes: the setting's folder, else the extension's storage. */
  private recordingPath(script: string, resource: vscode.Uri): string {
    const setting = vscode.workspace.getConfiguration(Settings.section, resource).get<string>(Settings.recordingsFolder, '').trim();
    let dir: string;
    if (setting) {
      const folder = vscode.workspace.getWorkspaceFolder(resource)?.uri.fsPath ?? path.dirname(script);
      dir = path.resolve(folder, setting.replace(/^\$\{workspaceFolder\}/, folder).replace(/^~(?=$|\/)/, process.env.HOME ?? '~'));
    } else {
      dir = path.join((this.context.storageUri ?? this.context.globalStorageUri).fsPath, 'recordings');
    }
    fs.mkdirSync(dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
    return path.join(
      dir,
      `${path.basename(script).replace(/\.pyw?$/, '')}-${stamp}-${process.pid % 1000}${Math.floor(Math.random() * 1000)}.forkscope`,
    );
  }

  /**
   * Starts a run of `uri`. Resolves to the session once it is started;
   * rejects (after telling the user, when interactive) when it cannot start.
   */
  async start(uri: vscode.Uri, o: RunFileOptions = {}): Promise<RunSession> {
    const interactive = o.interactive ?? true;
    const reveal = o.revealProcesses ?? interactive;
    const fail = (msg: string): never => {
      if (interactive) void vscode.window.showErrorMessage(msg);
      throw new Error(msg);
    };
    if (!vscode.workspace.isTrusted) {
      const msg = 'Forkscope runs scripts only in a trusted workspace. Saved recordings can still be opened.';
      if (interactive) {
        void vscode.window
          .showWarningMessage(msg, 'Manage Workspace Trust')
          .then((c) => c && vscode.commands.executeCommand('workbench.trust.manage'));
      }
      throw new Error(msg);
    }
    if (uri.scheme !== 'file') fail(`Forkscope can only run files on this machine (got ${uri.toString()}).`);
    const script = uri.fsPath;
    if (!fs.existsSync(script)) fail(`Forkscope: ${script} does not exist.`);
    const cfg = vscode.workspace.getConfiguration(Settings.section, uri);
    const cwd = o.cwd ?? vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? path.dirname(script);
    let python: string;
    try {
      python = (await resolveInterpreter(uri, o.python, cwd)).command;
    } catch (e) {
      if (e instanceof InterpreterError) {
        if (interactive) void reportInterpreterError(e);
        throw e;
      }
      throw e;
    }
    const session = new RunSession(
      this.cliPath,
      {
        script,
        args: o.args ?? [],
        cwd,
        env: o.env,
        python,
        sampleMs: Math.max(10, cfg.get<number>(Settings.sampleIntervalMs, 100)),
        maxProcesses: Math.max(1, cfg.get<number>(Settings.maxProcesses, 1000)),
        hangSeconds: Math.max(0, cfg.get<number>(Settings.hangSeconds, DEFAULT_HANG_SECONDS)),
        out: o.out ?? this.recordingPath(script, uri),
        startMethod: o.startMethod,
      },
      o.debugSessionId ?? null,
      this.warm,
    );
    // Ended runs other than the one shown are let go (their records can be large).
    for (const old of this.sessions) {
      if (old.ended && !old.hasStrayTree && old !== this.shown) {
        this.sessions.delete(old);
        old.dispose();
      }
    }
    this.sessions.add(session);
    this.shown = session;
    this.insightsByScript.get(script)?.clear();
    const insights = new RunInsights(this.diagnostics, this.notifier, {
      showInInspector: (w) => this.showInsight(session, w),
      goToCode: (w) => void (w.file && openSource(w.file, w.line ?? 1)),
      stopRun: () => void this.stop(session),
    });
    this.insightsByScript.set(script, insights);
    // Lines are prefixed with the process whose Python wrote them, matched against the recorded writes.
    const out = new AttributedLines(
      path.basename(script),
      (line) => this.appendOutput(line),
      (pid) => outputLabel(session.model?.byPid.get(pid), pid, path.basename(script)),
    );
    const pumpTimer = setInterval(() => out.pump(), 250);
    this.appendOutput(`▶ ${python} ${path.basename(script)} ${(o.args ?? []).join(' ')} (recording → ${session.request.out})`);
    session.onDidOutput((e) => {
      out.write(e.stream, e.text);
      this._onDidOutput.fire({ session, ...e });
    });
    session.onDidReceiveRecords((records) => {
      out.records(records);
      if (session.model && this.insightsByScript.get(script) === insights) insights.updateLive(session.model);
      if (this.shown === session) {
        if (this.tree.shownModel !== session.model) {
          this.tree.show(session.model, true);
          // The view sits collapsed under Variables/Watch/Call Stack: open it once the run has a process to show.
          if (reveal && session.model?.processes[0]) this.revealProcesses?.(session.model.processes[0].pid);
        } else this.tree.refreshSoon();
        this.updateStatusSoon();
      }
    });
    session.onDidEnd((end) => {
      clearInterval(pumpTimer);
      out.flush();
      if (end.summary && this.insightsByScript.get(script) === insights) insights.updateFinal(end.summary.warnings, session.model);
      this.onEnded(session, end, interactive);
      if (reveal && this.shown === session && session.model?.processes[0]) this.revealProcesses?.(session.model.processes[0].pid);
    });
    session.start();
    void setContext(ContextKeys.running, true);
    void setContext(ContextKeys.hasRun, true);
    this.tree.show(null, true);
    this.updateStatusSoon();
    const openInspector = o.openInspector ?? cfg.get<boolean>(Settings.openInspectorOnRun, true);
    this.inspector.show(this.sourceOf(session), openInspector);
    this._onDidStartRun.fire({ id: session.id, script, recording: session.request.out, debugSessionId: session.debugSessionId });
    return session;
  }

  /** Opens the inspector on a session and shows one of its insights there. */
  private showInsight(session: RunSession, w: SummaryWarning): void {
    this.inspector.show(this.sourceOf(session), true, false);
    this.inspector.showInsight(w);
  }

  /** An inspector source following a session. */
  sourceOf(session: RunSession): InspectorSource {
    return {
      title: session.title,
      header: () => session.header,
      records: () => session.records,
      live: () => !session.ended,
      onRecords: session.onDidReceiveRecords,
      onEnd: session.onDidEnd,
    };
  }

  private onEnded(session: RunSession, end: RunEnd, interactive: boolean): void {
    const live = this.liveSessions;
    void setContext(ContextKeys.running, live.length > 0);
    if (this.shown === session) {
      this.tree.show(session.model, false);
      if (end.summary) this.tree.setWarnings(end.summary.warnings);
    }
    this.updateStatusSoon();
    const error = end.supervisorError ?? end.launchError;
    const how = error
      ? `could not run: ${error}`
      : end.stopped
        ? 'stopped'
        : end.signal
          ? `killed by ${end.signal}`
          : `exited with code ${end.exitCode}`;
    this.appendOutput(
      `■ ${session.title} ${how}${end.summary ? ` · ${end.summary.run.processes} processes, ${end.summary.run.messages} messages` : ''}`,
    );
    if (error && interactive) {
      const actions = session.hasStrayTree ? ['Stop the Script', 'Show Output'] : ['Show Output'];
      void vscode.window.showErrorMessage(`Forkscope: ${session.title} ${how}`, ...actions).then((c) => {
        if (c === 'Show Output') this.output.show();
        else if (c) void this.stop(session);
      });
    }
    this._onDidEndRun.fire({
      id: session.id,
      script: session.request.script,
      recording: session.request.out,
      debugSessionId: session.debugSessionId,
      exitCode: end.exitCode,
      signal: end.signal,
      stopped: end.stopped,
      summary: end.summary,
      error,
    });
  }

  /** Shows the run of a debug session (the Processes view follows the active session). */
  follow(debugSessionId: string | undefined): void {
    const s = [...this.sessions].find((x) => x.debugSessionId !== null && x.debugSessionId === debugSessionId);
    if (!s || s === this.shown) return;
    this.shown = s;
    this.tree.show(s.model, !s.ended);
    if (s.result?.summary) this.tree.setWarnings(s.result.summary.warnings);
    this.inspector.show(this.sourceOf(s), false);
    this.updateStatusSoon();
  }

  /** Stops every live run (or just `session`); resolves when they have ended. */
  async stop(session?: RunSession): Promise<void> {
    const targets = session ? [session] : this.liveSessions;
    await Promise.all(targets.map((s) => s.stop()));
    void setContext(ContextKeys.running, this.liveSessions.length > 0);
  }

  /** Shows a saved recording in the Processes view (the custom editor shows it in the inspector). */
  showRecording(header: RecordingHeader, records: RecordLine[]): void {
    if (this.liveSessions.length) return; // a live run keeps the view
    this.shown = null;
    const model = RunReducer.fromRecords(header, records);
    this.tree.show(model, false);
    this.tree.setWarnings(summarize(model).warnings);
    void setContext(ContextKeys.hasRun, true);
  }

  private updateStatusSoon(): void {
    if (this.statusTimer) return;
    this.statusTimer = setTimeout(() => {
      this.statusTimer = null;
      this.updateStatus();
    }, 500);
  }

  /** One line into the Forkscope output channel, kept in `outputLines` too. */
  private appendOutput(line: string): void {
    this.output.appendLine(line);
    this.outputTail.push(line);
    // Trimmed in one go at twice the size, so a chatty script does not move the whole array at every line.
    if (this.outputTail.length >= 2 * OUTPUT_TAIL_LINES) this.outputTail.splice(0, this.outputTail.length - OUTPUT_TAIL_LINES);
  }
  private readonly outputTail: string[] = [];

  /** The last lines written to the output channel (VS Code gives no way to read a channel back); for tests. */
  get outputLines(): readonly string[] {
    return this.outputTail;
  }

  /** What the status bar item shows (null: hidden); for tests. */
  get statusText(): string | null {
    return this.statusShown ? this.status.text : null;
  }
  private statusShown = false;

  private updateStatus(): void {
    const s = this.shown;
    const m = s?.model;
    if (!s || s.ended) {
      this.status.hide();
      this.statusShown = false;
      return;
    }
    let alive = 0;
    let cpu = 0;
    for (const p of m?.processes ?? []) {
      if (p.endedAt !== null || HELPER_ROLES.has(p.role)) continue;
      alive++;
      cpu += p.cpuPercent ?? 0;
    }
    this.status.text = `$(pulse) ${s.title}: ${alive} alive · ${Math.round(cpu)} % CPU`;
    this.status.tooltip = `Forkscope is recording ${s.request.script}\n${alive} processes alive, ${Math.round(cpu)} % CPU in total (100 % = one core)\nClick to open the inspector.`;
    this.status.show();
    this.statusShown = true;
    this.updateStatusSoon();
  }

  override dispose(): void {
    for (const s of this.sessions) s.dispose();
    if (this.statusTimer) clearTimeout(this.statusTimer);
    super.dispose();
  }
}

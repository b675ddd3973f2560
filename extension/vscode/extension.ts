/**
 * Forkscope's VS Code extension: commands, the Processes view, the inspector,
 * the `forkscope` debug type, the recording editor, and the API other
 * extensions (and the integration tests) use.
 */

import * as vscode from 'vscode';
import type { Summary } from '../../core/summary/summary';
import { ForkscopeDebugType } from './debugAdapter';
import { ComparePanels } from './comparePanel';
import { Disposable } from './dispose';
import { Commands, ContextKeys, CUSTOM_EDITOR, DEBUG_TYPE, registerCommand, setContext, Views, WALKTHROUGH } from './ids';
import { InspectorPanel, openSource } from './inspectorPanel';
import { ProcessTreeProvider, revealRow, type ProcessItem } from './processTree';
import { RecordingEditorProvider } from './recordingEditor';
import { RunController, type RunEndEvent, type RunFileOptions, type RunStartEvent } from './runs';
import { openSamples, openWalkthroughOnFirstStart } from './samples';

/** What `activate()` returns. */
export interface ForkscopeApi {
  /** Runs a script under Forkscope; resolves to its `forkscope.summary/1` summary when it ends. */
  runFile(uri: vscode.Uri, options?: RunFileOptions): Promise<Summary>;
  /** Stops every run. */
  stopAll(): Promise<void>;
  readonly onDidStartRun: vscode.Event<RunStartEvent>;
  readonly onDidEndRun: vscode.Event<RunEndEvent>;
  /** For the integration tests only: the extension's parts. Not a stable API. */
  readonly _test: {
    tree: ProcessTreeProvider;
    treeView: vscode.TreeView<ProcessItem>;
    runs: RunController;
    inspector: InspectorPanel;
    recordings: RecordingEditorProvider;
    compare: ComparePanels;
    /** Whether activation opened the walkthrough; how many times runs revealed the Processes view. */
    walkthroughOnStart: Promise<boolean>;
    processesRevealed: () => number;
    /** What VS Code calls when it closes or the extension is disabled. */
    deactivate: () => Promise<void>;
  };
}

class ForkscopeExtension extends Disposable {
  readonly tree: ProcessTreeProvider;
  readonly treeView: vscode.TreeView<ProcessItem>;
  readonly inspector: InspectorPanel;
  readonly runs: RunController;
  readonly recordings: RecordingEditorProvider;
  readonly compare: ComparePanels;

  constructor(private readonly context: vscode.ExtensionContext) {
    super();
    this.tree = this._register(new ProcessTreeProvider());
    this.treeView = this._register(vscode.window.createTreeView(Views.processes, { treeDataProvider: this.tree, showCollapseAll: true }));
    const hooks = { onSelected: (pid: number | null) => pid !== null && this.revealInTree(pid) };
    this.inspector = this._register(new InspectorPanel(context.extensionUri, hooks));
    this.runs = this._register(new RunController(context, this.tree, this.inspector));
    this.recordings = this._register(new RecordingEditorProvider(context.extensionUri, hooks));
    this.compare = this._register(new ComparePanels(context.extensionUri));
    this._register(
      vscode.window.registerCustomEditorProvider(CUSTOM_EDITOR, this.recordings, {
        webviewOptions: { retainContextWhenHidden: false },
        supportsMultipleEditorsPerDocument: true,
      }),
    );
    this._register(this.recordings.onDidOpenRecording((e) => this.runs.showRecording(e.recording.header, e.recording.records)));
    this._register(new ForkscopeDebugType(this.runs));
    this._register(vscode.debug.onDidChangeActiveDebugSession((s) => s?.type === DEBUG_TYPE && this.runs.follow(s.id)));
    this._register(this.runs.onDidEndRun(() => this.treeView && (this.treeView.message = undefined)));
    this.runs.revealProcesses = (pid) => this.revealProcessesView(pid);
    this.registerCommands();
    void setContext(ContextKeys.running, false);
    void setContext(ContextKeys.hasRun, false);
    this.walkthroughOnStart = openWalkthroughOnFirstStart(context, WALKTHROUGH).catch(() => false);
  }

  /** Whether activation opened the walkthrough (the first start in the sample workspace). */
  readonly walkthroughOnStart: Promise<boolean>;

  /** Opens the Run and Debug side bar on the Processes view, expanded, without taking focus from the editor. */
  private revealProcessesView(pid: number): void {
    if (!this.tree.process(pid)) return;
    this.processesRevealed++;
    void revealRow(this.treeView, this.tree.item(pid), { select: false, focus: false, expand: true }).catch(() => undefined);
  }

  /** How many times a run revealed the Processes view (for the tests). */
  processesRevealed = 0;

  private revealInTree(pid: number): void {
    if (!this.treeView.visible || !this.tree.process(pid)) return;
    void revealRow(this.treeView, this.tree.item(pid), { select: true, focus: false }).catch(() => undefined);
  }

  private registerCommands(): void {
    const r = <T extends vscode.Disposable>(d: T) => this._register(d);
    r(
      registerCommand(Commands.runFile, async (uri) => {
        const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
        if (!target || !/\.pyw?$/i.test(target.path)) {
          void vscode.window.showInformationMessage('Forkscope: open a Python file (.py) to run it.');
          return;
        }
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.toString());
        if (doc?.isDirty) await doc.save();
        try {
          await this.runs.start(target);
        } catch {
          /* already reported */
        }
      }),
    );
    r(registerCommand(Commands.stop, () => this.runs.stop()));
    r(
      registerCommand(Commands.openInspector, () => {
        const s = this.runs.shownSession;
        if (!s) {
          void vscode.window.showInformationMessage(
            'Forkscope: nothing to inspect yet. Run a Python file with Forkscope, or open a .forkscope recording.',
          );
          return;
        }
        this.inspector.show(this.runs.sourceOf(s), true, false);
      }),
    );
    r(
      registerCommand(Commands.openRecording, async (uri) => {
        let target = uri instanceof vscode.Uri ? uri : undefined;
        if (!target) {
          const picked = await vscode.window.showOpenDialog({
            canSelectMany: false,
            filters: { 'Forkscope recordings': ['forkscope'] },
            openLabel: 'Open Recording',
          });
          target = picked?.[0];
        }
        if (target) await vscode.commands.executeCommand('vscode.openWith', target, CUSTOM_EDITOR);
      }),
    );
    r(
      registerCommand(Commands.openSamples, (target, options) =>
        openSamples(this.context.extensionPath, target instanceof vscode.Uri ? target : undefined, options),
      ),
    );
    r(registerCommand(Commands.showOutput, () => this.runs.output.show(true)));
    r(
      registerCommand(Commands.compareRecordings, async (clicked, selected) => {
        const pair = await this.compare.pick(
          clicked instanceof vscode.Uri ? clicked : undefined,
          Array.isArray(selected) ? selected : undefined,
        );
        return pair ? this.compare.show(pair[0], pair[1]) : null;
      }),
    );
    const pidOf = (item?: { pid: number }) => (item && typeof item.pid === 'number' ? item.pid : this.treeView.selection[0]?.pid);
    r(
      registerCommand(Commands.revealInInspector, (item) => {
        const pid = pidOf(item);
        if (pid === undefined) return;
        const s = this.runs.shownSession;
        if (s && this.tree.shownModel === s.model) {
          this.inspector.show(this.runs.sourceOf(s), true);
          this.inspector.select(pid);
        } else {
          for (const view of this.recordings.open.values()) view.select(pid);
        }
      }),
    );
    r(
      registerCommand(Commands.goToTarget, async (item) => {
        const pid = pidOf(item);
        const p = pid !== undefined ? this.tree.process(pid) : undefined;
        if (!p?.file) {
          void vscode.window.showInformationMessage('Forkscope: this process has no target function with a known source.');
          return;
        }
        await openSource(p.file, p.line ?? 1);
      }),
    );
    const signal = (sig: 'SIGTERM' | 'SIGKILL') => (item?: { pid: number }) => {
      const pid = pidOf(item);
      const s = this.runs.shownSession;
      const p = pid !== undefined ? this.tree.process(pid) : undefined;
      // Only processes of the live run, and only while they are alive: never a pid the OS may have reused.
      if (!p || !s || s.ended || s.model !== this.tree.shownModel || p.endedAt !== null) {
        void vscode.window.showInformationMessage('Forkscope: that process is not running.');
        return;
      }
      try {
        process.kill(p.pid, sig);
      } catch (e) {
        void vscode.window.showWarningMessage(`Forkscope: could not send ${sig} to pid ${p.pid}: ${(e as Error).message}`);
      }
    };
    r(registerCommand(Commands.terminateProcess, signal('SIGTERM')));
    r(registerCommand(Commands.killProcess, signal('SIGKILL')));
  }

  api(): ForkscopeApi {
    return {
      runFile: async (uri, options = {}) => {
        const session = await this.runs.start(uri, { interactive: false, ...options });
        const end = await session.whenEnded();
        if (end.supervisorError || end.launchError || !end.summary)
          throw new Error(end.supervisorError ?? end.launchError ?? 'the run produced no summary');
        return end.summary;
      },
      stopAll: () => this.runs.stop(),
      onDidStartRun: this.runs.onDidStartRun,
      onDidEndRun: this.runs.onDidEndRun,
      _test: {
        tree: this.tree,
        treeView: this.treeView,
        runs: this.runs,
        inspector: this.inspector,
        recordings: this.recordings,
        compare: this.compare,
        walkthroughOnStart: this.walkthroughOnStart,
        processesRevealed: () => this.processesRevealed,
        deactivate,
      },
    };
  }
}

let instance: ForkscopeExtension | undefined;

export function activate(context: vscode.ExtensionContext): ForkscopeApi {
  instance = new ForkscopeExtension(context);
  context.subscriptions.push(instance);
  return instance.api();
}

/** How long deactivation waits for runs to stop (VS Code gives an extension about 5 s). */
const DEACTIVATE_STOP_MS = 4000;

/**
 * Closing VS Code, reloading the window or disabling the extension: every run
 * is stopped (its whole process tree) before the extension goes. If the
 * extension host is gone before that finishes, each supervisor sees its IPC
 * channel close and stops its run by itself.
 */
export async function deactivate(): Promise<void> {
  const ext = instance;
  instance = undefined;
  if (!ext) return;
  await Promise.race([ext.runs.stop(), new Promise((r) => setTimeout(r, DEACTIVATE_STOP_MS))]);
  ext.dispose();
}

/**
 * A run's insights in the editor: every warning that names a line of code
 * becomes a diagnostic there (the Problems view lists them), filled live as
 * warnings stream in and again from the summary when the run ends; a new run
 * of the same script replaces its predecessor's. Warnings of severity
 * `error` (a deadlock) during a live run also raise a notification with
 * "Show in Inspector", "Go to Code" and "Stop Run".
 */

import * as vscode from 'vscode';
import type { RunModel } from '../../core/model/types';
import { summaryWarning, type SummaryWarning } from '../../core/summary/summary';
import { Disposable } from './dispose';

export const DIAGNOSTIC_SOURCE = 'Forkscope';

const SEVERITY: Record<SummaryWarning['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/** The processes a warning names, as "writer (pid 12)". */
function processLabel(model: RunModel | null, pid: number): string {
  const p = model?.byPid.get(pid);
  return p ? `${p.name} (pid ${pid})` : `pid ${pid}`;
}

/** The diagnostics of some warnings, by file (only warnings with a file and a line). */
export function diagnosticsOf(warnings: readonly SummaryWarning[], model: RunModel | null): Map<string, vscode.Diagnostic[]> {
  const byFile = new Map<string, vscode.Diagnostic[]>();
  for (const w of warnings) {
    if (!w.file || w.line === null || !(w.line >= 1)) continue;
    const line = w.line - 1;
    const d = new vscode.Diagnostic(new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER), w.message, SEVERITY[w.severity]);
    d.source = DIAGNOSTIC_SOURCE;
    d.code = w.kind;
    const here = new vscode.Location(vscode.Uri.file(w.file), new vscode.Position(line, 0));
    d.relatedInformation = w.pids.map((pid) => {
      const p = model?.byPid.get(pid);
      // A process with a known target links to it; the others to the warning's own line.
      const where = p?.file && p.line ? new vscode.Location(vscode.Uri.file(p.file), new vscode.Position(p.line - 1, 0)) : here;
      return new vscode.DiagnosticRelatedInformation(where, `${processLabel(model, pid)}${p?.target ? `, running ${p.target}` : ''}`);
    });
    let list = byFile.get(w.file);
    if (!list) byFile.set(w.file, (list = []));
    list.push(d);
  }
  return byFile;
}

export interface InsightNotification {
  message: string;
  actions: string[];
  warning: SummaryWarning;
}

export interface InsightActions {
  showInInspector(w: SummaryWarning): void;
  goToCode(w: SummaryWarning): void;
  stopRun(): void;
}

/** The diagnostics and notifications of one run (a RunController keeps one per script). */
export class RunInsights {
  private files = new Set<string>();
  private shownWarnings = 0;
  private readonly notified = new Set<string>();

  constructor(
    private readonly collection: vscode.DiagnosticCollection,
    private readonly notifier: InsightNotifier,
    private readonly actions: InsightActions,
  ) {}

  /** Live: takes the model's warnings that are new since the last call. */
  updateLive(model: RunModel): void {
    if (model.warnings.length === this.shownWarnings) return;
    this.shownWarnings = model.warnings.length;
    const list = model.warnings.map(summaryWarning);
    this.set(list, model);
    for (const w of list) if (w.severity === 'error') this.notify(w);
  }

  /** The run ended: the summary's warnings (the model's and the analysis's) replace the live ones. */
  updateFinal(warnings: readonly SummaryWarning[], model: RunModel | null): void {
    this.set(warnings, model);
  }

  /** Removes this run's diagnostics (a new run of the script starts). */
  clear(): void {
    for (const f of this.files) this.collection.delete(vscode.Uri.file(f));
    this.files.clear();
  }

  private set(warnings: readonly SummaryWarning[], model: RunModel | null): void {
    const byFile = diagnosticsOf(warnings, model);
    for (const f of this.files) if (!byFile.has(f)) this.collection.delete(vscode.Uri.file(f));
    for (const [f, list] of byFile) this.collection.set(vscode.Uri.file(f), list);
    this.files = new Set(byFile.keys());
  }

  private notify(w: SummaryWarning): void {
    const key = `${w.kind} ${w.pid} ${w.at}`;
    if (this.notified.has(key)) return;
    this.notified.add(key);
    const actions = ['Show in Inspector', ...(w.file && w.line !== null ? ['Go to Code'] : []), 'Stop Run'];
    void this.notifier.show({ message: `Forkscope: ${w.message}`, actions, warning: w }).then((choice) => {
      if (choice === 'Show in Inspector') this.actions.showInInspector(w);
      else if (choice === 'Go to Code') this.actions.goToCode(w);
      else if (choice === 'Stop Run') this.actions.stopRun();
    });
  }
}

/** Shows notifications (and remembers them, for the integration tests). */
export class InsightNotifier extends Disposable {
  /** Every notification shown, newest last (test hook). */
  readonly shown: InsightNotification[] = [];
  private readonly _onDidShow = this._register(new vscode.EventEmitter<InsightNotification>());
  readonly onDidShow = this._onDidShow.event;

  show(n: InsightNotification): Thenable<string | undefined> {
    this.shown.push(n);
    this._onDidShow.fire(n);
    return vscode.window.showErrorMessage(n.message, ...n.actions);
  }
}

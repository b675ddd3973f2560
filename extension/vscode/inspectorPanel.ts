/**
 * The inspector in VS Code: the webview bundle (dist/webview.js) in a panel
 * for runs, or in the read-only custom editor for saved recordings. The page
 * posts `ready` whenever it (re)loads; the host answers with the whole run so
 * far (`init`), then streams `records`. Hidden panels drop their page, so a
 * panel shown again simply gets a fresh `init`.
 */

import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { RecordingHeader, RecordLine } from '../../core/model/recording';
import type { SummaryWarning } from '../../core/summary/summary';
import { renderInspectorPage } from '../../core/page/page';
import { isMessage, type FromWebview, type ToWebview } from '../../core/protocol/webview';
import { Disposable } from './dispose';
import { WEBVIEW_PANEL } from './ids';

/** What an inspector shows: a recording, or a run that may still be going. */
export interface InspectorSource {
  title: string;
  header(): RecordingHeader | null;
  records(): readonly RecordLine[];
  live(): boolean;
  /** Fires with new records (live runs). */
  onRecords?: vscode.Event<RecordLine[]>;
  /** Fires when a live run ends. */
  onEnd?: vscode.Event<unknown>;
}

export interface InspectorHooks {
  onSelected?(pid: number | null): void;
}

/** Binds a webview to a source: HTML, the protocol, and (re)sending state. */
export class InspectorWebview extends Disposable {
  private ready = false;
  /** Whether the page has had the current source's `init` (records before it would be lost). */
  private initialized = false;
  private sourceSubs: vscode.Disposable[] = [];
  private source: InspectorSource | null = null;
  /** Test hooks: what the page told us and what it was sent. */
  readonly stats = { readyCount: 0, initsSent: 0, recordsSent: 0, lastInitRecords: 0 };

  constructor(
    readonly webview: vscode.Webview,
    private readonly extensionUri: vscode.Uri,
    private readonly hooks: InspectorHooks = {},
  ) {
    super();
    const dist = vscode.Uri.joinPath(extensionUri, 'dist');
    webview.options = { enableScripts: true, localResourceRoots: [dist] };
    this._register(webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)));
    webview.html = renderInspectorPage({
      kind: 'vscode',
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      cspSource: webview.cspSource,
      title: 'Forkscope inspector',
    });
  }

  /** The page went away (hidden panel): it will post `ready` again when shown. */
  markNotReady(): void {
    this.ready = false;
    this.initialized = false;
  }

  show(source: InspectorSource): void {
    for (const d of this.sourceSubs) d.dispose();
    this.sourceSubs = [];
    this.source = source;
    this.initialized = false;
    // A live run's header arrives with its first records: the first batch becomes the page's init.
    if (source.onRecords)
      this.sourceSubs.push(
        source.onRecords((r) => (this.initialized ? this.post({ type: 'records', records: r }, r.length) : this.sendInit())),
      );
    if (source.onEnd) this.sourceSubs.push(source.onEnd(() => this.sendInit()));
    this.sendInit();
  }

  select(pid: number): void {
    this.post({ type: 'select', pid });
  }

  /** Shows an insight in the page (once the page has the run, if it is still loading). */
  showInsight(w: Pick<SummaryWarning, 'kind' | 'pid' | 'at'>): void {
    const m: ToWebview = { type: 'showInsight', kind: w.kind, pid: w.pid, at: w.at };
    if (this.ready && this.initialized) this.post(m);
    else this.pendingInsight = m;
  }

  private pendingInsight: ToWebview | null = null;

  private sendInit(): void {
    const s = this.source;
    const header = s?.header();
    if (!s || !header || !this.ready) return;
    this.initialized = true;
    const records = s.records().slice();
    void this.webview.postMessage({ type: 'init', header, records, live: s.live(), title: s.title } satisfies ToWebview).then((ok) => {
      if (ok) {
        this.stats.initsSent++;
        this.stats.lastInitRecords = records.length;
      }
    });
    if (this.pendingInsight) {
      this.post(this.pendingInsight);
      this.pendingInsight = null;
    }
  }

  private post(m: ToWebview, records = 0): void {
    if (!this.ready) return;
    // Records that reach a page before its init are covered by the init (it is sent on `ready`).
    void this.webview.postMessage(m).then((ok) => {
      if (ok) this.stats.recordsSent += records;
    });
  }

  private onMessage(m: unknown): void {
    if (!isMessage<FromWebview>(m, ['ready', 'selected', 'openSource'])) return;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.stats.readyCount++;
        this.sendInit();
        break;
      case 'selected':
        this.hooks.onSelected?.(typeof m.pid === 'number' ? m.pid : null);
        break;
      case 'openSource':
        void openSource(m.file, m.line);
        break;
    }
  }

  override dispose(): void {
    for (const d of this.sourceSubs) d.dispose();
    super.dispose();
  }
}

/** Opens `file` at `line` (1-based) if it is a file that exists. */
export async function openSource(file: string, line: number): Promise<boolean> {
  if (typeof file !== 'string' || !file || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    void vscode.window.showWarningMessage(`Forkscope: the source ${file} is not on this machine.`);
    return false;
  }
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const pos = new vscode.Position(Math.max(0, (Number(line) || 1) - 1), 0);
  await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos), preview: true, viewColumn: vscode.ViewColumn.One });
  return true;
}

/** The inspector panel for runs: one panel, re-pointed at each new run. */
export class InspectorPanel extends Disposable {
  private panel: vscode.WebviewPanel | null = null;
  private view: InspectorWebview | null = null;
  private source: InspectorSource | null = null;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly hooks: InspectorHooks = {},
  ) {
    super();
  }

  get isOpen(): boolean {
    return this.panel !== null;
  }

  get webviewStats(): InspectorWebview['stats'] | null {
    return this.view?.stats ?? null;
  }

  /** Points the panel (if open) at a source; `reveal` opens it. */
  show(source: InspectorSource, reveal: boolean, preserveFocus = true): void {
    this.source = source;
    if (!this.panel && reveal) this.create(preserveFocus);
    else if (this.panel && reveal) this.panel.reveal(undefined, preserveFocus);
    if (this.panel) this.panel.title = `Forkscope: ${source.title}`;
    this.view?.show(source);
  }

  select(pid: number): void {
    this.view?.select(pid);
  }

  showInsight(w: Pick<SummaryWarning, 'kind' | 'pid' | 'at'>): void {
    this.view?.showInsight(w);
  }

  private create(preserveFocus: boolean): void {
    const panel = vscode.window.createWebviewPanel(
      WEBVIEW_PANEL,
      'Forkscope',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus },
      { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist')] },
    );
    panel.iconPath = vscode.Uri.joinPath(this.extensionUri, 'media', 'forkscope.svg');
    const view = new InspectorWebview(panel.webview, this.extensionUri, this.hooks);
    panel.onDidChangeViewState((e) => {
      if (!e.webviewPanel.visible) view.markNotReady();
    });
    panel.onDidDispose(() => {
      view.dispose();
      if (this.panel === panel) {
        this.panel = null;
        this.view = null;
      }
    });
    this.panel = panel;
    this.view = view;
  }

  override dispose(): void {
    this.panel?.dispose();
    super.dispose();
  }
}

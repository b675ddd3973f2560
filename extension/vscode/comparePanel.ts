/**
 * "Forkscope: Compare Recordings…": two saved runs side by side in a webview
 * — the same bundle as the inspector, in its compare mode (the figures, busy
 * time per worker, both timelines on one aligned time axis). The page posts
 * `ready` whenever it (re)loads and gets the two runs in one `compare` message.
 */

import * as path from 'node:path';
import * as vscode from 'vscode';
import { parseRecording, type ParsedRecording } from '../../core/model/recording';
import { renderInspectorPage } from '../../core/page/page';
import { isMessage, type FromWebview, type ToWebview } from '../../core/protocol/webview';
import { Disposable } from './dispose';
import { COMPARE_PANEL } from './ids';

interface Loaded {
  uri: vscode.Uri;
  label: string;
  recording: ParsedRecording;
}

async function load(uri: vscode.Uri): Promise<Loaded> {
  const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  return { uri, label: path.basename(uri.path), recording: parseRecording(text, uri.fsPath) };
}

/** One compare panel (a new one per pair of recordings). */
export class ComparePanel extends Disposable {
  /** Test hooks: what the page told us and what it was sent. */
  readonly stats = { readyCount: 0, comparesSent: 0, shownLanes: null as [number, number] | null };
  readonly labels: [string, string];

  constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private readonly runs: [Loaded, Loaded],
  ) {
    super();
    this.labels = [runs[0].label, runs[1].label];
    if (this.labels[0] === this.labels[1]) {
      // Two files of the same name: tell them apart by their folders.
      for (let i = 0; i < 2; i++) this.labels[i] = `${path.basename(path.dirname(runs[i].uri.path))}/${this.labels[i]}`;
    }
    const dist = vscode.Uri.joinPath(extensionUri, 'dist');
    panel.webview.options = { enableScripts: true, localResourceRoots: [dist] };
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'forkscope.svg');
    this._register(panel.webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)));
    panel.webview.html = renderInspectorPage({
      kind: 'vscode',
      mode: 'compare',
      scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      cspSource: panel.webview.cspSource,
      title: `Compare ${this.labels[0]} vs ${this.labels[1]}`,
    });
  }

  private onMessage(m: unknown): void {
    if (!isMessage<FromWebview>(m, ['ready', 'compareShown'])) return;
    if (m.type === 'compareShown') {
      if (Array.isArray(m.lanes)) this.stats.shownLanes = [Number(m.lanes[0]), Number(m.lanes[1])];
      return;
    }
    if (m.type !== 'ready') return;
    this.stats.readyCount++;
    const message: ToWebview = {
      type: 'compare',
      runs: [0, 1].map((i) => ({
        title: this.labels[i],
        header: this.runs[i].recording.header,
        records: this.runs[i].recording.records,
      })) as [
        { title: string; header: ParsedRecording['header']; records: ParsedRecording['records'] },
        { title: string; header: ParsedRecording['header']; records: ParsedRecording['records'] },
      ],
    };
    void this.panel.webview.postMessage(message).then((ok) => ok && this.stats.comparesSent++);
  }
}

/** Opens compare panels; keeps the open ones (for the integration tests). */
export class ComparePanels extends Disposable {
  readonly open = new Set<ComparePanel>();

  constructor(private readonly extensionUri: vscode.Uri) {
    super();
  }

  /** Asks which two recordings to compare when they were not given (Explorer selection, or a file dialog). */
  async pick(clicked?: vscode.Uri, selected?: readonly vscode.Uri[]): Promise<[vscode.Uri, vscode.Uri] | null> {
    const isRecording = (u: vscode.Uri) => u.path.endsWith('.forkscope');
    const given = (selected?.length ? [...selected] : clicked ? [clicked] : []).filter((u) => u instanceof vscode.Uri && isRecording(u));
    let uris = given;
    if (uris.length < 2) {
      const picked = await vscode.window.showOpenDialog({
        canSelectMany: true,
        filters: { 'Forkscope recordings': ['forkscope'] },
        openLabel: uris.length === 1 ? 'Compare With' : 'Compare',
        title: uris.length === 1 ? `Compare ${path.basename(uris[0].path)} with…` : 'Pick two recordings to compare (A, then B)',
      });
      if (!picked?.length) return null;
      uris = [...uris, ...picked];
    }
    if (uris.length !== 2) {
      void vscode.window.showInformationMessage(`Forkscope: pick exactly two recordings to compare (${uris.length} were picked).`);
      return null;
    }
    return [uris[0], uris[1]];
  }

  /** Opens a panel comparing A and B; resolves to it (or null when a file could not be read, after saying so). */
  async show(a: vscode.Uri, b: vscode.Uri): Promise<ComparePanel | null> {
    let runs: [Loaded, Loaded];
    try {
      runs = [await load(a), await load(b)];
    } catch (e) {
      void vscode.window.showErrorMessage(`Forkscope: cannot compare: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
    const panel = vscode.window.createWebviewPanel(
      COMPARE_PANEL,
      `Compare: ${runs[0].label} vs ${runs[1].label}`,
      vscode.ViewColumn.Active,
      {
        enableScripts: true,
        localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'dist')],
      },
    );
    const view = new ComparePanel(panel, this.extensionUri, runs);
    this.open.add(view);
    panel.onDidDispose(() => {
      view.dispose();
      this.open.delete(view);
    });
    return view;
  }

  override dispose(): void {
    for (const v of this.open) v.panel.dispose();
    super.dispose();
  }
}

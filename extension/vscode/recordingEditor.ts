/**
 * Saved recordings (`*.forkscope`) open in a read-only custom editor that is
 * the inspector. Allowed in untrusted workspaces: it only reads the file and
 * runs nothing.
 */

import * as vscode from 'vscode';
import { parseRecording, type ParsedRecording } from '../../core/model/recording';
import { Disposable } from './dispose';
import { InspectorWebview, type InspectorHooks } from './inspectorPanel';

class RecordingDocument implements vscode.CustomDocument {
  constructor(
    readonly uri: vscode.Uri,
    readonly recording: ParsedRecording | null,
    readonly error: string | null,
  ) {}
  dispose(): void {}
}

export class RecordingEditorProvider extends Disposable implements vscode.CustomReadonlyEditorProvider<RecordingDocument> {
  /** Test hook: the inspectors of open recordings, by file path. */
  readonly open = new Map<string, InspectorWebview>();
  private readonly _onDidOpenRecording = this._register(new vscode.EventEmitter<{ uri: vscode.Uri; recording: ParsedRecording }>());
  readonly onDidOpenRecording = this._onDidOpenRecording.event;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly hooks: InspectorHooks = {},
  ) {
    super();
  }

  async openCustomDocument(uri: vscode.Uri): Promise<RecordingDocument> {
    try {
      const bytes = await vscode.workspace.fs.readFile(uri);
      const text = new TextDecoder().decode(bytes);
      return new RecordingDocument(uri, parseRecording(text, uri.fsPath), null);
    } catch (e) {
      return new RecordingDocument(uri, null, e instanceof Error ? e.message : String(e));
    }
  }

  resolveCustomEditor(document: RecordingDocument, panel: vscode.WebviewPanel): void {
    const view = new InspectorWebview(panel.webview, this.extensionUri, this.hooks);
    const key = document.uri.fsPath;
    this.open.set(key, view);
    panel.onDidChangeViewState((e) => {
      if (!e.webviewPanel.visible) view.markNotReady();
    });
    panel.onDidDispose(() => {
      view.dispose();
      if (this.open.get(key) === view) this.open.delete(key);
    });
    const rec = document.recording;
    if (!rec) {
      void vscode.window.showErrorMessage(`Forkscope: ${document.error ?? 'this file cannot be read.'}`);
      return;
    }
    const name = document.uri.path.split('/').pop() ?? 'recording';
    view.show({ title: name, header: () => rec.header, records: () => rec.records, live: () => false });
    this._onDidOpenRecording.fire({ uri: document.uri, recording: rec });
  }
}

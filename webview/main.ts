/**
 * The webview bundle's entry (dist/webview.js), for both hosts:
 *
 * - inside VS Code: posts `ready`, then handles `init` / `records` / `select`
 *   from the extension and posts `selected` / `openSource`; view state is kept
 *   with `acquireVsCodeApi().getState/setState`;
 * - standalone report: reads the recording inlined in the page and shows it.
 *   A standalone page without an inlined recording takes the same protocol
 *   messages through `window.postMessage` (the benchmark feeds live runs so).
 */

import { parseHeader, type RecordLine } from '../extension/model/recording';
import { Inspector, type InspectorHost } from './inspector';
import { RECORDING_ELEMENT_ID } from './page';
import { isMessage, TO_WEBVIEW_TYPES, type FromWebview, type ToWebview } from './protocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

declare global {
  interface Window {
    /** Test and benchmark hook: the running inspector. */
    __forkscope?: { inspector: Inspector; ready: boolean; error: string | null };
  }
}

/**
 * The records of a recording's text, parsed one line at a time (the same
 * rules as parseRecording: a cut last line and unreadable lines are skipped).
 */
function* recordLines(text: string, headerEnd: number): Generator<RecordLine> {
  let at = headerEnd < 0 ? text.length : headerEnd + 1;
  while (at < text.length) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    if (end > at) {
      try {
        yield JSON.parse(text.slice(at, end)) as RecordLine;
      } catch {
        /* a cut last line, or a damaged one: skipped */
      }
    }
    at = end + 1;
  }
}

function start(): void {
  performance.mark('fs:script-start');
  const app = document.getElementById('app');
  if (!app) return;
  const vscode = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : null;
  let memoryState: unknown = undefined;
  const host: InspectorHost = vscode
    ? {
        post: (m: FromWebview) => vscode.postMessage(m),
        getState: () => vscode.getState(),
        setState: (s) => vscode.setState(s),
        canOpenSource: true,
      }
    : {
        post: () => undefined,
        getState: () => memoryState,
        setState: (s) => {
          memoryState = s;
        },
        canOpenSource: false,
      };
  const inspector = new Inspector(app, host);
  const hook = { inspector, ready: false, error: null as string | null };
  window.__forkscope = hook;

  window.addEventListener('message', (e: MessageEvent) => {
    const msg = e.data as unknown;
    if (!isMessage<ToWebview>(msg, TO_WEBVIEW_TYPES)) return;
    try {
      inspector.handle(msg);
      hook.ready = true;
    } catch (err) {
      hook.error = String(err);
      console.error(err);
    }
  });

  const embedded = document.getElementById(RECORDING_ELEMENT_ID);
  if (embedded) {
    try {
      const t0 = performance.now();
      const text = JSON.parse(embedded.textContent ?? '""') as string;
      performance.measure('fs:unembed', { start: t0, end: performance.now() });
      const nl = text.indexOf('\n');
      const header = parseHeader(nl < 0 ? text : text.slice(0, nl), 'the report');
      const title = header.script ?? (header.module ? `-m ${header.module}` : 'run');
      // Records are parsed as they are reduced: no array of every parsed record is kept (less garbage on big runs).
      inspector.load(header, recordLines(text, nl), false, title.split(/[\\/]/).pop() ?? title);
      hook.ready = true;
    } catch (err) {
      hook.error = String(err);
      inspector.showError(`This report could not be read: ${String(err instanceof Error ? err.message : err)}`);
    }
  }
  host.post({ type: 'ready' });
}

start();

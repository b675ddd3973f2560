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

import { parseHeader, type RecordingHeader, type RecordLine } from '../core/model/recording';
import { CompareView } from './compare';
import { Inspector, type InspectorHost } from './inspector';
import { COMPARE_ELEMENT_ID, RECORDING_ELEMENT_ID, RECORDING_GZIP_ELEMENT_ID, type CompareInput } from '../core/page/page';
import { isMessage, TO_WEBVIEW_TYPES, type FromWebview, type ToWebview } from '../core/protocol/webview';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

declare global {
  interface Window {
    /** Test and benchmark hook: the running inspector. */
    __forkscope?: { inspector: Inspector; ready: boolean; error: string | null; inflatedChunks?: number; inflatedIn?: 'worker' | 'page' };
    /** Test hook of a compare page. */
    __forkscopeCompare?: { compare: CompareView; ready: boolean; error: string | null };
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

/** The bytes of base64 text (`Uint8Array.fromBase64` where the browser has it). */
function base64Bytes(b64: string): Uint8Array<ArrayBuffer> {
  const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array<ArrayBuffer> }).fromBase64;
  if (native) return native.call(Uint8Array, b64);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Compressed bytes handed to the inflater at a time (so it inflates as the text is read, not all at once). */
const INFLATE_SLICE = 1 << 20;

/** gzip-compressed text, inflated and decoded a chunk at a time. */
async function* gunzipText(bytes: Uint8Array<ArrayBuffer>): AsyncGenerator<string> {
  if (typeof DecompressionStream !== 'function')
    throw new Error(
      'this browser cannot inflate the recording in it (no DecompressionStream): open it in a current Chrome, Edge, Firefox or Safari.',
    );
  let at = 0;
  const source = new ReadableStream<BufferSource>({
    pull(c) {
      if (at >= bytes.length) c.close();
      else c.enqueue(bytes.subarray(at, (at += INFLATE_SLICE)));
    },
  });
  const reader = source.pipeThrough(new DecompressionStream('gzip')).getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    yield decoder.decode(value, { stream: true });
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

/**
 * The same as base64Bytes + gunzipText, run in a Worker: the main thread only parses and reduces while the
 * worker decodes and inflates the next chunks (on a 10,000-process report that is over a second of the main
 * thread's time before first paint). Self-contained: its source is this function's text, run from a blob URL.
 */
function inflaterWorkerMain(): void {
  const scope = self as unknown as { onmessage: ((e: MessageEvent) => void) | null; postMessage: (m: unknown) => void };
  scope.onmessage = async (e: MessageEvent) => {
    try {
      const b64 = e.data as string;
      const native = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
      let bytes: Uint8Array;
      if (native) bytes = native.call(Uint8Array, b64);
      else {
        const bin = atob(b64);
        bytes = new Uint8Array(bin.length);
        for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
      }
      let at = 0;
      const slice = 1 << 20;
      const source = new ReadableStream<BufferSource>({
        pull(c) {
          if (at >= bytes.length) c.close();
          else c.enqueue(bytes.subarray(at, (at += slice)) as Uint8Array<ArrayBuffer>);
        },
      });
      const reader = source.pipeThrough(new DecompressionStream('gzip')).getReader();
      const decoder = new TextDecoder();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        scope.postMessage({ text: decoder.decode(value, { stream: true }) });
      }
      scope.postMessage({ text: decoder.decode(), done: true });
    } catch (err) {
      scope.postMessage({ error: String(err instanceof Error ? err.message : err) });
    }
  };
}

/** The report's text, a chunk at a time, inflated in a Worker; null when this page cannot start one. */
function inflateInWorker(b64: string): AsyncGenerator<string> | null {
  if (typeof Worker !== 'function' || typeof DecompressionStream !== 'function') return null;
  let worker: Worker;
  let url = '';
  try {
    url = URL.createObjectURL(new Blob([`(${inflaterWorkerMain.toString()})();`], { type: 'text/javascript' }));
    worker = new Worker(url);
  } catch {
    if (url) URL.revokeObjectURL(url);
    return null;
  }
  const queue: { text?: string; done?: boolean; error?: string }[] = [];
  let wake: (() => void) | null = null;
  worker.onmessage = (e: MessageEvent) => {
    queue.push(e.data as { text?: string; done?: boolean; error?: string });
    wake?.();
  };
  worker.onerror = (e: ErrorEvent) => {
    e.preventDefault();
    queue.push({ error: e.message || 'the inflater stopped' });
    wake?.();
  };
  worker.postMessage(b64);
  return (async function* () {
    try {
      for (;;) {
        while (!queue.length) await new Promise<void>((r) => (wake = r));
        wake = null;
        const m = queue.shift()!;
        if (m.error !== undefined) throw new Error(m.error);
        if (m.text) yield m.text;
        if (m.done) return;
      }
    } finally {
      worker.terminate();
      URL.revokeObjectURL(url);
    }
  })();
}

/**
 * A report's recording (gzip, base64): inflated a chunk at a time, each chunk's whole lines parsed and reduced
 * as they come (the same rules as parseRecording: a cut last line and unreadable lines are skipped), so
 * neither the whole text nor an array of every record is ever held.
 */
async function loadGzipRecording(
  inspector: Inspector,
  b64: string,
  counted: { inflatedChunks?: number; inflatedIn?: 'worker' | 'page' },
): Promise<void> {
  const t0 = performance.now();
  // In a Worker when the page may start one (a report opened from disk); else here.
  let chunks = inflateInWorker(b64);
  counted.inflatedIn = chunks ? 'worker' : 'page';
  if (!chunks) {
    const bytes = base64Bytes(b64);
    chunks = gunzipText(bytes);
  }
  performance.measure('fs:unembed', { start: t0, end: performance.now() });
  let rest = '';
  let header: RecordingHeader | null = null;
  const batch: RecordLine[] = [];
  const take = (line: string) => {
    if (!line) return;
    try {
      batch.push(JSON.parse(line) as RecordLine);
    } catch {
      /* a cut last line, or a damaged one: skipped */
    }
  };
  counted.inflatedChunks = 0;
  for await (const chunk of chunks) {
    counted.inflatedChunks++;
    const text = rest ? rest + chunk : chunk;
    let at = 0;
    if (header === null) {
      const nl = text.indexOf('\n');
      if (nl < 0) {
        rest = text;
        continue;
      }
      header = parseHeader(text.slice(0, nl), 'the report');
      inspector.beginLoad(header);
      at = nl + 1;
    }
    for (let end = text.indexOf('\n', at); end >= 0; end = text.indexOf('\n', at)) {
      take(text.slice(at, end));
      at = end + 1;
    }
    rest = text.slice(at);
    inspector.feed(batch);
    batch.length = 0;
  }
  if (header === null) {
    header = parseHeader(rest, 'the report');
    inspector.beginLoad(header);
  } else take(rest);
  inspector.feed(batch);
  performance.measure('fs:inflate+parse+reduce', { start: t0, end: performance.now() });
  const title = header.script ?? (header.module ? `-m ${header.module}` : 'run');
  inspector.endLoad(false, title.split(/[\\/]/).pop() ?? title);
}

/** The compare mode: two recordings inlined in the page, or sent by the host in a `compare` message. */
function startCompare(app: HTMLElement, vscode: VsCodeApi | null): void {
  const view = new CompareView(app);
  const hook = { compare: view, ready: false, error: null as string | null };
  window.__forkscopeCompare = hook;
  const fail = (err: unknown) => {
    hook.error = String(err);
    app.replaceChildren();
    const p = document.createElement('p');
    p.className = 'fs-error';
    p.textContent = `These runs could not be compared: ${String(err instanceof Error ? err.message : err)}`;
    app.append(p);
  };
  window.addEventListener('message', (e: MessageEvent) => {
    const msg = e.data as unknown;
    if (!isMessage<ToWebview>(msg, ['compare']) || msg.type !== 'compare') return;
    try {
      view.load(msg.runs[0], msg.runs[1]);
      hook.ready = true;
      // Tell the host once both timelines are on screen.
      let frames = 0;
      const tell = () => {
        if (!view.drawn() && ++frames < 600) requestAnimationFrame(tell);
        else if (view.drawn()) vscode?.postMessage({ type: 'compareShown', lanes: view.laneCounts() } satisfies FromWebview);
      };
      requestAnimationFrame(tell);
    } catch (err) {
      fail(err);
    }
  });
  const embedded = document.getElementById(COMPARE_ELEMENT_ID);
  if (embedded) {
    try {
      const inputs = JSON.parse(embedded.textContent ?? '[]') as CompareInput[];
      const sides = inputs.map((input) => {
        const nl = input.recording.indexOf('\n');
        return {
          title: input.label,
          header: parseHeader(nl < 0 ? input.recording : input.recording.slice(0, nl), input.label),
          records: recordLines(input.recording, nl),
        };
      });
      if (sides.length !== 2) throw new Error(`a comparison needs two runs (this page has ${sides.length})`);
      view.load(sides[0], sides[1]);
      hook.ready = true;
    } catch (err) {
      fail(err);
    }
  }
  vscode?.postMessage({ type: 'ready' } satisfies FromWebview);
}

function start(): void {
  performance.mark('fs:script-start');
  const app = document.getElementById('app');
  if (!app) return;
  const vscode = typeof acquireVsCodeApi === 'function' ? acquireVsCodeApi() : null;
  if (document.body.dataset.mode === 'compare') {
    startCompare(app, vscode);
    return;
  }
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
  const hook: NonNullable<Window['__forkscope']> = { inspector, ready: false, error: null };
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

  const fail = (err: unknown) => {
    hook.error = String(err);
    inspector.showError(`This report could not be read: ${String(err instanceof Error ? err.message : err)}`);
  };
  const compressed = document.getElementById(RECORDING_GZIP_ELEMENT_ID);
  if (compressed) {
    loadGzipRecording(inspector, compressed.textContent ?? '', hook).then(() => (hook.ready = true), fail);
  }
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
      fail(err);
    }
  }
  host.post({ type: 'ready' });
}

start();

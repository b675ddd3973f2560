/**
 * The inspector's HTML shell, for both hosts of the one webview bundle:
 *
 * - VS Code: the panel passes the bundle's webview URI and `webview.cspSource`;
 *   the page posts `ready` and the host sends `init`/`records`/`select`.
 * - Standalone report: the bundle and the recording are inlined, so the file
 *   opens in any browser with no network at all.
 *
 * Strict CSP: no inline script or style without the nonce, nothing remote.
 * Pure string code (no DOM, no Node imports): the extension and the CLI call it.
 */

import { LAYOUT_CSS } from './layout';
import { INSPECTOR_CSS } from './styles';
import { THEME_CSS } from './themes';

/** Id of the `<script type="application/json">` that carries a standalone report's recording. */
export const RECORDING_ELEMENT_ID = 'forkscope-recording';
/**
 * Id of the `<script type="application/octet-stream">` that carries a report's recording gzip-compressed, in
 * base64 (`forkscope report`): a quarter of the size, so the page is parsed and the run drawn sooner.
 */
export const RECORDING_GZIP_ELEMENT_ID = 'forkscope-recording-gz';
/** Id of the `<script type="application/json">` that carries a compare page's two recordings (`CompareInput[]`). */
export const COMPARE_ELEMENT_ID = 'forkscope-compare';

/** One side of a compare page: its label and the recording file's text. */
export interface CompareInput {
  label: string;
  recording: string;
}

/** What the page shows: one run's inspector, or two runs compared. */
export type PageMode = 'inspector' | 'compare';

export interface VsCodePageOptions {
  kind: 'vscode';
  /** `webview.asWebviewUri(dist/webview.js)` as a string. */
  scriptUri: string;
  /** `webview.cspSource`. */
  cspSource: string;
  title?: string;
  nonce?: string;
  /** `compare`: the page waits for a `compare` message instead of `init`. */
  mode?: PageMode;
}

export interface StandalonePageOptions {
  kind: 'standalone';
  /** The text of dist/webview.js. */
  bundle: string;
  /** The recording file's text (header line + records); null for a page that waits for protocol messages instead. */
  recording: string | null;
  /** Instead of `recording`: the recording file's bytes gzip-compressed, in base64 (the page inflates them). */
  recordingGzipBase64?: string;
  title?: string;
  nonce?: string;
  /** A compare page: the two runs (then `recording` is null). */
  compare?: [CompareInput, CompareInput];
}

export type PageOptions = VsCodePageOptions | StandalonePageOptions;

/** The Web Crypto random source both hosts have (Node >= 20 and browsers), typed here: the core has no DOM or node types. */
interface RandomSource {
  getRandomValues(array: Uint8Array): Uint8Array;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding (what `btoa` gives for the same bytes). */
export function base64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    out += BASE64[(n >> 18) & 63] + BASE64[(n >> 12) & 63];
    out += i + 1 < bytes.length ? BASE64[(n >> 6) & 63] : '=';
    out += i + 2 < bytes.length ? BASE64[n & 63] : '=';
  }
  return out;
}

/** A fresh base64 nonce (128 bits). */
export function makeNonce(): string {
  const bytes = new Uint8Array(16);
  (globalThis as unknown as { crypto: RandomSource }).crypto.getRandomValues(bytes);
  return base64(bytes);
}

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * A JSON value that is safe inside `<script type="application/json">`: every
 * `<` (so no `</script>` or `<!--`) and the line separators become escapes.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** Keeps an inlined bundle from closing its own `<script>` element. */
export function scriptForInline(code: string): string {
  return code.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

/** The Content-Security-Policy of the page. */
export function contentSecurityPolicy(o: PageOptions, nonce: string): string {
  const src = o.kind === 'vscode' ? ` ${o.cspSource}` : '';
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'${src}`,
    `img-src data:${src}`,
    `font-src${src || " 'none'"}`,
    "connect-src 'none'",
    // A report inflates its embedded recording in a Worker started from a blob URL (webview/main.ts).
    ...(o.kind === 'standalone' ? ['worker-src blob:'] : []),
    "base-uri 'none'",
    "form-action 'none'",
    "frame-src 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** Renders the inspector page. */
export function renderInspectorPage(o: PageOptions): string {
  const nonce = o.nonce ?? makeNonce();
  const title = escapeHtml(o.title ?? 'Forkscope inspector');
  const csp = escapeHtml(contentSecurityPolicy(o, nonce));
  let data = '';
  if (o.kind === 'standalone' && o.recording !== null)
    data = `<script type="application/json" id="${RECORDING_ELEMENT_ID}">${jsonForScript(o.recording)}</script>\n`;
  else if (o.kind === 'standalone' && o.recordingGzipBase64 !== undefined) {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(o.recordingGzipBase64)) throw new Error('recordingGzipBase64 is not base64');
    data = `<script type="application/octet-stream" id="${RECORDING_GZIP_ELEMENT_ID}">${o.recordingGzipBase64}</script>\n`;
  }
  if (o.kind === 'standalone' && o.compare)
    data += `<script type="application/json" id="${COMPARE_ELEMENT_ID}">${jsonForScript(o.compare)}</script>\n`;
  const mode: PageMode = (o.kind === 'vscode' ? o.mode : o.compare ? 'compare' : undefined) ?? 'inspector';
  const script =
    o.kind === 'vscode'
      ? `<script nonce="${nonce}" src="${escapeHtml(o.scriptUri)}"></script>`
      : `<script nonce="${nonce}">${scriptForInline(o.bundle)}</script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style nonce="${nonce}">${INSPECTOR_CSS}${LAYOUT_CSS}${THEME_CSS}</style>
</head>
<body data-host="${o.kind}" data-mode="${mode}">
<div id="app" class="fs-app"><p class="fs-empty">Loading the inspector…</p></div>
<noscript><p class="fs-error">The Forkscope inspector needs JavaScript.</p></noscript>
${data}${script}
</body>
</html>
`;
}

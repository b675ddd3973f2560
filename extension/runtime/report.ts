/**
 * `forkscope report FILE --html OUT.html`: one self-contained HTML file that
 * shows the inspector for a saved run in any browser, offline: the webview
 * bundle and the recording are inlined (core/page/page.ts), nothing is fetched.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseHeader, RecordingError } from '../../core/model/recording';
import { renderInspectorPage } from '../../core/page/page';

/** A report could not be written (bundle missing, output not writable): one line for the user. */
export class ReportError extends Error {}

/** Where the webview bundle is: next to the CLI bundle (dist/), or named by FORKSCOPE_WEBVIEW_BUNDLE. */
export function webviewBundlePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FORKSCOPE_WEBVIEW_BUNDLE) return env.FORKSCOPE_WEBVIEW_BUNDLE;
  const candidates = [
    path.join(__dirname, 'webview.js'),
    path.join(__dirname, '..', '..', 'dist', 'webview.js'),
    path.join(__dirname, '..', 'dist', 'webview.js'),
  ];
  return candidates.find((c) => fs.existsSync(c)) ?? candidates[0];
}

/** Reads a recording file's text, with one-line errors for a missing or unreadable file. */
export function readRecordingText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new RecordingError(err.code === 'ENOENT' ? `${file}: no such file.` : `${file}: cannot be read (${err.code ?? err.message}).`);
  }
}

/** gzip level of the recording in a report: near the smallest output at half level 6's time. */
const REPORT_GZIP_LEVEL = 4;

/**
 * The report page for a recording's text (checked to be a recording first). The recording is embedded
 * gzip-compressed (base64): a quarter of the bytes for the browser to parse, inflated by the page.
 */
export function renderReport(recordingText: string, bundle: string, source = 'the file'): string {
  // Only the header decides whether this is a recording (parseRecording's rule; the records are the page's to read).
  const nl = recordingText.indexOf('\n');
  const first = nl < 0 ? recordingText : recordingText.slice(0, nl);
  if (first.trim() === '') throw new RecordingError(`${source} is empty: not a Forkscope recording.`);
  const h = parseHeader(first, source);
  const what = h.script ?? (h.module ? `-m ${h.module}` : 'run');
  // (zlib is loaded here, not with the CLI: every `record` would pay for it at start.)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const zlib = require('node:zlib') as typeof import('node:zlib');
  const gz = zlib.gzipSync(Buffer.from(recordingText, 'utf8'), { level: REPORT_GZIP_LEVEL }).toString('base64');
  return renderInspectorPage({
    kind: 'standalone',
    bundle,
    recording: null,
    recordingGzipBase64: gz,
    title: `${path.basename(what)} — Forkscope report`,
  });
}

/** Writes the report of `file` to `out`. Returns the number of bytes written. */
export function writeReport(file: string, out: string, bundlePath = webviewBundlePath()): number {
  const text = readRecordingText(file);
  return writeHtml(out, renderReport(text, readBundle(bundlePath), file));
}

/** The inspector bundle's text, or a ReportError saying to build first. */
export function readBundle(bundlePath = webviewBundlePath()): string {
  try {
    return fs.readFileSync(bundlePath, 'utf8');
  } catch {
    throw new ReportError(`the inspector bundle ${bundlePath} is missing: run \`npm run build\` first.`);
  }
}

/** Writes a page to `out` (making its folder); a ReportError names what failed. Returns the bytes written. */
export function writeHtml(out: string, html: string): number {
  try {
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    fs.writeFileSync(out, html);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ReportError(`${out}: cannot be written (${err.code ?? err.message}).`);
  }
  return Buffer.byteLength(html);
}

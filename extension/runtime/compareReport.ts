/**
 * `forkscope compare A.forkscope B.forkscope`: the `forkscope.compare/1`
 * document of two saved runs (docs/compare.md), and its self-contained HTML
 * page — the webview bundle in its compare mode with both recordings inlined:
 * the figures, busy time per worker, and both timelines on one time axis.
 */

import * as path from 'node:path';
import { compareSummaries, type Comparison } from '../../core/summary/compare';
import { RunReducer } from '../../core/model/reducer';
import { parseRecording } from '../../core/model/recording';
import { summarize } from '../../core/summary/summary';
import { renderInspectorPage } from '../../core/page/page';
import { readBundle, readRecordingText, webviewBundlePath, writeHtml } from './report';

export interface LoadedRun {
  file: string;
  label: string;
  text: string;
}

/** Reads two recordings (refusing what is not one, with a line naming the file). */
export function loadRuns(files: [string, string]): [LoadedRun, LoadedRun] {
  const labels = files.map((f) => path.basename(f));
  // Two files of the same name: tell them apart by their folders.
  if (labels[0] === labels[1])
    for (let i = 0; i < 2; i++) labels[i] = path.join(path.basename(path.dirname(path.resolve(files[i]))), labels[i]);
  return files.map((file, i) => {
    const text = readRecordingText(file);
    parseRecording(text, file);
    return { file, label: labels[i], text };
  }) as [LoadedRun, LoadedRun];
}

/** The comparison of two loaded runs (B ÷ A). */
export function compareRuns(runs: [LoadedRun, LoadedRun]): Comparison {
  const [a, b] = runs.map((r) => {
    const rec = parseRecording(r.text, r.file);
    return summarize(RunReducer.fromRecords(rec.header, rec.records));
  });
  return compareSummaries(a, b, [runs[0].label, runs[1].label]);
}

/** The compare page of two runs. */
export function renderComparePage(runs: [LoadedRun, LoadedRun], bundle: string): string {
  return renderInspectorPage({
    kind: 'standalone',
    bundle,
    recording: null,
    compare: [
      { label: runs[0].label, recording: runs[0].text },
      { label: runs[1].label, recording: runs[1].text },
    ],
    title: `${runs[0].label} vs ${runs[1].label} — Forkscope comparison`,
  });
}

/** Writes the compare page to `out`; returns its size in bytes. */
export function writeComparePage(runs: [LoadedRun, LoadedRun], out: string, bundlePath = webviewBundlePath()): number {
  return writeHtml(out, renderComparePage(runs, readBundle(bundlePath)));
}

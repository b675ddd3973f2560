/**
 * The one message protocol between the inspector webview and its host (the
 * VS Code extension, or the standalone report page). Imported by both
 * bundles. `type` strings stay readable in devtools.
 */

import type { RecordingHeader, RecordLine } from '../model/recording';

/** Host → webview: the whole run so far (sent after `ready`, and again when a hidden view is shown). */
export interface InitMessage {
  type: 'init';
  header: RecordingHeader;
  records: RecordLine[];
  /** True while the run is still going: more `records` will follow. */
  live: boolean;
  title: string;
}

/** Host → webview: records that arrived since the last message (live runs). */
export interface RecordsMessage {
  type: 'records';
  records: RecordLine[];
}

/** Host → webview: select (and reveal) a process, e.g. from the Processes tree. */
export interface SelectMessage {
  type: 'select';
  pid: number;
}

/** Host → webview: show an insight (select its processes, bring its moment into view), e.g. from a notification. */
export interface ShowInsightMessage {
  type: 'showInsight';
  kind: string;
  pid: number | null;
  /** When it was found (seconds from the start), as in the summary. */
  at: number;
}

/** Host → a compare page: the two runs to compare (A, then B). */
export interface CompareMessage {
  type: 'compare';
  runs: [CompareRunMessage, CompareRunMessage];
}

export interface CompareRunMessage {
  title: string;
  header: RecordingHeader;
  records: RecordLine[];
}

export type ToWebview = InitMessage | RecordsMessage | SelectMessage | ShowInsightMessage | CompareMessage;
export const TO_WEBVIEW_TYPES: readonly ToWebview['type'][] = ['init', 'records', 'select', 'showInsight', 'compare'];

/** Webview → host: the page is loaded and listening. */
export interface ReadyMessage {
  type: 'ready';
}

/** Webview → host: the user selected a process. */
export interface SelectedMessage {
  type: 'selected';
  pid: number | null;
}

/** Webview → host: open a source location (a process's target function, a channel's creation line). */
export interface OpenSourceMessage {
  type: 'openSource';
  file: string;
  line: number;
}

/** Webview → host: a compare page has drawn both runs (lanes per timeline). */
export interface CompareShownMessage {
  type: 'compareShown';
  lanes: [number, number];
}

export type FromWebview = ReadyMessage | SelectedMessage | OpenSourceMessage | CompareShownMessage;

/** Narrows an unknown posted value to a message of the protocol (both sides validate what they receive). */
export function isMessage<T extends { type: string }>(value: unknown, types: readonly T['type'][]): value is T {
  return !!value && typeof value === 'object' && types.includes((value as { type?: unknown }).type as T['type']);
}

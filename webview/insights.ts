/**
 * The header's Insights list: every warning of the run (the model's, as they
 * stream in, and the summary's own) with a severity icon, its kind, its
 * message as text and a link to the line of code it names. Clicking an
 * insight selects its processes in the tree and brings its moment into view
 * on the timeline (the inspector does that). Also the per-process index the
 * tree badges and the timeline marks read.
 */

import type { RunModel } from '../core/model/types';
import { summaryWarning, type Summary, type SummaryWarning } from '../core/summary/summary';
import { el } from './dom';
import { formatSeconds, formatWindow } from '../core/format';

/** A warning as the inspector shows it: the summary's form plus when its condition began. */
export interface Insight extends SummaryWarning {
  /** Seconds from the start when the condition began (a hang: when the processes stopped moving). */
  since: number | null;
}

export type Severity = SummaryWarning['severity'];

export const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
const SEVERITY_ICON: Record<Severity, string> = { error: '✖', warning: '⚠', info: 'ℹ' };
const SEVERITY_WORD: Record<Severity, string> = { error: 'Error', warning: 'Warning', info: 'Info' };

const keyOf = (w: Pick<SummaryWarning, 'kind' | 'pid' | 'message'>) => `${w.kind}\u0000${w.pid}\u0000${w.message}`;

/**
 * The run's insights: the model's warnings (live: at once, as records arrive)
 * followed by those only the last full summary has (sampling, drops, and
 * whatever the summary's analysis adds).
 */
export function insightsOf(m: RunModel, last: Pick<Summary, 'warnings'> | null): Insight[] {
  const out: Insight[] = m.warnings.map((w) => ({ ...summaryWarning(w), since: w.since }));
  const seen = new Set(out.map(keyOf));
  for (const w of last?.warnings ?? []) {
    if (seen.has(keyOf(w))) continue;
    seen.add(keyOf(w));
    out.push({ ...w, since: null });
  }
  return out;
}

/** The insights naming each process (any of its `pids`). */
export function insightsByPid(list: readonly Insight[]): Map<number, Insight[]> {
  const map = new Map<number, Insight[]>();
  for (const w of list) {
    for (const pid of w.pids) {
      let l = map.get(pid);
      if (!l) map.set(pid, (l = []));
      if (!l.includes(w)) l.push(w);
    }
  }
  return map;
}

/** The most severe of some insights. */
export function worstSeverity(list: readonly Pick<SummaryWarning, 'severity'>[]): Severity | null {
  let worst: Severity | null = null;
  for (const w of list) if (worst === null || SEVERITY_ORDER[w.severity] < SEVERITY_ORDER[worst]) worst = w.severity;
  return worst;
}

/** `path/to/script.py:12` (the last two path parts are enough to recognise a file). */
export function codeLocation(file: string, line: number | null): string {
  const parts = file.split(/[\\/]/).filter(Boolean);
  const short = parts.length > 2 ? `…/${parts.slice(-2).join('/')}` : file;
  return line !== null ? `${short}:${line}` : short;
}

export interface InsightsEvents {
  /** The user picked an insight (click or Enter). */
  focus(w: Insight, index: number): void;
  /** Open the insight's line of code (only inside VS Code). */
  openSource?(file: string, line: number): void;
}

export class InsightsView {
  readonly root: HTMLElement;
  private readonly list: HTMLUListElement;
  private readonly heading: HTMLElement;
  private key = '';
  private items: Insight[] = [];
  private current = -1;

  constructor(private readonly events: InsightsEvents) {
    this.root = el('section', 'fs-insights');
    this.root.id = 'fs-insights';
    this.root.setAttribute('aria-label', 'Insights');
    this.heading = el('h2', 'fs-insights-title', 'Insights');
    this.list = el('ul', 'fs-insight-list');
    this.list.id = 'fs-warnings';
    this.root.append(this.heading, this.list);
    this.root.hidden = true;
    this.list.addEventListener('click', (e) => this.onClick(e));
    this.list.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter' && e.key !== ' ') return;
      const li = (e.target as HTMLElement).closest<HTMLLIElement>('li.fs-insight');
      if (!li || (e.target as HTMLElement).closest('button.fs-insight-code')) return;
      e.preventDefault();
      this.pick(Number(li.dataset.index));
    });
  }

  /** Shows `list` (most severe first, then in the order found); cheap when nothing changed. */
  update(list: readonly Insight[], canOpenSource: boolean): void {
    const sorted = list
      .map((w, i) => [w, i] as const)
      .sort((a, b) => SEVERITY_ORDER[a[0].severity] - SEVERITY_ORDER[b[0].severity] || a[1] - b[1])
      .map(([w]) => w);
    const key = sorted.map((w) => `${keyOf(w)}\u0000${w.severity}\u0000${w.file}:${w.line}\u0000${w.pids.join(',')}`).join('\n');
    if (key === this.key) {
      this.items = sorted; // same content; keep the newest objects (they carry `since`)
      return;
    }
    this.key = key;
    this.items = sorted;
    this.root.hidden = sorted.length === 0;
    const counts = { error: 0, warning: 0, info: 0 };
    for (const w of sorted) counts[w.severity]++;
    const parts = (['error', 'warning', 'info'] as const)
      .filter((s) => counts[s])
      .map((s) => `${counts[s]} ${s === 'info' ? 'note' : s}${counts[s] > 1 ? 's' : ''}`);
    this.heading.textContent = `Insights (${parts.join(', ')})`;
    this.list.replaceChildren(...sorted.map((w, i) => this.item(w, i, canOpenSource)));
    if (this.current >= sorted.length) this.current = -1;
    this.markCurrent();
  }

  /** The insights shown, in order. */
  shown(): readonly Insight[] {
    return this.items;
  }

  private item(w: Insight, index: number, canOpenSource: boolean): HTMLLIElement {
    const li = el('li', `fs-insight sev-${w.severity}`);
    li.dataset.index = String(index);
    li.dataset.kind = w.kind;
    li.dataset.severity = w.severity;
    li.dataset.pids = w.pids.join(' ');
    li.tabIndex = 0;
    const icon = el('span', 'fs-insight-icon', SEVERITY_ICON[w.severity]);
    icon.setAttribute('role', 'img');
    icon.setAttribute('aria-label', SEVERITY_WORD[w.severity]);
    icon.title = SEVERITY_WORD[w.severity];
    const kind = el('span', 'fs-insight-kind', w.kind);
    const at = el('span', 'fs-insight-at', w.since !== null && w.since < w.at ? formatWindow(w.since, w.at) : `at ${formatSeconds(w.at)}`);
    const message = el('span', 'fs-insight-message', w.message);
    const parts: HTMLElement[] = [icon, kind, at, message];
    if (w.file) {
      const where = codeLocation(w.file, w.line);
      let code: HTMLElement;
      if (canOpenSource && w.line !== null) {
        code = el('button', 'fs-insight-code', where);
        (code as HTMLButtonElement).type = 'button';
        code.setAttribute('aria-label', `Go to ${w.file}:${w.line}`);
      } else code = el('span', 'fs-insight-code', where);
      code.title = w.line !== null ? `${w.file}:${w.line}` : w.file;
      parts.push(code);
    }
    li.append(...parts);
    li.setAttribute('aria-label', `${SEVERITY_WORD[w.severity]}: ${w.kind}. ${w.message}`);
    return li;
  }

  private onClick(e: MouseEvent): void {
    const target = e.target as HTMLElement;
    const li = target.closest<HTMLLIElement>('li.fs-insight');
    if (!li) return;
    const index = Number(li.dataset.index);
    const w = this.items[index];
    if (!w) return;
    if (target.closest('button.fs-insight-code') && w.file && w.line !== null && this.events.openSource) {
      this.events.openSource(w.file, w.line);
    }
    this.pick(index);
  }

  private pick(index: number): void {
    const w = this.items[index];
    if (!w) return;
    this.current = index;
    this.markCurrent();
    this.events.focus(w, index);
  }

  private markCurrent(): void {
    for (const li of this.list.children) {
      const on = Number((li as HTMLElement).dataset.index) === this.current;
      if (on) li.setAttribute('aria-current', 'true');
      else li.removeAttribute('aria-current');
    }
  }
}

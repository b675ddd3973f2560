/**
 * The compare view (the webview bundle's "compare" mode): two runs side by
 * side — the `forkscope.compare/1` figures as a table with B ÷ A, each run's
 * busy time per worker, and both runs' timelines stacked on one time axis
 * (run-relative time, the longer run's length): panning or zooming one moves
 * the other, so the same moment is at the same x in both.
 */

import { compareSummaries, type CompareRun, type Comparison } from '../core/summary/compare';
import { RunReducer } from '../core/model/reducer';
import type { RunModel } from '../core/model/types';
import type { RecordingHeader, RecordLine } from '../core/model/recording';
import { summarize, type Summary } from '../core/summary/summary';
import { el } from './dom';
import { formatCount, formatCountOf, formatSeconds, RefNames } from '../core/format';
import { insightsOf, type Insight } from './insights';
import { TimelineView } from './timeline';
import { treeRows, type TreeRow } from '../core/treeRows';

/** One run to compare: a recording's header and records, and its label. */
export interface CompareSide {
  title: string;
  header: RecordingHeader;
  records: Iterable<RecordLine>;
}

interface Side {
  title: string;
  model: RunModel;
  summary: Summary;
  names: RefNames;
  rows: TreeRow[];
  insights: Insight[];
  selected: number | null;
  timeline: TimelineView;
}

const times = (n: number | null) => (n === null ? '–' : `${n.toFixed(2)}×`);
const pct = (n: number | null) => (n === null ? '–' : `${Math.round(n * 100)} %`);

export class CompareView {
  private sides: Side[] = [];
  comparison: Comparison | null = null;
  private frameRequested = false;
  private readonly tooltip: HTMLElement;

  constructor(private readonly root: HTMLElement) {
    root.replaceChildren(el('p', 'fs-empty', 'Waiting for the two runs…'));
    this.tooltip = el('div', 'fs-tooltip');
    this.tooltip.id = 'fs-tooltip';
    this.tooltip.setAttribute('role', 'tooltip');
    this.tooltip.hidden = true;
    const retheme = () => {
      for (const s of this.sides) s.timeline.retheme();
      this.schedule();
    };
    new MutationObserver(retheme).observe(document.body, { attributes: true, attributeFilter: ['class'] });
    window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', retheme);
  }

  /** Shows two runs (A, then B). */
  load(a: CompareSide, b: CompareSide): void {
    const built = [a, b].map((s) => {
      const model = RunReducer.fromRecords(s.header, s.records);
      const summary = summarize(model);
      return { title: s.title, model, summary };
    });
    this.comparison = compareSummaries(built[0].summary, built[1].summary, [a.title, b.title]);
    const extent = Math.max(built[0].model.run.now, built[1].model.run.now, 1e-3);
    this.root.replaceChildren();
    this.root.classList.add('fs-compare');
    const header = el('header', 'fs-header');
    const h1 = el('h1', 'fs-title');
    h1.append(el('span', 'fs-run-name', `Compare: ${a.title} vs ${b.title}`));
    header.append(h1);
    const body = el('main', 'fs-compare-body');
    body.append(this.table(this.comparison), this.workers(this.comparison));
    const lanes = el('section', 'fs-compare-timelines');
    lanes.setAttribute('aria-label', 'Timelines on one time axis');
    this.sides = [];
    built.forEach((s, i) => {
      const side: Side = {
        ...s,
        names: new RefNames(s.model),
        rows: treeRows(s.model, () => true),
        insights: insightsOf(s.model, s.summary),
        selected: null,
        timeline: null as unknown as TimelineView,
      };
      side.timeline = new TimelineView(
        {
          model: () => side.model,
          rows: () => side.rows,
          names: () => side.names,
          selected: () => side.selected,
          select: (pid) => {
            side.selected = pid;
            side.timeline.invalidate();
            this.schedule();
          },
          viewChanged: () => this.align(side),
          live: () => false,
          insights: () => side.insights,
          highlighted: () => null,
          extent: () => extent,
        },
        this.tooltip,
      );
      side.timeline.root.id = `fs-compare-timeline-${i === 0 ? 'a' : 'b'}`;
      side.timeline.canvas.id = `fs-timeline-canvas-${i === 0 ? 'a' : 'b'}`;
      side.timeline.root.classList.add('fs-compare-timeline');
      side.timeline.root.style.setProperty('--lanes', String(Math.min(12, Math.max(3, side.rows.length))));
      const label = el('h2', 'fs-compare-label', `${i === 0 ? 'A' : 'B'}: ${s.title} — ${formatSeconds(s.model.run.wallSeconds)}`);
      const box = el('div', 'fs-compare-side');
      box.append(label, side.timeline.root);
      lanes.append(box);
      this.sides.push(side);
    });
    body.append(lanes);
    this.root.append(header, body, this.tooltip);
    for (const s of this.sides) s.timeline.fit();
    document.title = `Compare ${a.title} vs ${b.title} — Forkscope`;
    this.schedule();
  }

  /** One timeline moved: the other shows the same window. */
  private align(from: Side): void {
    for (const s of this.sides) if (s !== from) s.timeline.alignWith(from.timeline);
    this.schedule();
  }

  private schedule(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      for (const s of this.sides) s.timeline.draw();
    });
  }

  /** True once both timelines have drawn a frame. */
  drawn(): boolean {
    return this.sides.length === 2 && this.sides.every((s) => s.timeline.lastFrame.version >= 0);
  }

  /** Lanes (processes) of each run's timeline. */
  laneCounts(): [number, number] {
    return [this.sides[0]?.rows.length ?? 0, this.sides[1]?.rows.length ?? 0];
  }

  /** The timelines (A, B), for tests. */
  timelines(): TimelineView[] {
    return this.sides.map((s) => s.timeline);
  }

  private table(c: Comparison): HTMLElement {
    const section = el('section', 'fs-compare-figures');
    section.setAttribute('aria-label', 'Figures');
    const table = el('table', 'fs-table fs-compare-table');
    table.id = 'fs-compare-table';
    const head = el('tr');
    head.append(el('th', '', ''), el('th', 'n', `A: ${c.a.label}`), el('th', 'n', `B: ${c.b.label}`), el('th', 'n', 'B / A'));
    table.append(head);
    const row = (key: string, label: string, va: string, vb: string, r: number | null | '') => {
      const tr = el('tr');
      tr.dataset.metric = key;
      tr.append(el('th', '', label), el('td', 'n a', va), el('td', 'n b', vb), el('td', 'n ratio', r === '' ? '' : times(r)));
      table.append(tr);
    };
    const speed = (r: CompareRun) =>
      r.speedup === null ? '–' : `${r.speedup.toFixed(2)}× on ${r.cpuCount} core${r.cpuCount === 1 ? '' : 's'}`;
    row('wallSeconds', 'wall time', formatSeconds(c.a.wallSeconds), formatSeconds(c.b.wallSeconds), c.ratios.wallSeconds);
    row('cpuSeconds', 'CPU time', formatSeconds(c.a.cpuSeconds), formatSeconds(c.b.cpuSeconds), c.ratios.cpuSeconds);
    row('speedup', 'speedup', speed(c.a), speed(c.b), c.ratios.speedup);
    row('efficiency', 'efficiency', pct(c.a.efficiency), pct(c.b.efficiency), c.ratios.efficiency);
    row('processes', 'processes', formatCount(c.a.processes), formatCount(c.b.processes), c.ratios.processes);
    row('messages', 'messages', formatCount(c.a.messages), formatCount(c.b.messages), c.ratios.messages);
    row('workers', 'workers', formatCount(c.a.workers.length), formatCount(c.b.workers.length), '');
    row('busySeconds', 'busy, all workers', formatSeconds(c.a.busySeconds), formatSeconds(c.b.busySeconds), c.ratios.busySeconds);
    row(
      'meanBusySeconds',
      'busy per worker',
      formatSeconds(c.a.meanBusySeconds),
      formatSeconds(c.b.meanBusySeconds),
      c.ratios.meanBusySeconds,
    );
    row('warnings', 'warnings', formatCount(c.a.warnings), formatCount(c.b.warnings), '');
    section.append(table);
    return section;
  }

  private workers(c: Comparison): HTMLElement {
    const section = el('section', 'fs-compare-workers');
    section.setAttribute('aria-label', 'Busy time per worker');
    const max = Math.max(1e-9, ...c.a.workers.map((w) => w.busySeconds), ...c.b.workers.map((w) => w.busySeconds));
    for (const [side, r] of [
      ['a', c.a],
      ['b', c.b],
    ] as const) {
      const box = el('div', 'fs-compare-worker-list');
      box.append(el('h3', '', `${side.toUpperCase()}: ${r.label} — busy time per worker`));
      if (!r.workers.length) box.append(el('p', 'fs-muted', 'No worker processes.'));
      else {
        const table = el('table', 'fs-table');
        for (const w of r.workers) {
          const tr = el('tr', 'fs-compare-worker');
          tr.dataset.side = side;
          tr.dataset.pid = String(w.pid);
          tr.dataset.busy = String(w.busySeconds);
          const bar = el('span', 'fs-bar');
          bar.style.width = `${Math.max(1, Math.round((w.busySeconds / max) * 160))}px`;
          const barCell = el('td');
          barCell.append(bar);
          tr.append(
            el('td', '', `${w.name} (pid ${w.pid})`),
            barCell,
            el('td', 'n', formatSeconds(w.busySeconds)),
            el('td', 'n fs-muted', `${formatSeconds(w.cpuSeconds)} CPU`),
            el('td', 'n fs-muted', w.tasks === null ? '' : formatCountOf(w.tasks, 'task')),
          );
          table.append(tr);
        }
        box.append(table);
      }
      section.append(box);
    }
    return section;
  }
}

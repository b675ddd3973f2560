/**
 * Who talks to whom: per channel, the edges between processes with their
 * exact message counts and bytes (the summary's `channels[].flows`), and the
 * depth of each channel over time (cumulative sent − received, from the
 * recorded message detail).
 */

import type { Chart } from 'chart.js';
import type { RunModel } from '../core/model/types';
import type { Summary } from '../core/summary/summary';
import { chartColors, lineChart } from './charts';
import { el, selectOnPidClick } from './dom';
import { basename, formatBytes, formatCount, formatCountOf, formatSeconds } from '../core/format';
import { TimelineView } from './timeline';
import { queueDepth } from './timelineLayout';

/** Flows listed per channel (the busiest); the rest are counted in one line. */
export const MAX_FLOWS = 40;
/** While live, channel depth is drawn from this many of the latest messages. */
export const LIVE_DEPTH_MESSAGES = 20_000;

export interface FlowsEvents {
  select(pid: number): void;
}

export class FlowsView {
  readonly root: HTMLElement;
  private readonly list: HTMLElement;
  private readonly depthCanvas: HTMLCanvasElement;
  private readonly depthNote: HTMLElement;
  private depth: Chart<'line', { x: number; y: number }[]> | null = null;
  private lastVersion = -1;

  constructor(private readonly events: FlowsEvents) {
    this.root = el('div', 'fs-flows');
    this.list = el('div', 'fs-flow-list');
    const right = el('div', 'fs-depth');
    right.append(el('h3', '', 'Channel depth over time'));
    this.depthNote = el('p', 'fs-muted');
    const box = el('div', 'fs-chart');
    this.depthCanvas = el('canvas');
    this.depthCanvas.id = 'fs-depth-chart';
    this.depthCanvas.setAttribute('role', 'img');
    this.depthCanvas.setAttribute('aria-label', 'Messages waiting in each channel over time');
    box.append(this.depthCanvas);
    right.append(box, this.depthNote);
    this.root.append(this.list, right);
    selectOnPidClick(this.list, (pid) => this.events.select(pid));
  }

  /** `live`: depth is computed over the latest LIVE_DEPTH_MESSAGES messages only, to keep live updates short. */
  update(model: RunModel, summary: Summary, live = false): void {
    if (model.version === this.lastVersion) return;
    this.lastVersion = model.version;
    const colors = chartColors();
    const name = (pid: number) => {
      const p = model.byPid.get(pid);
      return p ? `${p.name} (${pid})` : `pid ${pid}`;
    };
    const channels = summary.channels.filter((c) => c.messages > 0 || c.flows.length > 0);
    const nodes: HTMLElement[] = [];
    if (!channels.length) nodes.push(el('p', 'fs-empty', live ? 'No messages between processes yet.' : 'No messages between processes.'));
    for (const c of channels) {
      const color = colors[TimelineView.channelColorIndex(model, c.id) % colors.length];
      const sec = el('section', 'fs-channel');
      sec.dataset.channel = c.id;
      const h = el('h3');
      const sw = el('span', 'sw');
      sw.style.setProperty('--sw', color);
      const title = el('span', 'fs-channel-name', c.name ?? c.id);
      const meta = el(
        'span',
        'fs-muted',
        `${c.kind} · ${formatCountOf(c.messages, 'message')} · ${formatBytes(c.bytes)}${c.file ? ` · ${basename(c.file)}${c.line ? `:${c.line}` : ''}` : ''}`,
      );
      h.append(sw, title, meta);
      sec.append(h);
      if (c.flows.length) {
        const table = el('table', 'fs-table');
        const head = el('tr');
        for (const t of ['from', 'to', 'messages', 'bytes', 'latency (mean)', '']) head.append(el('th', '', t));
        table.append(head);
        // The busiest flows first; a run with many processes gets the top ones and a line for the rest.
        const flows =
          c.flows.length > MAX_FLOWS
            ? [...c.flows].sort((a, b) => b.messages - a.messages || a.from - b.from).slice(0, MAX_FLOWS)
            : c.flows;
        const max = Math.max(...flows.map((f) => f.messages));
        for (const f of flows) {
          const tr = el('tr', 'fs-flow');
          tr.dataset.from = String(f.from);
          tr.dataset.to = String(f.to);
          tr.dataset.messages = String(f.messages);
          tr.dataset.bytes = String(f.bytes);
          const from = el('td', '', name(f.from));
          from.dataset.pid = String(f.from);
          const to = el('td', '', name(f.to));
          to.dataset.pid = String(f.to);
          const bar = el('span', 'fs-bar');
          bar.style.setProperty('--sw', color);
          bar.style.width = `${Math.max(2, Math.round((f.messages / max) * 120))}px`;
          const barCell = el('td', 'fs-bar-cell');
          barCell.append(bar);
          tr.append(
            from,
            to,
            el('td', 'n fs-flow-messages', formatCount(f.messages)),
            el('td', 'n', formatBytes(f.bytes)),
            el('td', 'n', formatSeconds(f.latencyMeanSeconds)),
            barCell,
          );
          table.append(tr);
        }
        if (flows.length < c.flows.length) {
          const rest = c.flows
            .slice()
            .sort((a, b) => b.messages - a.messages)
            .slice(MAX_FLOWS);
          const n = rest.reduce((k, f) => k + f.messages, 0);
          const tr = el('tr', 'fs-more');
          const td = el('td', 'fs-muted', `and ${formatCountOf(rest.length, 'more flow')} with ${formatCountOf(n, 'message')}`);
          td.colSpan = 6;
          tr.append(td);
          table.append(tr);
        }
        sec.append(table);
      }
      if (c.methods) {
        const m = Object.entries(c.methods)
          .map(([k, v]) => `${k} ×${v}`)
          .join(', ');
        sec.append(el('p', 'fs-muted', `calls: ${m}`));
      }
      nodes.push(sec);
    }
    this.list.replaceChildren(...nodes);
    this.updateDepth(model, colors, live);
  }

  private updateDepth(model: RunModel, colors: string[], live: boolean): void {
    if (!this.depth) this.depth = lineChart(this.depthCanvas, 'messages waiting', (v) => String(Math.round(v)), true);
    const recent = live && model.messages.length > LIVE_DEPTH_MESSAGES;
    const messages = recent ? model.messages.slice(-LIVE_DEPTH_MESSAGES) : model.messages;
    const depth = queueDepth(messages, (ref) => model.channelOf(ref)?.id ?? null);
    const sets = [...depth.entries()]
      .filter(([id]) => model.channels.get(id)?.kind !== 'manager')
      .map(([id, d]) => {
        const ch = model.channels.get(id);
        return {
          label: ch?.name ?? id,
          data: d.t.map((t, i) => ({ x: t, y: d.depth[i] })),
          borderColor: colors[TimelineView.channelColorIndex(model, id) % colors.length],
          stepped: true as const,
        };
      });
    this.depth.data.datasets = sets;
    // The axis ends with the run (chart.js would round it up to a tick past the end).
    const end = Math.max(model.run.now, 1e-3);
    (this.depth.options.scales!.x as { max?: number }).max = end;
    this.depthCanvas.dataset.xMax = String(end);
    this.depth.update('none');
    let sampledOut = 0;
    for (const p of model.processes) sampledOut += p.counters.dropped;
    this.depthNote.textContent = recent
      ? `While live: from the latest ${formatCountOf(LIVE_DEPTH_MESSAGES, 'recorded message')} (all of them when the run ends).`
      : sampledOut > 0
        ? `From the ${formatCountOf(model.messages.length, 'message')} recorded in detail (${formatCount(sampledOut)} more ${sampledOut === 1 ? 'was' : 'were'} only counted): depth is a lower bound.`
        : `From ${formatCountOf(model.messages.length, 'recorded message')}.`;
  }

  retheme(): void {
    this.depth?.destroy();
    this.depth = null;
    this.lastVersion = -1;
  }
}

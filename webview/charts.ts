/**
 * CPU and memory over time, drawn with chart.js (only the pieces registered
 * below are bundled). CPU per process for the busiest few and the selected
 * process, the total, and a line at the number of cores (100 % = one core).
 * Memory per process as private (USS, solid) and shared (dashed) bytes from
 * smaps_rollup, so copy-on-write shows as private memory growing while shared
 * shrinks; RSS where smaps_rollup was not available.
 * Long runs are thinned by chart.js's decimation plugin (LTTB).
 */

import { Chart, Decimation, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip, type ChartDataset } from 'chart.js';
import { cpuSeries } from '../core/model/states';
import type { ProcessModel, RunModel } from '../core/model/types';
import { cssVar, el } from './dom';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, Decimation);

type XY = { x: number; y: number };
type LineDataset = ChartDataset<'line', XY[]>;

/** How many of the busiest processes get their own line. */
export const TOP_PROCESSES = 6;

/** The theme's chart colours (same order as the channel colours of the timeline). */
export function chartColors(): string[] {
  return [1, 2, 3, 4, 5, 6].map((i) => cssVar(`--c-ch${i}`, '#27d'));
}

/** A line chart with the inspector's defaults: no animation, linear x in seconds, decimation on. */
export function lineChart(canvas: HTMLCanvasElement, yTitle: string, yFormat: (v: number) => string, integer = false): Chart<'line', XY[]> {
  const fg = cssVar('--c-muted', '#777');
  const grid = cssVar('--c-border', '#ccc');
  return new Chart<'line', XY[]>(canvas, {
    type: 'line',
    data: { datasets: [] },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      spanGaps: true,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      elements: { point: { radius: 0, hitRadius: 4 }, line: { borderWidth: 1.5, tension: 0 } },
      scales: {
        x: {
          type: 'linear',
          min: 0,
          ticks: { color: fg, callback: (v) => `${Number(v).toFixed(Number(v) < 10 ? 1 : 0)} s` },
          grid: { color: grid },
        },
        y: {
          type: 'linear',
          min: 0,
          title: { display: true, text: yTitle, color: fg },
          ticks: { color: fg, precision: integer ? 0 : undefined, callback: (v) => yFormat(Number(v)) },
          grid: { color: grid },
        },
      },
      plugins: {
        legend: { labels: { color: fg, boxWidth: 8, boxHeight: 8, font: { size: 10 } } },
        tooltip: { callbacks: { label: (c) => `${c.dataset.label ?? ''}: ${yFormat(c.parsed.y ?? 0)}` } },
        decimation: { enabled: true, algorithm: 'lttb', samples: 600, threshold: 800 },
      },
    },
  });
}

function series(t: number[], v: number[], scale = 1): XY[] {
  const out: XY[] = new Array(t.length);
  for (let i = 0; i < t.length; i++) out[i] = { x: t[i], y: v[i] * scale };
  return out;
}

/** Like series, leaving out the samples with no value (before the first smaps_rollup read). */
function knownSeries(t: number[], v: (number | null)[], scale = 1): XY[] {
  const out: XY[] = [];
  for (let i = 0; i < t.length; i++) {
    const y = v[i];
    if (y !== null && y !== undefined) out.push({ x: t[i], y: y * scale });
  }
  return out;
}

/** The memory lines of one process: private and shared where measured, else RSS. */
export function memorySeries(p: ProcessModel): { kind: 'private' | 'shared' | 'rss'; data: XY[] }[] {
  const MiB = 1 / (1024 * 1024);
  const priv = knownSeries(p.samples.t, p.samples.uss, MiB);
  if (priv.length === 0) return [{ kind: 'rss', data: series(p.samples.t, p.samples.rss, MiB) }];
  return [
    { kind: 'private', data: priv },
    { kind: 'shared', data: knownSeries(p.samples.t, p.samples.shared, MiB) },
  ];
}

/** The processes that get a line: the busiest by CPU seconds, plus the selected one. */
export function chartedProcesses(model: RunModel, selected: number | null, top = TOP_PROCESSES): ProcessModel[] {
  const withSamples = model.processes.filter((p) => p.samples.t.length > 0);
  const busiest = [...withSamples].sort((a, b) => b.cpuSeconds - a.cpuSeconds || a.pid - b.pid).slice(0, top);
  const sel = selected !== null ? model.byPid.get(selected) : undefined;
  if (sel && !busiest.includes(sel)) busiest.push(sel);
  return busiest;
}

export class CpuMemoryView {
  readonly root: HTMLElement;
  private cpu: Chart<'line', XY[]> | null = null;
  private mem: Chart<'line', XY[]> | null = null;
  private readonly cpuCanvas: HTMLCanvasElement;
  private readonly memCanvas: HTMLCanvasElement;
  private lastKey = '';

  constructor() {
    this.root = el('div', 'fs-charts');
    const box = (label: string, id: string) => {
      const div = el('div', 'fs-chart');
      const c = el('canvas');
      c.id = id;
      c.setAttribute('role', 'img');
      c.setAttribute('aria-label', label);
      div.append(c);
      this.root.append(div);
      return c;
    };
    this.cpuCanvas = box('CPU per process over time; 100 % is one core', 'fs-cpu-chart');
    this.memCanvas = box('Memory per process over time: private (solid) and shared (dashed)', 'fs-mem-chart');
  }

  /** Redraws the charts for the model (cheap when nothing changed). */
  update(model: RunModel, selected: number | null): void {
    const key = `${model.version}|${selected}`;
    if (key === this.lastKey && this.cpu) return;
    this.lastKey = key;
    if (!this.cpu) this.cpu = lineChart(this.cpuCanvas, 'CPU (100 % = one core)', (v) => `${Math.round(v)} %`);
    if (!this.mem)
      this.mem = lineChart(this.memCanvas, 'memory: private ─ shared ┄', (v) => `${v < 10 ? v.toFixed(1) : Math.round(v)} MiB`);
    const colors = chartColors();
    const procs = chartedProcesses(model, selected);
    const end = Math.max(model.run.now, 1e-3);
    const cores = model.run.header.cpuCount || 1;
    const muted = cssVar('--c-muted', '#777');
    const fg = cssVar('--c-fg', '#222');
    const cpuSets: LineDataset[] = [
      {
        label: `${cores} core${cores === 1 ? '' : 's'}`,
        data: [
          { x: 0, y: cores * 100 },
          { x: end, y: cores * 100 },
        ],
        borderColor: muted,
        borderDash: [6, 4],
        borderWidth: 1,
      },
      { label: 'total', data: series(model.totalCpu.t, model.totalCpu.cpu), borderColor: fg, borderWidth: 2 },
    ];
    const memSets: LineDataset[] = [];
    procs.forEach((p, i) => {
      const color = colors[i % colors.length];
      const label = `${p.name} (${p.pid})`;
      const width = p.pid === selected ? 3 : 1.5;
      const cpu = cpuSeries(p);
      cpuSets.push({ label, data: series(cpu.t, cpu.cpu), borderColor: color, borderWidth: width });
      for (const m of memorySeries(p)) {
        memSets.push({
          label: `${label} ${m.kind}`,
          data: m.data,
          borderColor: color,
          borderWidth: width,
          borderDash: m.kind === 'shared' ? [4, 3] : undefined,
        });
      }
    });
    this.cpu.data.datasets = cpuSets;
    this.mem.data.datasets = memSets;
    this.memCanvas.dataset.series = memSets.map((d) => d.label ?? '').join('\n');
    (this.cpu.options.scales!.x as { max?: number }).max = end;
    (this.mem.options.scales!.x as { max?: number }).max = end;
    this.cpu.update('none');
    this.mem.update('none');
  }

  /** Theme changed: rebuild with the new colours. */
  retheme(): void {
    this.cpu?.destroy();
    this.mem?.destroy();
    this.cpu = null;
    this.mem = null;
    this.lastKey = '';
  }
}

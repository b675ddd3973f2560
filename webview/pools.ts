/**
 * The pool view: for each Pool / ProcessPoolExecutor, which worker ran which
 * chunks of which call over time (one row per worker, a bar per chunk with
 * its item count) and how many tasks and chunks each worker took — where the
 * effect of `chunksize` shows.
 */

import type { RunModel, TaskModel } from '../core/model/types';
import type { Summary, SummaryPool } from '../core/summary/summary';
import { chartColors } from './charts';
import { cssVar, el, selectOnPidClick } from './dom';
import { formatCount, formatCountOf, formatSeconds } from '../core/format';
import { niceTicks, tickLabel } from './timelineLayout';
import { poolHasJob } from '../core/model/types';

export interface PoolsEvents {
  select(pid: number): void;
}

export class PoolsView {
  readonly root: HTMLElement;
  private lastKey = '';

  constructor(private readonly events: PoolsEvents) {
    this.root = el('div', 'fs-pools');
    selectOnPidClick(this.root, (pid) => this.events.select(pid));
  }

  update(model: RunModel, summary: Summary, selected: number | null): void {
    const key = `${model.version}|${selected}|${this.root.clientWidth}`;
    if (key === this.lastKey) return;
    this.lastKey = key;
    if (!summary.pools.length) {
      this.root.replaceChildren(
        el(
          'p',
          'fs-empty',
          summary.clusters?.length
            ? 'No Pool or ProcessPoolExecutor in this run; its dask cluster is below.'
            : 'No Pool or ProcessPoolExecutor in this run.',
        ),
      );
      return;
    }
    const byChannel = new Map<string, TaskModel[]>();
    for (const t of model.tasks) {
      const id = model.channelOf(t.ref)?.id ?? t.ref;
      let list = byChannel.get(id);
      if (!list) byChannel.set(id, (list = []));
      list.push(t);
    }
    this.root.replaceChildren(...summary.pools.map((pool) => this.renderPool(model, pool, byChannel, selected)));
  }

  private renderPool(model: RunModel, pool: SummaryPool, byChannel: Map<string, TaskModel[]>, selected: number | null): HTMLElement {
    const pm = model.pools.get(pool.id);
    const tasksChannel = pm?.tasksChannel ? (model.channelOf(pm.tasksChannel)?.id ?? pm.tasksChannel) : null;
    // (a joblib Parallel call on a shared executor: its own work ids)
    const tasks = (tasksChannel ? (byChannel.get(tasksChannel) ?? []) : []).filter((t) => !pm || poolHasJob(pm, t.job));
    const sec = el('section', 'fs-pool');
    sec.dataset.pool = pool.id;
    const h = el('h3');
    const title =
      pool.library === 'joblib'
        ? `joblib Parallel${pool.name ? ` → ${pool.name}` : ''}`
        : (pool.name ?? (pool.kind === 'executor' ? 'ProcessPoolExecutor' : 'Pool'));
    h.append(
      el('span', '', title),
      el(
        'span',
        'fs-muted',
        `${pool.kind} · ${formatCountOf(pool.processes ?? pool.workers.length, 'worker')} · ${formatCountOf(pool.tasks, 'task')} in ${formatCountOf(pool.chunks, 'chunk')}`,
      ),
    );
    sec.append(h);
    if (pool.calls.length) {
      const calls = pool.calls
        .slice(0, 12)
        .map(
          (c) =>
            `${c.method}(${c.tasks === null ? '? tasks' : formatCountOf(c.tasks, 'task')}${c.chunksize !== null ? `, chunksize ${c.chunksize}` : ''}) at ${formatSeconds(c.at)}`,
        )
        .join(' · ');
      sec.append(el('p', 'fs-muted', `calls: ${calls}${pool.calls.length > 12 ? ` · and ${pool.calls.length - 12} more` : ''}`));
    }
    const workers = [...new Set([...pool.workers, ...tasks.map((t) => t.worker)])];
    const table = el('table', 'fs-table');
    const head = el('tr');
    for (const t of ['worker', 'tasks', 'chunks', 'busy', '']) head.append(el('th', '', t));
    table.append(head);
    const max = Math.max(1, ...workers.map((w) => pool.tasksByWorker[w] ?? 0));
    for (const w of workers) {
      const p = model.byPid.get(w);
      const tr = el('tr', 'fs-pool-worker');
      tr.dataset.pid = String(w);
      tr.dataset.tasks = String(pool.tasksByWorker[w] ?? 0);
      const n = pool.tasksByWorker[w] ?? 0;
      const bar = el('span', 'fs-bar');
      bar.style.width = `${Math.max(2, Math.round((n / max) * 120))}px`;
      const barCell = el('td');
      barCell.append(bar);
      const nameCell = el('td', '', p ? `${p.name} (${w})` : `pid ${w}`);
      if (w === selected) nameCell.style.fontWeight = '700';
      tr.append(
        nameCell,
        el('td', 'n', formatCount(n)),
        el('td', 'n', formatCount(pool.chunksByWorker[w] ?? 0)),
        el('td', 'n', formatSeconds(pool.busySecondsByWorker[w] ?? 0)),
        barCell,
      );
      table.append(tr);
    }
    sec.append(table);
    if (tasks.length) {
      const canvas = el('canvas');
      canvas.className = 'fs-pool-gantt';
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', `${title}: chunks run by each worker over time`);
      sec.append(canvas);
      requestAnimationFrame(() => drawGantt(canvas, model, workers, tasks, selected));
    } else if (pool.tasks > 0) {
      sec.append(el('p', 'fs-muted', 'Per-chunk detail was not recorded for this pool (counts above are exact).'));
    }
    return sec;
  }
}

/** A canvas of task lanes (a pool's workers, a cluster's), sized to its rows, with its time axis drawn. */
export interface LaneChart {
  ctx: CanvasRenderingContext2D;
  /** Time → x, over [t0, t1] (the spans with their margins). */
  x: (t: number) => number;
  t0: number;
  t1: number;
  width: number;
  height: number;
}

/**
 * Sizes `canvas` for `rows` lanes of `rowH` px under an `axis` px time axis and a `gutter` px label column,
 * and draws the axis over the span of `spans` (2 % margin each side; `fallback` when there are none):
 * tick labels in the axis row, a grid line per tick. Null when the canvas has no 2D context.
 */
export function laneChart(
  canvas: HTMLCanvasElement,
  o: { rows: number; rowH: number; axis: number; gutter: number; minWidth: number },
  spans: Iterable<{ begin: number; end: number }>,
  fallback: [number, number] = [0, 1],
): LaneChart | null {
  const width = Math.max(o.minWidth, canvas.parentElement?.clientWidth ?? 600);
  const height = o.axis + o.rows * o.rowH + 4;
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(width * dpr);
  canvas.height = Math.round(height * dpr);
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.font = `11px ${cssVar('--font', 'sans-serif')}`;
  ctx.textBaseline = 'middle';
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const s of spans) {
    t0 = Math.min(t0, s.begin);
    t1 = Math.max(t1, s.end);
  }
  if (!Number.isFinite(t0)) [t0, t1] = fallback;
  const span = Math.max(t1 - t0, 1e-6);
  t0 -= span * 0.02;
  t1 += span * 0.02;
  const plotW = width - o.gutter - 4;
  const x = (t: number) => o.gutter + ((t - t0) / (t1 - t0)) * plotW;
  const { step, ticks } = niceTicks(t0, t1, plotW, 90);
  ctx.fillStyle = cssVar('--c-muted', '#777');
  for (const t of ticks) ctx.fillText(tickLabel(t, step), x(t) + 2, o.axis / 2);
  ctx.fillStyle = cssVar('--c-border', '#ccc');
  for (const t of ticks) ctx.fillRect(Math.round(x(t)), o.axis, 1, height - o.axis);
  return { ctx, x, t0, t1, width, height };
}

function drawGantt(canvas: HTMLCanvasElement, model: RunModel, workers: number[], tasks: TaskModel[], selected: number | null): void {
  const rowH = 18;
  const axis = 18;
  const gutter = 150;
  const chart = laneChart(canvas, { rows: workers.length, rowH, axis, gutter, minWidth: 200 }, tasks);
  if (!chart) return;
  const { ctx, x, width } = chart;
  const fg = cssVar('--c-fg', '#222');
  const sel = cssVar('--c-sel', '#ddf');
  const colors = chartColors();
  const row = new Map(workers.map((w, i) => [w, i]));
  workers.forEach((w, i) => {
    const y = axis + i * rowH;
    if (w === selected) {
      ctx.fillStyle = sel;
      ctx.fillRect(0, y, width, rowH);
    }
    const p = model.byPid.get(w);
    ctx.fillStyle = fg;
    ctx.fillText(`${p?.name ?? 'pid'} ${w}`.slice(0, 26), 4, y + rowH / 2);
  });
  const jobs = new Map<string, number>();
  for (const t of tasks) {
    const lane = row.get(t.worker);
    if (lane === undefined) continue;
    const jk = String(t.job);
    if (!jobs.has(jk)) jobs.set(jk, jobs.size);
    const xa = x(t.begin);
    const w = Math.max(1, x(t.end) - xa);
    const y = axis + lane * rowH + 2;
    ctx.fillStyle = colors[jobs.get(jk)! % colors.length];
    ctx.globalAlpha = t.ok ? 0.85 : 0.4;
    ctx.fillRect(xa, y, w, rowH - 4);
    ctx.globalAlpha = 1;
    if (t.items !== null && w > 22) {
      ctx.fillStyle = cssVar('--c-bg', '#fff');
      ctx.fillText(`×${t.items}`, xa + 3, y + (rowH - 4) / 2);
    }
  }
}

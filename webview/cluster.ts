/**
 * dask.distributed clusters in the inspector (shown in the Pools tab, after the pools): each cluster as
 * its scheduler with its workers under it (a LocalCluster's workers link to their processes in the tree;
 * remote ones are labelled with their host), the tasks per worker, a timeline with one lane per worker
 * whose task bands are coloured by key prefix (erred tasks outlined), arrows for the data moved between
 * workers, and the transfers per direction. Everything from the cluster (addresses, names, prefixes,
 * keys) is text.
 */

import { workerLabel, type ClusterModel, type ClusterWorkerModel } from '../core/model/clusters';
import type { RunModel } from '../core/model/types';
import type { Summary, SummaryCluster } from '../core/summary/summary';
import { formatBytes, formatCount, formatSeconds } from '../core/format';
import { chartColors } from './charts';
import { cssVar, el, selectOnPidClick } from './dom';
import { laneChart } from './pools';

export interface ClusterEvents {
  select(pid: number): void;
}

/** What the last draw of a cluster's timeline put on the canvas (tests read it from data attributes). */
export interface ClusterDrawn {
  lanes: number;
  bands: number;
  arrows: number;
}

/** A stable colour index for a key prefix: the order prefixes first appear in the cluster's tasks. */
export function prefixOrder(c: ClusterModel): Map<string, number> {
  const order = new Map<string, number>();
  for (const t of c.tasks) if (!order.has(t.prefix)) order.set(t.prefix, order.size);
  return order;
}

export class ClusterView {
  readonly root: HTMLElement;
  private lastKey = '';

  constructor(private readonly events: ClusterEvents) {
    this.root = el('div', 'fs-clusters');
    this.root.id = 'fs-clusters';
    selectOnPidClick(this.root, (pid) => this.events.select(pid));
  }

  update(model: RunModel, summary: Summary, selected: number | null): void {
    const key = `${model.version}|${selected}|${this.root.clientWidth}`;
    if (key === this.lastKey) return;
    this.lastKey = key;
    const list = summary.clusters ?? [];
    this.root.hidden = list.length === 0;
    if (!list.length) {
      this.root.replaceChildren();
      return;
    }
    this.root.replaceChildren(
      ...list.map((c) => {
        const cm = model.clusters.get(c.scheduler);
        return cm ? this.renderCluster(model, c, cm, selected) : el('section');
      }),
    );
  }

  private renderCluster(model: RunModel, c: SummaryCluster, cm: ClusterModel, selected: number | null): HTMLElement {
    const sec = el('section', 'fs-cluster');
    sec.dataset.scheduler = c.scheduler;
    const h = el('h3');
    const client = model.byPid.get(c.clientPid);
    h.append(
      el('span', '', `dask cluster ${c.scheduler}`),
      el(
        'span',
        'fs-muted',
        ` · ${c.local ? `LocalCluster in ${client?.name ?? 'pid'} (${c.clientPid})` : 'scheduler outside this run'} · ${c.workers.length} worker${c.workers.length === 1 ? '' : 's'} · ${formatCount(c.tasks)} tasks${c.erred ? ` · ${formatCount(c.erred)} erred` : ''}`,
      ),
    );
    sec.append(h);

    // The scheduler with its workers under it.
    const tree = el('ul', 'fs-cluster-tree');
    tree.setAttribute('role', 'tree');
    tree.setAttribute('aria-label', `dask cluster ${c.scheduler}`);
    const top = el('li', 'fs-cluster-scheduler');
    top.setAttribute('role', 'treeitem');
    top.setAttribute('aria-expanded', 'true');
    top.append(el('span', '', `scheduler ${c.scheduler}`));
    const kids = el('ul');
    kids.setAttribute('role', 'group');
    for (const w of c.workers) {
      const li = el('li', 'fs-cluster-tree-worker');
      li.setAttribute('role', 'treeitem');
      li.dataset.address = w.address;
      const proc = c.local && w.pid !== null ? model.byPid.get(w.pid) : undefined;
      if (proc) li.dataset.pid = String(proc.pid);
      const where = proc ? `process ${proc.pid} of this run` : `on ${w.host ?? '?'}${w.pid !== null ? `, pid ${w.pid}` : ''}`;
      li.append(el('span', '', `worker ${workerLabel(cm.workers.get(w.address)!)} · ${where}`));
      if (w.leftAt !== null) li.append(el('span', 'fs-muted', ` · left at ${formatSeconds(w.leftAt)}`));
      kids.append(li);
    }
    top.append(kids);
    tree.append(top);
    sec.append(tree);

    // Tasks per worker.
    const table = el('table', 'fs-table');
    const head = el('tr');
    for (const t of ['worker', 'host', 'pid', 'threads', 'tasks', 'erred', 'busy', 'peak memory', '']) head.append(el('th', '', t));
    table.append(head);
    const max = Math.max(1, ...c.workers.map((w) => w.tasks));
    for (const w of c.workers) {
      const tr = el('tr', 'fs-cluster-worker');
      tr.dataset.address = w.address;
      tr.dataset.tasks = String(w.tasks);
      tr.dataset.erred = String(w.erred);
      if (w.pid !== null) tr.dataset.workerPid = String(w.pid);
      const proc = c.local && w.pid !== null ? model.byPid.get(w.pid) : undefined;
      if (proc) tr.dataset.pid = String(proc.pid);
      const bar = el('span', 'fs-bar');
      bar.style.width = `${Math.max(2, Math.round((w.tasks / max) * 120))}px`;
      const barCell = el('td');
      barCell.append(bar);
      const nameCell = el('td', '', workerLabel(cm.workers.get(w.address)!));
      if (proc && proc.pid === selected) nameCell.style.fontWeight = '700';
      tr.append(
        nameCell,
        el('td', '', w.host ?? '?'),
        el('td', 'n', w.pid !== null ? String(w.pid) : '?'),
        el('td', 'n', w.nthreads !== null ? String(w.nthreads) : '?'),
        el('td', 'n', formatCount(w.tasks)),
        el('td', 'n', formatCount(w.erred)),
        el('td', 'n', formatSeconds(w.busySeconds)),
        el('td', 'n', w.peakMemoryBytes !== null ? formatBytes(w.peakMemoryBytes) : '?'),
        barCell,
      );
      table.append(tr);
    }
    sec.append(table);

    // The timeline of the workers' tasks and the data moved between them.
    if (cm.tasks.length) {
      const order = prefixOrder(cm);
      const colors = chartColors();
      const legend = el('p', 'fs-cluster-legend');
      for (const [prefix, i] of order) {
        const item = el('span', 'fs-cluster-prefix');
        item.dataset.prefix = prefix;
        const sw = el('span', 'fs-swatch');
        sw.style.background = colors[i % colors.length];
        sw.style.display = 'inline-block';
        sw.style.width = '10px';
        sw.style.height = '10px';
        sw.style.marginRight = '4px';
        item.append(sw, el('span', '', `${prefix} `));
        legend.append(item);
      }
      sec.append(legend);
      const canvas = el('canvas');
      canvas.className = 'fs-cluster-gantt';
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', `dask cluster ${c.scheduler}: tasks of each worker over time, and transfers between workers`);
      sec.append(canvas);
      requestAnimationFrame(() => {
        const drawn = drawCluster(canvas, model, cm, c, order);
        canvas.dataset.lanes = String(drawn.lanes);
        canvas.dataset.bands = String(drawn.bands);
        canvas.dataset.arrows = String(drawn.arrows);
      });
    } else if (c.tasks > 0) sec.append(el('p', 'fs-muted', 'Per-task detail was not kept for this cluster (counts above are exact).'));

    if (c.transfers.length) {
      const tt = el('table', 'fs-table fs-cluster-transfers');
      const hr = el('tr');
      for (const t of ['from', 'to', 'transfers', 'bytes']) hr.append(el('th', '', t));
      tt.append(hr);
      for (const x of c.transfers) {
        const tr = el('tr', 'fs-cluster-transfer');
        tr.dataset.from = x.from;
        tr.dataset.to = x.to;
        tr.dataset.count = String(x.count);
        tr.dataset.bytes = String(x.bytes);
        const label = (a: string) => {
          const w = cm.workers.get(a);
          return w ? workerLabel(w) : a;
        };
        tr.append(
          el('td', '', label(x.from)),
          el('td', '', label(x.to)),
          el('td', 'n', formatCount(x.count)),
          el('td', 'n', formatBytes(x.bytes)),
        );
        tt.append(tr);
      }
      sec.append(el('h4', '', 'Data moved between workers'), tt);
    }
    return sec;
  }
}

/** Draws one lane per worker with its task bands and the transfer arrows; returns what it drew. */
function drawCluster(
  canvas: HTMLCanvasElement,
  model: RunModel,
  cm: ClusterModel,
  c: SummaryCluster,
  order: Map<string, number>,
): ClusterDrawn {
  const rowH = 20;
  const axis = 18;
  const gutter = 170;
  const workers: ClusterWorkerModel[] = c.workers.map((w) => cm.workers.get(w.address)!).filter(Boolean);
  const drawn: ClusterDrawn = { lanes: workers.length, bands: 0, arrows: 0 };
  const chart = laneChart(canvas, { rows: workers.length, rowH, axis, gutter, minWidth: 240 }, cm.tasks, [0, model.run.wallSeconds]);
  if (!chart) return drawn;
  const { ctx, x, t1 } = chart;
  const fg = cssVar('--c-fg', '#222');
  const muted = cssVar('--c-muted', '#777');
  const error = cssVar('--c-error', '#d22');
  const accent = cssVar('--c-accent', '#27d');
  const colors = chartColors();
  const lane = new Map(workers.map((w, i) => [w.address, i]));
  workers.forEach((w, i) => {
    const y = axis + i * rowH;
    ctx.fillStyle = fg;
    ctx.fillText(`${workerLabel(w)}${w.host && !workerLabel(w).includes(w.host) ? ` @ ${w.host}` : ''}`.slice(0, 30), 4, y + rowH / 2);
    if (w.leftAt !== null && w.leftAt <= t1) {
      ctx.fillStyle = muted;
      ctx.fillRect(Math.round(x(w.leftAt)), y + 2, 2, rowH - 4);
    }
  });
  for (const t of cm.tasks) {
    const i = t.worker !== null ? lane.get(t.worker) : undefined;
    if (i === undefined) continue;
    const xa = x(t.begin);
    const w = Math.max(1, x(t.end) - xa);
    const y = axis + i * rowH + 3;
    ctx.fillStyle = colors[(order.get(t.prefix) ?? 0) % colors.length];
    ctx.fillRect(xa, y, w, rowH - 6);
    if (t.state === 'erred') {
      ctx.strokeStyle = error;
      ctx.lineWidth = 2;
      ctx.strokeRect(xa, y, Math.max(w, 3), rowH - 6);
    }
    drawn.bands++;
  }
  ctx.strokeStyle = accent;
  ctx.fillStyle = accent;
  ctx.lineWidth = 1.5;
  for (const m of cm.transfers) {
    const a = lane.get(m.from);
    const b = lane.get(m.to);
    if (a === undefined || b === undefined) continue;
    const ta = m.begin ?? m.at;
    const tb = m.end ?? m.at;
    const xa = x(ta);
    const xb = Math.max(x(tb), xa + 2);
    const ya = axis + a * rowH + rowH / 2;
    const yb = axis + b * rowH + rowH / 2;
    drawTransferArrow(ctx, xa, ya, xb, yb);
    drawn.arrows++;
  }
  return drawn;
}

/** A transfer between two worker lanes: a line from (xa, ya) to (xb, yb) with its head at the receiver. */
export function drawTransferArrow(ctx: CanvasRenderingContext2D, xa: number, ya: number, xb: number, yb: number): void {
  ctx.beginPath();
  ctx.moveTo(xa, ya);
  ctx.lineTo(xb, yb);
  ctx.stroke();
  const ang = Math.atan2(yb - ya, xb - xa);
  ctx.beginPath();
  ctx.moveTo(xb, yb);
  ctx.lineTo(xb - 7 * Math.cos(ang - 0.4), yb - 7 * Math.sin(ang - 0.4));
  ctx.lineTo(xb - 7 * Math.cos(ang + 0.4), yb - 7 * Math.sin(ang + 0.4));
  ctx.closePath();
  ctx.fill();
}

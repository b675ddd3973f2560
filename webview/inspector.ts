/**
 * The inspector: header, process tree, timeline and the Flows / CPU & memory /
 * Pools tabs, fed by one `RunReducer`. Live records are applied as they come;
 * the canvas redraws on the next animation frame when the model changed, the
 * DOM panels at most every 200 ms. A run that ends freezes in its final state.
 */

import { RunReducer } from '../core/model/reducer';
import type { RunModel } from '../core/model/types';
import type { RecordingHeader, RecordLine } from '../core/model/recording';
import { summarize, type Summary } from '../core/summary/summary';
import { CpuMemoryView } from './charts';
import { el, setText } from './dom';
import { FlowsView } from './flows';
import { basename, formatCount, formatCountOf, formatSeconds, RefNames } from '../core/format';
import { insightsByPid, insightsOf, InsightsView, type Insight } from './insights';
import { OutputView } from './output';
import { LocksView } from './locks';
import { PoolsView } from './pools';
import { ClusterView } from './cluster';
import { ClusterLanes } from './clusterLanes';
import { ProcessTreeView } from './processTree';
import type { FromWebview, ToWebview } from '../core/protocol/webview';
import { TimelineView, type TimelineViewState } from './timeline';
import { ancestorsOf, defaultExpanded, treeRows, type TreeRow } from '../core/treeRows';

export interface InspectorHost {
  post(message: FromWebview): void;
  getState(): unknown;
  setState(state: unknown): void;
  /** True inside VS Code (targets link to their source). */
  canOpenSource: boolean;
}

type TabId = 'flows' | 'cpu' | 'pools' | 'locks' | 'output';

interface SavedState {
  selected?: number | null;
  tab?: TabId;
  filter?: string;
  expanded?: [number, boolean][];
  view?: TimelineViewState;
}

/** DOM panels refresh at most this often while live (ms). */
const PANEL_INTERVAL_MS = 200;

export class Inspector {
  private reducer: RunReducer | null = null;
  private model: RunModel | null = null;
  private names: RefNames | null = null;
  private live = false;
  private title = '';
  private rows: TreeRow[] = [];
  private rowsFor = { processes: -1, version: -1 };
  private rowsDirty = true;
  private readonly expanded = new Map<number, boolean>();
  private filter = '';
  private selected: number | null = null;
  private tab: TabId = 'flows';
  private frameRequested = false;
  private panelTimer: ReturnType<typeof setTimeout> | null = null;
  private lastPanelAt = 0;
  private panelVersion = -1;
  private summary: Summary | null = null;
  private summaryVersion = -1;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly saved: SavedState;
  /** performance.now() when the first complete frame of the loaded run was on screen (benchmark). */
  firstPaintAt: number | null = null;
  private loadedAt = 0;
  /** How long the last DOM panel update took (ms): slow panels update less often while live. */
  private panelCost = 0;
  private lastTabAt = 0;
  private tabCost = 0;
  private summaryCost = 0;
  private tabTimer: ReturnType<typeof setTimeout> | null = null;

  readonly tree: ProcessTreeView;
  readonly timeline: TimelineView;
  private readonly flows: FlowsView;
  private readonly charts: CpuMemoryView;
  private readonly pools: PoolsView;
  /** dask clusters, shown in the Pools tab after the pools (webview/cluster.ts). */
  private readonly clusters: ClusterView;
  /** Rows for remote dask clusters' schedulers and workers, after the processes (webview/clusterLanes.ts). */
  private readonly clusterLanes = new ClusterLanes();
  private clusterLaneCount = 0;
  private readonly output = new OutputView();
  private readonly locks: LocksView;
  private readonly headerTitle: HTMLElement;
  private readonly headerName: HTMLElement;
  private readonly headerStatus: HTMLElement;
  private readonly facts: HTMLElement;
  readonly insightsView: InsightsView;
  /** The run's insights as last shown (the tree badges and the timeline marks read them). */
  private insights: Insight[] = [];
  private insightsByPid = new Map<number, Insight[]>();
  /** The insight the user picked: its processes stay highlighted on the timeline. */
  private focused: Insight | null = null;
  private readonly filterInput: HTMLInputElement;
  private readonly treeToggle: HTMLButtonElement;
  private readonly treeToggleCount: HTMLElement;
  private readonly tabs = new Map<TabId, { tab: HTMLButtonElement; panel: HTMLElement }>();
  private readonly tooltip: HTMLElement;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: InspectorHost,
  ) {
    const s = host.getState();
    this.saved = s && typeof s === 'object' ? (s as SavedState) : {};
    root.replaceChildren();
    this.tooltip = el('div', 'fs-tooltip');
    this.tooltip.id = 'fs-tooltip';
    this.tooltip.setAttribute('role', 'tooltip');
    this.tooltip.hidden = true;

    const header = el('header', 'fs-header');
    header.id = 'fs-header';
    this.headerTitle = el('h1', 'fs-title');
    this.headerName = el('span', 'fs-run-name');
    this.headerStatus = el('span', 'fs-status');
    this.headerStatus.id = 'fs-status';
    this.headerTitle.append(this.headerName, this.headerStatus);
    this.facts = el('ul', 'fs-facts');
    this.facts.id = 'fs-facts';
    this.facts.setAttribute('aria-label', 'Run facts');
    this.insightsView = new InsightsView({
      focus: (w) => this.focusInsight(w),
      openSource: host.canOpenSource ? (file, line) => host.post({ type: 'openSource', file, line }) : undefined,
    });
    header.append(this.headerTitle, this.facts, this.insightsView.root);

    const main = el('main', 'fs-main');
    const treePane = el('section', 'fs-tree-pane');
    treePane.setAttribute('aria-label', 'Process tree');
    this.filterInput = el('input', 'fs-filter');
    this.filterInput.id = 'fs-filter';
    this.filterInput.type = 'search';
    this.filterInput.placeholder = 'Filter by name or PID';
    this.filterInput.setAttribute('aria-label', 'Filter processes by name or PID');
    this.filterInput.addEventListener('input', () => {
      this.filter = this.filterInput.value;
      this.rowsDirty = true;
      this.schedule();
      this.save();
    });
    this.tree = new ProcessTreeView({
      select: (pid) => this.select(pid, { from: 'tree' }),
      toggle: (pid, open) => {
        this.expanded.set(pid, open);
        this.rowsDirty = true;
        this.schedule();
        this.save();
      },
      openSource: host.canOpenSource ? (file, line) => host.post({ type: 'openSource', file, line }) : undefined,
    });
    // Stacked (a narrow panel), the tree sits under the timeline and folds away behind this button.
    this.treeToggle = el('button', 'fs-tree-toggle');
    this.treeToggle.type = 'button';
    this.treeToggle.id = 'fs-tree-toggle';
    this.treeToggle.setAttribute('aria-expanded', 'true');
    this.treeToggle.setAttribute('aria-controls', 'fs-tree');
    this.treeToggleCount = el('span', 'fs-tree-count', 'Processes');
    const twisty = el('span', 'fs-twisty', '▾');
    twisty.setAttribute('aria-hidden', 'true');
    this.treeToggle.append(twisty, this.treeToggleCount);
    this.treeToggle.addEventListener('click', () => {
      const open = this.treeToggle.getAttribute('aria-expanded') !== 'true';
      this.treeToggle.setAttribute('aria-expanded', String(open));
      twisty.textContent = open ? '▾' : '▸';
      treePane.classList.toggle('fs-collapsed', !open);
    });
    treePane.append(this.treeToggle, this.filterInput, this.tree.root);

    const right = el('section', 'fs-right');
    this.timeline = new TimelineView(
      {
        model: () => this.model!,
        rows: () => this.rows,
        names: () => this.names!,
        selected: () => this.selected,
        select: (pid) => this.select(pid, { from: 'timeline' }),
        viewChanged: () => {
          this.schedule();
          this.save();
        },
        live: () => this.live,
        insights: () => this.insights,
        highlighted: () => this.focused?.pids ?? null,
      },
      this.tooltip,
    );
    const tabBox = el('section', 'fs-tabs');
    const tablist = el('div', 'fs-tablist');
    tablist.setAttribute('role', 'tablist');
    tablist.setAttribute('aria-label', 'Details');
    const panels = el('div', 'fs-panels');
    this.flows = new FlowsView({ select: (pid) => this.select(pid, { from: 'flows' }) });
    this.charts = new CpuMemoryView();
    this.pools = new PoolsView({ select: (pid) => this.select(pid, { from: 'pools' }) });
    this.clusters = new ClusterView({ select: (pid) => this.select(pid, { from: 'pools' }) });
    this.locks = new LocksView({ select: (pid) => this.select(pid, { from: 'locks' }) });
    const addTab = (id: TabId, label: string, content: HTMLElement) => {
      const tab = el('button', '', label);
      tab.type = 'button';
      tab.id = `fs-tab-${id}`;
      tab.setAttribute('role', 'tab');
      tab.setAttribute('aria-controls', `fs-panel-${id}`);
      tab.addEventListener('click', () => this.showTab(id));
      const panel = el('div');
      panel.id = `fs-panel-${id}`;
      panel.setAttribute('role', 'tabpanel');
      panel.setAttribute('aria-labelledby', tab.id);
      panel.append(content);
      tablist.append(tab);
      panels.append(panel);
      this.tabs.set(id, { tab, panel });
    };
    addTab('flows', 'Flows', this.flows.root);
    addTab('cpu', 'CPU & memory', this.charts.root);
    const poolsBox = el('div', 'fs-pools-box');
    poolsBox.append(this.pools.root, this.clusters.root);
    addTab('pools', 'Pools', poolsBox);
    addTab('locks', 'Locks & shared', this.locks.root);
    addTab('output', 'Output', this.output.root);
    tablist.addEventListener('keydown', (e) => {
      const ids = [...this.tabs.keys()];
      const i = ids.indexOf(this.tab);
      if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
        const next = ids[(i + (e.key === 'ArrowRight' ? 1 : ids.length - 1)) % ids.length];
        this.showTab(next);
        this.tabs.get(next)!.tab.focus();
        e.preventDefault();
      }
    });
    tabBox.append(tablist, panels);
    right.append(this.timeline.root, tabBox);
    main.append(treePane, right);
    root.append(header, main, this.tooltip);

    this.showTab(this.saved.tab ?? 'flows', false);
    this.filter = typeof this.saved.filter === 'string' ? this.saved.filter : '';
    this.filterInput.value = this.filter;
    if (Array.isArray(this.saved.expanded)) for (const [pid, open] of this.saved.expanded) this.expanded.set(pid, open);
    if (typeof this.saved.selected === 'number') this.selected = this.saved.selected;

    const retheme = () => {
      this.timeline.retheme();
      this.charts.retheme();
      this.flows.retheme();
      this.panelVersion = -1;
      this.schedule();
    };
    new MutationObserver(retheme).observe(document.body, { attributes: true, attributeFilter: ['class'] });
    window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', retheme);
    this.showEmpty('Waiting for the run…');
  }

  private showEmpty(text: string): void {
    setText(this.headerName, text);
  }

  /** Handles a message from the host. */
  handle(msg: ToWebview): void {
    switch (msg.type) {
      case 'init':
        this.load(msg.header, msg.records, msg.live, msg.title);
        break;
      case 'records':
        this.append(msg.records);
        break;
      case 'select':
        this.select(msg.pid, { from: 'host' });
        break;
      case 'showInsight': {
        if (!this.model) break;
        const list = insightsOf(this.model, this.summary);
        const w =
          list.find((x) => x.kind === msg.kind && x.pid === msg.pid && Math.abs(x.at - msg.at) < 1e-3) ??
          list.find((x) => x.kind === msg.kind && x.pid === msg.pid);
        if (w) this.focusInsight(w);
        break;
      }
    }
  }

  /** Starts over with a whole recording (or the run so far, when live). */
  load(header: RecordingHeader, records: Iterable<RecordLine>, live: boolean, title: string): void {
    const t0 = performance.now();
    this.beginLoad(header);
    this.feed(records);
    performance.measure('fs:parse+reduce', { start: t0, end: performance.now() });
    this.endLoad(live, title);
  }

  /**
   * `load` in parts, for records that come in batches (a report's recording inflated as it is read):
   * `beginLoad`, then `feed` each batch, then `endLoad` shows the run. Nothing is drawn in between.
   */
  beginLoad(header: RecordingHeader): void {
    if (this.model) this.tree.reset();
    this.model = null;
    this.reducer = new RunReducer(header);
    this.insights = [];
    this.insightsByPid = new Map();
    this.focused = null;
  }

  /** Reduces records of the run `beginLoad` started. */
  feed(records: Iterable<RecordLine>): void {
    const reducer = this.reducer!;
    for (const r of records) reducer.apply(r);
  }

  /** Shows the run `beginLoad` started, reduced from every record fed. */
  endLoad(live: boolean, title: string): void {
    if (!this.reducer) return;
    this.loadedAt = performance.now();
    this.model = this.reducer.model;
    this.names = new RefNames(this.model);
    this.live = live && !this.model.run.ended;
    if (!this.live) this.reducer.finish();
    this.title = title;
    this.rowsDirty = true;
    this.panelVersion = -1;
    if (this.saved.view) this.timeline.restore(this.saved.view);
    else this.timeline.fitAction();
    this.saved.view = undefined;
    this.schedule();
  }

  /** Applies records that arrived since the last message (live). */
  append(records: RecordLine[]): void {
    if (!this.reducer || !this.model) return;
    for (const r of records) this.reducer.apply(r);
    if (this.live && this.model.run.ended) {
      // The run is over: close what is open and freeze in the final state.
      this.reducer.finish();
      this.model.version++;
      this.live = false;
      this.panelVersion = -1;
      this.rowsDirty = true;
    }
    this.schedule();
  }

  select(pid: number | null, opts: { from: 'tree' | 'timeline' | 'host' | 'flows' | 'pools' | 'locks' | 'restore' | 'insight' }): void {
    if (pid !== null && this.model && !this.model.byPid.has(pid)) return;
    const changed = pid !== this.selected;
    this.selected = pid;
    if (pid !== null && this.model) {
      let opened = false;
      for (const a of ancestorsOf(this.model, pid)) {
        if (!this.isExpanded(a)) {
          this.expanded.set(a, true);
          opened = true;
        }
      }
      if (opened) this.rowsDirty = true;
    }
    if (opts.from !== 'insight') this.focused = null;
    this.ensureRows();
    this.tree.setSelected(pid, opts.from === 'timeline');
    if (pid !== null) this.timeline.reveal(pid);
    this.timeline.invalidate();
    this.panelVersion = -1;
    this.lastTabAt = 0;
    if (changed && opts.from !== 'host' && opts.from !== 'restore') this.host.post({ type: 'selected', pid });
    this.schedule();
    this.save();
  }

  /**
   * An insight was picked: select its main process (opening the tree down to
   * every process it names), highlight them all on the timeline, and bring
   * its moment (from when the condition began to when it was found) into view.
   */
  focusInsight(w: Insight): void {
    const m = this.model;
    if (!m) return;
    this.focused = w;
    const known = w.pids.filter((pid) => m.byPid.has(pid));
    for (const pid of known) {
      for (const a of ancestorsOf(m, pid)) {
        if (!this.isExpanded(a)) {
          this.expanded.set(a, true);
          this.rowsDirty = true;
        }
      }
    }
    const main = w.pid !== null && m.byPid.has(w.pid) ? w.pid : (known[0] ?? null);
    if (main !== null) this.select(main, { from: 'insight' });
    const begin = w.since !== null ? Math.min(w.since, w.at) : w.at;
    const end = this.live && w.since !== null ? Math.max(w.at, m.run.now) : w.at;
    this.timeline.showTime(begin, end);
    this.timeline.invalidate();
    this.schedule();
  }

  private isExpanded(pid: number): boolean {
    return this.expanded.get(pid) ?? (this.model ? defaultExpanded(this.model, pid) : true);
  }

  private showTab(id: TabId, persist = true): void {
    if (!this.tabs.has(id)) id = 'flows';
    this.tab = id;
    for (const [k, { tab, panel }] of this.tabs) {
      tab.setAttribute('aria-selected', String(k === id));
      tab.tabIndex = k === id ? 0 : -1;
      panel.hidden = k !== id;
    }
    this.panelVersion = -1;
    this.lastTabAt = 0;
    this.schedule();
    if (persist) this.save();
  }

  private schedule(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.frame();
    });
  }

  private ensureRows(): boolean {
    const m = this.model;
    if (!m) return false;
    const laneCount = ClusterLanes.count(m);
    if (
      !this.rowsDirty &&
      this.rowsFor.processes === m.processes.length &&
      (this.rowsFor.version === m.version || this.live) &&
      laneCount === this.clusterLaneCount
    )
      return false;
    this.clusterLaneCount = laneCount;
    this.rows = treeRows(m, (pid) => this.isExpanded(pid), this.filter);
    if (laneCount) this.rows = this.rows.concat(this.clusterLanes.rows(m, (pid) => this.expanded.get(pid) ?? true, this.filter));
    this.rowsFor = { processes: m.processes.length, version: m.version };
    this.rowsDirty = false;
    this.tree.render(this.rows, m, this.names!, this.host.canOpenSource, this.insightsByPid);
    // Stacked, the timeline is as tall as its lanes need (within limits: layout.ts).
    this.root.style.setProperty('--fs-lanes', String(Math.max(1, this.rows.length)));
    setText(this.treeToggleCount, `Processes (${formatCount(m.processes.length)})`);
    if (this.selected !== null) this.tree.setSelected(this.selected);
    return true;
  }

  /** One animation frame: lay out rows if needed, draw the canvas, refresh panels (throttled while live). */
  private frame(): void {
    const m = this.model;
    if (!m) return;
    const laidOut = this.ensureRows();
    if (laidOut) this.timeline.invalidate(); // lanes follow the tree's rows
    const t0 = performance.now();
    if (this.timeline.draw() && this.firstPaintAt === null) {
      performance.measure('fs:rows+panels', { start: this.loadedAt, end: t0 });
      performance.measure('fs:first-draw', { start: t0, end: performance.now() });
      // The frame after the first full draw has been painted: the moment the run is on screen.
      requestAnimationFrame(() => {
        if (this.firstPaintAt !== null) return;
        this.firstPaintAt = performance.now();
        performance.mark('fs:first-paint');
      });
    }
    if ((this.panelVersion !== m.version || laidOut) && !this.panelTimer) {
      // DOM panels (header facts, tree contents, the open tab) update in a task of their own, after the
      // canvas frame is on screen; while live at most every PANEL_INTERVAL_MS (longer if they are slow).
      const interval = this.live ? Math.max(PANEL_INTERVAL_MS, this.panelCost * 4) : 0;
      const wait = Math.max(0, interval - (performance.now() - this.lastPanelAt));
      const run = () => {
        this.panelTimer = null;
        if (this.live) this.rowsDirty = true; // parents can become known after a process appears
        const laid = this.ensureRows();
        if (laid) this.timeline.invalidate();
        this.updatePanels(laid);
        this.timeline.draw();
      };
      // The first time, wait for the canvas frame to be painted (a task queued from the next frame runs after it).
      this.panelTimer =
        this.firstPaintAt === null ? setTimeout(() => requestAnimationFrame(() => setTimeout(run, 0)), 0) : setTimeout(run, wait);
    }
  }

  private getSummary(): Summary {
    const m = this.model!;
    if (!this.summary || this.summaryVersion !== m.version) {
      const t0 = performance.now();
      this.summary = summarize(m);
      this.summaryVersion = m.version;
      this.summaryCost = performance.now() - t0;
    }
    return this.summary;
  }

  private updatePanels(laidOut: boolean): void {
    const m = this.model!;
    const started = performance.now();
    this.lastPanelAt = started;
    this.panelVersion = m.version;
    // While live, the summary (exact flows, pools) is recomputed on a slower cadence than the tree,
    // slower still when it is expensive, so the timeline keeps drawing new events promptly.
    const tabInterval = this.tabCost > 100 ? Math.max(2000, this.tabCost * 10) : Math.max(1000, this.tabCost * 4);
    const tabDue = !this.live || started - this.lastTabAt >= tabInterval;
    const s = tabDue ? this.getSummary() : null;
    const insightsChanged = this.updateInsights(m);
    if (!laidOut || insightsChanged) this.tree.refresh(m, this.names!, this.insightsByPid);
    this.updateHeader(m, s ?? lightSummary(m, this.summary));
    this.panelCost = performance.now() - started;
    if (!tabDue) {
      if (!this.tabTimer) {
        this.tabTimer = setTimeout(
          () => {
            this.tabTimer = null;
            this.panelVersion = -1;
            this.schedule();
          },
          tabInterval - (started - this.lastTabAt),
        );
      }
      return;
    }
    const t0 = performance.now();
    this.lastTabAt = t0;
    if (this.tab === 'flows') this.flows.update(m, s!, this.live);
    else if (this.tab === 'cpu') this.charts.update(m, this.selected);
    else if (this.tab === 'output') this.output.update(m, this.selected);
    else if (this.tab === 'locks') this.locks.update(m, s!, this.selected);
    else {
      this.pools.update(m, s!, this.selected);
      this.clusters.update(m, s!, this.selected);
    }
    this.tabCost = performance.now() - t0 + (s === this.summary ? this.summaryCost : 0);
  }

  /**
   * Insights: while live, the warnings recorded so far (at once); once the
   * run is over, the summary's too (its analysis judges a whole run, so it
   * waits for the end). The tree and the timeline follow.
   */
  private updateInsights(m: RunModel): boolean {
    const list = insightsOf(m, this.live ? null : this.summary);
    this.insightsView.update(list, this.host.canOpenSource);
    const changed =
      list.length !== this.insights.length ||
      list.some((w, i) => w.message !== this.insights[i].message || w.pids.join() !== this.insights[i].pids.join());
    this.insights = list;
    if (changed) {
      this.insightsByPid = insightsByPid(list);
      this.timeline.invalidate();
    }
    return changed;
  }

  private updateHeader(m: RunModel, s: HeaderStats): void {
    const h = m.run.header;
    const what = h.script ?? (h.module ? `-m ${h.module}` : 'run');
    setText(this.headerName, this.title || basename(what));
    let status: string;
    let cls = 'fs-status';
    if (this.live) {
      status = 'live';
      cls += ' live';
    } else if (m.run.stopped) status = 'stopped';
    else if (!m.run.ended) status = 'unfinished recording';
    else if (m.run.signal) {
      status = `killed by ${m.run.signal}`;
      cls += ' bad';
    } else {
      status = `exit ${m.run.exitCode ?? '?'}`;
      if (m.run.exitCode !== 0) cls += ' bad';
    }
    setText(this.headerStatus, status);
    this.headerStatus.className = cls;
    const speedup = m.run.wallSeconds > 0 ? s.run.cpuSeconds / m.run.wallSeconds : null;
    const d = s.run.detail;
    const facts: [string, string, string][] = [
      ['script', 'script', [what, ...h.args].join(' ')],
      ['python', 'interpreter', h.python],
      ['wall', 'wall time', formatSeconds(m.run.wallSeconds)],
      [
        'exit',
        'exit code',
        m.run.signal
          ? `${m.run.exitCode ?? ''} (${m.run.signal})`.trim()
          : m.run.exitCode === null
            ? this.live
              ? 'running'
              : '–'
            : String(m.run.exitCode),
      ],
      ['processes', 'processes', formatCount(m.processes.length)],
      ['cores', 'cores', String(h.cpuCount)],
      ['speedup', 'speedup', speedupText(speedup, h.cpuCount, s.run.efficiency)],
      ['cpu', 'CPU time', formatSeconds(s.run.cpuSeconds)],
      ['messages', 'messages', formatCount(s.run.messages)],
      [
        'detail',
        'detail',
        `${formatCount(d.recorded)} recorded${d.sampledOut ? `, ${formatCount(d.sampledOut)} sampled out` : ''}${d.droppedBatches ? `, ${formatCountOf(d.droppedBatches, 'batch', 'batches')} dropped` : ''}${d.notKept ? `, ${formatCount(d.notKept)} not kept` : ''}`,
      ],
      ['warnings', 'warnings', formatCount(this.insights.length)],
    ];
    if (this.facts.childElementCount !== facts.length) {
      this.facts.replaceChildren(
        ...facts.map(([id, k]) => {
          const li = el('li');
          li.dataset.fact = id;
          li.append(el('span', 'k', k), el('span', 'v'));
          return li;
        }),
      );
    }
    facts.forEach(([, , v], i) => {
      const vEl = this.facts.children[i].lastElementChild as HTMLElement;
      setText(vEl, v);
      vEl.title = v;
    });
    document.title = `${this.title || basename(what)} — Forkscope`;
  }

  private save(): void {
    if (this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = null;
      const state: SavedState = {
        selected: this.selected,
        tab: this.tab,
        filter: this.filter,
        expanded: [...this.expanded.entries()],
        view: this.timeline.viewState(),
      };
      this.host.setState(state);
    }, 300);
  }

  /** For tests and the benchmark. */
  /** For tests and benchmarks; `panels` is the model version the DOM panels (header, tree, insights, tab) show. */
  debugInfo(): { processes: number; messages: number; version: number; panels: number; rows: number; live: boolean; now: number } {
    const m = this.model;
    return {
      processes: m?.processes.length ?? 0,
      messages: m?.messages.length ?? 0,
      version: m?.version ?? -1,
      panels: this.panelVersion,
      rows: this.rows.length,
      live: this.live,
      now: m?.run.now ?? 0,
    };
  }

  showError(text: string): void {
    this.root.replaceChildren(el('p', 'fs-error', text));
  }
}

/** What the header shows; the full summary fits, and so does `lightSummary`. */
type HeaderStats = { run: Pick<Summary['run'], 'cpuSeconds' | 'messages' | 'detail' | 'efficiency'> };

/**
 * "1.70× on 2 cores, 85 % efficient": the speedup (CPU seconds ÷ wall
 * seconds) and, when the summary has it, the efficiency (the speedup ÷ the
 * cores the run could have used).
 */
export function speedupText(speedup: number | null, cores: number, efficiency: number | null | undefined): string {
  if (speedup === null) return '–';
  const eff = typeof efficiency === 'number' && Number.isFinite(efficiency) ? `, ${Math.round(efficiency * 100)} % efficient` : '';
  return `${speedup.toFixed(2)}× on ${cores} core${cores === 1 ? '' : 's'}${eff}`;
}

/**
 * Header figures without the full summary (live updates of big runs): sums of
 * the exact counters; the last full summary's efficiency.
 */
function lightSummary(m: RunModel, last: Summary | null): HeaderStats {
  let cpuSeconds = 0;
  let messages = 0;
  let recorded = 0;
  let sampledOut = 0;
  let droppedBatches = 0;
  for (const p of m.processes) {
    cpuSeconds += p.cpuSeconds;
    for (const k in p.counters.sent) messages += p.counters.sent[k][0];
    recorded += p.counters.detail;
    sampledOut += p.counters.dropped;
    droppedBatches += p.counters.droppedBatches;
  }
  return {
    run: {
      cpuSeconds,
      messages: Math.max(messages, last?.run.messages ?? 0),
      detail: { recorded, sampledOut, droppedBatches: droppedBatches + m.run.supervisorDropped, notKept: m.modelDropped },
      efficiency: last?.run.efficiency ?? null,
    },
  };
}

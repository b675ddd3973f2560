/**
 * The Processes view (Run and Debug sidebar): a live tree of the shown run's
 * processes, by multiprocessing parent. Fed one RunModel at a time (the
 * current run, kept after it ends, or an opened recording); refreshes are
 * coalesced so a busy run costs the extension host little.
 */

import * as vscode from 'vscode';
import { endIsNormal, parentOf, type ProcessModel, type RunModel } from '../../core/model/types';
import { HELPER_ROLES } from '../../core/model/roles';
import { summaryWarning, type SummaryWarning } from '../../core/summary/summary';
import { describeExit, exitIsBad, formatBytes, formatSeconds, processStatus, RefNames, type ProcessStatus } from '../../core/format';
import { Disposable } from './dispose';
import { Commands } from './ids';

/** One row: a process of the shown run. */
export interface ProcessItem {
  readonly pid: number;
}

const REFRESH_MS = 250;

export class ProcessTreeProvider extends Disposable implements vscode.TreeDataProvider<ProcessItem> {
  private model: RunModel | null = null;
  private live = false;
  private names: RefNames | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly items = new Map<number, ProcessItem>();
  /** Children by parent pid (null: the roots), rebuilt only when the model changed: big trees stay cheap. */
  private index: Map<number | null, ProcessModel[]> | null = null;
  /** The shown run's warnings when known in full (the summary's); else the model's, as they stream in. */
  private warnings: readonly SummaryWarning[] | null = null;

  private readonly _onDidChangeTreeData = this._register(new vscode.EventEmitter<ProcessItem | undefined | void>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;

  /**
   * Shows `model` (null: nothing, the welcome view appears). The same model again (a live run that
   * ended) keeps its rows' element objects: VS Code knows each row's id by its object, and a new
   * object for an id it still holds (a reveal racing the refresh) fails as "already registered".
   */
  show(model: RunModel | null, live: boolean): void {
    if (model !== this.model) this.items.clear();
    this.model = model;
    this.live = live;
    this.names = model ? new RefNames(model) : null;
    this.warnings = null;
    this.refreshNow();
  }

  /** The run's full list of warnings (its summary's), once it is known. */
  setWarnings(warnings: readonly SummaryWarning[]): void {
    this.warnings = warnings;
    this.refreshNow();
  }

  /** The warnings that name `pid`. */
  warningsOf(pid: number): SummaryWarning[] {
    const list = this.warnings ?? this.model?.warnings.map(summaryWarning) ?? [];
    return list.filter((w) => w.pids.includes(pid));
  }

  setLive(live: boolean): void {
    this.live = live;
    this.refreshNow();
  }

  get shownModel(): RunModel | null {
    return this.model;
  }

  /** Asks for a refresh soon (coalesced). */
  refreshSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.refreshNow(), REFRESH_MS);
  }

  refreshNow(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.index = null;
    this._onDidChangeTreeData.fire();
  }

  /** The one element object for `pid` (the tree view must always get the same object for a row). */
  item(pid: number): ProcessItem {
    let it = this.items.get(pid);
    if (!it) this.items.set(pid, (it = { pid }));
    return it;
  }

  private indexVersion = -1;

  private childrenIndex(m: RunModel): Map<number | null, ProcessModel[]> {
    if (this.index && this.indexVersion === m.version) return this.index;
    this.indexVersion = m.version;
    const index = new Map<number | null, ProcessModel[]>();
    for (const p of m.processes) {
      let parent = parentOf(p, m);
      if (parent !== null && !m.byPid.has(parent)) parent = null;
      let list = index.get(parent);
      if (!list) index.set(parent, (list = []));
      list.push(p);
    }
    for (const list of index.values()) list.sort((a, b) => a.startedAt - b.startedAt || a.pid - b.pid);
    return (this.index = index);
  }

  getChildren(element?: ProcessItem): ProcessItem[] {
    const m = this.model;
    if (!m) return [];
    return (this.childrenIndex(m).get(element ? element.pid : null) ?? []).map((p) => this.item(p.pid));
  }

  getParent(element: ProcessItem): ProcessItem | undefined {
    const m = this.model;
    const p = m?.byPid.get(element.pid);
    if (!m || !p) return undefined;
    const parent = parentOf(p, m);
    return parent !== null && parent !== p.pid && m.byPid.has(parent) ? this.item(parent) : undefined;
  }

  /** The process behind an item, or undefined when the run no longer has it. */
  process(pid: number): ProcessModel | undefined {
    return this.model?.byPid.get(pid);
  }

  /** What a row says (also used by tests). */
  describe(p: ProcessModel): { label: string; description: string; status: ProcessStatus; tooltip: string; warnings: SummaryWarning[] } {
    const m = this.model!;
    const status = processStatus(p, m, this.names!);
    const warnings = this.warningsOf(p.pid);
    const notable = warnings.filter((w) => w.severity !== 'info');
    const bits = [`pid ${p.pid}`];
    if (p.endedAt === null && p.cpuPercent !== null) bits.push(`${Math.round(p.cpuPercent)} %`);
    if (status.state === 'exited') bits.push(describeExit(p) ?? 'exited');
    else if (status.state === 'zombie') bits.push('zombie: not joined');
    else bits.push(status.label);
    if (p.orphanedAt !== null && !HELPER_ROLES.has(p.role)) bits.push('orphan');
    if (notable.length) bits.push(`⚠ ${[...new Set(notable.map((w) => w.kind))].join(', ')}`);
    const tooltip = [
      `${p.name} (${p.role})`,
      `pid ${p.pid}${p.ppid !== null ? `, parent pid ${p.ppid}` : ''}`,
      p.adoptedBy !== null ? `adopted by ${p.adoptedBy}${p.adoptedByName ? ` (${p.adoptedByName})` : ''} after its parent died` : null,
      p.startMethod ? `start method: ${p.startMethod}` : null,
      p.target ? `target: ${p.target}${p.file ? ` (${p.file}:${p.line ?? 1})` : ''}` : null,
      `state: ${status.label}`,
      p.endedAt !== null ? `ended: ${describeExit(p) ?? 'ended'} at ${formatSeconds(p.endedAt)}` : null,
      `CPU: ${p.cpuSeconds.toFixed(2)} s, peak memory ${formatBytes(p.peakRssBytes)}`,
      p.peakPrivateBytes !== null
        ? `private memory (USS): ${formatBytes(p.endedAt === null ? p.privateBytes : p.peakPrivateBytes)}${p.endedAt === null ? ' now' : ' peak'}, shared ${formatBytes(p.endedAt === null ? p.sharedBytes : p.peakSharedBytes)}`
        : null,
      p.orphanedAt !== null ? `orphaned at ${formatSeconds(p.orphanedAt)} (its parent died first)` : null,
      p.error ? `error: ${p.error}` : null,
      ...warnings.map((w) => `${w.severity === 'error' ? '✖' : w.severity === 'info' ? 'ℹ' : '⚠'} ${w.kind}: ${w.message}`),
    ]
      .filter(Boolean)
      .join('\n');
    return { label: p.name, description: bits.join(' · '), status, tooltip, warnings };
  }

  getTreeItem(element: ProcessItem): vscode.TreeItem {
    const p = this.model?.byPid.get(element.pid);
    if (!p) return new vscode.TreeItem(`pid ${element.pid}`);
    const d = this.describe(p);
    const hasChildren = (this.childrenIndex(this.model!).get(p.pid)?.length ?? 0) > 0;
    const item = new vscode.TreeItem(
      d.label,
      hasChildren ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
    );
    item.id = `${p.pid}:${p.startedAt}`;
    item.description = d.description;
    item.tooltip = d.tooltip;
    item.iconPath = warningIcon(d.warnings) ?? stateIcon(p, d.status);
    const alive = p.endedAt === null && this.live;
    item.contextValue = ['process', alive ? 'alive' : 'ended', p.file ? 'hasSource' : ''].filter(Boolean).join(' ');
    item.command = { command: Commands.revealInInspector, title: 'Reveal in Inspector', arguments: [element] };
    return item;
  }
}

/**
 * `view.reveal(item, options)`, tried up to three times 250 ms apart. A reveal fetches the children of the rows
 * above `item`; when VS Code is fetching the same rows for a refresh (a run that just ended, its warnings
 * arriving), both register them and the reveal fails with "Element with id … is already registered". The next
 * try, once that fetch is done, finds the rows registered.
 */
export async function revealRow(
  view: vscode.TreeView<ProcessItem>,
  item: ProcessItem,
  options: { select?: boolean; focus?: boolean; expand?: boolean | number },
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await view.reveal(item, options);
      return;
    } catch (e) {
      if (attempt >= 3 || !/already registered/.test(String((e as Error)?.message ?? e))) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** The icon of a process named by an error or warning (it takes the place of the state's). */
export function warningIcon(warnings: readonly SummaryWarning[]): vscode.ThemeIcon | null {
  if (warnings.some((w) => w.severity === 'error')) return new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
  if (warnings.some((w) => w.severity === 'warning'))
    return new vscode.ThemeIcon('warning', new vscode.ThemeColor('editorWarning.foreground'));
  return null;
}

/** Codicon and theme colour for a process's state. */
export function stateIcon(p: ProcessModel, s: ProcessStatus): vscode.ThemeIcon {
  const c = (id: string) => new vscode.ThemeColor(id);
  if (s.state === 'exited') {
    // A normal end is calm (returned, sys.exit(0), stopped by its pool's own shutdown); the rest keep their warning colour.
    if (p.exitCode !== null && p.exitCode < 0 && endIsNormal(p)) return new vscode.ThemeIcon('circle-slash', c('descriptionForeground'));
    if (p.exitCode !== null && p.exitCode < 0) return new vscode.ThemeIcon('circle-slash', c('errorForeground'));
    return exitIsBad(p) ? new vscode.ThemeIcon('error', c('testing.iconFailed')) : new vscode.ThemeIcon('pass', c('testing.iconPassed'));
  }
  if (s.state === 'zombie') return new vscode.ThemeIcon('warning', c('editorWarning.foreground'));
  if (p.orphanedAt !== null && !HELPER_ROLES.has(p.role)) return new vscode.ThemeIcon('debug-disconnect', c('editorWarning.foreground'));
  if (s.state === 'waiting') return new vscode.ThemeIcon('watch', c('charts.yellow'));
  if (s.state === 'blocked') return new vscode.ThemeIcon('debug-pause', c('disabledForeground'));
  if (s.state === 'ready') return new vscode.ThemeIcon('clock', c('charts.green'));
  if (s.state === 'created') return new vscode.ThemeIcon('circle-outline', c('charts.blue'));
  return new vscode.ThemeIcon('play-circle', c('charts.green'));
}

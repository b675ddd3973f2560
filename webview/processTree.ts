/**
 * The process tree: parent → children with PID, name, role, start method,
 * target, a state badge saying what the process waits on, CPU, memory and
 * exit. An ARIA tree (tree/treeitem, aria-level/expanded/selected) with a
 * roving tabindex and the usual arrow keys; collapsible and filterable.
 * The rows are flat (aria-level carries depth) so updates reuse elements.
 */

import { HELPER_ROLES } from '../core/model/roles';
import { stateBands } from '../core/model/states';
import type { ProcessModel, RunModel } from '../core/model/types';
import { el, setAttr, setClass, setText } from './dom';
import {
  describeExit,
  describeParent,
  exitIsBad,
  formatBytes,
  formatSeconds,
  processStatus,
  SHORT_ZOMBIE_SECONDS,
  zombieIsCalm,
  type RefNames,
} from '../core/format';
import { ROLE_LABELS } from '../core/model/roles';
import { worstSeverity, type Insight } from './insights';
import type { TreeRow } from '../core/treeRows';

interface RowEls {
  li: HTMLLIElement;
  twisty: HTMLSpanElement;
  name: HTMLSpanElement;
  pid: HTMLSpanElement;
  /** `parent 4310`, `parent 4310 · adopted by 1 (systemd)`. */
  ppid: HTMLSpanElement;
  role: HTMLSpanElement;
  target: HTMLElement;
  badge: HTMLSpanElement;
  flags: HTMLSpanElement;
  /** The insights badge: severity colour, the kinds in its tooltip. */
  warn: HTMLSpanElement;
  cpu: HTMLSpanElement;
  rss: HTMLSpanElement;
  exit: HTMLSpanElement;
}

export interface ProcessTreeEvents {
  select(pid: number): void;
  toggle(pid: number, open: boolean): void;
  openSource?(file: string, line: number): void;
}

export class ProcessTreeView {
  readonly root: HTMLUListElement;
  /** Row elements per process (by object: a reused pid is another process with its own row). */
  private readonly rows = new Map<ProcessModel, RowEls>();
  private order: TreeRow[] = [];
  private focusedPid: number | null = null;
  private selectedPid: number | null = null;
  private insights: ReadonlyMap<number, readonly Insight[]> = new Map();

  constructor(private readonly events: ProcessTreeEvents) {
    this.root = el('ul', 'fs-tree');
    this.root.id = 'fs-tree';
    this.root.setAttribute('role', 'tree');
    this.root.setAttribute('aria-label', 'Processes');
    this.root.addEventListener('keydown', (e) => this.onKey(e));
    this.root.addEventListener('click', (e) => this.onClick(e));
    this.root.addEventListener('focusin', (e) => {
      const li = (e.target as HTMLElement).closest<HTMLLIElement>('[role=treeitem]');
      if (li) this.focusedPid = Number(li.dataset.pid);
    });
  }

  /** Lays out the rows (new processes, expand/collapse, filter) and refreshes their contents. */
  render(
    rows: TreeRow[],
    model: RunModel,
    names: RefNames,
    canOpenSource: boolean,
    insights: ReadonlyMap<number, readonly Insight[]> = this.insights,
  ): void {
    this.order = rows;
    this.insights = insights;
    const wanted: HTMLLIElement[] = [];
    const siblings = new Map<number | null, number>();
    for (const r of rows) {
      const parent = r.parent?.pid ?? null;
      siblings.set(parent, (siblings.get(parent) ?? 0) + 1);
    }
    const pos = new Map<number | null, number>();
    for (const r of rows) {
      const els = this.rowFor(r.p, canOpenSource);
      const parent = r.parent?.pid ?? null;
      const n = (pos.get(parent) ?? 0) + 1;
      pos.set(parent, n);
      setAttr(els.li, 'aria-level', String(r.level));
      setAttr(els.li, 'aria-setsize', String(siblings.get(parent)));
      setAttr(els.li, 'aria-posinset', String(n));
      setAttr(els.li, 'aria-expanded', r.hasChildren ? String(r.expanded) : null);
      els.li.style.setProperty('--level', String(r.level));
      (els.li.firstElementChild as HTMLElement).style.paddingLeft = `${(r.level - 1) * 14 + 4}px`;
      setText(els.twisty, r.hasChildren ? (r.expanded ? '▾' : '▸') : '');
      setClass(els.li, `${HELPER_ROLES.has(r.p.role) ? 'helper' : ''}${r.context ? ' fs-context' : ''}`);
      this.update(els, r.p, model, names);
      wanted.push(els.li);
    }
    const current = this.root.children;
    let same = current.length === wanted.length;
    for (let i = 0; same && i < wanted.length; i++) if (current[i] !== wanted[i]) same = false;
    if (!same) {
      // Re-parenting the rows would drop keyboard focus: give it back to the same row.
      const active =
        document.activeElement instanceof HTMLElement && this.root.contains(document.activeElement) ? document.activeElement : null;
      this.root.replaceChildren(...wanted);
      if (active && active.isConnected) active.focus({ preventScroll: true });
      else if (active && this.order.length) this.rows.get(this.order[0].p)?.li.focus({ preventScroll: true });
    }
    this.fixTabStop();
  }

  /** Forgets every row (a new run was loaded). */
  reset(): void {
    this.rows.clear();
    this.order = [];
    this.root.replaceChildren();
  }

  /** Refreshes row contents only (live updates between layout changes). */
  refresh(model: RunModel, names: RefNames, insights: ReadonlyMap<number, readonly Insight[]> = this.insights): void {
    this.insights = insights;
    for (const r of this.order) {
      const els = this.rows.get(r.p);
      if (els) this.update(els, r.p, model, names);
    }
  }

  setSelected(pid: number | null, focus = false): void {
    if (this.selectedPid !== null) {
      const old = this.rowOfPid(this.selectedPid);
      if (old) old.li.setAttribute('aria-selected', 'false');
    }
    this.selectedPid = pid;
    const els = pid !== null ? this.rowOfPid(pid) : undefined;
    if (els) {
      els.li.setAttribute('aria-selected', 'true');
      this.focusedPid = pid;
      this.fixTabStop();
      if (focus) els.li.focus();
      els.li.scrollIntoView({ block: 'nearest' });
    }
  }

  /** The row of the process that has `pid` now (the latest one when the OS reused the pid). */
  private rowOfPid(pid: number): RowEls | undefined {
    let found: RowEls | undefined;
    for (const r of this.order) if (r.p.pid === pid) found = this.rows.get(r.p);
    return found;
  }

  private rowFor(p: ProcessModel, canOpenSource: boolean): RowEls {
    let els = this.rows.get(p);
    if (els) return els;
    const li = el('li');
    li.setAttribute('role', 'treeitem');
    li.setAttribute('aria-selected', 'false');
    li.tabIndex = -1;
    li.dataset.pid = String(p.pid);
    const row = el('div', 'fs-row');
    const twisty = el('span', 'fs-twisty');
    twisty.setAttribute('aria-hidden', 'true');
    const name = el('span', 'fs-name');
    const pid = el('span', 'fs-pid', p.daskLane ? p.daskLane.where : `pid ${p.pid}`);
    const ppid = el('span', 'fs-ppid');
    const role = el('span', 'fs-role');
    let target: HTMLElement;
    if (canOpenSource) {
      target = el('button', 'fs-target');
      (target as HTMLButtonElement).type = 'button';
      target.tabIndex = -1;
    } else target = el('span', 'fs-target');
    const badge = el('span', 'fs-badge');
    const flags = el('span', 'fs-flags');
    const warn = el('span', 'fs-warn-badge');
    warn.hidden = true;
    const spacer = el('span', 'fs-spacer');
    const cpu = el('span', 'fs-num fs-cpu');
    const rss = el('span', 'fs-num fs-rss');
    const exit = el('span', 'fs-exit');
    row.append(twisty, name, pid, ppid, role, target, badge, flags, warn, spacer, cpu, rss, exit);
    li.append(row);
    els = { li, twisty, name, pid, ppid, role, target, badge, flags, warn, cpu, rss, exit };
    this.rows.set(p, els);
    return els;
  }

  private update(els: RowEls, p: ProcessModel, model: RunModel, names: RefNames): void {
    setText(els.name, p.name);
    els.name.title = p.name;
    const parent = describeParent(p);
    setText(els.ppid, parent ?? '');
    const parentTitle = parent
      ? `OS parent pid ${p.ppid ?? p.parentPid}${p.adoptedBy !== null ? `; after its parent died the OS gave it to pid ${p.adoptedBy}${p.adoptedByName ? ` (${p.adoptedByName})` : ''}` : ''}`
      : '';
    els.ppid.title = parentTitle;
    els.pid.title = `pid ${p.pid}${parent ? `, ${parent}` : ''}`;
    const method = p.startMethod ? ` · ${p.startMethod}` : '';
    setText(els.role, `${ROLE_LABELS[p.role] ?? p.role}${method}`);
    els.role.title = els.role.textContent ?? '';
    setText(els.target, p.target ?? p.command ?? '');
    els.target.title = p.target ? (p.file ? `${p.target} — ${p.file}${p.line ? `:${p.line}` : ''}` : p.target) : (p.command ?? '');
    if (els.target instanceof HTMLButtonElement) els.target.disabled = !(p.file && p.line);
    const bands = stateBands(p, model.run.now);
    const status = processStatus(p, model, names, bands);
    let zombie = 0;
    for (const b of bands) if (b.state === 'zombie') zombie += b.end - b.begin;
    // Severity is earned: a zombie shorter than SHORT_ZOMBIE_SECONDS (exit, then join) is normal: grey, no flag.
    const calm = status.state === 'zombie' && status.band !== null && zombieIsCalm(status.band.end - status.band.begin);
    setText(els.badge, status.label);
    setClass(els.badge, `fs-badge ${status.state}${calm ? ' calm' : ''}`);
    els.badge.title = status.label;
    const flags: [string, string][] = [];
    if (status.state !== 'zombie' && !zombieIsCalm(zombie)) flags.push(['zombie', `zombie ${formatSeconds(zombie)}`]);
    if (p.orphanedAt !== null) flags.push(['orphan', 'orphan']);
    const flagText = flags.map((f) => f[1]).join(' ');
    if (els.flags.dataset.flags !== flagText) {
      els.flags.dataset.flags = flagText;
      els.flags.replaceChildren(
        ...flags.map(([cls, text]) => {
          const flag = el('span', `fs-flag ${cls}`, text);
          flag.title =
            cls === 'zombie'
              ? `${text}: it ended, and its parent did not join it for ${SHORT_ZOMBIE_SECONDS} s or more`
              : `${text}: its parent died first`;
          return flag;
        }),
      );
    }
    const insights = this.insights.get(p.pid) ?? [];
    const worst = worstSeverity(insights);
    const kinds = [...new Set(insights.map((w) => w.kind))];
    const warnTitle = insights.map((w) => `${w.severity}: ${w.kind}\n${w.message}`).join('\n\n');
    if (els.warn.title !== warnTitle) {
      els.warn.hidden = insights.length === 0;
      setText(els.warn, insights.length ? `${worst === 'error' ? '✖' : worst === 'info' ? 'ℹ' : '⚠'} ${kinds.join(', ')}` : '');
      setClass(els.warn, `fs-warn-badge${worst ? ` sev-${worst}` : ''}`);
      els.warn.title = warnTitle;
      setAttr(els.warn, 'data-kinds', kinds.join(' ') || null);
    }
    const ended = p.endedAt !== null;
    setText(
      els.cpu,
      !ended && p.cpuPercent !== null ? `${p.cpuPercent.toFixed(0)} % cpu` : p.cpuSeconds > 0 ? `${p.cpuSeconds.toFixed(2)} s cpu` : '',
    );
    els.cpu.title = els.cpu.textContent ?? '';
    const mem = memoryText(p);
    setText(els.rss, mem.text);
    els.rss.title = mem.text ? `${mem.text}: ${mem.title}` : '';
    els.exit.title = describeExit(p) ?? '';
    const exit = describeExit(p);
    setText(els.exit, exit ?? '');
    setClass(els.exit, exitIsBad(p) ? 'fs-exit bad' : p.endReason && p.endReason !== 'unknown' ? 'fs-exit calm' : 'fs-exit');
    els.li.dataset.state = status.state;
    setAttr(
      els.li,
      'aria-label',
      `${p.name}, pid ${p.pid}${parent ? `, ${parent}` : ''}, ${ROLE_LABELS[p.role] ?? p.role}, ${status.label}${exit ? `, ${exit}` : ''}${p.orphanedAt !== null ? ', orphan' : ''}${kinds.length ? `, ${worst}: ${kinds.join(', ')}` : ''}`,
    );
  }

  private fixTabStop(): void {
    const target =
      this.focusedPid !== null && this.order.some((r) => r.p.pid === this.focusedPid) ? this.focusedPid : (this.order[0]?.p.pid ?? null);
    let given = false;
    for (const r of this.order) {
      const els = this.rows.get(r.p)!;
      const ti = r.p.pid === target && !given ? 0 : -1;
      if (ti === 0) given = true;
      if (els.li.tabIndex !== ti) els.li.tabIndex = ti;
    }
  }

  private indexOfPid(pid: number | null): number {
    return pid === null ? -1 : this.order.findIndex((r) => r.p.pid === pid);
  }

  private moveTo(i: number): void {
    const r = this.order[Math.max(0, Math.min(this.order.length - 1, i))];
    if (!r) return;
    this.focusedPid = r.p.pid;
    this.events.select(r.p.pid);
    const els = this.rows.get(r.p);
    if (els) {
      this.fixTabStop();
      els.li.classList.add('kbd-focus');
      els.li.focus();
    }
  }

  private onKey(e: KeyboardEvent): void {
    const i = this.indexOfPid(this.focusedPid);
    const row = this.order[i];
    switch (e.key) {
      case 'ArrowDown':
        this.moveTo(i + 1);
        break;
      case 'ArrowUp':
        this.moveTo(i - 1);
        break;
      case 'Home':
        this.moveTo(0);
        break;
      case 'End':
        this.moveTo(this.order.length - 1);
        break;
      case 'ArrowRight':
        if (!row) return;
        if (row.hasChildren && !row.expanded) this.events.toggle(row.p.pid, true);
        else if (row.hasChildren) this.moveTo(i + 1);
        break;
      case 'ArrowLeft':
        if (!row) return;
        if (row.hasChildren && row.expanded) this.events.toggle(row.p.pid, false);
        else if (row.parent) this.moveTo(this.indexOfPid(row.parent.pid));
        break;
      case 'Enter':
      case ' ':
        if (row) this.events.select(row.p.pid);
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  private onClick(e: MouseEvent): void {
    const target = e.target as HTMLElement;
    const li = target.closest<HTMLLIElement>('[role=treeitem]');
    if (!li) return;
    const pid = Number(li.dataset.pid);
    const row = this.order.find((r) => r.p.pid === pid);
    if (!row) return;
    if (target.closest('.fs-twisty') && row.hasChildren) {
      this.events.toggle(pid, !row.expanded);
      return;
    }
    if (target.closest('button.fs-target') && row.p.file && row.p.line && this.events.openSource) {
      this.events.openSource(row.p.file, row.p.line);
    }
    this.focusedPid = pid;
    li.classList.remove('kbd-focus');
    this.events.select(pid);
    this.fixTabStop();
    li.focus({ preventScroll: true });
  }
}

/**
 * The tree's memory figure: private memory (USS: what only this process holds;
 * copy-on-write pages it has not written are shared, not counted), now while
 * it lives, else its peak; RSS where smaps_rollup was not available.
 */
export function memoryText(p: ProcessModel): { text: string; title: string } {
  const ended = p.endedAt !== null;
  const shared = (v: number | null) => (v !== null ? `, shared ${formatBytes(v)}` : '');
  if (!ended && p.privateBytes !== null) {
    return {
      text: `${formatBytes(p.privateBytes)} private`,
      title: `private memory now (USS)${shared(p.sharedBytes)}${p.rssBytes ? `, RSS ${formatBytes(p.rssBytes)}` : ''}`,
    };
  }
  if (ended && p.peakPrivateBytes !== null) {
    return {
      text: `${formatBytes(p.peakPrivateBytes)} private`,
      title: `peak private memory (USS)${shared(p.peakSharedBytes)}${p.peakRssBytes ? `, peak RSS ${formatBytes(p.peakRssBytes)}` : ''}`,
    };
  }
  if (!ended && p.rssBytes) return { text: formatBytes(p.rssBytes), title: 'memory (RSS) now' };
  return { text: p.peakRssBytes ? formatBytes(p.peakRssBytes) : '', title: 'peak memory (RSS)' };
}

/**
 * The process tree as rows: parent → children in start order, with collapse
 * and a name/PID filter. Pure (no DOM): the tree view renders these rows and
 * the timeline draws one lane per row, in the same order.
 */

import { parentOf, type ProcessModel, type RunModel } from './model/types';

export interface TreeRow {
  p: ProcessModel;
  /** 1 for roots (aria-level). */
  level: number;
  parent: ProcessModel | null;
  hasChildren: boolean;
  expanded: boolean;
  /** True when the row is shown only because a descendant matches the filter. */
  context: boolean;
}

/** Runs with fewer processes than this open fully expanded. */
export const EXPAND_ALL_BELOW = 50;

/** Parent → children (start order) for the whole model. */
export function childrenMap(model: RunModel): Map<number | null, ProcessModel[]> {
  const map = new Map<number | null, ProcessModel[]>();
  for (const p of model.processes) {
    let parent = parentOf(p, model);
    if (parent !== null && (!model.byPid.has(parent) || parent === p.pid)) parent = null;
    let list = map.get(parent);
    if (!list) map.set(parent, (list = []));
    list.push(p);
  }
  for (const list of map.values()) list.sort((a, b) => (a.createdAt ?? a.startedAt) - (b.createdAt ?? b.startedAt) || a.pid - b.pid);
  return map;
}

/** The roots: processes without a parent in the run, plus any no root leads to (a parent cycle after pid reuse). */
function rootsOf(model: RunModel, kids: Map<number | null, ProcessModel[]>): ProcessModel[] {
  const roots = [...(kids.get(null) ?? [])];
  const reached = new Set<ProcessModel>();
  const reach = (p: ProcessModel) => {
    if (reached.has(p)) return;
    reached.add(p);
    for (const c of kids.get(p.pid) ?? []) reach(c);
  };
  roots.forEach(reach);
  for (const p of model.processes) {
    if (!reached.has(p)) {
      roots.push(p);
      reach(p);
    }
  }
  return roots;
}

/** Does a process match the filter text (name, PID or target function, case-insensitive)? */
export function matchesFilter(p: ProcessModel, filter: string): boolean {
  const f = filter.trim().toLowerCase();
  if (!f) return true;
  return String(p.pid).includes(f) || p.name.toLowerCase().includes(f) || (p.target ?? '').toLowerCase().includes(f);
}

/**
 * The rows shown, depth first. `expanded(pid)` says whether a row with
 * children is open. With a filter, matching rows and their ancestors are
 * shown, ancestors opened.
 */
export function treeRows(model: RunModel, expanded: (pid: number) => boolean, filter = ''): TreeRow[] {
  const kids = childrenMap(model);
  const rows: TreeRow[] = [];
  const filtering = filter.trim() !== '';
  const keep = new Set<number>();
  if (filtering) {
    const visit = (p: ProcessModel): boolean => {
      let any = matchesFilter(p, filter);
      for (const c of kids.get(p.pid) ?? []) if (visit(c)) any = true;
      if (any) keep.add(p.pid);
      return any;
    };
    for (const r of rootsOf(model, kids)) visit(r);
  }
  const walk = (p: ProcessModel, level: number, parent: ProcessModel | null, seen: Set<ProcessModel>) => {
    if (seen.has(p)) return; // a parent cycle (pid reuse): never loop
    seen.add(p);
    if (filtering && !keep.has(p.pid)) return;
    const children = kids.get(p.pid) ?? [];
    const visibleChildren = filtering ? children.filter((c) => keep.has(c.pid)) : children;
    const open = visibleChildren.length > 0 && (filtering || expanded(p.pid));
    rows.push({
      p,
      level,
      parent,
      hasChildren: visibleChildren.length > 0,
      expanded: open,
      context: filtering && !matchesFilter(p, filter),
    });
    if (open) for (const c of visibleChildren) walk(c, level + 1, p, seen);
  };
  const seen = new Set<ProcessModel>();
  for (const r of rootsOf(model, kids)) walk(r, 1, null, seen);
  return rows;
}

/** The default open state: everything for small runs, else the roots and their direct children's parents only. */
export function defaultExpanded(model: RunModel, pid: number): boolean {
  if (model.processes.length < EXPAND_ALL_BELOW) return true;
  const p = model.byPid.get(pid);
  return !!p && parentOf(p, model) === null;
}

/** Pids whose rows must be opened so that `pid` is shown. */
export function ancestorsOf(model: RunModel, pid: number): number[] {
  const out: number[] = [];
  const seen = new Set<number>([pid]);
  let p = model.byPid.get(pid);
  while (p) {
    const parent = parentOf(p, model);
    if (parent === null || seen.has(parent)) break;
    seen.add(parent);
    out.push(parent);
    p = model.byPid.get(parent);
  }
  return out;
}

/**
 * The "Locks & shared" tab: every lock of the run with its acquisitions and
 * contention, and for the selected lock who held it and who waited for it
 * over time (one row per process, hold bars and wait bars); the shared
 * `Value`/`Array` objects; and Manager calls per calling process and method
 * with their round trips. Also the timeline tooltip's "held by" line.
 */

import { holdersDuring, lockUses, type LockUse } from '../core/model/locks';
import type { RunModel } from '../core/model/types';
import type { Summary, SummaryChannel, SummaryShared } from '../core/summary/summary';
import { el } from './dom';
import { basename, formatBytes, formatCount, formatCountOf, formatSeconds } from '../core/format';

export interface LocksEvents {
  select(pid: number): void;
}

/** A bar narrower than this share of the lock's time span is merged with its neighbour. */
const MERGE_SHARE = 0.002;
/** Processes drawn in a lock's timeline (the selected one always among them). */
const MAX_ROWS = 200;

function groupByPid<T extends { pid: number }>(items: T[]): Map<number, T[]> {
  const out = new Map<number, T[]>();
  for (const x of items) {
    let list = out.get(x.pid);
    if (!list) out.set(x.pid, (list = []));
    list.push(x);
  }
  return out;
}

export class LocksView {
  readonly root: HTMLElement;
  private lastKey = '';
  /** The lock whose holders and waiters are drawn (null: the most contended). */
  private lock: string | null = null;
  private model: RunModel | null = null;
  private summary: Summary | null = null;
  private selected: number | null = null;

  constructor(private readonly events: LocksEvents) {
    this.root = el('div', 'fs-locks');
    this.root.addEventListener('click', (e) => {
      const target = e.target as HTMLElement;
      const lockRow = target.closest<HTMLElement>('[data-lock]');
      if (lockRow && !target.closest('[data-pid]')) {
        this.pickLock(lockRow.dataset.lock ?? null);
        return;
      }
      const cell = target.closest<HTMLElement>('[data-pid]');
      if (cell) this.events.select(Number(cell.dataset.pid));
    });
    this.root.addEventListener('keydown', (e) => {
      const row = (e.target as HTMLElement).closest<HTMLElement>('[data-lock]');
      if (row && (e.key === 'Enter' || e.key === ' ')) {
        this.pickLock(row.dataset.lock ?? null);
        e.preventDefault();
      }
    });
  }

  private pickLock(id: string | null): void {
    this.lock = id;
    this.lastKey = '';
    if (this.model && this.summary) this.update(this.model, this.summary, this.selected);
    this.root.querySelector<HTMLElement>(`[data-lock="${CSS.escape(id ?? '')}"]`)?.focus();
  }

  update(model: RunModel, summary: Summary, selected: number | null): void {
    this.model = model;
    this.summary = summary;
    this.selected = selected;
    const key = `${model.version}|${selected}|${this.lock}`;
    if (key === this.lastKey) return;
    this.lastKey = key;
    const locks = lockUses(model);
    this.root.replaceChildren(
      this.renderLocks(model, locks, selected),
      this.renderShared(model, summary.shared),
      this.renderManagers(
        model,
        summary.channels.filter((c) => c.kind === 'manager'),
      ),
    );
  }

  private renderLocks(model: RunModel, locks: LockUse[], selected: number | null): HTMLElement {
    const sec = el('section', 'fs-locks-section');
    sec.id = 'fs-locks';
    sec.append(el('h3', '', 'Locks'));
    if (!locks.length) {
      sec.append(
        el('p', 'fs-muted fs-locks-empty', 'No Lock, RLock, Semaphore, Condition, Event or Barrier made by the script in this run.'),
      );
      return sec;
    }
    let current = locks.find((l) => l.id === this.lock);
    if (!current) current = [...locks].sort((a, b) => b.contendedSeconds - a.contendedSeconds || b.acquisitions - a.acquisitions)[0];
    const table = el('table', 'fs-table fs-lock-table');
    const head = el('tr');
    for (const t of ['lock', 'kind', 'created at', 'acquisitions', 'contended', 'waited', 'holds recorded', 'most waiters'])
      head.append(el('th', '', t));
    table.append(head);
    for (const l of locks) {
      const tr = el('tr', 'fs-lock');
      tr.dataset.lock = l.id;
      tr.tabIndex = 0;
      tr.setAttribute('aria-selected', String(l === current));
      if (l === current) tr.classList.add('sel');
      tr.append(
        el('td', 'fs-lock-name', l.name ?? l.id),
        el('td', '', l.kind),
        el('td', 'fs-muted', site(l.file, l.line, l.createdBy, model)),
        el('td', 'n', formatCount(l.acquisitions)),
        el('td', 'n', formatCount(l.contended)),
        el('td', 'n', formatSeconds(l.contendedSeconds)),
        el('td', 'n', formatCount(l.holds.length)),
        el('td', 'n', formatCount(l.maxWaiters)),
      );
      table.append(tr);
    }
    sec.append(table, this.renderLock(model, current, selected));
    return sec;
  }

  /** The selected lock: each process's use, then its holds and waits over time. */
  private renderLock(model: RunModel, l: LockUse, selected: number | null): HTMLElement {
    const box = el('div', 'fs-lock-detail');
    box.dataset.lock = l.id;
    const title = el('h4');
    title.append(el('span', '', l.name ?? l.id), el('span', 'fs-muted', ` ${l.kind}: who held it and who waited`));
    box.append(title);
    const isLock = l.kind === 'Lock' || l.kind === 'RLock' || l.kind === 'Semaphore' || l.kind === 'BoundedSemaphore';
    const table = el('table', 'fs-table fs-lock-procs');
    const head = el('tr');
    for (const t of ['process', 'acquisitions', 'contended', 'waited', 'holds recorded', 'held', 'waits']) head.append(el('th', '', t));
    table.append(head);
    for (const u of l.byProcess) {
      const p = model.byPid.get(u.pid);
      const tr = el('tr', 'fs-lock-proc');
      tr.dataset.pid = String(u.pid);
      const name = el('td', '', p ? `${p.name} (${u.pid})` : `pid ${u.pid}`);
      if (u.pid === selected) name.style.fontWeight = '700';
      tr.append(
        name,
        el('td', 'n', formatCount(u.acquisitions)),
        el('td', 'n', formatCount(u.contended)),
        el('td', 'n', formatSeconds(u.contendedSeconds)),
        el('td', 'n', formatCount(u.holds)),
        el('td', 'n', formatSeconds(u.heldSeconds)),
        el('td', 'n', formatCount(u.waits)),
      );
      table.append(tr);
    }
    box.append(table);
    if (l.kind === 'RLock' && l.holds.length) {
      box.append(
        el(
          'p',
          'fs-muted',
          "An RLock's hold runs from a process's outermost acquire to its last release; acquisitions count every acquire, nested ones too.",
        ),
      );
    } else if (isLock && l.acquisitions > 0) {
      if (!l.holds.length)
        box.append(
          el(
            'p',
            'fs-muted',
            'No hold of this lock was recorded (recordings from before hold recording, or a busy process out of detail budget): the counts above are exact.',
          ),
        );
      else if (l.holds.length < l.acquisitions) {
        box.append(
          el(
            'p',
            'fs-muted',
            `${formatCount(l.holds.length)} of ${formatCountOf(l.acquisitions, 'hold')} recorded (holds are sampled under load, like messages); the counts above are exact.`,
          ),
        );
      }
    }
    if (l.holds.length || l.waits.length) box.append(this.renderTimeline(model, l, selected));
    return box;
  }

  private renderTimeline(model: RunModel, l: LockUse, selected: number | null): HTMLElement {
    let t0 = Infinity;
    let t1 = -Infinity;
    for (const s of [...l.holds, ...l.waits]) {
      t0 = Math.min(t0, s.begin);
      t1 = Math.max(t1, s.end);
    }
    const span = Math.max(t1 - t0, 1e-6);
    const pct = (t: number) => `${(((t - t0) / span) * 100).toFixed(3)}%`;
    const box = el('div', 'fs-lock-timeline');
    box.setAttribute('role', 'group');
    box.setAttribute('aria-label', `${l.name ?? l.id}: holds and waits over time`);
    const legend = el('p', 'fs-muted fs-lock-legend');
    legend.append(
      el('span', 'fs-lock-key hold'),
      document.createTextNode(' holding  '),
      el('span', 'fs-lock-key wait'),
      document.createTextNode(` waiting · ${formatSeconds(t0)} → ${formatSeconds(t1)}`),
    );
    box.append(legend);
    const holdsOf = groupByPid(l.holds);
    const waitsOf = groupByPid(l.waits);
    const all = [...new Set([...holdsOf.keys(), ...waitsOf.keys()])].sort((a, b) => a - b);
    const pids =
      all.length > MAX_ROWS
        ? all
            .filter((pid) => pid === selected)
            .concat(all.filter((pid) => pid !== selected).slice(0, MAX_ROWS - 1))
            .sort((a, b) => a - b)
        : all;
    for (const pid of pids) {
      const p = model.byPid.get(pid);
      const row = el('div', 'fs-lock-row');
      row.dataset.pid = String(pid);
      if (pid === selected) row.classList.add('sel');
      const label = el('span', 'fs-lock-label', p ? `${p.name} (${pid})` : `pid ${pid}`);
      const track = el('div', 'fs-lock-track');
      const bars = (spans: { begin: number; end: number }[], cls: 'hold' | 'wait', word: string) => {
        for (const g of merge(
          spans.filter((s) => s.begin <= s.end),
          span * MERGE_SHARE,
        )) {
          const bar = el('span', `fs-lock-bar ${cls}`);
          bar.style.left = pct(g.begin);
          bar.style.width = `${Math.max(0, ((g.end - g.begin) / span) * 100).toFixed(3)}%`;
          bar.dataset.n = String(g.n);
          bar.title = `${p?.name ?? `pid ${pid}`} ${word}${g.n > 1 ? ` (${g.n} times)` : ''}: ${formatSeconds(g.begin)} → ${formatSeconds(g.end)} (${formatSeconds(g.total)})`;
          track.append(bar);
        }
      };
      bars(waitsOf.get(pid) ?? [], 'wait', 'waiting');
      bars(holdsOf.get(pid) ?? [], 'hold', 'holding');
      row.append(label, track);
      box.append(row);
    }
    if (pids.length < all.length)
      box.append(el('p', 'fs-muted', `${formatCountOf(all.length - pids.length, 'more process', 'more processes')} not drawn.`));
    return box;
  }

  private renderShared(model: RunModel, shared: SummaryShared[]): HTMLElement {
    const sec = el('section', 'fs-locks-section');
    sec.id = 'fs-shared';
    sec.append(el('h3', '', 'Shared memory (Value, Array)'));
    sec.append(
      el(
        'p',
        'fs-muted fs-shared-note',
        'Shared memory carries no messages: every process reads and writes the same bytes in place, so nothing about it shows in Flows or as arrows. A Value or Array made with a lock (the default) has get_lock() to guard read-modify-write; RawValue and RawArray have none.',
      ),
    );
    if (!shared.length) {
      sec.append(el('p', 'fs-muted fs-locks-empty', 'No Value, Array, RawValue or RawArray made by the script in this run.'));
      return sec;
    }
    const table = el('table', 'fs-table fs-shared-table');
    const head = el('tr');
    for (const t of ['name', 'kind', 'typecode', 'length', 'bytes', 'lock', 'created at']) head.append(el('th', '', t));
    table.append(head);
    for (const s of shared) {
      const tr = el('tr', 'fs-shared');
      tr.dataset.kind = s.kind;
      tr.append(
        el('td', '', s.name ?? '(unnamed)'),
        el('td', '', s.kind),
        el('td', '', s.typecode ?? '?'),
        el('td', 'n', s.length === null ? '–' : formatCount(s.length)),
        el('td', 'n', s.bytes === null ? '?' : formatBytes(s.bytes)),
        el('td', '', s.lock === null ? '?' : s.lock ? 'yes' : 'no'),
        el('td', 'fs-muted', site(s.file, s.line, s.createdBy, model)),
      );
      table.append(tr);
    }
    sec.append(table);
    return sec;
  }

  private renderManagers(model: RunModel, managers: SummaryChannel[]): HTMLElement {
    const sec = el('section', 'fs-locks-section');
    sec.id = 'fs-managers';
    sec.append(el('h3', '', 'Manager calls'));
    if (!managers.length) {
      sec.append(el('p', 'fs-muted fs-locks-empty', 'No Manager in this run.'));
      return sec;
    }
    for (const ch of managers) {
      const box = el('div', 'fs-manager');
      box.dataset.channel = ch.id;
      const total = (ch.calls ?? []).reduce((n, c) => n + c.calls, 0);
      const h = el('h4');
      h.append(
        el('span', '', ch.name ?? ch.id),
        el('span', 'fs-muted', ` ${formatCountOf(total, 'proxy call')}, each a round trip to the manager process`),
      );
      box.append(h);
      if (!ch.calls?.length) {
        box.append(el('p', 'fs-muted', 'No proxy call was recorded.'));
        sec.append(box);
        continue;
      }
      const table = el('table', 'fs-table fs-manager-calls');
      const head = el('tr');
      for (const t of ['process', 'method', 'calls', 'mean round trip', 'longest']) head.append(el('th', '', t));
      table.append(head);
      for (const c of ch.calls) {
        const p = model.byPid.get(c.pid);
        const tr = el('tr', 'fs-manager-call');
        tr.dataset.pid = String(c.pid);
        tr.dataset.method = c.method;
        tr.append(
          el('td', '', p ? `${p.name} (${c.pid})` : `pid ${c.pid}`),
          el('td', 'fs-mono', c.method),
          el('td', 'n', formatCount(c.calls)),
          el('td', 'n', c.meanSeconds === null ? '–' : formatSeconds(c.meanSeconds)),
          el('td', 'n', c.maxSeconds === null ? '–' : formatSeconds(c.maxSeconds)),
        );
        table.append(tr);
      }
      box.append(table);
      sec.append(box);
    }
    return sec;
  }
}

function site(file: string | null, line: number | null, by: number | null, model: RunModel): string {
  const where = file ? `${basename(file)}${line !== null ? `:${line}` : ''}` : '?';
  const p = by !== null ? model.byPid.get(by) : undefined;
  return p ? `${where} in ${p.name}` : where;
}

/** Sorted spans merged where the gap between them is below `gap`, with how many each stands for. */
function merge(spans: { begin: number; end: number }[], gap: number): { begin: number; end: number; n: number; total: number }[] {
  const sorted = [...spans].sort((a, b) => a.begin - b.begin);
  const out: { begin: number; end: number; n: number; total: number }[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.begin - last.end < gap && s.begin - last.begin < gap * 10) {
      last.end = Math.max(last.end, s.end);
      last.n++;
      last.total += s.end - s.begin;
    } else out.push({ begin: s.begin, end: s.end, n: 1, total: s.end - s.begin });
  }
  return out;
}

/**
 * For the timeline's tooltip over a lock wait: "held by writer-2 (pid 4312)"
 * when a recorded hold by another process covers the wait, else null (holds
 * are sampled, so the holder is not always known).
 */
export function lockHolderText(
  model: RunModel,
  what: string,
  ref: string | null,
  begin: number,
  end: number,
  waiter: number,
): string | null {
  if (!ref || (what !== 'lock' && what !== 'semaphore')) return null;
  const pids = holdersDuring(model, ref, begin, end, waiter);
  if (!pids.length) return null;
  const names = pids.slice(0, 3).map((pid) => {
    const p = model.byPid.get(pid);
    return p ? `${p.name} (pid ${pid})` : `pid ${pid}`;
  });
  return `held by ${names.join(', ')}${pids.length > 3 ? ` and ${pids.length - 3} more` : ''}`;
}

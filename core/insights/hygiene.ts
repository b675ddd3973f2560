/**
 * Hygiene insights after a run: `unjoined`, `zombie`, `orphan` (grouped per
 * parent beyond a few), `terminated-holding-lock`, `daemon-with-children`.
 */

import { formatSecondsBrief } from '../format';
import { insightText } from './texts';
import { makeWarning, type ProcessModel, type RunModel, type WarningModel } from '../model/types';
import { channelLabel, INSIGHT_THRESHOLDS, isServer, LOCK_WAITS, lockLabel, processLabel, sentChannels, undelivered } from './shared';

/** Beyond this many children of one parent with the same hygiene issue, one warning names them all. */
const GROUP_AFTER = 3;

const GROUP_ADVICE: Record<string, string> = {
  orphan: insightText('orphanGroupAdvice'),
  zombie: insightText('zombieGroupAdvice'),
  unjoined: insightText('unjoinedGroupAdvice'),
};

export function hygiene(model: RunModel, now: number): WarningModel[] {
  const out: WarningModel[] = [];
  const T = INSIGHT_THRESHOLDS;
  // Per-child hygiene warnings, grouped by kind and parent (a loop that forgets join() gives one warning, not a thousand).
  const groups = new Map<string, { kind: string; parent: ProcessModel | undefined; items: WarningModel[] }>();
  const perChild = (w: WarningModel, parent: ProcessModel | undefined) => {
    const key = `${w.kind} ${parent?.pid ?? ''}`;
    const g = groups.get(key) ?? { kind: w.kind, parent, items: [] };
    g.items.push(w);
    groups.set(key, g);
  };
  const stoppedAt = model.run.stopped ? model.run.wallSeconds : Infinity;
  for (const p of model.processes) {
    if (isServer(p) || p.role === 'main') continue;
    const parent = p.parentPid !== null ? model.byPid.get(p.parentPid) : undefined;
    const name = processLabel(p);
    if (p.orphanedAt !== null && parent) {
      perChild(
        makeWarning(
          'orphan',
          p.pid,
          insightText('orphan', {
            process: name,
            parent: processLabel(parent),
            at: formatSecondsBrief(p.orphanedAt),
            adopter: p.adoptedBy !== null ? `pid ${p.adoptedBy}${p.adoptedByName ? ` (${p.adoptedByName})` : ''}` : 'init (or a subreaper)',
          }),
          now,
          { pids: [p.pid, parent.pid], severity: 'warning', file: p.file, line: p.line },
        ),
        parent,
      );
      continue;
    }
    if (p.role !== 'process') continue;
    if (p.endedAt !== null && p.reapedAt !== null) {
      const zombie = p.reapedAt - p.endedAt;
      if (zombie >= T.zombieSeconds) {
        perChild(
          makeWarning(
            'zombie',
            p.pid,
            insightText('zombie', {
              process: name,
              zombie: formatSecondsBrief(zombie),
              ended: formatSecondsBrief(p.endedAt),
              parent: processLabel(parent, p.parentPid ?? undefined),
              reaped: formatSecondsBrief(p.reapedAt),
            }),
            now,
            { pids: [p.pid, ...(parent ? [parent.pid] : [])], severity: 'info', file: p.file, line: p.line, since: p.endedAt },
          ),
          parent,
        );
      }
    }
    if (p.joins.length === 0 && p.orphanedAt === null && parent && p.endedAt !== null && !p.daemon) {
      perChild(
        makeWarning('unjoined', p.pid, insightText('unjoined', { process: name, parent: processLabel(parent) }), now, {
          pids: [p.pid, parent.pid],
          severity: 'info',
          file: p.file,
          line: p.line,
        }),
        parent,
      );
    }
    // terminate()/kill() of a process that used a queue or a lock (not a Stop of the whole run).
    if ((p.exitCode === -15 || p.exitCode === -9) && p.endedAt !== null && p.endedAt < stoppedAt - 0.05) {
      // A channel is at risk only when the process died with its own messages still on the way (some never
      // arrived: the feeder may have been cut mid-write) or blocked putting on it; one whose every message
      // arrived was left intact, whatever the process did afterwards.
      const lastWait = p.waits.length ? p.waits[p.waits.length - 1] : undefined;
      const queues = sentChannels(model, p).filter(
        (ch) =>
          (ch.kind === 'queue' || ch.kind === 'joinablequeue' || ch.kind === 'simplequeue' || ch.kind === 'pipe') &&
          (undelivered(model, p, ch) > 0 ||
            (lastWait?.what === 'queue.put' && lastWait.ref !== null && model.channelOf(lastWait.ref) === ch)),
      );
      const locks = Object.entries(p.counters.locks)
        .filter(([, [n]]) => n > 0)
        .map(([ref]) => ref);
      const lockWait = [...p.waits].reverse().find((w) => LOCK_WAITS.has(w.what));
      if (lockWait?.ref && !locks.includes(lockWait.ref)) locks.push(lockWait.ref);
      if (queues.length || locks.length) {
        const what = [...locks.map((ref) => lockLabel(model, ref, 'lock')), ...queues.map((ch) => channelLabel(ch, null))].join(', ');
        out.push(
          makeWarning(
            'terminated-holding-lock',
            p.pid,
            insightText('terminatedHoldingLock', {
              process: name,
              how: p.exitCode === -9 ? 'killed (SIGKILL)' : 'terminated (SIGTERM)',
              at: formatSecondsBrief(p.endedAt),
              what,
            }),
            now,
            {
              pids: [p.pid, ...(parent ? [parent.pid] : [])],
              severity: 'warning',
              ref: locks[0] ?? queues[0]?.id ?? null,
              file: p.file,
              line: p.line,
            },
          ),
        );
      }
    }
  }
  for (const g of groups.values()) {
    if (g.items.length <= GROUP_AFTER) {
      out.push(...g.items);
      continue;
    }
    const children = g.items.map((w) => w.pid!);
    const what =
      g.kind === 'orphan'
        ? 'became orphans (their parent ended while they ran)'
        : g.kind === 'zombie'
          ? `were zombies for ${T.zombieSeconds} s or more (ended, not joined)`
          : 'were never joined';
    const named = children
      .slice(0, 5)
      .map((pid) => processLabel(model.byPid.get(pid), pid))
      .join(', ');
    const first = g.items[0];
    out.push(
      makeWarning(
        g.kind,
        first.pid,
        insightText('grouped', {
          count: children.length,
          parent: processLabel(g.parent),
          what,
          named,
          more: children.length > 5 ? ` and ${children.length - 5} more` : '',
          advice: GROUP_ADVICE[g.kind] ?? '',
        }).trim(),
        now,
        { pids: [...children, ...(g.parent ? [g.parent.pid] : [])], severity: first.severity, file: first.file, line: first.line },
      ),
    );
  }
  const childrenOf = new Map<number, ProcessModel[]>();
  for (const c of model.processes) {
    if (c.parentPid === null || isServer(c)) continue;
    const list = childrenOf.get(c.parentPid) ?? [];
    list.push(c);
    childrenOf.set(c.parentPid, list);
  }
  for (const p of model.processes) {
    if (p.daemon !== true || isServer(p)) continue;
    const kids = childrenOf.get(p.pid) ?? [];
    const refused = p.error !== null && /daemonic processes are not allowed to have children/.test(p.error);
    if (!kids.length && !refused) continue;
    out.push(
      makeWarning(
        'daemon-with-children',
        p.pid,
        insightText('daemonWithChildren', {
          process: processLabel(p),
          started: kids.length
            ? `that started ${kids.map((c) => processLabel(c)).join(', ')}`
            : 'that tried to start a child (AssertionError: daemonic processes are not allowed to have children)',
        }),
        now,
        { pids: [p.pid, ...kids.map((c) => c.pid)], severity: kids.length ? 'warning' : 'error', file: p.file, line: p.line },
      ),
    );
  }
  return out;
}

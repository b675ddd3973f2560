/** The readable form of a summary: what `forkscope summary FILE` prints without `--json`. */

import { formatBytes, formatSecondsPrecise } from '../format';
import { signalName } from '../signals';
import type { Summary, SummaryProcess } from './summary';

/** Exit code in words: 0, 1 (ValueError: …), -9 (SIGKILL). */
export function describeExit(code: number | null, error?: string | null): string {
  if (code === null) return 'still running or unknown';
  if (code < 0) {
    return `${code} (killed by ${signalName(-code) ?? `signal ${-code}`})`;
  }
  return error ? `${code} (${error})` : String(code);
}

function processLine(p: SummaryProcess): string {
  const parts = [`${p.name} [pid ${p.pid}]`, p.role];
  if (p.startMethod && p.role !== 'main') parts.push(p.startMethod);
  if (p.target) parts.push(`target ${p.target}`);
  parts.push(`exit ${describeExit(p.exitCode, p.error)}`);
  if (p.endReason && p.endReason !== 'unknown')
    parts.push(`ended: ${p.endReason}${p.endDetail && p.endReason !== 'exception' ? ` ${p.endDetail}` : ''}`);
  const s = p.stateSeconds;
  const ready = s.ready ?? 0;
  const blocked = s.blocked ?? 0;
  parts.push(
    `running ${formatSecondsPrecise(s.running)}${ready > 0.0005 ? `, ready ${formatSecondsPrecise(ready)}` : ''}, waiting ${formatSecondsPrecise(s.waiting)}${blocked > 0.0005 ? `, blocked ${formatSecondsPrecise(blocked)}` : ''}${s.zombie > 0.0005 ? `, zombie ${formatSecondsPrecise(s.zombie)}` : ''}`,
  );
  if (p.cpuSeconds) parts.push(`cpu ${formatSecondsPrecise(p.cpuSeconds)}`);
  if (p.peakPrivateBytes !== null && p.peakPrivateBytes !== undefined) parts.push(`private ${formatBytes(p.peakPrivateBytes)}`);
  if (p.peakRssBytes) parts.push(`rss ${formatBytes(p.peakRssBytes)}`);
  const flags: string[] = [];
  if (p.orphaned)
    flags.push(p.adoptedBy !== null ? `ORPHAN (adopted by ${p.adoptedBy}${p.adoptedByName ? ` ${p.adoptedByName}` : ''})` : 'ORPHAN');
  if (!p.joined && p.role === 'process') flags.push('never joined');
  if (flags.length) parts.push(flags.join(', '));
  return parts.join(' · ');
}

export function formatSummary(s: Summary): string {
  const out: string[] = [];
  const r = s.run;
  const what = r.module !== null ? `-m ${r.module}` : (r.script ?? '?');
  out.push(`${what} ${r.args.join(' ')}`.trim());
  out.push(
    `  exit ${r.signal ? `signal ${r.signal}` : describeExit(r.exitCode)}${r.stopped ? ' (stopped)' : ''} · wall ${formatSecondsPrecise(r.wallSeconds)} · cpu ${formatSecondsPrecise(r.cpuSeconds)} · speedup ${r.speedup ?? '?'} on ${r.cpuCount} cores${r.efficiency !== null && r.efficiency !== undefined ? ` (efficiency ${Math.round(r.efficiency * 100)}%)` : ''} · ${r.processes} processes · ${r.messages} messages`,
  );
  out.push('');
  out.push('Processes');
  const byParent = new Map<number | null, SummaryProcess[]>();
  const pids = new Set(s.processes.map((p) => p.pid));
  for (const p of s.processes) {
    const parent =
      p.parentPid !== null && pids.has(p.parentPid) ? p.parentPid : p.ppid !== null && pids.has(p.ppid) && p.ppid !== p.pid ? p.ppid : null;
    const list = byParent.get(parent) ?? [];
    list.push(p);
    byParent.set(parent, list);
  }
  const walk = (parent: number | null, prefix: string) => {
    const kids = byParent.get(parent) ?? [];
    kids.forEach((p, i) => {
      const last = i === kids.length - 1;
      out.push(`${prefix}${parent === null ? '' : last ? '└─ ' : '├─ '}${processLine(p)}`);
      walk(p.pid, parent === null ? prefix : prefix + (last ? '   ' : '│  '));
    });
  };
  walk(null, '  ');

  const busy = s.channels.filter((c) => c.messages > 0 || c.name);
  if (busy.length) {
    out.push('');
    out.push('Channels');
    for (const c of busy) {
      out.push(`  ${c.kind} ${c.name ?? c.id}: ${c.messages} messages, ${formatBytes(c.bytes)}`);
      for (const f of c.flows) {
        const lat = f.latencyMeanSeconds !== null ? `, latency mean ${(f.latencyMeanSeconds * 1000).toFixed(2)} ms` : '';
        out.push(`    ${f.from} → ${f.to}: ${f.messages} messages, ${formatBytes(f.bytes)}${lat}`);
      }
      if (c.methods)
        out.push(
          `    calls: ${Object.entries(c.methods)
            .map(([m, n]) => `${m}×${n}`)
            .join(', ')}`,
        );
      const byPid = new Map<number, string[]>();
      for (const k of c.calls ?? []) byPid.set(k.pid, [...(byPid.get(k.pid) ?? []), `${k.method}×${k.calls}`]);
      for (const [pid, list] of byPid) out.push(`      by ${pid}: ${list.join(', ')}`);
    }
  }
  if (s.pools.length) {
    out.push('');
    out.push('Pools');
    for (const p of s.pools) {
      out.push(`  ${p.kind} ${p.name ?? p.id}: ${p.workers.length} workers, ${p.tasks} tasks in ${p.chunks} chunks`);
      for (const w of p.workers)
        out.push(
          `    worker ${w}: ${p.tasksByWorker[w] ?? 0} tasks, ${p.chunksByWorker[w] ?? 0} chunks, busy ${formatSecondsPrecise(p.busySecondsByWorker[w] ?? 0)}`,
        );
    }
  }
  if (s.clusters?.length) {
    out.push('');
    out.push('dask clusters');
    for (const c of s.clusters) {
      out.push(
        `  ${c.scheduler}${c.local ? ' (LocalCluster in ' + c.clientPid + ')' : ''}: ${c.workers.length} workers, ${c.tasks} tasks${c.erred ? `, ${c.erred} erred` : ''}`,
      );
      for (const w of c.workers)
        out.push(
          `    worker ${w.address}${w.name && w.name !== w.address ? ` (${w.name})` : ''} on ${w.host ?? '?'} pid ${w.pid ?? '?'}: ${w.tasks} tasks${w.erred ? `, ${w.erred} erred` : ''}, busy ${formatSecondsPrecise(w.busySeconds)}`,
        );
      for (const x of c.transfers) out.push(`    ${x.from} → ${x.to}: ${x.count} transfers, ${formatBytes(x.bytes)}`);
    }
  }
  const locks = s.locks.filter((l) => l.acquisitions > 0);
  if (locks.length) {
    out.push('');
    out.push('Locks');
    for (const l of locks) {
      out.push(
        `  ${l.kind} ${l.name ?? l.id}: ${l.acquisitions} acquisitions, ${l.contended} contended, ${formatSecondsPrecise(l.contendedSeconds)} waiting`,
      );
      if (l.maxWaiters > 1) out.push(`    up to ${l.maxWaiters} processes waiting at once`);
      for (const h of l.holders ?? []) {
        if (h.acquisitions || h.holds)
          out.push(
            `    ${h.pid}: ${h.acquisitions} acquisitions, ${h.contended} contended, held ${formatSecondsPrecise(h.heldSeconds)} in ${h.holds} recorded holds`,
          );
      }
    }
  }
  if (s.shared?.length) {
    out.push('');
    out.push('Shared memory (no messages: processes read and write the same bytes)');
    for (const x of s.shared) {
      const len = x.length !== null ? `[${x.length}]` : '';
      out.push(
        `  ${x.kind} ${x.name ?? '(unnamed)'}: '${x.typecode ?? '?'}'${len}${x.bytes !== null && x.bytes !== undefined ? `, ${formatBytes(x.bytes)}` : ''}${x.lock ? ', with a lock' : x.lock === false ? ', no lock' : ''}`,
      );
    }
  }
  if (s.warnings.length) {
    out.push('');
    out.push('Warnings');
    const order = { error: 0, warning: 1, info: 2 } as const;
    const sorted = [...s.warnings].sort((a, b) => (order[a.severity] ?? 1) - (order[b.severity] ?? 1));
    for (const w of sorted) {
      const where = w.file ? ` at ${w.file}${w.line ? `:${w.line}` : ''}` : '';
      out.push(
        `  ${w.severity === 'error' ? 'ERROR ' : w.severity === 'info' ? 'info ' : ''}[${w.kind}]${w.pid !== null ? ` pid ${w.pid}` : ''}${where}`,
      );
      out.push(`    ${w.message}`);
    }
  }
  return out.join('\n') + '\n';
}

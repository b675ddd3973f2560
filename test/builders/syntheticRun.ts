/**
 * SYNTHETIC recordings, generated, for the inspector's unit tests and the UI
 * benchmark only (`npm run bench:ui`): a main process, a pool of workers and
 * many plain processes, with waits, queue messages, pool chunks and samples,
 * in the record shapes the supervisor writes. Browser tests use real runs.
 */

import type { RecordLine, RuntimeEvent } from '../../core/model/recording';
import { header, T0 } from './runBuilder';

export interface SyntheticOptions {
  processes: number;
  messages: number;
  seconds: number;
  /** Seconds between samples (per process). */
  sampleEvery?: number;
  seed?: number;
}

/** A small deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Builds a whole synthetic recording: header and records in time order. */
export function syntheticRecording(o: SyntheticOptions): { header: ReturnType<typeof header>; records: RecordLine[] } {
  const rnd = prng(o.seed ?? 1);
  const h = header({ script: 'synthetic_big_run.py', cpuCount: 8 });
  const recs: { t: number; r: RecordLine }[] = [];
  const push = (t: number, r: RecordLine) => recs.push({ t, r });
  // Events are batched per process every 20 ms, as the runtime flushes them.
  const events: { pid: number; t: number; e: RuntimeEvent }[] = [];
  const ev = (pid: number, t: number, e: [string, number, ...unknown[]]) =>
    events.push({ pid, t, e: [e[0], T0 + e[1], ...e.slice(2)] as RuntimeEvent });
  const main = 1000;
  const S = o.seconds;
  push(0, ['spawned', T0, main]);
  ev(main, 0.001, ['proc', 0.001, { pid: main, ppid: 1, key: null, name: 'MainProcess', role: 'main' }]);
  const queues = ['tasks', 'results', 'log', 'events'];
  queues.forEach((q, i) => ev(main, 0.002, ['chan', 0.002, { ref: `p${i + 1}`, kind: 'queue', name: q, refs: [`p${i + 1}`] }]));
  const poolSize = Math.min(8, Math.max(1, o.processes - 1));
  ev(main, 0.003, ['chan', 0.003, { ref: 'p90', kind: 'pool', name: null, refs: ['p90'], pool: `${main}:pool1` }]);
  ev(main, 0.003, ['pool', 0.003, { ref: `${main}:pool1`, kind: 'pool', processes: poolSize, tasks: 'p90', results: 'p91', name: 'pool' }]);
  ev(main, 0.004, ['pcall', 0.004, { pool: `${main}:pool1`, job: 0, method: 'map', tasks: 4000, chunksize: 50 }]);
  const pids: number[] = [];
  const life: [number, number][] = [];
  for (let i = 0; i < o.processes - 1; i++) {
    const pid = main + 1 + i;
    pids.push(pid);
    const worker = i < poolSize;
    const parent = i < poolSize || i < 20 ? main : main + 1 + poolSize + Math.floor(rnd() * Math.min(i - poolSize, 12));
    const start = worker ? 0.01 : rnd() * S * 0.3;
    const end = worker ? S * 0.98 : Math.min(S * 0.99, start + S * (0.2 + rnd() * 0.6));
    life.push([start, end]);
    const key = `${parent}:${i + 1}`;
    const name = worker ? `SpawnPoolWorker-${i + 1}` : `Process-${i + 1}`;
    ev(parent, start, [
      'create',
      start,
      {
        key,
        name,
        target: worker ? 'multiprocessing.pool.worker' : '__main__.work',
        startMethod: 'fork',
        role: worker ? 'pool-worker' : 'process',
      },
    ]);
    ev(pid, start + 0.001, [
      'proc',
      start + 0.001,
      { pid, ppid: parent, key, name, role: worker ? 'pool-worker' : 'process', startMethod: 'fork' },
    ]);
    ev(parent, start + 0.002, ['started', start + 0.002, key, pid]);
    ev(pid, start + 0.003, ['run', start + 0.003, key]);
    // Waits: a get on the tasks queue now and then.
    let t = start + 0.01;
    while (t < end - 0.05) {
      const d = 0.02 + rnd() * 0.2;
      ev(pid, t, ['w', t, rnd() < 0.8 ? 'queue.get' : 'lock', rnd() < 0.8 ? 'p1' : null, null]);
      ev(pid, Math.min(end, t + d), ['we', Math.min(end, t + d)]);
      t += d + 0.05 + rnd() * 0.5;
    }
    if (worker) {
      let tt = 0.02;
      let chunk = 0;
      while (tt < S * 0.9) {
        const d = 0.05 + rnd() * 0.1;
        ev(pid, tt + d, ['task', tt + d, { pool: 'p90', job: 0, chunk: chunk++, items: 50, tBegin: T0 + tt, ok: true }]);
        tt += d + 0.01;
      }
    }
    ev(pid, end, ['exit', end, 0, rnd() * 2, 20_000_000]);
    ev(parent, end + 0.01, ['reap', end + 0.01, pid, 0]);
  }
  // Messages between random live pairs.
  const all = [main, ...pids];
  const lifeOf = (pid: number): [number, number] => (pid === main ? [0, S] : life[pid - main - 1]);
  const sent: Record<string, Record<string, [number, number]>> = {};
  const recv: Record<string, Record<string, [number, number, number, number]>> = {};
  for (let k = 0; k < o.messages; k++) {
    // Traffic as real programs have it: workers report to main, main hands out work, neighbours in a pipeline.
    const any = all[Math.floor(rnd() * all.length)];
    const pick = rnd();
    const from = pick < 0.5 ? any : pick < 0.8 ? main : any;
    const to = pick < 0.5 ? main : pick < 0.8 ? any : all[Math.min(all.length - 1, all.indexOf(any) + 1)];
    const [a0, a1] = lifeOf(from);
    const [b0, b1] = lifeOf(to);
    const lo = Math.max(a0, b0);
    const hi = Math.min(a1, b1);
    if (hi - lo < 0.01) continue;
    const ts = lo + rnd() * (hi - lo - 0.005);
    const tr = Math.min(hi, ts + 0.0005 + rnd() * 0.004);
    const ref = `p${1 + Math.floor(rnd() * queues.length)}`;
    const bytes = 40 + Math.floor(rnd() * 400);
    ev(to, tr, ['m', tr, ref, from, T0 + ts, bytes, null]);
    const s = (sent[from] ??= {});
    const sv = (s[ref] ??= [0, 0]);
    sv[0]++;
    sv[1] += bytes;
    const r = (recv[to] ??= {});
    const rv = (r[`${ref} ${from}`] ??= [0, 0, 0, 0]);
    rv[0]++;
    rv[1] += bytes;
    rv[2] += tr - ts;
    rv[3] = Math.max(rv[3], tr - ts);
  }
  for (const pid of all) {
    const [, end] = lifeOf(pid);
    const t = Math.max(0, end - 0.001);
    const detail = Object.values(recv[pid] ?? {}).reduce((n, v) => n + v[0], 0);
    ev(pid, t, ['ctr', t, { sent: sent[pid] ?? {}, recv: recv[pid] ?? {}, detail, dropped: 0 }]);
  }
  // Samples.
  const every = o.sampleEvery ?? 0.1;
  for (let t = every; t < S; t += every) {
    const rows: [number, number, number, string, number, number][] = [];
    for (const pid of all) {
      const [a, b] = lifeOf(pid);
      if (t < a || t > b) continue;
      rows.push([pid, Math.round(rnd() * 1000) / 10, 4096 * Math.round(5000 + rnd() * 7000), 'R', main, Math.round(t * 50) / 100]);
    }
    push(t, ['sample', T0 + t, rows]);
  }
  ev(main, S, ['exit', S, 0, 1, 30_000_000]);
  push(S + 0.001, ['exited', T0 + S + 0.001, 0, null]);
  push(S + 0.002, ['end', T0 + S + 0.002, { exitCode: 0, signal: null, stopped: false }]);
  events.sort((a, b) => a.t - b.t);
  const open = new Map<number, { t: number; batch: RuntimeEvent[] }>();
  for (const x of events) {
    let b = open.get(x.pid);
    if (b && x.t - b.t > 0.02) {
      push(b.t + 0.02, ['ev', x.pid, b.batch]);
      b = undefined;
    }
    if (!b) open.set(x.pid, (b = { t: x.t, batch: [] }));
    b.batch.push(x.e);
  }
  for (const [pid, b] of open) push(b.t + 0.02, ['ev', pid, b.batch]);
  recs.sort((a, b) => a.t - b.t);
  return { header: h, records: recs.map((x) => x.r) };
}

/** The recording file's text. */
export function syntheticRecordingText(o: SyntheticOptions): string {
  const { header: h, records } = syntheticRecording(o);
  const lines = [JSON.stringify(h)];
  for (const r of records) lines.push(JSON.stringify(r));
  return lines.join('\n') + '\n';
}

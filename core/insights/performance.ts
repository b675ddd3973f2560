/**
 * Performance insights after a run: `imbalance` and `overhead` of a pool,
 * `overhead` of a Queue/Pipe, `starvation` of consumers, `too-many-processes`.
 */

import { formatBytes, formatPercent, formatSecondsBrief } from '../format';
import {
  type ChannelModel,
  makeWarning,
  poolHasJob,
  type PoolModel,
  type ProcessModel,
  type RunModel,
  type WarningModel,
} from '../model/types';
import { stateSeconds } from '../model/states';
import { insightText } from './texts';
import { channelLabel, INSIGHT_THRESHOLDS, isServer, poolLabel, processLabel } from './shared';

function poolWork(
  model: RunModel,
  pool: PoolModel,
): { busy: Map<number, number>; chunks: Map<number, number>; items: Map<number, number> } {
  const tasksChannel = pool.tasksChannel !== null ? (model.channelOf(pool.tasksChannel)?.id ?? pool.tasksChannel) : null;
  const busy = new Map<number, number>();
  const chunks = new Map<number, number>();
  const items = new Map<number, number>();
  for (const p of model.processes) {
    for (const [key, [c, n, secs]] of Object.entries(p.counters.tasks)) {
      const [ref, job] = key.split(' ');
      if ((model.channelOf(ref)?.id ?? ref) !== tasksChannel || !poolHasJob(pool, job)) continue;
      busy.set(p.pid, (busy.get(p.pid) ?? 0) + secs);
      chunks.set(p.pid, (chunks.get(p.pid) ?? 0) + c);
      items.set(p.pid, (items.get(p.pid) ?? 0) + n);
    }
  }
  return { busy, chunks, items };
}

function poolTasks(model: RunModel, pool: PoolModel) {
  const tasksChannel = pool.tasksChannel !== null ? (model.channelOf(pool.tasksChannel)?.id ?? pool.tasksChannel) : null;
  return model.tasks.filter((t) => (model.channelOf(t.ref)?.id ?? t.ref) === tasksChannel && poolHasJob(pool, t.job));
}

export function poolInsights(model: RunModel, now: number): WarningModel[] {
  const out: WarningModel[] = [];
  const T = INSIGHT_THRESHOLDS;
  for (const pool of model.pools.values()) {
    const { busy, chunks, items } = poolWork(model, pool);
    if (busy.size === 0) continue;
    const workers = [...busy.keys()];
    const totalBusy = [...busy.values()].reduce((a, b) => a + b, 0);
    const totalChunks = [...chunks.values()].reduce((a, b) => a + b, 0);
    const totalItems = [...items.values()].reduce((a, b) => a + b, 0);
    const tasks = poolTasks(model, pool);
    const label = poolLabel(pool);
    const callChunksize = pool.calls.find((c) => c.chunksize !== null)?.chunksize ?? null;
    const nWorkers = Math.max(workers.length, pool.processes ?? 0);

    // Imbalance: the busiest worker against the mean of all the pool's workers.
    if (nWorkers >= 2) {
      const mean = totalBusy / nWorkers;
      const [maxPid, max] = [...busy.entries()].sort((a, b) => b[1] - a[1])[0];
      if (max >= T.imbalanceRatio * mean && max - mean >= T.imbalanceMinSeconds) {
        const longest = tasks
          .filter((x) => x.worker === maxPid)
          .sort((a, b) => b.end - b.begin - (a.end - a.begin))
          .slice(0, 3);
        const longestText = longest.length
          ? ` Its longest chunks: ${longest.map((x) => `job ${x.job} chunk ${x.chunk ?? '?'} (${x.items ?? '?'} item${x.items === 1 ? '' : 's'}, ${formatSecondsBrief(x.end - x.begin)})`).join(', ')}.`
          : '';
        const chunksPerWorker = totalChunks / nWorkers;
        let advice: string;
        if (callChunksize !== null && callChunksize > 1 && chunksPerWorker < 8) {
          const suggest = Math.max(1, Math.floor(totalItems / (nWorkers * 8)));
          advice = insightText('imbalanceChunksizeAdvice', {
            chunksize: callChunksize,
            items: totalItems,
            chunks: totalChunks,
            workers: nWorkers,
            suggest,
          });
        } else if (longest.length && longest[0].items === 1 && longest[0].end - longest[0].begin >= 0.5 * max) {
          advice = insightText('imbalanceSingleTaskAdvice');
        } else {
          advice = insightText('imbalanceAdvice');
        }
        out.push(
          makeWarning(
            'imbalance',
            maxPid,
            insightText('imbalance', {
              pool: label,
              worker: processLabel(model.byPid.get(maxPid), maxPid),
              busy: formatSecondsBrief(max),
              workers: nWorkers,
              mean: formatSecondsBrief(mean),
              ratio: (max / Math.max(mean, 1e-9)).toFixed(1),
              longest: longestText,
              advice,
            }),
            now,
            { pids: [maxPid, ...workers.filter((w) => w !== maxPid)], severity: 'warning', ref: pool.id, file: pool.file, line: pool.line },
          ),
        );
      }
    }

    // Overhead: many tiny chunks, workers mostly idle during the job: the time goes into moving data.
    if (totalChunks >= T.overheadMinChunks && totalBusy / totalChunks <= T.overheadChunkSeconds && tasks.length) {
      const begin = Math.min(...tasks.map((x) => x.begin));
      const end = Math.max(...tasks.map((x) => x.end));
      const span = end - begin;
      const busyFraction = span > 0 ? totalBusy / (span * nWorkers) : 1;
      if (span >= 0.2 && busyFraction < T.overheadBusyFraction) {
        let bytes = 0;
        for (const p of model.processes) {
          for (const [ref, [, b]] of Object.entries(p.counters.sent)) {
            const id = model.channelOf(ref)?.id;
            if (
              id !== undefined &&
              (id === model.channelOf(pool.tasksChannel ?? '')?.id || id === model.channelOf(pool.resultsChannel ?? '')?.id)
            )
              bytes += b;
          }
        }
        const suggest = Math.max(2, Math.ceil(totalItems / (nWorkers * 4)));
        out.push(
          makeWarning(
            'overhead',
            pool.createdBy,
            insightText('poolOverhead', {
              pool: label,
              busy: formatPercent(busyFraction),
              span: formatSecondsBrief(span),
              chunks: totalChunks,
              msPerChunk: ((1000 * totalBusy) / totalChunks).toFixed(3),
              bytes: formatBytes(bytes),
              suggest,
            }),
            now,
            { pids: [pool.createdBy, ...workers], severity: 'warning', ref: pool.id, file: pool.file, line: pool.line },
          ),
        );
      }
    }
  }
  return out;
}

/**
 * `overhead` on a plain Queue/Pipe: so many messages that the processes at its
 * ends spent about as long per message, in all, as a pickle, a pipe write and
 * a read cost: moving the data is most of their work.
 */
export function channelOverhead(model: RunModel, now: number): WarningModel[] {
  const T = INSIGHT_THRESHOLDS;
  const out: WarningModel[] = [];
  const acc = new Map<ChannelModel, { msgs: number; bytes: number; ends: Set<ProcessModel> }>();
  for (const p of model.processes) {
    for (const [key, [msgs, bytes]] of Object.entries(p.counters.recv)) {
      const space = key.indexOf(' ');
      const ch = model.channelOf(key.slice(0, space));
      if (!ch || !(ch.kind === 'queue' || ch.kind === 'simplequeue' || ch.kind === 'joinablequeue' || ch.kind === 'pipe')) continue;
      let a = acc.get(ch);
      if (!a) acc.set(ch, (a = { msgs: 0, bytes: 0, ends: new Set() }));
      a.msgs += msgs;
      a.bytes += bytes;
      a.ends.add(p);
      const src = model.byPid.get(Number(key.slice(space + 1)));
      if (src) a.ends.add(src);
    }
  }
  for (const [ch, a] of acc) {
    if (a.msgs < T.channelOverheadMinMessages) continue;
    const ends = [...a.ends].filter((p) => !isServer(p));
    // Time outside recorded waits (on a CPU, ready for one, or blocked elsewhere, as before those were told apart).
    const running = ends.reduce((n, p) => {
      const s = stateSeconds(p, now);
      return n + s.running + s.ready + s.blocked;
    }, 0);
    const perMessage = running / a.msgs;
    if (running < T.channelOverheadMinSeconds || perMessage > T.channelOverheadSecondsPerMessage) continue;
    out.push(
      makeWarning(
        'overhead',
        ch.createdBy,
        insightText('channelOverhead', {
          channel: channelLabel(ch, null),
          messages: a.msgs,
          bytes: formatBytes(a.bytes),
          ends: ends.map((p) => processLabel(p)).join(', '),
          running: formatSecondsBrief(running),
          usPerMessage: (perMessage * 1e6).toFixed(0),
        }),
        now,
        { pids: ends.map((p) => p.pid), severity: 'warning', ref: ch.id, file: ch.file, line: ch.line },
      ),
    );
  }
  return out;
}

/** Seconds `p` spent waiting in get()/recv() on channel `ch` between `from` and `to`. */
function waitingOn(model: RunModel, p: ProcessModel, ch: ChannelModel, from: number, to: number): number {
  let s = 0;
  for (const w of p.waits) {
    if ((w.what !== 'queue.get' && w.what !== 'recv') || !w.ref || model.channelOf(w.ref) !== ch) continue;
    const b = Math.max(w.begin, from);
    const e = Math.min(w.end ?? to, to);
    if (e > b) s += e - b;
  }
  return s;
}

/** Mean CPU % of `p` over [from, to] from its samples, else null. */
function meanCpu(p: ProcessModel, from: number, to: number): number | null {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < p.samples.t.length; i++) {
    const t = p.samples.t[i];
    if (t < from || t > to) continue;
    sum += p.samples.cpu[i];
    n++;
  }
  return n ? sum / n : null;
}

export function starvation(model: RunModel, now: number): WarningModel[] {
  const out: WarningModel[] = [];
  const T = INSIGHT_THRESHOLDS;
  // Per channel, who received from it and from whom (one pass over the counters).
  const ends = new Map<ChannelModel, { consumers: Set<ProcessModel>; producers: Set<ProcessModel> }>();
  for (const p of model.processes) {
    for (const [key, [msgs]] of Object.entries(p.counters.recv)) {
      if (!(msgs > 0)) continue;
      const space = key.indexOf(' ');
      const ch = model.channelOf(key.slice(0, space));
      if (!ch) continue;
      let e = ends.get(ch);
      if (!e) ends.set(ch, (e = { consumers: new Set(), producers: new Set() }));
      e.consumers.add(p);
      const src = model.byPid.get(Number(key.slice(space + 1)));
      if (src) e.producers.add(src);
    }
  }
  for (const [ch, { consumers, producers }] of ends) {
    // At least two consumers (a 1:1 pipeline stage waiting on a slow producer is normal), one producer.
    if (consumers.size < 2 || producers.size !== 1) continue;
    const producer = [...producers][0];
    if (consumers.has(producer)) continue;
    const list = [...consumers];
    const from = Math.max(...list.map((p) => p.runAt ?? p.startedAt));
    const to = Math.min(...list.map((p) => p.runEndAt ?? p.endedAt ?? now), producer.endedAt ?? now);
    if (to - from < T.starvationMinSeconds) continue;
    const idle = list.map((p) => waitingOn(model, p, ch, from, to) / (to - from));
    const meanIdle = idle.reduce((a, b) => a + b, 0) / idle.length;
    if (meanIdle < T.starvationIdleFraction) continue;
    // Busy: its main thread not blocked in any wait (a sleep included) — computing, or reading a slow
    // source — or it burns CPU while its consumers do not (a Pool's task thread runs the input generator
    // while the main thread waits; CPU shares are compared, not absolute, as a shared machine gives less).
    const prodWait = producer.waits.reduce((s, w) => s + Math.max(0, Math.min(w.end ?? to, to) - Math.max(w.begin, from)), 0) / (to - from);
    const prodCpu = meanCpu(producer, from, to);
    const consumerCpu = list.map((p) => meanCpu(p, from, to) ?? 0).reduce((a, b) => a + b, 0) / list.length;
    const running = 1 - prodWait >= T.starvationProducerBusy;
    const burning = prodCpu !== null && prodCpu >= T.starvationProducerCpu && prodCpu >= T.starvationCpuRatio * consumerCpu;
    if (!running && !burning) continue;
    // Tiny pool chunks are `overhead` (moving data), not a slow producer.
    const pool = ch.pool !== null ? model.pools.get(ch.pool) : undefined;
    if (pool && pool.tasksChannel !== null && model.channelOf(pool.tasksChannel) === ch) {
      const { busy, chunks } = poolWork(model, pool);
      const n = [...chunks.values()].reduce((a, b) => a + b, 0);
      if (n >= T.overheadMinChunks && [...busy.values()].reduce((a, b) => a + b, 0) / n <= T.overheadChunkSeconds) continue;
    }
    out.push(
      makeWarning(
        'starvation',
        producer.pid,
        insightText('starvation', {
          workers: list.map((p) => processLabel(p)).join(', '),
          idle: formatPercent(meanIdle),
          channel: channelLabel(ch, null),
          producer: processLabel(producer),
          producerBusy:
            (running ? `running ${formatPercent(1 - prodWait)} of that time` : 'its main thread waited, but the process') +
            (prodCpu !== null
              ? `${running ? ', ' : ' '}using ${Math.round(prodCpu)}% of a core against ${Math.round(consumerCpu)}% per worker`
              : ''),
        }),
        now,
        { pids: [producer.pid, ...list.map((p) => p.pid)], severity: 'warning', ref: ch.id, file: ch.file, line: ch.line },
      ),
    );
  }
  return out;
}

export function tooManyProcesses(model: RunModel, now: number): WarningModel[] {
  const T = INSIGHT_THRESHOLDS;
  const cores = model.run.header.cpuCount;
  if (!cores) return [];
  // Per sample time: the processes using a good part of a core.
  const busyAt = new Map<number, number[]>();
  for (const p of model.processes) {
    if (isServer(p)) continue;
    for (let i = 0; i < p.samples.t.length; i++) {
      // Wanting a CPU: runnable by the OS ('R'; on a shared machine it may get little of one), else busy.
      const state = p.samples.state[i];
      if (state !== 'R' && !(state === null && p.samples.cpu[i] >= T.busyCpuPercent)) continue;
      const t = Math.round(p.samples.t[i] * 1000);
      const list = busyAt.get(t) ?? [];
      list.push(p.pid);
      busyAt.set(t, list);
    }
  }
  const samples = model.totalCpu.t.length;
  if (samples < T.oversubscribedMinSamples) return [];
  let over = 0;
  let maxBusy = 0;
  const pids = new Set<number>();
  for (const list of busyAt.values()) {
    if (list.length > cores) {
      over++;
      for (const pid of list) pids.add(pid);
    }
    maxBusy = Math.max(maxBusy, list.length);
  }
  if (over < T.oversubscribedMinSamples || over / samples < T.oversubscribedFraction) return [];
  const share = Math.round((100 * cores) / maxBusy);
  let cpu = 0;
  let secs = 0;
  for (const pid of pids) {
    const p = model.byPid.get(pid);
    if (!p) continue;
    cpu += p.cpuSeconds;
    secs += Math.max(0, (p.runEndAt ?? p.endedAt ?? now) - (p.runAt ?? p.startedAt));
  }
  const got = secs > 0 ? ` (measured: ${formatPercent(cpu / secs)} of a core each on average)` : '';
  // Time spent runnable but not on a core (the `ready` state): the cost of the switching.
  let queued = 0;
  for (const pid of pids) {
    const p = model.byPid.get(pid);
    if (p) queued += stateSeconds(p, now).ready;
  }
  const queuedText = queued >= 0.05 ? `; together they spent about ${formatSecondsBrief(queued)} ready to run but waiting for a core` : '';
  const pool = [...model.pools.values()].find((p) => (p.processes ?? 0) > cores);
  const mainPid = model.run.mainPid;
  return [
    makeWarning(
      'too-many-processes',
      mainPid,
      insightText('tooManyProcesses', {
        cores,
        busy: maxBusy,
        share: formatPercent(over / samples),
        corePercent: share,
        got,
        queued: queuedText,
        pool: pool ? `${poolLabel(pool)} has ${pool.processes} workers: ` : '',
      }),
      now,
      { pids: [...pids], severity: 'warning', ref: pool?.id ?? null, file: pool?.file ?? null, line: pool?.line ?? null },
    ),
  ];
}

/**
 * What is under the pointer, in words (the tooltip, and tests through
 * `TimelineView.describeAt`): an insight's marker or band, an arrow or a
 * bundle of arrows, an output tick, a state band, or a lane's process.
 */

import type { StateBand } from '../../core/model/states';
import type { ProcessModel, RunModel } from '../../core/model/types';
import { describeExit, describeParent, formatBytes, formatSeconds, zombieIsCalm, type RefNames } from '../../core/format';
import { lockHolderText } from '../locks';
import { firstBandEndingAfter, segmentDistance } from '../timelineLayout';
import { ARROW_HIT_PX, AXIS_H, GUTTER_W, MARKER_HALF_W, OUTPUT_HOVER_H, OUTPUT_HOVER_PX, type Viewport } from './geometry';
import type { TimelineData } from './lanes';
import type { TimelineRenderer } from './renderer';
import { lowerBound } from './search';
import type { DrawnMark, TimelineHost } from './types';

/** What hit-testing reads: the host's model, the geometry, the data, and the last frame (arrows, marks). */
export interface HitContext {
  readonly host: TimelineHost;
  readonly vp: Viewport;
  readonly data: TimelineData;
  readonly renderer: TimelineRenderer;
}

/** Output lines shown in a tooltip, and characters per line. */
const OUTPUT_LINES = 5;
const OUTPUT_LINE_CHARS = 200;

/** What is under the pointer at canvas (x, y), in words (a message, a bundle of messages, or a state band). */
export function describeAt(c: HitContext, x: number, y: number): string | null {
  // Over an insight's hatched band the lane still says what the process was doing, then the insight.
  const insight = x > GUTTER_W ? describeInsightAt(c, x, y) : null;
  const here = describeLaneAt(c, x, y);
  return insight && here ? `${here}\n\n${insight}` : (insight ?? here);
}

/** What the lane shows at (x, y), insights aside: an arrow, a task, a state band, a process's name. */
function describeLaneAt(c: HitContext, x: number, y: number): string | null {
  const { host, vp } = c;
  const model = host.model();
  const names = host.names();
  if (y < AXIS_H) return null;
  if (x > GUTTER_W && c.data.index) {
    const arrow = describeArrowAt(c, model, names, x, y);
    if (arrow) return arrow;
  }
  const row = host.rows()[vp.laneAt(y)];
  if (!row) return null;
  const p = row.p;
  const head = `${p.name} (pid ${p.pid})`;
  const parent = describeParent(p);
  if (x <= GUTTER_W) return `${head}${parent ? `\n${parent}` : ''}${p.target ? `\n${p.target}` : ''}`;
  const y0 = vp.laneTop(vp.laneAt(y));
  if (y >= y0 + vp.laneH - OUTPUT_HOVER_H) {
    const written = describeOutputAt(c, p, x);
    if (written) return written;
  }
  const t = vp.win.t(x - GUTTER_W);
  const bands = c.data.bandsOf(p, model);
  const band = bands[firstBandEndingAfter(bands, t)];
  if (!band || band.begin > t) return head;
  return describeBand(model, names, p, head, band);
}

/** The arrow (or bundle) of the last frame nearest (x, y), within ARROW_HIT_PX, in words; null when none is. */
function describeArrowAt(c: HitContext, model: RunModel, names: RefNames, x: number, y: number): string | null {
  const b = c.renderer.batch;
  const mid = (lane: number) => c.vp.laneTop(lane) + c.vp.laneH / 2;
  const label = (pid: number) => {
    const p = model.byPid.get(pid);
    return p ? `${p.name} (pid ${pid})` : `pid ${pid}`;
  };
  let best = -1;
  let bestD = ARROW_HIT_PX;
  for (let k = 0; k < b.n; k++) {
    const d = segmentDistance(x, y, b.x0[k], mid(b.fromLane[k]), b.x1[k], mid(b.toLane[k]));
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  if (best < 0) return null;
  const m = model.messages[b.first[best]];
  if (!m) return null;
  const ch = names.channelName(m.ref);
  const kind = model.channelOf(m.ref)?.kind ?? 'channel';
  if (b.count[best] > 1) {
    return `${b.count[best]} messages on ${ch} (${kind})\n${label(m.from)} → ${label(m.to)}\n${formatBytes(b.bytes[best])} in all`;
  }
  return (
    `${ch} (${kind})${m.tag ? ` · ${m.tag}` : ''}\n${label(m.from)} → ${label(m.to)}\n` +
    `sent ${formatSeconds(m.sentAt)}, received ${formatSeconds(m.t)}, latency ${formatSeconds(m.t - m.sentAt)}\n` +
    `payload ${formatBytes(m.bytes)}`
  );
}

/** A state band of process `p`, in words, under the lane's `head`. */
function describeBand(model: RunModel, names: RefNames, p: ProcessModel, head: string, band: StateBand): string {
  const span = `${formatSeconds(band.begin)} → ${formatSeconds(band.end)} (${formatSeconds(band.end - band.begin)})`;
  if (band.state === 'waiting') {
    let text = `${head}\nwaiting: ${names.describeWait(band.what ?? 'wait', band.ref ?? null, band.detail ?? null)}\n${span}`;
    if (band.what === 'join' && band.ref) {
      const joined = names.processByKey(band.ref);
      const exit = joined && joined.exitCode !== null ? `, exit ${joined.exitCode}` : '';
      if (joined) text += `\njoined process: ${joined.name} (pid ${joined.pid})${exit}`;
    }
    const holder = lockHolderText(model, band.what ?? '', band.ref ?? null, band.begin, band.end, p.pid);
    if (holder) text += `\n${holder}`;
    return text;
  }
  if (band.state === 'blocked') return `${head}\n${names.describeBlocked(band)}\n${span}`;
  const ended = band.state === 'exited' ? describeExit(p) : null;
  const what =
    band.state === 'zombie'
      ? zombieIsCalm(band.end - band.begin)
        ? `zombie: exited, ${p.reapedAt !== null ? 'then joined by its parent' : 'not yet joined'} (a short zombie is normal)`
        : 'zombie: exited, not yet joined by its parent'
      : band.state === 'ready'
        ? 'ready: runnable, waiting for a CPU (other processes had the cores)'
        : band.state === 'running'
          ? 'running: on a CPU'
          : ended
            ? `exited: ${ended}`
            : band.state === 'starting'
              ? 'starting Python: the interpreter starting, before the script’s first line (a shim in front of Python shows here)'
              : band.state;
  return `${head}\n${what}\n${span}`;
}

/** The output line written near x on a lane, in words (for the tooltip). */
function describeOutputAt(c: HitContext, p: ProcessModel, x: number): string | null {
  const chunks = p.output?.chunks;
  if (!chunks?.length) return null;
  const win = c.vp.win;
  const tA = win.t(x - GUTTER_W - OUTPUT_HOVER_PX);
  const tB = win.t(x - GUTTER_W + OUTPUT_HOVER_PX);
  const chunk = chunks[lowerBound(chunks, (k) => k.t, tA)];
  if (!chunk || chunk.t > tB) return null;
  const lines = chunk.text.split('\n').filter((l, i, a) => l !== '' || i < a.length - 1);
  const shown = lines.slice(0, OUTPUT_LINES).map((l) => (l.length > OUTPUT_LINE_CHARS ? `${l.slice(0, OUTPUT_LINE_CHARS)}…` : l));
  const more = lines.length > OUTPUT_LINES ? `\n… ${lines.length - OUTPUT_LINES} more lines` : '';
  return `${p.name} (pid ${p.pid}) wrote to ${chunk.stream} at ${formatSeconds(chunk.t)}:\n${shown.join('\n')}${more}`;
}

/** The insights whose marker (or hatched band) is near (x, y) in the last frame, in words (for the tooltip). */
function describeInsightAt(c: HitContext, x: number, y: number): string | null {
  const lane = c.vp.laneAt(y);
  const overBand = (m: DrawnMark) => m.bandX0 !== null && m.bandX1 !== null && x >= m.bandX0 && x <= m.bandX1;
  const near = c.renderer.drawnMarks.filter((m) => m.lane === lane && (Math.abs(m.x - x) <= MARKER_HALF_W || overBand(m)));
  if (!near.length) return null;
  const insights = c.host.insights?.() ?? [];
  const pid = near[0].pid;
  const texts = insights
    .filter((w) => w.pids.includes(pid) && near.some((m) => m.kind === w.kind))
    .map((w) => {
      const since = w.since !== null ? ` (since ${formatSeconds(w.since)})` : '';
      return `${w.severity}: ${w.kind} at ${formatSeconds(w.at)}${since}\n${w.message}`;
    });
  return texts.length ? texts.join('\n\n') : null;
}

/** The timeline's colours, read from the theme's CSS variables, and which colour each state band and severity gets. */

import { zombieIsCalm } from '../../core/format';
import type { StateBand } from '../../core/model/states';
import { cssVar } from '../dom';
import type { Insight } from '../insights';

export interface Palette {
  bg: string;
  fg: string;
  muted: string;
  border: string;
  sel: string;
  running: string;
  blocked: string;
  waiting: string;
  join: string;
  chan: string;
  lock: string;
  zombie: string;
  /** A short zombie (normal: the moment before the join), grey. */
  zombieShort: string;
  /** Waiting in sleep(): grey, as the legend says. */
  sleep: string;
  accent: string;
  error: string;
  warn: string;
  info: string;
  channels: string[];
  font: string;
}

const CHANNEL_WAITS = new Set(['queue.get', 'queue.put', 'recv', 'pool.result', 'future.result', 'manager']);
const LOCK_WAITS = new Set(['lock', 'semaphore', 'condition', 'event', 'barrier']);

export function readPalette(): Palette {
  const v = (n: string, f: string) => cssVar(n, f);
  return {
    bg: v('--c-bg', '#fff'),
    fg: v('--c-fg', '#222'),
    muted: v('--c-muted', '#777'),
    border: v('--c-border', '#ccc'),
    sel: v('--c-sel', '#ddf'),
    running: v('--c-running', '#2a2'),
    blocked: v('--c-blocked', '#888'),
    waiting: v('--c-waiting', '#ca2'),
    join: v('--c-wait-join', '#84d'),
    chan: v('--c-wait-chan', '#27d'),
    lock: v('--c-wait-lock', '#d62'),
    zombie: v('--c-zombie', '#d22'),
    zombieShort: v('--c-zombie-short', '#888'),
    sleep: v('--c-sleep', '#777'),
    accent: v('--c-accent', '#27d'),
    error: v('--c-error', '#d22'),
    warn: v('--c-warn', '#ca2'),
    info: v('--c-accent', '#27d'),
    channels: [1, 2, 3, 4, 5, 6].map((i) => v(`--c-ch${i}`, '#27d')),
    font: `${getComputedStyle(document.body).fontSize || '12px'} ${v('--font', 'sans-serif')}`,
  };
}

/** The fill of a state band (running, waiting by what is waited on, …); null for the states drawn otherwise. */
export function bandColor(b: StateBand, pal: Palette): string | null {
  switch (b.state) {
    case 'running':
    case 'ready':
      return pal.running;
    case 'blocked':
      return pal.blocked;
    case 'waiting':
      if (b.what === 'join') return pal.join;
      if (CHANNEL_WAITS.has(b.what ?? '')) return pal.chan;
      if (LOCK_WAITS.has(b.what ?? '')) return pal.lock;
      if (b.what === 'sleep') return pal.sleep;
      return pal.waiting;
    case 'zombie':
      // Severity is earned: a child joined a little after it ended is normal.
      return zombieIsCalm(b.end - b.begin) ? pal.zombieShort : pal.zombie;
    default:
      return null;
  }
}

export function severityColor(sev: Insight['severity'], pal: Palette): string {
  return sev === 'error' ? pal.error : sev === 'warning' ? pal.warn : pal.info;
}

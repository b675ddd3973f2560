/**
 * The pure helpers behind issue 13's items 1–3, in plain Node: counts with
 * their noun in the right number, a time window in words, the short-zombie
 * threshold, where a run's action starts (the timeline's default view), the
 * window fitted from it, and the page shell carrying the layout rules.
 * Builders only; the browser layer checks the same on real runs.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACTION_MARGIN, actionStart, actionWindow } from '../../core/actionSpan';
import { formatCountOf, formatWindow, SHORT_ZOMBIE_SECONDS, zombieIsCalm } from '../../core/format';
import { INSIGHT_THRESHOLDS } from '../../core/insights/shared';
import { RunReducer } from '../../core/model/reducer';
import { LAYOUT_CSS, STACK_BELOW_PX } from '../../core/page/layout';
import { renderInspectorPage } from '../../core/page/page';
import { TimeWindow } from '../../webview/timelineLayout';
import { RunBuilder } from '../builders/runBuilder';

test('formatCountOf puts the noun in the right number', () => {
  assert.equal(formatCountOf(0, 'message'), '0 messages');
  assert.equal(formatCountOf(1, 'message'), '1 message');
  assert.equal(formatCountOf(2, 'message'), '2 messages');
  assert.equal(formatCountOf(12345, 'task'), '12,345 tasks');
  assert.equal(formatCountOf(1, 'batch', 'batches'), '1 batch');
  assert.equal(formatCountOf(3, 'batch', 'batches'), '3 batches');
});

test('formatWindow words a window by its start and length, not by two ends', () => {
  assert.equal(formatWindow(0.1236, 3.5236), 'from 123.6 ms, 3.40 s long');
  assert.equal(formatWindow(1.2, 1.2), 'at 1.20 s');
  assert.equal(formatWindow(2, 1), 'at 2.00 s');
});

test('a zombie shorter than SHORT_ZOMBIE_SECONDS is calm, and the zombie insight uses the same threshold', () => {
  assert.equal(INSIGHT_THRESHOLDS.zombieSeconds, SHORT_ZOMBIE_SECONDS);
  assert.equal(zombieIsCalm(0.064), true, "a loky worker's 64 ms at shutdown");
  assert.equal(zombieIsCalm(SHORT_ZOMBIE_SECONDS - 1e-3), true);
  assert.equal(zombieIsCalm(SHORT_ZOMBIE_SECONDS), false);
  assert.equal(zombieIsCalm(1.4), false, "11_zombie's 1.4 s");
});

/** main 100 alone until `childAt`, then (when given) one child 101 created then. */
function run(childAt: number | null, end = 1): RunBuilder {
  const b = new RunBuilder();
  b.spawned(0, 100).ev(100, ['proc', 0.01, { pid: 100, ppid: 1, key: null, name: 'MainProcess', role: 'main' }]);
  if (childAt !== null) {
    b.ev(100, ['create', childAt, { key: '100:1', name: 'child', target: '__main__.f', startMethod: 'fork', role: 'process' }])
      .ev(101, ['proc', childAt + 0.01, { pid: 101, ppid: 100, key: '100:1', name: 'child', role: 'process', startMethod: 'fork' }])
      .ev(100, ['started', childAt + 0.02, '100:1', 101]);
  }
  b.sample(end, []);
  return b;
}

test("the run's action starts at its first child's creation; a run of one process is shown whole", () => {
  const late = RunReducer.fromRecords(run(0.4).head, run(0.4).records);
  assert.ok(Math.abs(actionStart(late)! - 0.4) < 1e-6, `first child at 0.4 s: ${actionStart(late)}`);
  assert.deepEqual(actionWindow(late, 1), { from: actionStart(late), whole: false });
  const alone = RunReducer.fromRecords(run(null).head, run(null).records);
  assert.equal(actionStart(alone), null);
  assert.deepEqual(actionWindow(alone, 1), { from: 0, whole: true });
  assert.deepEqual(actionWindow(late, 0.3), { from: 0, whole: true }, 'an end before the action: the whole run');
});

test('TimeWindow.fit from the action: the action fills the view, Fit (from 0) is as before', () => {
  const w = new TimeWindow();
  w.width = 1000;
  w.fit(2);
  assert.ok(w.t0 < 0 && w.t0 > -0.1 && w.t1 >= 2, `[${w.t0}, ${w.t1}]`);
  w.fit(2, 0.8);
  assert.ok(Math.abs(w.t0 - (0.8 - 1.2 * ACTION_MARGIN)) < 1e-9, `starts just before the action: ${w.t0}`);
  assert.ok(w.t1 >= 2 && w.t1 < 2.1, `ends just after the end: ${w.t1}`);
  w.fit(2, 5);
  assert.ok(w.t0 < 0, 'an action start past the end falls back to the whole run');
  w.followNow(3, true, 0.8);
  assert.ok(w.t0 > 0.7 && w.t1 >= 3, 'live and fitted: follows now from the action');
});

test('the page shell carries the layout: stacked below STACK_BELOW_PX, calm-zombie colours', () => {
  const html = renderInspectorPage({ kind: 'standalone', bundle: '', recording: null, nonce: 'n' });
  assert.ok(html.includes(LAYOUT_CSS), 'the layout rules are in the page');
  assert.match(LAYOUT_CSS, new RegExp(`@media \\(max-width: ${STACK_BELOW_PX - 0.02}px\\)`));
  assert.match(LAYOUT_CSS, /--c-zombie-short:/);
  assert.match(LAYOUT_CSS, /\.fs-badge\.zombie\.calm/);
});

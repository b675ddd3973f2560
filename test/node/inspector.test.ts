/**
 * The inspector's pure logic in plain Node: tree rows, the time window,
 * ticks, the message index, arrow culling and bundling, queue depth, the
 * wording of waits and exits, the page shell's CSP and escaping, and the
 * Chrome trace. Builders and SYNTHETIC recordings only; real runs are in the
 * browser layer.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { RunReducer } from '../../core/model/reducer';
import type { MessageModel, ProcessModel } from '../../core/model/types';
import { chromeTrace, TASK_TID_OFFSET } from '../../extension/runtime/chromeTrace';
import { renderReport } from '../../extension/runtime/report';
import { describeExit, describeParent, exitIsBad, formatBytes, formatSeconds, processStatus, RefNames } from '../../core/format';
import { contentSecurityPolicy, escapeHtml, jsonForScript, renderInspectorPage, scriptForInline } from '../../core/page/page';
import { layoutArrows, MessageIndex, niceTicks, queueDepth, tickLabel, TimeWindow } from '../../webview/timelineLayout';
import { ancestorsOf, EXPAND_ALL_BELOW, treeRows } from '../../core/treeRows';
import { queueRun, RunBuilder, T0 } from '../builders/runBuilder';
import { prng, syntheticRecording, syntheticRecordingText } from '../builders/syntheticRun';

const reduce = (b: RunBuilder) => RunReducer.fromRecords(b.head, b.records);

/** main 100 → a (101) → b (102); main → c (103). */
function smallTree(): RunBuilder {
  const b = new RunBuilder();
  b.spawned(0, 100).ev(100, ['proc', 0.01, { pid: 100, ppid: 1, key: null, name: 'MainProcess', role: 'main' }]);
  const child = (parent: number, pid: number, n: number, name: string, t: number) =>
    b
      .ev(parent, ['create', t, { key: `${parent}:${n}`, name, target: '__main__.f', startMethod: 'spawn', role: 'process' }])
      .ev(pid, ['proc', t + 0.01, { pid, ppid: parent, key: `${parent}:${n}`, name, role: 'process', startMethod: 'spawn' }])
      .ev(parent, ['started', t + 0.02, `${parent}:${n}`, pid]);
  child(100, 101, 1, 'a', 0.1);
  child(101, 102, 1, 'b', 0.2);
  child(100, 103, 2, 'c', 0.3);
  b.ev(100, ['w', 0.5, 'join', '100:1', null]);
  b.sample(0.8, []);
  return b;
}

test('tree rows: depth first in start order, collapse, filter keeps ancestors', () => {
  const m = reduce(smallTree());
  const all = treeRows(m, () => true);
  assert.deepEqual(
    all.map((r) => [r.p.name, r.level, r.hasChildren]),
    [
      ['MainProcess', 1, true],
      ['a', 2, true],
      ['b', 3, false],
      ['c', 2, false],
    ],
  );
  const collapsedA = treeRows(m, (pid) => pid !== 101);
  assert.deepEqual(
    collapsedA.map((r) => r.p.name),
    ['MainProcess', 'a', 'c'],
  );
  assert.equal(collapsedA[1].expanded, false);
  const filtered = treeRows(m, () => false, '102');
  assert.deepEqual(
    filtered.map((r) => [r.p.name, r.context]),
    [
      ['MainProcess', true],
      ['a', true],
      ['b', false],
    ],
  );
  assert.deepEqual(
    treeRows(m, () => true, 'C').map((r) => r.p.name),
    ['MainProcess', 'c'],
  );
  assert.deepEqual(ancestorsOf(m, 102), [101, 100]);
});

test('tree rows: a big run opens only its roots; processes in a parent cycle still get rows', () => {
  const { header, records } = syntheticRecording({ processes: EXPAND_ALL_BELOW + 10, messages: 10, seconds: 2 });
  const m = RunReducer.fromRecords(header, records);
  const rows = treeRows(m, () => false);
  assert.equal(rows.length, 1);
  assert.equal(treeRows(m, () => true).length, m.processes.length);
  // A cycle: 201's parent is 202 and 202's parent is 201.
  const b = new RunBuilder();
  b.ev(201, ['proc', 0.1, { pid: 201, ppid: 202, key: null, name: 'x', role: 'process' }]).ev(202, [
    'proc',
    0.1,
    { pid: 202, ppid: 201, key: null, name: 'y', role: 'process' },
  ]);
  const cyc = reduce(b);
  assert.equal(treeRows(cyc, () => true).length, 2);
});

test('waits are worded with the names of what they wait on', () => {
  const b = smallTree();
  b.ev(100, ['chan', 0.02, { ref: 'p7', kind: 'queue', name: 'tasks', refs: ['p7', 'p8'] }]);
  b.ev(100, ['lock', 0.02, { ref: 'lA', kind: 'Lock', name: 'guard' }]);
  const m = reduce(b);
  const names = new RefNames(m);
  assert.equal(names.describeWait('join', '100:1'), 'join(a)');
  assert.equal(names.describeWait('queue.get', 'p8'), 'Queue.get(tasks)');
  assert.equal(names.describeWait('lock', 'lA'), 'Lock.acquire(guard)');
  assert.equal(names.describeWait('sleep', null), 'sleep');
  assert.equal(names.describeWait('recv', 'p99'), 'Pipe.recv(p99)');
  assert.equal(processStatus(m.byPid.get(100)!, m, names).label, 'waiting: join(a)');
});

test('exit codes are worded: codes, signals, exceptions', () => {
  assert.equal(describeExit({ exitCode: 0, error: null, endedAt: 1 }), 'exit 0');
  assert.equal(describeExit({ exitCode: -9, error: null, endedAt: 1 }), 'killed by SIGKILL');
  assert.equal(describeExit({ exitCode: -15, error: null, endedAt: 1 }), 'killed by SIGTERM');
  assert.equal(describeExit({ exitCode: 1, error: 'ValueError: bad', endedAt: 1 }), 'exit 1: ValueError: bad');
  // How it ended, when the run says so.
  const end = (endReason: ProcessModel['endReason'], endDetail: string | null, exitCode: number) =>
    describeExit({ exitCode, error: null, endedAt: 1, endReason, endDetail });
  assert.equal(end('returned', null, 0), 'returned');
  assert.equal(end('exception', 'ValueError: bad', 1), 'raised ValueError: bad');
  assert.equal(end('sys.exit', '3', 3), 'sys.exit(3)');
  assert.equal(end('sys.exit', 'bad config', 1), 'sys.exit("bad config") · exit 1');
  assert.equal(end('os._exit', '4', 4), 'os._exit(4)');
  assert.equal(end('terminated-by-pool', 'leaving with Pool(...)', -15), 'stopped by the pool (leaving with Pool(...))');
  assert.equal(end('terminate()', 'SIGTERM', -15), 'terminate() · SIGTERM');
  assert.equal(end('signal', 'SIGUSR1', -10), 'killed by SIGUSR1');
  assert.equal(end('unknown', 'exit code 2', 2), 'exit 2');
  assert.equal(exitIsBad({ exitCode: -15, error: null, endReason: 'terminated-by-pool' }), false);
  assert.equal(exitIsBad({ exitCode: 0, error: null, endReason: 'sys.exit' }), false);
  assert.equal(exitIsBad({ exitCode: 3, error: null, endReason: 'sys.exit' }), true);
  assert.equal(exitIsBad({ exitCode: -15, error: null, endReason: 'terminate()' }), true);
  assert.equal(describeParent({ ppid: 4310, parentPid: 4310, adoptedBy: null, adoptedByName: null }), 'parent 4310');
  assert.equal(
    describeParent({ ppid: 4310, parentPid: 4310, adoptedBy: 1, adoptedByName: 'systemd' }),
    'parent 4310 · adopted by 1 (systemd)',
  );
  assert.equal(describeExit({ exitCode: null, error: null, endedAt: null }), null);
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatSeconds(0.0123), '12.3 ms');
  assert.equal(formatSeconds(2.5), '2.50 s');
});

test('time window: zoom keeps the time under the pointer, pan and clamp keep the run in view, follow now', () => {
  const w = new TimeWindow();
  w.width = 1000;
  w.fit(10);
  assert.ok(w.t0 < 0 && w.t1 > 10);
  const at = w.t(250);
  w.zoomAt(4, 250, 10);
  assert.ok(Math.abs(w.t(250) - at) < 1e-9);
  assert.ok(Math.abs(w.span - 10.3 / 4) < 1e-6);
  w.panBy(-1e9, 10);
  assert.ok(w.t0 >= -w.span * 0.5 - 1e-9, 'cannot pan far before the start');
  w.panBy(1e9, 10);
  assert.ok(w.t1 <= 10 + w.span * 0.5 + 1e-9, 'cannot pan far past the end');
  assert.ok(w.showsEnd(10));
  w.followNow(20, false);
  assert.ok(w.t1 > 20 && w.t0 < 20);
  w.zoomAt(1e12, 0, 10);
  assert.ok(w.span >= TimeWindow.MIN_SPAN);
  w.zoomAt(1e-12, 0, 10);
  assert.ok(w.span <= 15 + 1e-9);
});

test('ticks are round steps with matching labels', () => {
  const { step, ticks } = niceTicks(0, 10, 1000, 80);
  assert.equal(step, 1);
  assert.deepEqual(ticks, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(tickLabel(3, 1), '3 s');
  const ms = niceTicks(0.1, 0.15, 1000, 100);
  assert.equal(ms.step, 0.005);
  assert.equal(tickLabel(0.125, ms.step), '125 ms');
  assert.equal(tickLabel(0.0000125, 0.0000005), '12.5 µs');
});

function randomMessages(n: number, procs: number, seed = 7): MessageModel[] {
  const rnd = prng(seed);
  const out: MessageModel[] = [];
  for (let i = 0; i < n; i++) {
    const sentAt = rnd() * 100;
    out.push({
      sentAt,
      t: sentAt + rnd() * 2,
      from: 1 + Math.floor(rnd() * procs),
      to: 1 + Math.floor(rnd() * procs),
      ref: `p${Math.floor(rnd() * 3)}`,
      bytes: 10,
      tag: null,
    });
  }
  return out;
}

test('message index: incremental out-of-order syncs find exactly the messages crossing a window', () => {
  const msgs = randomMessages(5000, 20);
  const index = new MessageIndex(
    (pid) => pid,
    (ref) => Number(ref.slice(1)),
  );
  for (let k = 0; k < msgs.length; k += 97) index.sync(msgs.slice(0, Math.min(msgs.length, k + 97)));
  assert.equal(index.n, msgs.length);
  for (const [t0, t1] of [
    [10, 12],
    [0, 100],
    [55.5, 55.6],
    [99, 200],
  ]) {
    const got: number[] = [];
    index.forEachIn(t0, t1, (i) => got.push(i));
    const want = msgs.map((m, i) => (m.t >= t0 && m.sentAt <= t1 ? i : -1)).filter((i) => i >= 0);
    assert.deepEqual(
      got.sort((a, b) => a - b),
      want,
      `window ${t0}–${t1}`,
    );
  }
});

test('arrows: drawn one by one when few, bundled into counts per pixel column and lane pair when dense', () => {
  const msgs = randomMessages(20000, 30);
  const index = new MessageIndex(
    (pid) => pid,
    (ref) => Number(ref.slice(1)),
  );
  index.sync(msgs);
  const w = new TimeWindow();
  w.width = 800;
  w.t0 = 0;
  w.t1 = 100;
  const laneOf = new Int32Array(31).map((_, i) => (i === 0 ? -1 : i - 1));
  const q = { win: w, laneOf, firstLane: 0, lastLane: 29, directLimit: 100_000, binPx: 4 };
  const direct = layoutArrows(index, q);
  assert.equal(direct.binned, false);
  assert.equal(direct.n, direct.considered);
  const binned = layoutArrows(index, { ...q, directLimit: 1000 });
  assert.equal(binned.binned, true);
  assert.equal(binned.considered, direct.considered);
  let total = 0;
  for (let k = 0; k < binned.n; k++) total += binned.count[k];
  assert.equal(total, binned.considered, 'every arrow is in exactly one bin');
  assert.ok(binned.n < binned.considered, 'bins bundle');
  // The dense grid (when the drawing's width is known) bins the same way as the map.
  const grid = layoutArrows(index, { ...q, directLimit: 1000, maxX: 800 });
  let gridTotal = 0;
  for (let k = 0; k < grid.n; k++) gridTotal += grid.count[k];
  assert.ok(grid.n <= binned.n, 'arrows received past the right edge share the last column');
  assert.equal(gridTotal, binned.considered);
  const wide = layoutArrows(index, { ...q, directLimit: 1000, maxX: 100_000 });
  assert.equal(wide.n, binned.n);
  // Culling by lanes: only arrows touching or crossing lanes 0–4.
  const few = layoutArrows(index, { ...q, firstLane: 0, lastLane: 4 });
  const want = msgs.filter((m) => m.t >= 0 && m.sentAt <= 100 && Math.min(m.from, m.to) - 1 <= 4).length;
  assert.equal(few.considered, want);
  // Hidden lanes (collapsed processes) draw nothing.
  const hidden = new Int32Array(31).fill(-1);
  assert.equal(layoutArrows(index, { ...q, laneOf: hidden }).considered, 0);
});

test('queue depth: cumulative sent minus received, thinned keeping peaks', () => {
  const msgs: MessageModel[] = [
    { sentAt: 1, t: 3, from: 1, to: 2, ref: 'q', bytes: 1, tag: null },
    { sentAt: 2, t: 4, from: 1, to: 2, ref: 'q', bytes: 1, tag: null },
    { sentAt: 5, t: 6, from: 1, to: 2, ref: 'q', bytes: 1, tag: null },
  ];
  const d = queueDepth(msgs, (r) => r).get('q')!;
  assert.deepEqual(d.t, [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(d.depth, [0, 1, 2, 1, 0, 1, 0]);
  const many = randomMessages(10000, 4).map((m) => ({ ...m, ref: 'q' }));
  const thin = queueDepth(many, (r) => r, 500).get('q')!;
  assert.ok(thin.t.length <= 502);
  assert.equal(thin.depth[thin.depth.length - 1], 0);
});

test('page shell: strict CSP with a nonce, escaped title, data that cannot close its script element', () => {
  const evil = '</script><script>alert(1)</script><!-- \u2028';
  const html = renderInspectorPage({
    kind: 'standalone',
    bundle: 'console.log("</script>")',
    recording: evil,
    title: '<b>t</b>',
    nonce: 'abc123',
  });
  assert.ok(!html.includes('<b>t</b>'));
  assert.ok(html.includes('&lt;b&gt;t&lt;/b&gt;'));
  assert.equal((html.match(/<script/g) ?? []).length, 2, 'only the data block and the bundle');
  assert.equal((html.match(/<\/script>/g) ?? []).length, 2);
  assert.match(html, /<script nonce="abc123">/);
  const csp = contentSecurityPolicy({ kind: 'standalone', bundle: '', recording: null }, 'abc123');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'nonce-abc123'/);
  assert.ok(!csp.includes('unsafe-inline') && !csp.includes('unsafe-eval') && !csp.includes('http'));
  const vs = renderInspectorPage({
    kind: 'vscode',
    scriptUri: 'https://file+.vscode-resource/x/webview.js',
    cspSource: 'https://*.vscode-cdn.net',
    nonce: 'n1',
  });
  assert.match(vs, /<script nonce="n1" src="https:\/\/file\+\.vscode-resource\/x\/webview\.js"><\/script>/);
  assert.match(vs.replace(/&#39;/g, "'"), /style-src 'nonce-n1' https:\/\/\*\.vscode-cdn\.net/);
  assert.equal(JSON.parse(jsonForScript(evil)), evil);
  assert.ok(!jsonForScript(evil).includes('<'));
  assert.equal(scriptForInline('a="</script>"'), 'a="<\\/script>"');
  assert.equal(escapeHtml(`<"&'>`), '&lt;&quot;&amp;&#39;&gt;');
});

test('report: refuses what is not a recording; embeds the recording verbatim (gzip, base64)', () => {
  assert.throws(() => renderReport('hello\n', 'x'), /not a Forkscope recording/);
  assert.throws(() => renderReport('\n\n', 'x'), /empty: not a Forkscope recording/);
  const text = queueRun().text();
  const html = renderReport(text, '/* bundle */');
  const m = html.match(/<script type="application\/octet-stream" id="forkscope-recording-gz">([A-Za-z0-9+/=]*)<\/script>/);
  assert.ok(m);
  assert.equal(zlib.gunzipSync(Buffer.from(m![1], 'base64')).toString('utf8'), text);
  assert.ok(!html.includes('id="forkscope-recording"'));
  // Only base64 goes into that element: anything else is refused rather than written into the page.
  assert.throws(
    () => renderInspectorPage({ kind: 'standalone', bundle: '', recording: null, recordingGzipBase64: 'ab</script>' }),
    /not base64/,
  );
});

test('Chrome trace: metadata per process, state slices, flows paired by id, task tracks', () => {
  const b = queueRun();
  b.ev(101, ['task', 0.4, { pool: 'p11', job: 1, chunk: 0, items: 5, tBegin: T0 + 0.3, ok: true }]);
  const m = reduce(b);
  const trace = chromeTrace(m);
  const ev = trace.traceEvents;
  for (const pid of [100, 101]) {
    assert.ok(ev.some((e) => e.ph === 'M' && e.name === 'process_name' && e.pid === pid));
    assert.ok(ev.some((e) => e.ph === 'X' && e.pid === pid && e.cat?.startsWith('state')));
  }
  const zombie = ev.find((e) => e.ph === 'X' && e.pid === 101 && e.name === 'zombie')!;
  assert.equal(zombie.ts, 500_000);
  assert.equal(zombie.dur, 1_000_000);
  const join = ev.find((e) => e.ph === 'X' && e.pid === 100 && e.name.startsWith('waiting: join'))!;
  assert.equal(join.name, 'waiting: join(Process-1)');
  const s = ev.filter((e) => e.ph === 's');
  const f = ev.filter((e) => e.ph === 'f');
  assert.equal(s.length, m.messages.length);
  assert.deepEqual(
    s.map((e) => [e.id, e.pid]),
    f.map((e) => [e.id, 101]),
  );
  assert.ok(f.every((e) => e.pid === 100 && e.bp === 'e'));
  assert.ok(ev.some((e) => e.ph === 'X' && e.cat === 'task' && e.tid === TASK_TID_OFFSET + 101));
  assert.ok(ev.some((e) => e.ph === 'C' && e.name === 'CPU %'));
  JSON.parse(JSON.stringify(trace));
});

test('synthetic recording (UI benchmark input) reduces to the asked size', () => {
  const text = syntheticRecordingText({ processes: 200, messages: 5000, seconds: 5 });
  const lines = text.trim().split('\n');
  const header = JSON.parse(lines[0]);
  const m = RunReducer.fromRecords(
    header,
    lines.slice(1).map((l) => JSON.parse(l)),
  );
  assert.equal(m.processes.length, 200);
  assert.ok(m.messages.length > 4500 && m.messages.length <= 5000);
  assert.ok(m.run.ended);
});

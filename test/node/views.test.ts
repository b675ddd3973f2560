/**
 * What the inspector's Locks & shared tab and the summary say about locks,
 * shared memory and Manager calls, from REAL runs of test/scripts/locks_view.py
 * (four workers printing under one Lock, like sample 06) and
 * test/scripts/manager_calls.py (three workers calling a Manager's dict and
 * list), under every start method.
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { holdersAt, lockUses, managerCalls, maxOverlap } from '../../core/model/locks';
import type { SummaryManagerCall } from '../../core/summary/summary';
import { formatSummary } from '../../core/summary/summaryText';
import { record, startMethods } from './support/run';

const methods = startMethods();

for (const method of methods) {
  test(`locks: exact acquisitions, contention, holds that never overlap, waiters (${method})`, async () => {
    const r = await record('locks_view.py', [method]);
    assert.equal(r.code, 0, r.stderr);
    const s = r.summary;
    const lock = s.locks.find((l) => l.name === 'print_lock')!;
    assert.ok(lock, JSON.stringify(s.locks));
    assert.equal(lock.kind, 'Lock');
    assert.equal(lock.acquisitions, 20);
    assert.ok(lock.contended > 0, 'four writers holding it 10 ms each contend');
    assert.match(lock.file ?? '', /locks_view\.py$/);
    assert.equal(lock.createdBy, r.model.run.mainPid);
    assert.equal(lock.holds, 20);
    assert.ok(lock.maxWaiters >= 1);
    const writers = s.processes.filter((p) => p.name.startsWith('writer-')).map((p) => p.pid);
    assert.equal(writers.length, 4);
    assert.deepEqual(lock.holders.map((h) => h.pid).sort(), [...writers].sort());
    for (const h of lock.holders) {
      assert.equal(h.acquisitions, 5);
      assert.equal(h.holds, 5);
      assert.ok(h.heldSeconds > 0);
    }
    assert.equal(
      lock.holders.reduce((n, h) => n + h.contended, 0),
      lock.contended,
    );
    // Holds of a Lock never overlap, whoever holds it.
    const holds = r.model.holds.filter((h) => h.ref === lock.id).sort((a, b) => a.begin - b.begin);
    for (let i = 1; i < holds.length; i++) assert.ok(holds[i - 1].end <= holds[i].begin + 1e-4, `holds ${i - 1} and ${i} overlap`);
    // Waiters: recorded lock waits; while one waits, someone else holds it (when that hold was recorded).
    const use = lockUses(r.model).find((l) => l.id === lock.id)!;
    assert.ok(use.waits.length > 0, 'waiters recorded');
    assert.equal(use.maxWaiters, maxOverlap(use.waits));
    let named = 0;
    for (const w of use.waits) {
      const mid = (w.begin + w.end) / 2;
      const at = holdersAt(r.model, lock.id, mid, w.pid);
      assert.ok(at.length <= 1, 'a Lock has one holder at a time');
      if (at.length) named++;
    }
    assert.ok(named > 0, 'some waits name their holder');
    // The RLock taken twice per worker: one hold from the outer acquire to the last release.
    const nested = s.locks.find((l) => l.name === 'nested')!;
    assert.equal(nested.kind, 'RLock');
    assert.equal(nested.acquisitions, 8);
    assert.equal(nested.holds, 4);
    // Shared memory, exact.
    const shared = Object.fromEntries(s.shared.map((x) => [x.name, x]));
    assert.deepEqual(
      ['counter', 'samples', 'raw'].map((n) => [shared[n].kind, shared[n].typecode, shared[n].length, shared[n].bytes, shared[n].lock]),
      [
        ['Value', 'i', null, 4, true],
        ['Array', 'd', 6, 48, true],
        ['RawArray', 'b', 16, 16, false],
      ],
    );
    const text = formatSummary(s);
    assert.match(text, /Lock print_lock: 20 acquisitions/);
    assert.match(text, /Array samples: 'd'\[6\], 48 B, with a lock/);
  });

  test(`Manager calls per worker and method, with round trips (${method})`, async () => {
    const r = await record('manager_calls.py', [method]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '6 [0, 0, 1, 2, 10, 20]\n');
    const ch = r.summary.channels.find((c) => c.kind === 'manager')!;
    assert.ok(ch?.calls, JSON.stringify(r.summary.channels));
    const callers = r.summary.processes.filter((p) => p.name.startsWith('caller-'));
    assert.equal(callers.length, 3);
    for (const p of callers) {
      const k = Number(p.name.slice('caller-'.length));
      const mine: SummaryManagerCall[] = ch.calls!.filter((x) => x.pid === p.pid);
      assert.deepEqual(Object.fromEntries(mine.map((c) => [c.method, c.calls])), { __setitem__: k + 1, append: 2, __len__: 1 }, p.name);
      for (const c of mine) {
        assert.equal(c.timed, c.calls, 'every call is timed');
        assert.ok(c.meanSeconds !== null && c.maxSeconds !== null && c.meanSeconds > 0 && c.maxSeconds >= c.meanSeconds);
      }
    }
    // The per-process calls add up to the channel's per-method totals.
    const sum: Record<string, number> = {};
    for (const c of ch.calls!) sum[c.method] = (sum[c.method] ?? 0) + c.calls;
    assert.deepEqual(sum, ch.methods);
    assert.equal(managerCalls(r.model).get(ch.id)!.length, ch.calls!.length);
  });
}

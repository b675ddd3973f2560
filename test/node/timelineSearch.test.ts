/**
 * The timeline's one binary search (webview/timeline/search.ts), against a
 * linear scan over random sorted data with many repeated keys, and the
 * lookups built on it (bands by end, messages by receive time).
 */

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lowerBound, partitionPoint, upperBound } from '../../webview/timeline/search';
import { firstBandEndingAfter } from '../../webview/timelineLayout';
import { prng } from '../builders/syntheticRun';

const linear = (keys: readonly number[], ok: (k: number) => boolean, lo: number, hi: number) => {
  for (let i = lo; i < hi; i++) if (!ok(keys[i])) return i;
  return hi;
};

test('lowerBound/upperBound agree with a linear scan, whole range and sub-ranges, repeated keys included', () => {
  const rand = prng(12);
  for (let trial = 0; trial < 200; trial++) {
    const n = Math.floor(rand() * 40);
    const keys = Array.from({ length: n }, () => Math.floor(rand() * 10)).sort((a, b) => a - b);
    const items = keys.map((k) => ({ k }));
    const lo = Math.floor(rand() * (n + 1));
    const hi = lo + Math.floor(rand() * (n - lo + 1));
    for (let v = -1; v <= 11; v += 0.5) {
      assert.equal(
        lowerBound(items, (x) => x.k, v),
        linear(keys, (k) => k < v, 0, n),
        `lower ${v} in ${keys}`,
      );
      assert.equal(
        upperBound(items, (x) => x.k, v),
        linear(keys, (k) => k <= v, 0, n),
        `upper ${v} in ${keys}`,
      );
      assert.equal(
        lowerBound(items, (x) => x.k, v, lo, hi),
        linear(keys, (k) => k < v, lo, hi),
        `lower ${v} in [${lo}, ${hi})`,
      );
      assert.equal(
        upperBound(items, (x) => x.k, v, lo, hi),
        linear(keys, (k) => k <= v, lo, hi),
        `upper ${v} in [${lo}, ${hi})`,
      );
    }
  }
});

test('lowerBound searches through an index array (the message index sorts indices, not messages)', () => {
  const t = Float64Array.from([5, 1, 3, 3, 9]);
  const order = Int32Array.from([1, 2, 3, 0, 4]); // by t: 1, 3, 3, 5, 9
  assert.equal(
    lowerBound(order, (i) => t[i], 3),
    1,
  );
  assert.equal(
    lowerBound(order, (i) => t[i], 4),
    3,
  );
  assert.equal(
    lowerBound(order, (i) => t[i], 10),
    5,
  );
  assert.equal(
    lowerBound(order, (i) => t[i], 0, 2, 4),
    2,
  );
});

test('partitionPoint: the first index where the test fails, or the end; empty ranges', () => {
  assert.equal(
    partitionPoint(0, 0, () => true),
    0,
  );
  assert.equal(
    partitionPoint(3, 3, () => false),
    3,
  );
  assert.equal(
    partitionPoint(0, 100, (i) => i * i < 50),
    8,
  );
  assert.equal(
    partitionPoint(1, 11, () => true),
    11,
  );
  assert.equal(
    partitionPoint(1, 11, () => false),
    1,
  );
});

test('firstBandEndingAfter: the band under t, or the next one', () => {
  const bands = [
    { begin: 0, end: 1 },
    { begin: 1, end: 2.5 },
    { begin: 3, end: 4 },
  ];
  assert.equal(firstBandEndingAfter(bands, -1), 0);
  assert.equal(firstBandEndingAfter(bands, 0.5), 0);
  assert.equal(firstBandEndingAfter(bands, 1), 1, 'a band ending exactly at t is over');
  assert.equal(firstBandEndingAfter(bands, 2.7), 2, 'in a gap: the next band');
  assert.equal(firstBandEndingAfter(bands, 4), 3);
});

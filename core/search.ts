/** The one binary search of the pure core. */

/**
 * The first index `i` in `[0, n)` whose key is greater than `x` (`n` when none is), for keys
 * sorted ascending: `upperBound(...) - 1` is the last index at or before `x` (−1 when none is).
 */
export function upperBound(n: number, keyAt: (i: number) => number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keyAt(mid) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

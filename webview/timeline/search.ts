/**
 * The timeline's one binary search. Everything the timeline looks up by time
 * (messages by receive time, state bands by end, output chunks by write time,
 * the longest label that fits) is a sorted sequence and a monotone test, so
 * one partition-point search serves them all.
 */

/**
 * The first index in [lo, hi) where `before(i)` is false, or `hi` when it never is.
 * `before` must be true for a prefix of the range and false after it.
 */
export function partitionPoint(lo: number, hi: number, before: (i: number) => boolean): number {
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index in [lo, hi) whose key is ≥ `value` (items sorted by key). */
export function lowerBound<T>(items: ArrayLike<T>, key: (item: T) => number, value: number, lo = 0, hi = items.length): number {
  return partitionPoint(lo, hi, (i) => key(items[i]) < value);
}

/** The first index in [lo, hi) whose key is > `value` (items sorted by key). */
export function upperBound<T>(items: ArrayLike<T>, key: (item: T) => number, value: number, lo = 0, hi = items.length): number {
  return partitionPoint(lo, hi, (i) => key(items[i]) <= value);
}

/**
 * Exact sliding windows for "N events within P seconds". Only the threshold matters,
 * so a ring of the last N timestamps is enough: after a push, the slot at `head` holds
 * the N-th most recent time, and the window is full when it lies within P of now.
 * O(1) per event; N doubles per tracked key. Rings start at -Infinity (never within).
 */

export function newRing(n: number): number[] {
  return new Array<number>(n).fill(Number.NEGATIVE_INFINITY);
}

/** Stores `t` at `head` and returns the new head (which now indexes the oldest slot). */
export function ringPush(ring: number[], head: number, t: number): number {
  ring[head] = t;
  return head + 1 === ring.length ? 0 : head + 1;
}

/**
 * Packet times are epoch seconds in doubles (about 0.2 µs of resolution today), so a
 * difference that is "exactly" the period may come out a hair below it. Times within
 * this margin of the window's edge count as outside.
 */
export const EDGE = 1e-6;

/** Whether `t` lies in the window (now - period, now]. */
export function within(now: number, t: number, period: number): boolean {
  return now - t < period - EDGE;
}

/** Whether the ring's N timestamps all lie in the window (now - period, now]. */
export function ringFull(ring: number[], head: number, now: number, period: number): boolean {
  return within(now, ring[head]!, period);
}

/**
 * Coefficient of variation (stddev / mean) of the intervals between the ring's
 * timestamps, oldest to newest; Infinity if there are fewer than two intervals or the
 * mean interval is not positive. Also returns the mean.
 */
export function ringIntervals(ring: number[], head: number): { mean: number; cv: number } {
  const n = ring.length;
  if (n < 3) return { mean: 0, cv: Number.POSITIVE_INFINITY };
  let sum = 0;
  let sumSq = 0;
  for (let k = 1; k < n; k++) {
    const d = ring[(head + k) % n]! - ring[(head + k - 1) % n]!;
    sum += d;
    sumSq += d * d;
  }
  const m = n - 1;
  const mean = sum / m;
  if (!(mean > 0) || !Number.isFinite(mean)) return { mean, cv: Number.POSITIVE_INFINITY };
  const variance = Math.max(0, sumSq / m - mean * mean);
  return { mean, cv: Math.sqrt(variance) / mean };
}

/**
 * Each source's last HIT_COUNT failure times (state.ts's slots), the brute-force rule's
 * evidence. Most sources fail once or twice, so the first two times sit in the slot's own
 * columns (fail0, fail1; failHead is the next write); at the third the times move to a ring
 * of HIT_COUNT doubles from a pooled slab, in chunks of RING_CHUNK rings, so a flood of
 * 100k one-shot attackers costs no ring and the slab never grows in one piece. A slot's
 * ringOf column holds its ring + 1 (0: none); a freed ring is reused first.
 */

import type { SourceCols } from './state-cols.js';
import { ringIntervals, within } from './window.js';

/** Failure rings per slab chunk: 1,024 (80 KB at HIT_COUNT 10). */
const RING_SHIFT = 10;
const RING_CHUNK = 1 << RING_SHIFT;
const RING_MASK = RING_CHUNK - 1;

export class FailRings {
  /** The slab: chunks of RING_CHUNK rings of `n` doubles. */
  private readonly rings: Float64Array[] = [];
  private ringTop = 0;
  /** The freed rings, a list through each one's first double (-1: none). */
  private ringFree = -1;
  private readonly scratch: number[] = [];

  /** `n`: HIT_COUNT, the ring's length. */
  constructor(readonly n: number) {}

  /** Records a failure at `t` for the slot at `c`, `o`. */
  push(c: SourceCols, o: number, t: number): void {
    const n = this.n;
    const h = c.failHead[o]!;
    if (n <= 2) {
      if (h === 0) c.fail0[o] = t;
      else c.fail1[o] = t;
      c.failHead[o] = h + 1 === n ? 0 : h + 1;
      return;
    }
    let r = c.ringOf[o]! - 1;
    if (r < 0) {
      if (h < 2) {
        if (h === 0) c.fail0[o] = t;
        else c.fail1[o] = t;
        c.failHead[o] = h + 1;
        return;
      }
      r = this.newRing();
      c.ringOf[o] = r + 1;
      const ring = this.rings[r >>> RING_SHIFT]!;
      const base = (r & RING_MASK) * n;
      ring[base] = c.fail0[o]!;
      ring[base + 1] = c.fail1[o]!;
      ring.fill(Number.NEGATIVE_INFINITY, base + 2, base + n);
    }
    this.rings[r >>> RING_SHIFT]![(r & RING_MASK) * n + h] = t;
    c.failHead[o] = h + 1 === n ? 0 : h + 1;
  }

  /** Whether the slot's last `n` failures all lie in (now - period, now]. */
  full(c: SourceCols, o: number, now: number, period: number): boolean {
    const n = this.n;
    const h = c.failHead[o]!;
    if (n <= 2) return within(now, h === 0 ? c.fail0[o]! : c.fail1[o]!, period);
    const r = c.ringOf[o]! - 1;
    return r >= 0 && within(now, this.rings[r >>> RING_SHIFT]![(r & RING_MASK) * n + h]!, period);
  }

  /** Failures within (now - period, now] (near-miss reporting only). */
  countWithin(c: SourceCols, o: number, now: number, period: number): number {
    let k = 0;
    for (const t of this.ring(c, o)) if (within(now, t, period)) k++;
    return k;
  }

  /** Mean and coefficient of variation of the failures' intervals (window.ts). */
  intervals(c: SourceCols, o: number): { mean: number; cv: number } {
    return ringIntervals(this.ring(c, o), c.failHead[o]!);
  }

  /** Gives the slot's ring back to the slab (the slot is being freed). */
  release(c: SourceCols, o: number): void {
    const r = c.ringOf[o]! - 1;
    if (r >= 0) {
      this.rings[r >>> RING_SHIFT]![(r & RING_MASK) * this.n] = this.ringFree;
      this.ringFree = r;
    }
    c.ringOf[o] = 0;
  }

  /** The times as window.ts's rings are (unused slots -Infinity), in a reused array. */
  private ring(c: SourceCols, o: number): number[] {
    const n = this.n;
    const out = this.scratch;
    out.length = n;
    const r = c.ringOf[o]! - 1;
    if (r >= 0) {
      const ring = this.rings[r >>> RING_SHIFT]!;
      const base = (r & RING_MASK) * n;
      for (let i = 0; i < n; i++) out[i] = ring[base + i]!;
      return out;
    }
    out.fill(Number.NEGATIVE_INFINITY);
    const used = n <= 2 ? n : c.failHead[o]!;
    if (used > 0) out[0] = c.fail0[o]!;
    if (used > 1) out[1] = c.fail1[o]!;
    return out;
  }

  /** A ring from the slab: the last freed one, else a new one (a new chunk when full). */
  private newRing(): number {
    const r = this.ringFree;
    if (r >= 0) {
      this.ringFree = this.rings[r >>> RING_SHIFT]![(r & RING_MASK) * this.n]!;
      return r;
    }
    if (this.ringTop === this.rings.length * RING_CHUNK) {
      this.rings.push(new Float64Array(RING_CHUNK * this.n));
    }
    return this.ringTop++;
  }
}

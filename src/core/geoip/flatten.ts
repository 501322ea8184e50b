/**
 * Nested and overlapping ranges → disjoint sorted ranges. The upstream merge leaves an
 * outer range intact around the more precise rows inside it (e.g. a DE /23 holding one
 * BE address), so every address must take the MOST SPECIFIC (smallest) range that
 * contains it. Equal-sized overlapping ranges are decided by input order: the later
 * row wins, which keeps the result deterministic.
 */
import type { GeoRange } from './csv.js';

/** Min-heap of range indices: smallest size first, then the later row. */
class SpecificityHeap {
  private readonly items: number[] = [];
  constructor(private readonly sizes: readonly bigint[]) {}

  get size(): number {
    return this.items.length;
  }

  top(): number {
    return this.items[0] as number;
  }

  private better(a: number, b: number): boolean {
    const sa = this.sizes[a] as bigint;
    const sb = this.sizes[b] as bigint;
    return sa < sb || (sa === sb && a > b);
  }

  push(x: number): void {
    const h = this.items;
    let k = h.length;
    h.push(x);
    while (k > 0) {
      const parent = (k - 1) >> 1;
      const p = h[parent] as number;
      if (!this.better(x, p)) break;
      h[k] = p;
      k = parent;
    }
    h[k] = x;
  }

  pop(): void {
    const h = this.items;
    const last = h.pop() as number;
    if (h.length === 0) return;
    let k = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * k + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.better(h[r] as number, h[l] as number)) c = r;
      if (!this.better(h[c] as number, last)) break;
      h[k] = h[c] as number;
      k = c;
    }
    h[k] = last;
  }
}

/**
 * Disjoint ranges in ascending order, each address carrying the country of the smallest
 * input range containing it; adjacent ranges of the same country are merged.
 * O(n log n): the sweep stops only at range starts and at the end of the winning range.
 */
export function flatten(ranges: readonly GeoRange[]): GeoRange[] {
  const n = ranges.length;
  if (n === 0) return [];
  const starts = ranges.map((r) => r.start);
  const ends = ranges.map((r) => r.end);
  const sizes = ranges.map((r) => r.end - r.start);
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((x, y) => {
    const a = starts[x] as bigint;
    const b = starts[y] as bigint;
    return a < b ? -1 : a > b ? 1 : x - y;
  });

  const out: GeoRange[] = [];
  const emit = (start: bigint, end: bigint, country: string) => {
    const last = out[out.length - 1];
    if (last && last.country === country && last.end + 1n === start) last.end = end;
    else out.push({ start, end, country });
  };

  const heap = new SpecificityHeap(sizes);
  let i = 0;
  let p = starts[order[0] as number] as bigint;
  for (;;) {
    while (i < n && (starts[order[i] as number] as bigint) <= p) heap.push(order[i++] as number);
    while (heap.size > 0 && (ends[heap.top()] as bigint) < p) heap.pop();
    if (heap.size === 0) {
      if (i >= n) break;
      p = starts[order[i] as number] as bigint;
      continue;
    }
    const win = heap.top();
    let segEnd = ends[win] as bigint;
    if (i < n) {
      const beforeNext = (starts[order[i] as number] as bigint) - 1n;
      if (beforeNext < segEnd) segEnd = beforeNext;
    }
    emit(p, segEnd, (ranges[win] as GeoRange).country);
    p = segEnd + 1n;
  }
  return out;
}

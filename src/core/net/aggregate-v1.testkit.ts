/**
 * Test support: core/net/aggregate.ts as it was before its IPv4 path stopped using bigint
 * (aggregate.ts at 39607ce, verbatim but for this header). export-v1.testkit.ts computes the
 * pre-issue-13 export with it, so export-equivalence.test.ts holds the new CIDR arithmetic
 * to the old one byte for byte. Not production code; never edit to match.
 */

import { type Family, formatNetwork, type Network } from './ip.js';
import { addressToBigint, rangePrefixes } from './ip-range.js';

/** A closed range of addresses of one family, as integers. */
interface Interval {
  start: bigint;
  end: bigint;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

function intervalOf(n: Network): Interval {
  const start = addressToBigint(n.bytes);
  const size = 1n << BigInt(BITS[n.family] - n.prefix);
  return { start, end: start + size - 1n };
}

/** Sorted, overlapping and adjacent intervals merged into one. */
function merged(intervals: Interval[]): Interval[] {
  const sorted = intervals.slice().sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: Interval[] = [];
  for (const iv of sorted) {
    const last = out[out.length - 1];
    if (last && iv.start <= last.end + 1n) {
      if (iv.end > last.end) last.end = iv.end;
    } else out.push({ ...iv });
  }
  return out;
}

/** Index of the first interval of `sorted` (merged, disjoint) whose end is >= `at`. */
function firstEndingAtOrAfter(sorted: Interval[], at: bigint): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]!.end < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `iv` minus the disjoint sorted `holes`, in address order. */
function cut(iv: Interval, holes: Interval[]): Interval[] {
  const out: Interval[] = [];
  let from = iv.start;
  for (let i = firstEndingAtOrAfter(holes, iv.start); i < holes.length; i++) {
    const h = holes[i]!;
    if (h.start > iv.end) break;
    if (h.start > from) out.push({ start: from, end: h.start - 1n });
    from = h.end + 1n;
    if (from > iv.end) return out;
  }
  if (from <= iv.end) out.push({ start: from, end: iv.end });
  return out;
}

function networksOf(iv: Interval, family: Family): Network[] {
  return rangePrefixes(iv.start, iv.end, family).map(({ start, prefix }) => networkAt(start, prefix, family));
}

function networkAt(start: bigint, prefix: number, family: Family): Network {
  const n = family === 4 ? 4 : 16;
  const bytes = new Uint8Array(n);
  let v = start;
  for (let i = n - 1; i >= 0; i--) {
    bytes[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return { family, bytes, prefix, text: formatNetwork({ bytes, prefix }) };
}

function byFamily(nets: readonly Network[], family: Family): Interval[] {
  const out: Interval[] = [];
  for (const n of nets) if (n.family === family) out.push(intervalOf(n));
  return out;
}

/**
 * The fewest prefixes that cover every address of `include` and none of `exclude`:
 * contained networks vanish into their container, adjacent ones merge (two /25 → one /24),
 * allowed addresses are cut out. IPv4 first, then IPv6, each in address order.
 */
export function aggregate(include: readonly Network[], exclude: readonly Network[] = []): Network[] {
  const out: Network[] = [];
  for (const family of [4, 6] as const) {
    const holes = merged(byFamily(exclude, family));
    for (const iv of merged(byFamily(include, family))) {
      for (const part of cut(iv, holes)) out.push(...networksOf(part, family));
    }
  }
  return out;
}

/**
 * Builds the subtraction of `exclude` once, for many networks: each network comes back
 * whole when no excluded address is inside it, else as the prefixes of what remains
 * (empty when all of it is excluded).
 */
export function subtractor(exclude: readonly Network[]): (net: Network) => Network[] {
  const holes: Record<Family, Interval[]> = {
    4: merged(byFamily(exclude, 4)),
    6: merged(byFamily(exclude, 6)),
  };
  return (net) => {
    const iv = intervalOf(net);
    const h = holes[net.family];
    const i = firstEndingAtOrAfter(h, iv.start);
    if (i >= h.length || h[i]!.start > iv.end) return [net];
    return cut(iv, h).flatMap((part) => networksOf(part, net.family));
  };
}

/** The first and last address of a network as integers (for sweeps over sorted prefixes). */
export function rangeOf(net: Network): { start: bigint; end: bigint } {
  return intervalOf(net);
}

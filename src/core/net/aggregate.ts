/**
 * CIDR arithmetic for the blocklist export (issue 15 item 7): the union of blocked
 * networks minus the allowed ones, as the fewest prefixes (`aggregate`), or each blocked
 * network on its own with only the allowed parts cut out (`subtract`).
 *
 * Allow beats everything, so an allowed address is never inside an exported prefix:
 * deny 192.168.50.0/24 + allow 192.168.50.15 exports the 8 prefixes around .15 (.0/29,
 * .8/30, .12/31, .14, .16/28, .32/27, .64/26, .128/25), never the /24. Both work on closed
 * integer intervals per family (bigint: IPv6 is 128 bits) and cut the result into aligned
 * blocks with ip-range.ts's rangePrefixes, which is exact: the prefixes cover precisely
 * the addresses of the interval. IPv4 takes a numeric path: a 32-bit address, even the
 * 2^32 just past 255.255.255.255, is exact in a JS number, so there the intervals are
 * plain numbers, sorted as a Float64Array of start·64 + prefix (no comparator calls) and
 * cut with Math.clz32; the bigint path (generic over 128 bits) is kept for IPv6. For 1M
 * dynamic blocks the bigint arithmetic was most of the 26–27 s aggregated export
 * (bench/RESULTS.md "Aggregated export"); the output is the same, byte for byte
 * (export-equivalence.test.ts against aggregate-v1.testkit.ts).
 */

import { u32be } from './bytes.js';
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

/** Index of the first interval of `sorted` (merged, disjoint) whose end is >= `at` (bigint or IPv4 number). */
function firstEndingAtOrAfter<T extends bigint | number>(sorted: ReadonlyArray<{ end: T }>, at: T): number {
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
  const holes4 = merged4(exclude);
  for (const iv of merged4(include)) for (const part of cut4(iv, holes4)) prefixes4(part, out);
  const holes = merged(byFamily(exclude, 6));
  for (const iv of merged(byFamily(include, 6))) {
    for (const part of cut(iv, holes)) out.push(...networksOf(part, 6));
  }
  return out;
}

/**
 * Builds the subtraction of `exclude` once, for many networks: each network comes back
 * whole when no excluded address is inside it, else as the prefixes of what remains
 * (empty when all of it is excluded).
 */
export function subtractor(exclude: readonly Network[]): (net: Network) => Network[] {
  const holes4 = merged4(exclude);
  const holes6 = merged(byFamily(exclude, 6));
  return (net) => {
    if (net.family === 4) {
      const iv = interval4(net);
      const i = firstEndingAtOrAfter(holes4, iv.start);
      if (i >= holes4.length || holes4[i]!.start > iv.end) return [net];
      const out: Network[] = [];
      for (const part of cut4(iv, holes4)) prefixes4(part, out);
      return out;
    }
    const iv = intervalOf(net);
    const i = firstEndingAtOrAfter(holes6, iv.start);
    if (i >= holes6.length || holes6[i]!.start > iv.end) return [net];
    return cut(iv, holes6).flatMap((part) => networksOf(part, 6));
  };
}

/**
 * The first and last address of a network as integers (for sweeps over sorted prefixes):
 * numbers for IPv4, bigints for IPv6. Compare only ranges of one family.
 */
export function rangeOf(net: Network): Interval4 | Interval {
  return net.family === 4 ? interval4(net) : intervalOf(net);
}

// ---- IPv4 as numbers: the same steps as the bigint ones above, without a bigint. ----

/** A closed range of IPv4 addresses, 0 ≤ start ≤ end ≤ 2^32 − 1. */
interface Interval4 {
  start: number;
  end: number;
}

function interval4(n: Network): Interval4 {
  const start = u32be(n.bytes);
  return { start, end: start + 2 ** (32 - n.prefix) - 1 };
}

/**
 * The IPv4 networks of `nets` merged (overlapping and adjacent ones), in address order.
 * Sorted on start·64 + prefix in a Float64Array (< 2^38: exact), a numeric sort without
 * a comparator; a network's end follows from its start and prefix.
 */
function merged4(nets: readonly Network[]): Interval4[] {
  let n = 0;
  for (const net of nets) if (net.family === 4) n++;
  const keys = new Float64Array(n);
  let k = 0;
  for (const net of nets) if (net.family === 4) keys[k++] = u32be(net.bytes) * 64 + net.prefix;
  keys.sort();
  const out: Interval4[] = [];
  let last: Interval4 | undefined;
  for (let i = 0; i < n; i++) {
    const prefix = keys[i]! % 64;
    const start = (keys[i]! - prefix) / 64;
    const end = start + 2 ** (32 - prefix) - 1;
    if (last && start <= last.end + 1) {
      if (end > last.end) last.end = end;
    } else {
      last = { start, end };
      out.push(last);
    }
  }
  return out;
}

function cut4(iv: Interval4, holes: Interval4[]): Interval4[] {
  if (holes.length === 0) return [iv];
  const out: Interval4[] = [];
  let from = iv.start;
  for (let i = firstEndingAtOrAfter(holes, iv.start); i < holes.length; i++) {
    const h = holes[i]!;
    if (h.start > iv.end) break;
    if (h.start > from) out.push({ start: from, end: h.start - 1 });
    from = h.end + 1;
    if (from > iv.end) return out;
  }
  if (from <= iv.end) out.push({ start: from, end: iv.end });
  return out;
}

/**
 * The fewest aligned blocks covering `iv` exactly, appended to `out` (rangePrefixes in
 * numbers): at each step the largest block aligned at the start that does not pass the end.
 * `s & -s` keeps the lowest set bit (ToInt32 keeps the low 32 bits, 2^31 included).
 */
function prefixes4(iv: Interval4, out: Network[]): void {
  let s = iv.start;
  while (s <= iv.end) {
    const aligned = s === 0 ? 32 : 31 - Math.clz32(s & -s);
    const len = iv.end - s + 1;
    const fits = len >= 2 ** 32 ? 32 : 31 - Math.clz32(len);
    const size = Math.min(aligned, fits);
    const bytes = Uint8Array.of(s >>> 24, (s >>> 16) & 255, (s >>> 8) & 255, s & 255);
    const prefix = 32 - size;
    out.push({ family: 4, bytes, prefix, text: formatNetwork({ bytes, prefix }) });
    s += 2 ** size;
  }
}

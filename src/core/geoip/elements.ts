/** nftables elements for geo ranges: single addresses, prefixes, or a-b ranges. */

import type { Family } from '../net/ip.js';
import { bitLength, formatBigint as fmt, rangePrefixes } from '../net/ip-range.js';

/** Minimal CIDR cover of [start, end]: the largest aligned block at each step. */
export function rangeToCidrs(start: bigint, end: bigint, family: Family): string[] {
  return rangePrefixes(start, end, family).map((p) => `${fmt(p.start, family)}/${p.prefix}`);
}

/** One nft element for [start, end]: a single address, one prefix, or a range. */
export function rangeElement(start: bigint, end: bigint, family: Family): string {
  if (start === end) return fmt(start, family);
  const bits = family === 4 ? 32 : 128;
  const span = end - start + 1n;
  if ((span & (span - 1n)) === 0n && (start & (span - 1n)) === 0n) {
    return `${fmt(start, family)}/${bits - (bitLength(span) - 1)}`;
  }
  return `${fmt(start, family)}-${fmt(end, family)}`;
}

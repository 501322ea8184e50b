/**
 * Address ranges as integers (IPv4 in 32 bits, IPv6 in 128, as bigint): the arithmetic
 * that the geo-IP table and the firewall's set layout share. Text goes through ip.ts's one
 * formatter (formatAddress), so a range's bounds read exactly like a parsed address.
 */

import { u32be } from './bytes.js';
import { type Family, formatAddress } from './ip.js';

/** Address bytes (4 or 16, network order) → integer. */
export function addressToBigint(bytes: Uint8Array): bigint {
  // 32-bit words: a quarter of the bigint operations of a byte loop (snapshots parse 100k+).
  let v = 0n;
  for (let i = 0; i < bytes.length; i += 4) {
    v = (v << 32n) | BigInt(u32be(bytes, i));
  }
  return v;
}

/** Integer → address bytes of the family (4 or 16, network order). */
function bigintToAddress(value: bigint, family: Family): Uint8Array {
  const n = family === 4 ? 4 : 16;
  const out = new Uint8Array(n);
  let v = value;
  for (let i = n - 4; i >= 0; i -= 4) {
    const word = Number(v & 0xffffffffn);
    out[i] = word >>> 24;
    out[i + 1] = (word >>> 16) & 255;
    out[i + 2] = (word >>> 8) & 255;
    out[i + 3] = word & 255;
    v >>= 32n;
  }
  return out;
}

/** Canonical text of an address given as an integer (dotted quad, RFC 5952). */
export function formatBigint(value: bigint, family: Family): string {
  return formatAddress({ bytes: bigintToAddress(value, family) });
}

export function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/** Trailing zero bits of v (v > 0); `cap` for v = 0. */
function trailingZeros(v: bigint, cap: number): number {
  return v === 0n ? cap : bitLength(v & -v) - 1;
}

/**
 * The fewest aligned blocks that cover [start, end] exactly, in address order: at each
 * step the largest block aligned at the current start that does not pass the end.
 */
export function rangePrefixes(
  start: bigint,
  end: bigint,
  family: Family,
): Array<{ start: bigint; prefix: number }> {
  const bits = family === 4 ? 32 : 128;
  const out: Array<{ start: bigint; prefix: number }> = [];
  let s = start;
  while (s <= end) {
    const size = Math.min(trailingZeros(s, bits), bitLength(end - s + 1n) - 1);
    out.push({ start: s, prefix: bits - size });
    s += 1n << BigInt(size);
  }
  return out;
}

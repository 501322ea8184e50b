/**
 * Address ranges as integers (IPv4 in 32 bits, IPv6 in 128, as bigint): the arithmetic
 * that the geo-IP table and the firewall's set layout share.
 */

export function bitLength(v: bigint): number {
  return v === 0n ? 0 : v.toString(2).length;
}

/** Trailing zero bits of v (v > 0); `cap` for v = 0. */
export function trailingZeros(v: bigint, cap: number): number {
  return v === 0n ? cap : bitLength(v & -v) - 1;
}

/**
 * The fewest aligned blocks that cover [start, end] exactly, in address order: at each
 * step the largest block aligned at the current start that does not pass the end.
 */
export function rangePrefixes(
  start: bigint,
  end: bigint,
  family: 4 | 6,
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

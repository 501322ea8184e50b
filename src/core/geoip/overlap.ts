/**
 * Which countries a table gives to the addresses of a range, found by binary search on
 * the segment arrays (no full scan: ~20 probes and a walk over the segments inside the
 * range). Used for the special-purpose check at load (core/geoip/reserved.ts) and by the
 * country guard (a LAN or an allow entry's neighbours inside a country being blocked).
 */
import type { Family } from '../net/ip.js';
import { V4_MAX, V6_MAX } from './addr.js';
import { NO_COUNTRY } from './segments.js';
import type { GeoTable } from './table.js';

export interface CountryPart {
  country: string;
  /** The first part of the range this country holds (inclusive). */
  start: bigint;
  end: bigint;
}

interface Segments {
  n: number;
  start(i: number): bigint;
  cc: Uint16Array;
  max: bigint;
}

function segments(table: GeoTable, family: Family): Segments {
  if (family === 4) {
    const s = table.v4Starts;
    return { n: s.length, start: (i) => BigInt(s[i]!), cc: table.v4Country, max: V4_MAX };
  }
  const w = table.v6Words;
  const n = table.v6Country.length;
  return {
    n,
    start: (i) =>
      (BigInt(w[i]!) << 96n) |
      (BigInt(w[n + i]!) << 64n) |
      (BigInt(w[2 * n + i]!) << 32n) |
      BigInt(w[3 * n + i]!),
    cc: table.v6Country,
    max: V6_MAX,
  };
}

/** Every country with addresses in [start, end], each with the first part it holds; at most `limit` segments walked. */
export function countriesWithin(
  table: GeoTable,
  family: Family,
  start: bigint,
  end: bigint,
  limit = 1_000_000,
): CountryPart[] {
  const seg = segments(table, family);
  if (seg.n === 0) return [];
  let lo = 0;
  let hi = seg.n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (seg.start(mid) <= start) lo = mid;
    else hi = mid - 1;
  }
  const out = new Map<string, CountryPart>();
  for (let i = lo, walked = 0; i < seg.n && walked < limit; i++, walked++) {
    const s = seg.start(i);
    if (s > end) break;
    const c = seg.cc[i]!;
    if (c === NO_COUNTRY) continue;
    const country = table.countries[c]!;
    if (out.has(country)) continue;
    const segEnd = i + 1 < seg.n ? seg.start(i + 1) - 1n : seg.max;
    out.set(country, { country, start: s > start ? s : start, end: segEnd < end ? segEnd : end });
  }
  return [...out.values()];
}

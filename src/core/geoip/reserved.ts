/**
 * No special-purpose address maps to a country (issue 10 item 6). The upstream data said
 * 192.168.1.1, 172.16.0.1 and 203.0.113.7 were AU and 2001:db8::1 JP, so
 * BLOCKED_COUNTRIES=AU dropped the whole LAN and its admin. Every range of the IANA
 * special-purpose registries (core/net/special.ts: RFC 1918, 100.64/10, loopback,
 * link-local, documentation, benchmarking, multicast, 240/4, ULA, fe80::/10, 2001:db8::/32,
 * 6to4, TEREDO, NAT64, ...) is cut out:
 * - of every update, after flattening (core/geoip/validate.ts), with a warning naming what
 *   was cut;
 * - of every table loaded (shipped or from an older STATE_DIR), when a probe finds one;
 * - of the shipped table itself (src/geoip/build-shipped.ts, data/geoip/README.md).
 */
import type { Family } from '../net/ip.js';
import { addressToBigint } from '../net/ip-range.js';
import { type SpecialRange, specialRanges } from '../net/special.js';
import type { GeoRange } from './csv.js';
import { countriesWithin } from './overlap.js';
import { GeoTable } from './table.js';

interface Bounds {
  start: bigint;
  end: bigint;
  special: SpecialRange;
}

/** A country the table gave inside a special-purpose range. */
export interface ReservedHit {
  special: SpecialRange;
  country: string;
}

let cache: Record<Family, Bounds[]> | null = null;

/** The special ranges of a family as integer bounds, ascending, outer ranges merged over inner ones. */
function bounds(family: Family): Bounds[] {
  if (!cache) {
    const all: Record<Family, Bounds[]> = { 4: [], 6: [] };
    for (const special of specialRanges()) {
      const n = special.network;
      const start = addressToBigint(n.bytes);
      const size = 1n << BigInt(n.bytes.length * 8 - n.prefix);
      all[n.family].push({ start, end: start + size - 1n, special });
    }
    for (const f of [4, 6] as const)
      all[f].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    cache = all;
  }
  return cache[family];
}

/** The flattened ranges with every special-purpose range cut out, and what was cut. */
export function cutReserved(
  ranges: readonly GeoRange[],
  family: Family,
): { ranges: GeoRange[]; hits: ReservedHit[] } {
  const cuts = bounds(family);
  const out: GeoRange[] = [];
  const hits = new Map<string, ReservedHit>();
  for (const r of ranges) {
    let pieces: GeoRange[] = [{ ...r }];
    for (const c of cuts) {
      if (c.end < r.start || c.start > r.end) continue;
      const next: GeoRange[] = [];
      for (const p of pieces) {
        if (c.end < p.start || c.start > p.end) {
          next.push(p);
          continue;
        }
        hits.set(`${c.special.network.text} ${r.country}`, { special: c.special, country: r.country });
        if (p.start < c.start) next.push({ start: p.start, end: c.start - 1n, country: p.country });
        if (p.end > c.end) next.push({ start: c.end + 1n, end: p.end, country: p.country });
      }
      pieces = next;
    }
    out.push(...pieces);
  }
  return { ranges: out, hits: [...hits.values()] };
}

/** Countries the table gives inside special-purpose ranges (binary search: fast enough for every load). */
export function reservedHits(table: GeoTable): ReservedHit[] {
  const out: ReservedHit[] = [];
  for (const f of [4, 6] as const) {
    for (const b of bounds(f)) {
      for (const part of countriesWithin(table, f, b.start, b.end))
        out.push({ special: b.special, country: part.country });
    }
  }
  return out;
}

/** The table without country data in special-purpose ranges (the same table when it has none). */
export function withoutReserved(table: GeoTable): { table: GeoTable; hits: ReservedHit[] } {
  const hits = reservedHits(table);
  if (hits.length === 0) return { table, hits };
  const v4 = cutReserved(table.toRanges(4), 4).ranges;
  const v6 = cutReserved(table.toRanges(6), 6).ranges;
  return { table: GeoTable.fromRanges(v4, v6), hits };
}

/** "192.168.0.0/16 (private use) said AU; 2001:db8::/32 (documentation) said JP" — at most `max` named. */
export function describeHits(hits: readonly ReservedHit[], max = 4): string {
  const named = hits
    .slice(0, max)
    .map((h) => `${h.special.network.text} (${h.special.name}) said ${h.country}`);
  const more = hits.length > max ? `; ${hits.length - max} more` : '';
  return `${named.join('; ')}${more}`;
}

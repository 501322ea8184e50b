/**
 * The admin views' summary of the geo-IP database: an address's country, and how many
 * ranges BLOCKED_COUNTRIES puts into the kernel, computed once per database and country
 * list rather than per status request (rangesFor walks all ~550,000 ranges of the shipped
 * table: ~175 ms for US here).
 */
import { countriesWithin } from '../core/geoip/overlap.js';
import type { GeoTable } from '../core/geoip/table.js';
import { parseNetwork } from '../core/net/ip.js';
import { addressToBigint } from '../core/net/ip-range.js';
import type { Config } from '../core/types.js';
import type { GeoInfo } from './local-admin.js';

/** What this reads of a geo-IP database (geoip/database.ts GeoDatabase has it). */
export interface GeoSource {
  readonly meta: { source: string; date: string; origin: string; loadedAt: number };
  readonly table: GeoTable;
  country(ip: string): string | null;
}

/** What the admin views need of the geo-IP database: a country per address, and a summary. */
export function geoInfo(db: GeoSource, config: Pick<Config, 'blockedCountries'>): GeoInfo {
  let cached: { key: string; ranges: number } | null = null;
  return {
    country: (ip) => db.country(ip),
    countriesIn: (network) => countriesIn(db.table, network),
    countries: () => {
      const key = `${db.meta.date}|${db.meta.loadedAt}|${config.blockedCountries.join(',')}`;
      if (cached?.key !== key) {
        const r = db.table.rangesFor(config.blockedCountries);
        cached = { key, ranges: r.v4.length + r.v6.length };
      }
      return {
        blocked: config.blockedCountries,
        ranges: cached.ranges,
        database: `${db.meta.source} (${db.meta.date}, ${db.meta.origin})`,
      };
    },
  };
}

/** Every country with addresses in `network` (binary search on the table: fast for a /24 or a /8). */
export function countriesIn(table: GeoTable, network: string): string[] {
  const n = parseNetwork(network);
  if (!n) return [];
  const start = addressToBigint(n.bytes);
  const end = start + (1n << BigInt(n.bytes.length * 8 - n.prefix)) - 1n;
  return countriesWithin(table, n.family, start, end).map((p) => p.country);
}

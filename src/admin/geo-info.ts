import type { Config } from '../core/types.js';
import type { GeoDatabase } from '../geoip/database.js';
import type { GeoInfo } from './local-admin.js';

/** What the admin views need of the geo-IP database: a country per address, and a summary. */
export function geoInfo(db: GeoDatabase, config: Pick<Config, 'blockedCountries'>): GeoInfo {
  let cached: { key: string; ranges: number } | null = null;
  return {
    country: (ip) => db.country(ip),
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

/**
 * Geo-IP core: CSV rows → flattened ranges → compact GeoTable → lookups and the
 * nftables elements of chosen countries. Pure: the adapters in src/geoip/ read files,
 * download updates and keep the current table.
 */
export {
  formatV4,
  formatV6,
  type GeoFamily,
  parseV4,
  parseV6,
  parseV6Words,
} from './geo/addr.js';
export { decodeGeoBin, encodeGeoBin, type GeoDataMeta, isGeoBin } from './geo/bin.js';
export {
  type GeoCsvAnyResult,
  type GeoCsvError,
  type GeoCsvResult,
  type GeoRange,
  MAX_REPORTED_ERRORS,
  parseGeoCsv,
  parseGeoCsvAny,
} from './geo/csv.js';
export { flatten } from './geo/flatten.js';
export { type CountryRanges, GeoTable, NO_COUNTRY, rangeElement, rangeToCidrs } from './geo/table.js';

import type { GeoRange } from './geo/csv.js';
import { flatten } from './geo/flatten.js';
import { GeoTable } from './geo/table.js';

/** Raw (possibly nested, unsorted) ranges of both families → a lookup table. */
export function buildGeoTable(v4: readonly GeoRange[], v6: readonly GeoRange[]): GeoTable {
  return GeoTable.fromRanges(flatten(v4), flatten(v6));
}

/** rangesFor(table, ['US']) — the nft interval-set elements of the countries. */
export function rangesFor(table: GeoTable, countries: readonly string[]) {
  return table.rangesFor(countries);
}

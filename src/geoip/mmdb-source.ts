/**
 * GEOIP_MMDB as a table source: the admin's .mmdb read (mmdb.ts), checked exactly like a
 * CSV update (core/geoip/validate.ts: nothing empty, no family collapsing below half of
 * the table in use, unknown codes dropped only when few, special-purpose ranges cut) and
 * turned into the same GeoTable the shipped data gives. The result carries the file's
 * mtime, so the daemon re-reads it only when geoipupdate (or the admin) replaced it.
 */

import { SipprotError } from '../core/errors.js';
import type { GeoDataMeta } from '../core/geoip/bin.js';
import { GeoTable } from '../core/geoip/table.js';
import { checkGeoUpdate } from '../core/geoip/validate.js';
import { readMmdb } from './mmdb.js';

export interface MmdbTable {
  table: GeoTable;
  meta: GeoDataMeta;
  mtimeMs: number;
  warnings: string[];
}

/**
 * The table of the .mmdb at `path`. `current`: the range counts of the table it would
 * replace (0 = no collapse check: the first load). Throws SP_ERR_GEOIP saying why.
 */
export async function tableFromMmdb(
  path: string,
  current: { v4Ranges: number; v6Ranges: number },
  minRatio?: number,
): Promise<MmdbTable> {
  const r = await readMmdb(path);
  const check = checkGeoUpdate([{ what: path, parsed: r.parsed }], {
    current,
    ...(minRatio !== undefined ? { minRatio } : {}),
  });
  if (!check.ok) throw new SipprotError('SP_ERR_GEOIP', `GEOIP_MMDB refused: ${check.reason}`);
  if (!check.v4) throw new SipprotError('SP_ERR_GEOIP', `GEOIP_MMDB refused: ${path} has no IPv4 countries`);
  const table = GeoTable.fromRanges(check.v4, check.v6 ?? []);
  const warnings = [...check.warnings];
  if (!check.v6) warnings.push(`${path} has no IPv6 countries: IPv6 addresses have no country`);
  return {
    table,
    meta: { source: `${r.type} (${path})`, date: r.date, v4Ranges: table.v4Ranges, v6Ranges: table.v6Ranges },
    mtimeMs: r.mtimeMs,
    warnings,
  };
}

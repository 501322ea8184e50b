/**
 * A MaxMind DB (`.mmdb`) the admin brings (GEOIP_MMDB, issue 15 item 6): GeoLite2/GeoIP2
 * Country or City, DB-IP Country Lite, the ip-location-db country files. Read with mmdb-lib
 * (the reader under npm `maxmind`, MIT): it checks the metadata and decodes the data records;
 * the whole tree is walked by core/geoip/mmdb-tree.ts. The result is the same parsed rows as
 * a CSV update, so it passes the same checks (core/geoip/validate.ts: empty or collapsing
 * data refused, unknown codes dropped, special-purpose ranges cut) and becomes the same
 * GeoTable as the shipped data.
 *
 * Country of a network: `country.iso_code`, else `registered_country.iso_code` (MaxMind
 * leaves `country` out for some anycast and satellite networks), else a flat
 * `country_code` (ip-location-db). Networks without any are "no country".
 */
import { readFile, stat } from 'node:fs/promises';
import { Reader } from 'mmdb-lib';
import { SipprotError } from '../core/errors.js';
import { isCountryCode } from '../core/geoip/countries.js';
import type { GeoCsvAnyResult, GeoRange } from '../core/geoip/csv.js';
import { type MmdbLeaf, mmdbLeaves } from '../core/geoip/mmdb-tree.js';
import type { Family } from '../core/net/ip.js';
import { formatBigint } from '../core/net/ip-range.js';

/** GeoLite2-Country is ~9 MB, GeoLite2-City ~70 MB, DB-IP City Lite ~130 MB. */
const MAX_MMDB_BYTES = 256 * 1024 * 1024;

export interface MmdbRead {
  parsed: GeoCsvAnyResult;
  /** metadata database_type, e.g. GeoLite2-Country, DBIP-Country-Lite. */
  type: string;
  /** metadata build_epoch as YYYY-MM-DD: the data's date. */
  date: string;
  mtimeMs: number;
}

const fail = (path: string, why: string, cause?: unknown) =>
  new SipprotError('SP_ERR_GEOIP', `${path}: ${why}`, cause === undefined ? {} : { cause });

type Rec = Record<string, unknown> | null;

function codeOf(rec: Rec): string | null {
  if (!rec || typeof rec !== 'object') return null;
  for (const k of ['country', 'registered_country']) {
    const iso = (rec[k] as Rec)?.iso_code;
    if (typeof iso === 'string') return iso.toUpperCase();
  }
  return typeof rec.country_code === 'string' ? rec.country_code.toUpperCase() : null;
}

/** Adjacent leaves of one country become one range; codes not two letters are reported. */
function rangesOf(
  leaves: readonly MmdbLeaf[],
  country: (l: MmdbLeaf, family: Family) => string | null,
  family: Family,
  errors: GeoCsvAnyResult['errors'],
): { ranges: GeoRange[]; countryErrors: number } {
  const ranges: GeoRange[] = [];
  let countryErrors = 0;
  for (const l of leaves) {
    const cc = country(l, family);
    if (cc === null) continue;
    if (!isCountryCode(cc)) {
      // Old MaxMind files say EU or AP for a continent: counted, and dropped if few.
      countryErrors++;
      if (errors.length < 50) {
        errors.push({
          line: 0,
          kind: 'country',
          reason: `country '${cc.slice(0, 8)}' is not an ISO 3166-1 code we know`,
        });
      }
      continue;
    }
    const last = ranges[ranges.length - 1];
    if (last && last.country === cc && last.end + 1n === l.start) last.end = l.end;
    else ranges.push({ start: l.start, end: l.end, country: cc });
  }
  return { ranges, countryErrors };
}

/** Reads and walks the file; SP_ERR_GEOIP naming it when it is missing, too big or not a MaxMind DB. */
export async function readMmdb(path: string): Promise<MmdbRead> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch (e) {
    throw fail(path, `cannot read: ${(e as Error).message}`, e);
  }
  if (!st.isFile()) throw fail(path, 'not a regular file');
  if (st.size > MAX_MMDB_BYTES)
    throw fail(path, `${st.size} bytes is more than the ${MAX_MMDB_BYTES}-byte limit`);
  const bytes = await readFile(path);
  let reader: Reader<Record<string, unknown>>;
  try {
    reader = new Reader(bytes);
  } catch (e) {
    throw fail(path, `not a MaxMind DB (${(e as Error).message})`, e);
  }
  const m = reader.metadata;
  const leaves = mmdbLeaves({
    bytes,
    nodeCount: m.nodeCount,
    recordSize: m.recordSize,
    ipVersion: m.ipVersion,
  });
  // One decode per distinct data record (a country DB has a few hundred), by the library.
  const byPointer = new Map<number, string | null>();
  const country = (l: MmdbLeaf, family: Family) => {
    let cc = byPointer.get(l.pointer);
    if (cc === undefined) {
      let rec: Rec;
      try {
        rec = reader.get(formatBigint(l.start, family)) as Rec;
      } catch (e) {
        throw fail(path, `a data record cannot be decoded (${(e as Error).message})`, e);
      }
      cc = codeOf(rec);
      byPointer.set(l.pointer, cc);
    }
    return cc;
  };
  const errors: GeoCsvAnyResult['errors'] = [];
  const v4 = rangesOf(leaves[4], country, 4, errors);
  const v6 = rangesOf(leaves[6], country, 6, errors);
  const epoch =
    m.buildEpoch instanceof Date && !Number.isNaN(m.buildEpoch.getTime()) ? m.buildEpoch : st.mtime;
  return {
    parsed: {
      v4: v4.ranges,
      v6: v6.ranges,
      errors,
      errorCount: v4.countryErrors + v6.countryErrors,
      countryErrors: v4.countryErrors + v6.countryErrors,
      sorted: true,
    },
    type: String(m.databaseType).slice(0, 64),
    date: epoch.toISOString().slice(0, 10),
    mtimeMs: st.mtimeMs,
  };
}

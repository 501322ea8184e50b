/**
 * Tor's geoip files (Debian package tor-geoipdb: /usr/share/tor/geoip and geoip6), the
 * IPFire Location Database converted by Tor's geoip-db-tool: `INTLOW,INTHIGH,CC` for IPv4
 * (addresses as integers), `START,END,CC` for IPv6 (text), inclusive, `#` comments. The
 * shipped table is built from them (src/geoip/build-shipped.ts --tor).
 *
 * Codes that are not a country are left out and counted: `??` (unknown), IPFire's `EU` and
 * `AP` (a region, not a country), retired codes (CS, SU, AN). `UK` is ISO 3166's exceptional
 * reservation for the United Kingdom and becomes GB.
 */
import type { Family } from '../net/ip.js';
import { parseAddr } from './addr.js';
import { isCountryCode } from './countries.js';
import type { GeoCsvAnyResult, GeoRange } from './csv.js';

export interface TorGeoip {
  parsed: GeoCsvAnyResult;
  /** Rows left out, by code. */
  skipped: Record<string, number>;
}

const ALIASES: Record<string, string> = { UK: 'GB' };
const V4_MAX = 0xffffffff;

function bound(text: string, family: Family): bigint | null {
  if (family === 4) {
    if (!/^[0-9]{1,10}$/.test(text)) return null;
    const n = Number(text);
    return n <= V4_MAX ? BigInt(n) : null;
  }
  return parseAddr(text, 6);
}

/** One of the two files (`family` says which) → rows, skipped codes, and malformed lines. */
export function parseTorGeoip(text: string, family: Family): TorGeoip {
  const rows: GeoRange[] = [];
  const skipped: Record<string, number> = {};
  const errors: GeoCsvAnyResult['errors'] = [];
  let errorCount = 0;
  let sorted = true;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(',');
    const start = f.length === 3 ? bound(f[0] as string, family) : null;
    const end = f.length === 3 ? bound(f[1] as string, family) : null;
    if (start === null || end === null || start > end) {
      errorCount++;
      if (errors.length < 50) errors.push({ line: i + 1, kind: 'syntax', reason: 'not START,END,CC' });
      continue;
    }
    const raw = (f[2] as string).trim().toUpperCase();
    const cc = ALIASES[raw] ?? raw;
    if (!isCountryCode(cc)) {
      skipped[raw] = (skipped[raw] ?? 0) + 1;
      continue;
    }
    const last = rows[rows.length - 1];
    if (last && start <= last.end) sorted = false;
    rows.push({ start, end, country: cc });
  }
  return {
    parsed: {
      v4: family === 4 ? rows : [],
      v6: family === 6 ? rows : [],
      errors,
      errorCount,
      countryErrors: 0,
      sorted,
    },
    skipped,
  };
}

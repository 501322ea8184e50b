/**
 * Whether a downloaded country CSV may replace the current table. A bad download must
 * never cost the admin their country blocks, so this errs on the side of refusing:
 * any malformed row, an empty file, or a family whose range count collapses (a
 * truncated download that happens to end on a line break) keeps the old table.
 * Special-purpose ranges are cut out of what passes (reserved.ts), with a warning.
 */
import type { GeoCsvAnyResult, GeoCsvError, GeoRange } from './csv.js';
import { flatten } from './flatten.js';
import { cutReserved, describeHits } from './reserved.js';

interface GeoCheckOptions {
  /** Range counts of the table in use, per family; 0 skips the collapse check. */
  current: { v4Ranges: number; v6Ranges: number };
  /** Refuse a family whose flattened range count falls below this share of the current. */
  minRatio?: number;
  /**
   * Rows with a well-formed but unknown country code (registries still use retired
   * codes such as AN) are dropped when they are at most this share of a file's rows.
   */
  maxUnknownCountryRatio?: number;
}

/** One parsed file and the name (URL or path) messages should use for it. */
export interface GeoSource {
  what: string;
  parsed: GeoCsvAnyResult;
}

type GeoCheck =
  | {
      ok: true;
      /** Flattened ranges; null when no file had rows of that family (keep the current). */
      v4: GeoRange[] | null;
      v6: GeoRange[] | null;
      /** How many rows were dropped for an unknown country code (warnings name them). */
      droppedCount: number;
      warnings: string[];
    }
  | { ok: false; reason: string };

const describe = (errs: readonly GeoCsvError[]) =>
  errs
    .slice(0, 3)
    .map((e) => `line ${e.line}: ${e.reason}`)
    .join('; ');

/** Every file must pass on its own (so line numbers mean something); then the families are merged. */
export function checkGeoUpdate(sources: readonly GeoSource[], opts: GeoCheckOptions): GeoCheck {
  const minRatio = opts.minRatio ?? 0.5;
  const maxUnknown = opts.maxUnknownCountryRatio ?? 0.001;
  if (sources.length === 0) return { ok: false, reason: 'no source given' };
  const warnings: string[] = [];
  const raw: { 4: GeoRange[]; 6: GeoRange[] } = { 4: [], 6: [] };
  let droppedCount = 0;
  for (const { what, parsed } of sources) {
    const syntaxCount = parsed.errorCount - parsed.countryErrors;
    if (syntaxCount > 0) {
      const syntax = parsed.errors.filter((e) => e.kind === 'syntax');
      return {
        ok: false,
        reason: `${what}: ${syntaxCount} malformed row${syntaxCount > 1 ? 's' : ''} (${describe(syntax)})`,
      };
    }
    const good = parsed.v4.length + parsed.v6.length;
    if (good === 0) return { ok: false, reason: `${what}: no ranges in the file (empty download?)` };
    const rows = good + parsed.countryErrors;
    const unknown = parsed.errors.filter((e) => e.kind === 'country');
    if (parsed.countryErrors > Math.max(1, rows * maxUnknown)) {
      return {
        ok: false,
        reason: `${what}: ${parsed.countryErrors} of ${rows} rows have unknown country codes (${describe(unknown)})`,
      };
    }
    if (parsed.countryErrors > 0) {
      droppedCount += parsed.countryErrors;
      warnings.push(
        `${what}: dropped ${parsed.countryErrors} row(s) with unknown country codes (${describe(unknown)})`,
      );
    }
    if (!parsed.sorted) warnings.push(`${what}: rows were not in address order (sorted them)`);
    for (const r of parsed.v4) raw[4].push(r);
    for (const r of parsed.v6) raw[6].push(r);
  }
  const what = sources.map((s) => s.what).join(' + ');
  const out: { v4: GeoRange[] | null; v6: GeoRange[] | null } = { v4: null, v6: null };
  for (const family of [4, 6] as const) {
    if (raw[family].length === 0) continue;
    // No special-purpose range (RFC 1918, documentation, ULA, ...) ever maps to a country.
    const { ranges: flat, hits } = cutReserved(flatten(raw[family]), family);
    if (hits.length > 0) {
      warnings.push(`${what}: special-purpose ranges carry no country; cut ${describeHits(hits)}`);
    }
    const current = family === 4 ? opts.current.v4Ranges : opts.current.v6Ranges;
    if (current > 0 && flat.length < current * minRatio) {
      return {
        ok: false,
        reason: `${what}: IPv${family} would shrink from ${current} to ${flat.length} ranges (below ${Math.round(minRatio * 100)}%); truncated download?`,
      };
    }
    if (family === 4) out.v4 = flat;
    else out.v6 = flat;
  }
  return { ok: true, ...out, droppedCount, warnings };
}

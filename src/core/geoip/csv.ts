/**
 * The ip-location-db country CSV: `start,end,CC` per line, inclusive ranges, IPv4 dotted
 * or IPv6 text. Bad rows are reported with their line number and never stop the parse,
 * so an update can say exactly what is wrong with a download.
 */

import type { Family } from '../net/ip.js';
import { parseAddr } from './addr.js';
import { isCountryCode } from './countries.js';

export interface GeoRange {
  /** First address (inclusive) as an unsigned integer. */
  start: bigint;
  /** Last address (inclusive). */
  end: bigint;
  /** Upper-case ISO 3166-1 alpha-2 code. */
  country: string;
}

export interface GeoCsvError {
  /** 1-based line number in the input text. */
  line: number;
  /**
   * 'syntax': the row is not `start,end,CC` with valid addresses (a corrupt file).
   * 'country': a well-formed two-letter code we do not know (registries still use a few
   * retired ones, e.g. AN): a caller may drop such rows instead of refusing the file.
   */
  kind: 'syntax' | 'country';
  reason: string;
}

interface GeoCsvResult {
  ranges: GeoRange[];
  /** The first MAX_REPORTED_ERRORS bad rows; errorCount has the total. */
  errors: GeoCsvError[];
  errorCount: number;
  /** How many of errorCount are 'country' errors. */
  countryErrors: number;
  /** Rows came in ascending start order (the upstream files do). */
  sorted: boolean;
}

export interface GeoCsvAnyResult {
  v4: GeoRange[];
  v6: GeoRange[];
  errors: GeoCsvError[];
  errorCount: number;
  countryErrors: number;
  sorted: boolean;
}

export const MAX_REPORTED_ERRORS = 50;

const HEADER = /^[A-Za-z_ ]+(,[A-Za-z_ ]+)*$/;

// Errors name the line and what is wrong, never the row's text: a file pointed at by
// mistake (or by an attacker) must not be echoed back to whoever asked for the update.
const fieldCount = (row: string) => row.split(',').length;

type RowSink = (family: Family, range: GeoRange) => void;

/** Reads every row; `family` null means each row says its own family (':' → IPv6). */
function readRows(
  text: string,
  family: Family | null,
  sink: RowSink,
): { errors: GeoCsvError[]; errorCount: number; countryErrors: number } {
  const errors: GeoCsvError[] = [];
  let errorCount = 0;
  let countryErrors = 0;
  const fail = (line: number, reason: string, kind: GeoCsvError['kind'] = 'syntax') => {
    errorCount++;
    if (kind === 'country') countryErrors++;
    if (errors.length < MAX_REPORTED_ERRORS) errors.push({ line, kind, reason });
  };
  let lineNo = 0;
  let pos = 0;
  let seenData = false;
  const len = text.length;
  while (pos < len) {
    let nl = text.indexOf('\n', pos);
    if (nl < 0) nl = len;
    let raw = text.slice(pos, nl);
    pos = nl + 1;
    lineNo++;
    if (raw.endsWith('\r')) raw = raw.slice(0, -1);
    const row = raw.trim();
    if (row === '' || row.startsWith('#')) continue;
    if (!seenData && lineNo === 1 && HEADER.test(row)) continue;
    seenData = true;
    const c1 = row.indexOf(',');
    const c2 = c1 < 0 ? -1 : row.indexOf(',', c1 + 1);
    if (c1 < 0 || c2 < 0 || row.indexOf(',', c2 + 1) >= 0) {
      fail(lineNo, `expected 3 fields "start,end,country", got ${fieldCount(row)}`);
      continue;
    }
    const a = row.slice(0, c1).trim();
    const b = row.slice(c1 + 1, c2).trim();
    const cc = row
      .slice(c2 + 1)
      .trim()
      .toUpperCase();
    const fam: Family = family ?? (a.includes(':') ? 6 : 4);
    const start = parseAddr(a, fam);
    if (start === null) {
      fail(lineNo, `start is not an IPv${fam} address`);
      continue;
    }
    const end = parseAddr(b, fam);
    if (end === null) {
      fail(lineNo, `end is not an IPv${fam} address`);
      continue;
    }
    if (end < start) {
      fail(lineNo, `end ${b} is before start ${a}`);
      continue;
    }
    if (!/^[A-Z]{2}$/.test(cc)) {
      fail(lineNo, 'country is not a two-letter code');
      continue;
    }
    if (!isCountryCode(cc)) {
      fail(lineNo, `country ${cc} is not an ISO 3166-1 alpha-2 code we know`, 'country');
      continue;
    }
    sink(fam, { start, end, country: cc });
  }
  return { errors, errorCount, countryErrors };
}

/** Parses one family's CSV (the upstream ships IPv4 and IPv6 as separate files). */
export function parseGeoCsv(text: string, family: Family): GeoCsvResult {
  const ranges: GeoRange[] = [];
  let sorted = true;
  let last = -1n;
  const { errors, errorCount, countryErrors } = readRows(text, family, (_f, r) => {
    if (r.start < last) sorted = false;
    last = r.start;
    ranges.push(r);
  });
  return { ranges, errors, errorCount, countryErrors, sorted };
}

/** Parses a CSV holding IPv4 rows, IPv6 rows or both. */
export function parseGeoCsvAny(text: string): GeoCsvAnyResult {
  const v4: GeoRange[] = [];
  const v6: GeoRange[] = [];
  let sorted = true;
  let last4 = -1n;
  let last6 = -1n;
  const { errors, errorCount, countryErrors } = readRows(text, null, (f, r) => {
    if (f === 4) {
      if (r.start < last4) sorted = false;
      last4 = r.start;
      v4.push(r);
    } else {
      if (r.start < last6) sorted = false;
      last6 = r.start;
      v6.push(r);
    }
  });
  return { v4, v6, errors, errorCount, countryErrors, sorted };
}

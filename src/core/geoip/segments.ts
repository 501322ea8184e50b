/**
 * A GeoTable's segment arrays: built from flattened ranges, and checked when a table is
 * loaded from a file (a corrupt file must fail loudly, never give wrong answers).
 */
import { SipprotError } from '../errors.js';
import type { GeoRange } from './csv.js';

export const NO_COUNTRY = 0xffff;

export function fail(why: string): never {
  throw new SipprotError('SP_ERR_GEOIP', `geo-IP table is invalid: ${why}`);
}

/** Flattened (disjoint, ascending) ranges → segment arrays with gap segments between. */
export function segmentsOf(
  ranges: readonly GeoRange[],
  index: ReadonlyMap<string, number>,
  max: bigint,
): { starts: bigint[]; cc: number[] } {
  const starts: bigint[] = [];
  const cc: number[] = [];
  let next = 0n; // first address not yet covered
  for (const r of ranges) {
    if (r.start < next) fail(`ranges overlap or are unsorted near ${r.start}`);
    if (r.end > max) fail('range beyond the address space');
    if (r.start > next) {
      starts.push(next);
      cc.push(NO_COUNTRY);
    }
    const c = index.get(r.country) as number;
    if (cc.length > 0 && cc[cc.length - 1] === c && r.start === next) {
      // flatten() merges already; this keeps hand-built input compact too.
    } else {
      starts.push(r.start);
      cc.push(c);
    }
    next = r.end + 1n;
  }
  if (next <= max) {
    starts.push(next);
    cc.push(NO_COUNTRY);
  }
  return { starts, cc };
}

/** The four planes of a table's v6Words: word k of segment i is at k*n + i (n segments). */
interface V6Planes {
  p0: Uint32Array;
  p1: Uint32Array;
  p2: Uint32Array;
  p3: Uint32Array;
}

/** Every check of a table's arrays, in the order their errors are reported. */
export function checkSegments(
  countries: readonly string[],
  v4Starts: Uint32Array,
  v4Country: Uint16Array,
  v6Words: Uint32Array,
  v6Country: Uint16Array,
): { planes: V6Planes; gaps4: number; gaps6: number } {
  if (countries.length >= NO_COUNTRY) fail('too many countries');
  for (const c of countries) if (!/^[A-Z]{2}$/.test(c)) fail(`bad country code ${JSON.stringify(c)}`);
  if (v4Starts.length === 0 || v4Starts.length !== v4Country.length) fail('IPv4 arrays differ');
  if (v6Country.length === 0 || v6Words.length !== v6Country.length * 4) fail('IPv6 arrays differ');
  if (v4Starts[0] !== 0) fail('IPv4 table does not start at 0.0.0.0');
  for (let i = 1; i < v4Starts.length; i++) {
    if ((v4Starts[i] as number) <= (v4Starts[i - 1] as number)) fail(`IPv4 starts not ascending at ${i}`);
  }
  const planes = v6PlanesOf(v6Words, v6Country.length);
  return {
    planes,
    gaps4: countGaps(v4Country, countries.length),
    gaps6: countGaps(v6Country, countries.length),
  };
}

function v6PlanesOf(words: Uint32Array, n: number): V6Planes {
  const planes = {
    p0: words.subarray(0, n),
    p1: words.subarray(n, 2 * n),
    p2: words.subarray(2 * n, 3 * n),
    p3: words.subarray(3 * n, 4 * n),
  };
  const { p0, p1, p2, p3 } = planes;
  if (p0[0] !== 0 || p1[0] !== 0 || p2[0] !== 0 || p3[0] !== 0) fail('IPv6 table does not start at ::');
  for (let i = 1; i < n; i++) {
    if (!less6(planes, i - 1, i)) fail(`IPv6 starts not ascending at ${i}`);
  }
  return planes;
}

/** Segment i's start < segment j's start? */
function less6({ p0, p1, p2, p3 }: V6Planes, i: number, j: number): boolean {
  if (p0[i] !== p0[j]) return (p0[i] as number) < (p0[j] as number);
  if (p1[i] !== p1[j]) return (p1[i] as number) < (p1[j] as number);
  if (p2[i] !== p2[j]) return (p2[i] as number) < (p2[j] as number);
  return (p3[i] as number) < (p3[j] as number);
}

/** Segments without a country; throws on an index past the country list. */
function countGaps(cc: Uint16Array, countries: number): number {
  let gaps = 0;
  for (let i = 0; i < cc.length; i++) {
    const c = cc[i] as number;
    if (c >= countries) {
      if (c !== NO_COUNTRY) fail(`country index ${c} out of range`);
      gaps++;
    }
  }
  return gaps;
}

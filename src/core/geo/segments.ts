/** Building a GeoTable's segment arrays from flattened ranges. */
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

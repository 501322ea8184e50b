/**
 * Which of sipprot's list sets exist: each list (allow, deny, countries, feeds) is one
 * hash set per prefix length in use (nft-render.ts says why), so the sets and the rules
 * that match them follow the prefix lengths of the merged ranges.
 */
import type { Family } from '../core/net/ip.js';
import { feedLengths, type SetGroup } from './nft-sets.js';
import type { FeedElement, ListSet } from './state.js';
import { type AddressRange, addressBits, rangeToPrefixes } from './validate.js';

/** Prefix lengths in use, per list and family: which sets and rules exist. */
export type Layout = Record<SetGroup, Record<Family, number[]>>;

/** A list as hash sets: prefix length → network addresses (as integers), per family. */
export type Grouped = Record<Family, Map<number, bigint[]>>;

export function group(ranges: readonly AddressRange[]): Grouped {
  const out: Grouped = { 4: new Map(), 6: new Map() };
  const add = (family: Family, prefix: number, start: bigint) => {
    const m = out[family];
    let list = m.get(prefix);
    if (!list) {
      list = [];
      m.set(prefix, list);
    }
    list.push(start);
  };
  for (const r of ranges) {
    // Single hosts are most entries: no prefix arithmetic for them (100k at start).
    if (r.start === r.end) add(r.family, addressBits(r.family), r.start);
    else for (const p of rangeToPrefixes(r)) add(p.family, p.prefix, p.start);
  }
  return out;
}

export function lengths(g: Grouped): Record<Family, number[]> {
  // Longest prefixes first: single hosts are the most common entries.
  const sorted = (m: Map<number, bigint[]>) => [...m.keys()].sort((a, b) => b - a);
  return { 4: sorted(g[4]), 6: sorted(g[6]) };
}

export function layoutOf(
  lists: Record<ListSet, readonly AddressRange[]>,
  feeds: readonly FeedElement[] = [],
): Layout {
  return {
    allow: lengths(group(lists.allow)),
    deny: lengths(group(lists.deny)),
    country: lengths(group(lists.country)),
    feed: feedLengths(feeds),
  };
}

export function emptyLayout(): Layout {
  return {
    allow: { 4: [], 6: [] },
    deny: { 4: [], 6: [] },
    country: { 4: [], 6: [] },
    feed: { 4: [], 6: [] },
  };
}

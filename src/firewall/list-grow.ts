/**
 * A list that only grows goes into the kernel over netlink (issue 14: a new host's 100k-entry
 * deny list from the fleet; `sipprot deny import`). Replacing a list through `nft -f` makes
 * nft parse every element again (~1.5 s for 100k here, 0.6 s on a quiet machine; netlink:
 * ~0.2 s). When every element the kernel holds for the list stays (same set, same start),
 * nothing has to leave: one small `nft -f` adds the sets of new prefix lengths and rebuilds
 * the chains for them (the old sets keep their elements: no moment without them), then the
 * new elements go over netlink. Anything else (an entry removed, ranges merged differently)
 * stays one `nft -f` transaction, as does any list whose elements this process does not know
 * (after a full reload, or without netlink).
 *
 * Known elements: set name → its starts, as this adapter last wrote them.
 */
import type { Family } from '../core/net/ip.js';
import type { SetElements } from './nft-sets.js';

export type KnownElements = Map<string, { family: Family; starts: Set<bigint> }>;

/** A list's sets as rendered, with their starts as sets (the next replace compares with them). */
export function knownOf(elements: readonly SetElements[]): KnownElements {
  const out: KnownElements = new Map();
  for (const e of elements)
    if (e.kind === 'list') out.set(e.name, { family: e.family, starts: new Set(e.starts) });
  return out;
}

/** The known elements of one list's sets among a table's (names start with the list's). */
export function knownOfList(elements: readonly SetElements[], list: string): KnownElements {
  return knownOf(elements.filter((e) => e.kind === 'list' && listOf(e.name) === list));
}

function listOf(setName: string): string {
  return setName.replace(/[46]_\d+$/, '');
}

/**
 * The elements to add when `next` only grows what the kernel holds (`known`), or null when
 * something would have to leave (or nothing is known): then the whole list is replaced.
 */
export function growth(known: KnownElements | null, next: KnownElements): SetElements[] | null {
  if (known === null) return null;
  for (const [name, { starts }] of known) {
    const now = next.get(name)?.starts;
    if (!now || now.size < starts.size) return null;
    for (const s of starts) if (!now.has(s)) return null;
  }
  const adds: SetElements[] = [];
  for (const [name, { family, starts }] of next) {
    const had = known.get(name)?.starts;
    const fresh = had ? [...starts].filter((s) => !had.has(s)) : [...starts];
    if (fresh.length > 0) adds.push({ kind: 'list', name, family, starts: fresh });
  }
  return adds;
}

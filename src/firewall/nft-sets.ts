/**
 * The building blocks of sipprot's sets, shared by the table renderer (nft-render.ts):
 * the table's name, set names and types, element lines, kernel timeouts; and the feed
 * sets (shared blocklists, issue 15), which are per-prefix-length hash sets like the
 * lists' but with `flags timeout`, each element carrying its feed's ttl.
 */
import type { Family } from '../core/net/ip.js';
import { formatBigint } from '../core/net/ip-range.js';
import type { PackedHosts } from './packed-hosts.js';
import type { FeedElement, ListSet } from './state.js';

export const TABLE = 'inet sipprot';
export const FAMILIES: readonly Family[] = [4, 6];
export const ADDR_TYPE: Record<Family, string> = { 4: 'ipv4_addr', 6: 'ipv6_addr' };

/** The list sets and the feed sets: each a group of per-prefix-length sets. */
export type SetGroup = ListSet | 'feed';

/** `deny4_24` holds the /24 networks of the deny list; `feed6_48` the /48s of the feeds. */
export function listSetName(list: SetGroup, family: Family, prefix: number): string {
  return `${list}${family}_${prefix}`;
}

/**
 * A kernel timeout. nft refuses large single numbers ("value too large" for 100000000s),
 * so the duration is written in units: 1d2h3m4s5ms.
 */
export function nftDuration(ms: number): string {
  let rest = Math.max(1, Math.round(ms));
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  if (rest > 0) parts.push(`${rest}ms`);
  return parts.join('');
}

export function elementsCommand(set: string, elements: string[]): string[] {
  return elements.length === 0 ? [] : [`add element ${TABLE} ${set} { ${elements.join(', ')} }`];
}

/** A set's elements as data (renderInit writes them as `add element` lines; netlink loads them). */
export type SetElements =
  | { kind: 'list'; name: string; family: Family; starts: bigint[] }
  /** Dynamic sets: packed addresses, each with its timeout (0: none). */
  | { kind: 'dynamic'; name: string; family: Family; hosts: PackedHosts }
  /** Feed sets: network addresses, each with its timeout. */
  | { kind: 'feed'; name: string; family: Family; starts: bigint[]; timeoutsMs: number[] };

/** Feed elements by family and prefix length. */
type FeedGroups = Record<Family, Map<number, FeedElement[]>>;

function groupFeeds(feeds: readonly FeedElement[]): FeedGroups {
  const out: FeedGroups = { 4: new Map(), 6: new Map() };
  for (const f of feeds) {
    const m = out[f.family];
    const list = m.get(f.prefix);
    if (list) list.push(f);
    else m.set(f.prefix, [f]);
  }
  return out;
}

/** Prefix lengths the feeds use, per family, longest first (which feed sets and rules exist). */
export function feedLengths(feeds: readonly FeedElement[]): Record<Family, number[]> {
  const g = groupFeeds(feeds);
  const sorted = (m: Map<number, FeedElement[]>) => [...m.keys()].sort((a, b) => b - a);
  return { 4: sorted(g[4]), 6: sorted(g[6]) };
}

/** Declare the feeds' timeout sets, and their elements (each with its timeout). */
export function feedSets(feeds: readonly FeedElement[]): { sets: string[]; elements: SetElements[] } {
  const g = groupFeeds(feeds);
  const sets: string[] = [];
  const elements: SetElements[] = [];
  for (const f of FAMILIES) {
    for (const [prefix, list] of [...g[f]].sort((a, b) => b[0] - a[0])) {
      const name = listSetName('feed', f, prefix);
      sets.push(`add set ${TABLE} ${name} { type ${ADDR_TYPE[f]}; flags timeout; }`);
      elements.push({
        kind: 'feed',
        name,
        family: f,
        starts: list.map((e) => e.start),
        timeoutsMs: list.map((e) => e.timeoutMs),
      });
    }
  }
  return { sets, elements };
}

/** `add element` lines of a feed set: each network address with its timeout. */
export function timedElementsCommand(e: Extract<SetElements, { kind: 'feed' }>): string[] {
  return elementsCommand(
    e.name,
    e.starts.map((v, i) => `${formatBigint(v, e.family)} timeout ${nftDuration(e.timeoutsMs[i] ?? 1000)}`),
  );
}

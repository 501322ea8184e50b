/**
 * Pure rendering of sipprot's nftables table. Inputs are already validated
 * (validate.ts, state.ts): nothing here ever sees raw user text.
 *
 * Why the table looks like this:
 * - One `inet` table for both families, one base chain at `prerouting`, priority `raw`
 *   (-300). That is before conntrack (-200), so a dropped packet never reaches the
 *   connection tracker: a blocked peer cannot keep an "established" UDP flow alive, and
 *   no other table's `ct state established accept` can let it through (in nftables a
 *   drop in any base chain is final; an accept only ends that one chain). Existing
 *   conntrack entries of a blocked address are left alone: no packet from it refreshes
 *   them any more, so they age out by their own timeout (UDP: 30 s, 120 s once assured),
 *   and nothing from the address is delivered meanwhile. Prerouting also covers traffic
 *   forwarded to a PBX in a container or VM behind this host.
 * - sipprot only drops or lets a packet pass (`return`); it never accepts, so the host's
 *   own firewall still applies to allowed addresses.
 * - Blocks cover all traffic from the address, not only SIP ports: the manual blocks
 *   the IP. Loopback and IPv6 neighbour discovery are never dropped.
 * - Lists and countries are NOT interval sets. nft 1.0.6 (Debian 12) downloads every
 *   element of every interval set on the host before each `add element`, to check
 *   overlaps in userspace; measured here, 10k deny CIDRs in an interval set made one
 *   dynamic block cost ~25 ms instead of ~0.3 ms, and a country list is far larger.
 *   So each list is written as the fewest CIDR blocks (validate.ts), grouped by prefix
 *   length into plain hash sets (`deny4_24` holds the /24 networks), matched with one
 *   masked lookup per prefix length in use: `ip saddr & 255.255.255.0 @deny4_24` — what
 *   ipset's hash:net does in the kernel. The rules depend on which lengths are in use,
 *   so replacing a list rebuilds the chain in the same transaction (no gap).
 * - PREFIX_BLOCK's networks (a /64 whose addresses attack in turn) are the one exception:
 *   `pfx4`/`pfx6` are interval sets (`flags interval,timeout`), matched right after the
 *   dynamic sets, so every address of the network is dropped, one never seen included.
 *   They hold a handful of networks at most (a network is held only after PREFIX_BLOCK
 *   of its addresses were blocked), so nft's interval-set overhead stays in the
 *   microseconds; they are changed through nft, never the netlink fast path. Allow
 *   entries return before them (allow wins, an allowed address inside a blocked network
 *   included); networks holding a protected address (the admin's) are never blocked
 *   whole (core/policy/prefix-hold.ts).
 * - Shared blocklists (feeds, issue 15) get their own per-prefix-length sets, `feed4_24`,
 *   with `flags timeout`: each element carries its feed's ttl, so a feed that stops being
 *   refreshed ages out in the kernel even without the daemon. Big feeds stay out of the
 *   dynamic set (a block must not wait for them). Matched after the dynamic set, before
 *   countries, with their own counter; allow still returns first.
 */
import type { Family } from '../core/net/ip.js';
import { formatBigint } from '../core/net/ip-range.js';
import type { FirewallCounters, FirewallOptions, TftpRatePer } from '../ports/firewall.js';
import { type Grouped, group, type Layout, lengths } from './nft-layout.js';
import {
  ADDR_TYPE,
  elementsCommand,
  FAMILIES,
  feedLengths,
  feedSets,
  listSetName,
  nftDuration,
  type SetElements,
  type SetGroup,
  TABLE,
  timedElementsCommand,
} from './nft-sets.js';
import { unpackHosts } from './packed-hosts.js';
import type { FeedElement, ListSet, PrefixElement } from './state.js';
import type { AddressRange, Host } from './validate.js';
import { addressBits, netmask } from './validate.js';

export { emptyLayout, type Layout, layoutOf } from './nft-layout.js';
export { nftDuration, type SetElements, TABLE } from './nft-sets.js';

const CHAIN = 'prerouting';
/**
 * Answers the host sends to a dynamically blocked address are dropped too: requests that
 * were already inside the PBX when the block landed would otherwise still be answered
 * (at 1000 guesses/s that is one more answered password per millisecond). Allowed
 * addresses are exempt here as on the way in, so the chain is rebuilt with the allow list.
 */
const OUT_CHAIN = 'output';

function renderOutputRules(layout: Layout): string[] {
  const rule = (r: string) => `add rule ${TABLE} ${OUT_CHAIN} ${r}`;
  return [
    rule('oif "lo" return'),
    ...FAMILIES.flatMap((f) => layout.allow[f].map((p) => rule(`${listMatch('allow', f, p, DADDR)} return`))),
    ...FAMILIES.map((f) => rule(`${DADDR[f]} @dyn${f} counter name ${COUNTERS.dynamic} drop`)),
    ...FAMILIES.map((f) => rule(`${DADDR[f]} @pfx${f} counter name ${COUNTERS.dynamic} drop`)),
  ];
}

export const LIST_SETS: readonly ListSet[] = ['allow', 'deny', 'country'];
const SADDR: Record<Family, string> = { 4: 'ip saddr', 6: 'ip6 saddr' };
const DADDR: Record<Family, string> = { 4: 'ip daddr', 6: 'ip6 daddr' };

export const COUNTERS: Record<keyof FirewallCounters, string> = {
  deny: 'drop_deny',
  dynamic: 'drop_dynamic',
  country: 'drop_country',
  tftp: 'drop_tftp',
  dns: 'drop_dns',
  feed: 'drop_feed',
};

const UNIT_SECONDS: Record<TftpRatePer, number> = { second: 1, minute: 60, hour: 3600, day: 86400 };

/**
 * How long the TFTP meter remembers a source: long enough for its bucket to refill
 * completely, so forgetting it never hands a flooder a fresh burst early.
 */
export function tftpMeterTimeoutSeconds(o: FirewallOptions['tftp']): number {
  const refill = Math.ceil((o.burst / o.rate.count) * UNIT_SECONDS[o.rate.per]);
  return Math.min(7 * 86400, Math.max(60, refill));
}

export function tftpSetDecl(family: Family, o: FirewallOptions): string {
  return (
    `{ type ${ADDR_TYPE[family]}; size 65535; flags dynamic,timeout; ` +
    `timeout ${tftpMeterTimeoutSeconds(o.tftp)}s; }`
  );
}

const NDP_TYPES = 'nd-router-solicit, nd-router-advert, nd-neighbor-solicit, nd-neighbor-advert';

/** DNS answers larger than the glibc advisory's limits (CVE-2015-7547). */
const DNS_UDP_MAX_PAYLOAD = 512;
const DNS_TCP_MAX_MESSAGE = 1024;

function listMatch(list: SetGroup, family: Family, prefix: number, addr = SADDR): string {
  const set = `@${listSetName(list, family, prefix)}`;
  if (prefix === addressBits(family)) return `${addr[family]} ${set}`;
  return `${addr[family]} & ${netmask(family, prefix)} ${set}`;
}

/** The rules of our chain, in order, each a complete `add rule` command. */
export function renderRules(layout: Layout, o: FirewallOptions): string[] {
  const rule = (r: string) => `add rule ${TABLE} ${CHAIN} ${r}`;
  const forList = (list: SetGroup, action: string) =>
    FAMILIES.flatMap((f) => layout[list][f].map((p) => rule(`${listMatch(list, f, p)} ${action}`)));
  const out = [rule('iif "lo" return')];
  // Neighbour discovery is link-local plumbing, not an attack surface: never cut it, so
  // that denying ::/0 and allowing a few addresses still lets those talk over IPv6.
  out.push(rule(`icmpv6 type { ${NDP_TYPES} } return`));
  out.push(...forList('allow', 'return'));
  out.push(...forList('deny', `counter name ${COUNTERS.deny} drop`));
  for (const f of FAMILIES) out.push(rule(`${SADDR[f]} @dyn${f} counter name ${COUNTERS.dynamic} drop`));
  for (const f of FAMILIES) out.push(rule(`${SADDR[f]} @pfx${f} counter name ${COUNTERS.dynamic} drop`));
  out.push(...forList('feed', `counter name ${COUNTERS.feed} drop`));
  out.push(...forList('country', `counter name ${COUNTERS.country} drop`));
  if (o.tftp.enabled) {
    const limit = `limit rate over ${o.tftp.rate.count}/${o.tftp.rate.per} burst ${o.tftp.burst} packets`;
    for (const f of FAMILIES) {
      out.push(
        rule(`udp dport 69 update @tftp${f} { ${SADDR[f]} ${limit} } counter name ${COUNTERS.tftp} drop`),
      );
    }
  }
  if (o.dns) {
    // CVE-2015-7547: glibc's getaddrinfo overflowed its stack on DNS answers larger than
    // 2048 bytes; the advisory's mitigation caps UDP answers at 512 bytes and TCP at
    // 1024. Trade-off: this also drops legitimate large EDNS0 answers (DNSSEC, long TXT
    // records); resolvers then fall back to TCP and may fail there too. Hence
    // DNS_PROTECTION is switchable. Only answers (source port 53) are checked, so a
    // DNS server on this host is not affected.
    // UDP: the udp length field counts the 8-byte header.
    out.push(rule(`udp sport 53 udp length > ${DNS_UDP_MAX_PAYLOAD + 8} counter name ${COUNTERS.dns} drop`));
    // TCP carries no payload length nft can read, so the packet length is compared
    // with the message limit + 2-byte length prefix + headers (IPv4 20 / IPv6 40, TCP
    // up to 60 with options): a segment longer than that must carry an oversized answer.
    for (const [f, ipHeader] of [
      [4, 20],
      [6, 40],
    ] as const) {
      const max = DNS_TCP_MAX_MESSAGE + 2 + ipHeader + 60;
      out.push(
        rule(`meta nfproto ipv${f} tcp sport 53 meta length > ${max} counter name ${COUNTERS.dns} drop`),
      );
    }
  }
  return out;
}

export function prefixElement(p: PrefixElement): string {
  return p.timeoutMs === null ? p.text : `${p.text} timeout ${nftDuration(p.timeoutMs)}`;
}

/**
 * Block or lift one network of PREFIX_BLOCK in one transaction. Adding first makes the
 * delete valid whether or not it was there (an unblock of what is not blocked is no
 * error), and a block again replaces the timeout.
 */
export function renderPrefixChange(p: PrefixElement, unblock: boolean): string {
  const set = `${TABLE} pfx${p.family}`;
  const lines = [`add element ${set} { ${p.text} }`, `delete element ${set} { ${p.text} }`];
  if (!unblock) lines.push(`add element ${set} { ${prefixElement(p)} }`);
  return `${lines.join('\n')}\n`;
}

function dynElement(d: { host: Host; timeoutMs: number | null }): string {
  return d.timeoutMs === null ? d.host.text : `${d.host.text} timeout ${nftDuration(d.timeoutMs)}`;
}

/** Declare the hash sets of one list, and their elements. */
export function listSets(list: ListSet, g: Grouped): { sets: string[]; elements: SetElements[] } {
  const sets: string[] = [];
  const elements: SetElements[] = [];
  for (const f of FAMILIES) {
    for (const [prefix, starts] of [...g[f]].sort((a, b) => b[0] - a[0])) {
      const name = listSetName(list, f, prefix);
      sets.push(`add set ${TABLE} ${name} { type ${ADDR_TYPE[f]}; }`);
      elements.push({ kind: 'list', name, family: f, starts });
    }
  }
  return { sets, elements };
}

export function setElementsCommand(e: SetElements): string[] {
  if (e.kind === 'list')
    return elementsCommand(
      e.name,
      e.starts.map((v) => formatBigint(v, e.family)),
    );
  if (e.kind === 'feed') return timedElementsCommand(e);
  return elementsCommand(
    e.name,
    unpackHosts(e.family, e.hosts).map((h) =>
      h.timeoutMs === null ? h.text : `${h.text} timeout ${nftDuration(h.timeoutMs)}`,
    ),
  );
}

export function renderChains(layout: Layout, options: FirewallOptions): string[] {
  return [
    `add chain ${TABLE} ${CHAIN} { type filter hook prerouting priority raw; policy accept; }`,
    ...renderRules(layout, options),
    `add chain ${TABLE} ${OUT_CHAIN} { type filter hook output priority raw; policy accept; }`,
    ...renderOutputRules(layout),
  ];
}

/**
 * Replace one list: its old sets go, new ones come, and the chain is rebuilt to match;
 * one transaction. `current` must describe what the kernel holds (from the last init
 * or replace); if it does not, nft refuses and the daemon re-inits.
 */
export function renderListReplace(
  list: ListSet,
  ranges: readonly AddressRange[],
  current: Layout,
  options: FirewallOptions,
): { script: string; layout: Layout; elements: SetElements[]; growScript: string } {
  const g = group(ranges);
  const layout: Layout = { ...current, [list]: lengths(g) };
  const chains = [`flush chain ${TABLE} ${CHAIN}`, `flush chain ${TABLE} ${OUT_CHAIN}`];
  const drop: string[] = [];
  for (const f of FAMILIES) {
    for (const p of current[list][f]) drop.push(`delete set ${TABLE} ${listSetName(list, f, p)}`);
  }
  const l = listSets(list, g);
  const rules = [...renderRules(layout, options), ...renderOutputRules(layout)];
  const script = [...chains, ...drop, ...l.sets, ...rules, ...l.elements.flatMap(setElementsCommand)];
  // A list that only grows (list-grow.ts): `add set` keeps a set that exists with its elements.
  const grow = [...chains, ...l.sets, ...rules];
  return {
    script: `${script.join('\n')}\n`,
    layout,
    elements: l.elements,
    growScript: `${grow.join('\n')}\n`,
  };
}

/**
 * Replace every feed set: the old ones go, the new ones come with their elements and
 * timeouts, and the chain is rebuilt to match; one transaction (no moment without them).
 */
export function renderFeedReplace(
  feeds: readonly FeedElement[],
  current: Layout,
  options: FirewallOptions,
): { script: string; layout: Layout } {
  const layout: Layout = { ...current, feed: feedLengths(feeds) };
  const lines = [`flush chain ${TABLE} ${CHAIN}`];
  for (const f of FAMILIES) {
    for (const p of current.feed[f]) lines.push(`delete set ${TABLE} ${listSetName('feed', f, p)}`);
  }
  const fs = feedSets(feeds);
  lines.push(...fs.sets, ...renderRules(layout, options), ...fs.elements.flatMap(setElementsCommand));
  return { script: `${lines.join('\n')}\n`, layout };
}

/**
 * New options: the chain is rebuilt and the TFTP meters recreated, because their
 * timeout depends on the rate and old meter entries carry the old limit.
 */
export function renderOptionsReplace(o: FirewallOptions, layout: Layout): string {
  const lines = [`flush chain ${TABLE} ${CHAIN}`];
  for (const f of FAMILIES) {
    lines.push(`delete set ${TABLE} tftp${f}`, `add set ${TABLE} tftp${f} ${tftpSetDecl(f, o)}`);
  }
  lines.push(...renderRules(layout, o));
  return `${lines.join('\n')}\n`;
}

/** A change to one dynamic entry: a block with its timeout, or an unblock. */
export type DynamicChange =
  | { host: Host; timeoutMs: number | null; unblock?: false; fresh?: boolean }
  | { host: Host; unblock: true };

/**
 * Block/unblock many addresses in one transaction, as one line for `nft -i`. `add` of
 * an existing element keeps its old timeout on older kernels, and `delete` of a missing
 * one fails the whole transaction (nft 1.0.6 has no `destroy`), so each touched address
 * is added, deleted and, if blocked, added again with its timeout: idempotent and exact
 * on any kernel. Later changes to the same address win.
 */
export function renderDynamicBatch(changes: DynamicChange[]): string {
  const last = new Map<string, DynamicChange>();
  for (const c of changes) {
    last.delete(c.host.text);
    last.set(c.host.text, c);
  }
  const cmds: string[] = [];
  for (const f of FAMILIES) {
    const mine = [...last.values()].filter((c) => c.host.family === f);
    if (mine.length === 0) continue;
    const all = mine.map((c) => c.host.text);
    const set = `dyn${f}`;
    cmds.push(...elementsCommand(set, all));
    cmds.push(`delete element ${TABLE} ${set} { ${all.join(', ')} }`);
    const blocks = mine.flatMap((c) => (c.unblock ? [] : [dynElement(c)]));
    cmds.push(...elementsCommand(set, blocks));
  }
  return cmds.join('; ');
}

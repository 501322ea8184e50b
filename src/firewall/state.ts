/**
 * Validation of whole firewall states and options, shared by the fake and the nftables
 * adapter so both accept and refuse exactly the same input.
 */
import { SipprotError } from '../core/errors.js';
import { u32be } from '../core/net/bytes.js';
import { canonicalV4Number, type Family, parseAddress } from '../core/net/ip.js';
import type { BlockRecord } from '../core/types.js';
import type {
  DynamicBlock,
  FeedBlock,
  FirewallOptions,
  FirewallState,
  TftpRatePer,
} from '../ports/firewall.js';
import { concatHosts, type PackedDynamic, type PackedHosts, packV4, packV6 } from './packed-hosts.js';
import type { AddressRange } from './validate.js';
import {
  columnRanges,
  networkRanges,
  parseHost,
  parseRange,
  rangesToNetworks,
  rangeToPrefixes,
  toRanges,
  v4Refusal,
} from './validate.js';

export type ListSet = 'allow' | 'deny' | 'country';

/** Desired state with every network parsed and merged, ready to render. */
export interface RenderState {
  lists: Record<ListSet, AddressRange[]>;
  /** Single addresses, packed (packed-hosts.ts). */
  dynamic: PackedDynamic;
  /** PREFIX_BLOCK: whole networks blocked (interval sets pfx4/pfx6), with their timeouts. */
  prefixes: PrefixElement[];
  feeds: FeedElement[];
  options: FirewallOptions;
}

/** A dynamically blocked network (PREFIX_BLOCK), checked: one CIDR block. */
export interface PrefixElement {
  family: Family;
  /** Canonical network text, e.g. `2001:db8:1:2::/64`. */
  text: string;
  timeoutMs: number | null;
}

/** The widest networks PREFIX_BLOCK may block whole: PREFIX_V4 ≥ 8, PREFIX_V6 ≥ 16 (keys-detect.ts). */
const WIDEST: Record<Family, number> = { 4: 8, 6: 16 };

/**
 * A dynamic block of a whole network (`ip` has a `/`): checked to be one CIDR block, not a
 * single address, no wider than PREFIX_V4/PREFIX_V6 allow (a bug upstream must never
 * block 0.0.0.0/0), and free of loopback and multicast. Null for a single address.
 */
export function parsePrefixBlock(ip: string, seconds: number | null): PrefixElement | null {
  if (typeof ip !== 'string' || !ip.includes('/')) return null;
  const r = parseRange(ip);
  const blocks = rangeToPrefixes(r);
  if (r.start === r.end || blocks.length !== 1 || blocks[0]!.prefix < WIDEST[r.family])
    throw new SipprotError(
      'SP_ERR_ADDRESS_INVALID',
      `dynamic block '${ip}' is not one network of /${WIDEST[r.family]} or longer (CIDR)`,
    );
  return { family: r.family, text: rangesToNetworks([r])[0]!, timeoutMs: timeoutMs(ip, seconds) };
}

/** One feed network, checked: a single CIDR block with its kernel timeout. */
export interface FeedElement {
  family: Family;
  start: bigint;
  prefix: number;
  /** Canonical network text (a host without prefix). */
  text: string;
  timeoutMs: number;
}

/** Ten years: more is a bug upstream, and nft refuses very long timeouts anyway. */
const MAX_TIMEOUT_SECONDS = 3650 * 86400;
const RATE_PERS: readonly TftpRatePer[] = ['second', 'minute', 'hour', 'day'];

/** Seconds → kernel milliseconds (at least 1), or null for no timeout. */
export function timeoutMs(ip: string, seconds: number | null): number | null {
  if (seconds === null) return null;
  if (
    typeof seconds !== 'number' ||
    !Number.isFinite(seconds) ||
    seconds <= 0 ||
    seconds > MAX_TIMEOUT_SECONDS
  ) {
    throw new SipprotError(
      'SP_ERR_USAGE',
      `block of ${ip}: timeout must be a number of seconds > 0 and ≤ ${MAX_TIMEOUT_SECONDS} or null, got ${seconds}`,
    );
  }
  return Math.max(1, Math.ceil(seconds * 1000));
}

function wholeIn(n: unknown, min: number, max: number): boolean {
  return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max;
}

/** A checked copy of the options; refuses what nft would refuse, naming the config key. */
export function checkOptions(o: FirewallOptions): FirewallOptions {
  const bad = (key: string, value: unknown, allowed: string) =>
    new SipprotError('SP_ERR_CONFIG_INVALID', `${key}=${String(value)} is invalid: ${allowed}`);
  const t = o?.tftp;
  if (!t || typeof t.enabled !== 'boolean') throw bad('TFTP_PROTECTION', t?.enabled, 'yes or no');
  if (!t.rate || !wholeIn(t.rate.count, 1, 1_000_000) || !RATE_PERS.includes(t.rate.per)) {
    throw bad(
      'TFTP_RATE',
      t.rate ? `${t.rate.count}/${t.rate.per}` : t.rate,
      'N/second|minute|hour|day with N from 1 to 1000000',
    );
  }
  if (!wholeIn(t.burst, 1, 1_000_000)) throw bad('TFTP_BURST', t.burst, 'a whole number from 1 to 1000000');
  if (typeof o.dns !== 'boolean') throw bad('DNS_PROTECTION', o.dns, 'yes or no');
  return {
    tftp: { enabled: t.enabled, rate: { count: t.rate.count, per: t.rate.per }, burst: t.burst },
    dns: o.dns,
  };
}

/**
 * Validate a whole desired state. Blocks with no time left are left out (they have
 * expired); a repeated address keeps its last entry.
 */
export function prepareState(desired: FirewallState): RenderState {
  const packed = packDynamic(desired.dynamic);
  const pre = desired.packedDynamic;
  const dynamic = pre
    ? {
        4: concatHosts(checkPacked(pre[4], 4), packed.dynamic[4]),
        6: concatHosts(checkPacked(pre[6], 16), packed.dynamic[6]),
      }
    : packed.dynamic;
  const prefixes = packed.prefixes;
  return {
    lists: prepareLists(desired),
    dynamic,
    prefixes,
    feeds: prepareFeeds(desired.feeds ?? []),
    options: checkOptions(desired.options),
  };
}

/** The lists of a desired state, validated and merged (prepareState's `lists`). */
export function prepareLists(
  desired: Pick<FirewallState, 'allow' | 'deny' | 'countries' | 'parsed' | 'columns'>,
): RenderState['lists'] {
  const { parsed, columns } = desired;
  const ranges = (name: 'allow' | 'deny') =>
    columns ? columnRanges(columns[name]) : parsed ? networkRanges(parsed[name]) : toRanges(desired[name]);
  return {
    allow: ranges('allow'),
    deny: ranges('deny'),
    country: toRanges(desired.countries),
  };
}

/** A packed family as given (a port's input): its keys and timeouts must fit each other. */
export function checkPacked(p: PackedHosts, size: number): PackedHosts {
  if (
    !(p?.keys instanceof Uint8Array) ||
    !(p.timeoutsMs instanceof Float64Array) ||
    p.keys.length !== p.timeoutsMs.length * size
  )
    throw new SipprotError('SP_ERR_USAGE', 'packed dynamic blocks: keys and timeouts do not fit each other');
  return p;
}

/**
 * The IPv4 hosts of `held` in force at `now` (expiry + `slack` later than it), packed as
 * packDynamic(dynamicBlocks(held, now, slack)) packs them, in one pass with no object per
 * block (a start restores 100k-1M: the objects and the map took ~0.3 s of CPU for 100k
 * here); every other block (IPv6, other spellings, whole networks, refused addresses) is
 * handed back as it is, for the careful way. Null when an address repeats or another
 * spelling of an IPv4 address is among the rest (the careful way then decides which entry
 * stands).
 */
export function packHeldV4(
  held: readonly Pick<BlockRecord, 'ip' | 'expiresAt'>[],
  now: number,
  slack: number,
): { v4: PackedHosts; rest: Pick<BlockRecord, 'ip' | 'expiresAt'>[] } | null {
  const keys = new Float64Array(held.length);
  const timeoutsMs = new Float64Array(held.length);
  const rest: Pick<BlockRecord, 'ip' | 'expiresAt'>[] = [];
  let n = 0;
  for (const b of held) {
    const key = canonicalV4Number(b.ip);
    if (key < 0 || v4Refusal(key) !== null) {
      // Another spelling of an IPv4 address (::ffff:192.0.2.1) may repeat one packed here.
      if (!b.ip.includes('/') && parseAddress(b.ip)?.family === 4) return null;
      rest.push(b);
      continue;
    }
    if (b.expiresAt === null) timeoutsMs[n] = 0;
    else {
      const left = b.expiresAt + slack - now;
      if (!(left > 0)) continue;
      timeoutsMs[n] = timeoutMs(b.ip, left)!;
    }
    keys[n++] = key;
  }
  const sorted = keys.slice(0, n).sort();
  for (let i = 1; i < n; i++) if (sorted[i] === sorted[i - 1]) return null;
  const packed = new Uint8Array(n * 4);
  const view = new DataView(packed.buffer);
  for (let i = 0; i < n; i++) view.setUint32(i * 4, keys[i]!);
  return { v4: { keys: packed, timeoutsMs: timeoutsMs.slice(0, n) }, rest };
}

/** The dynamic blocks (single addresses, packed) and the whole networks (PREFIX_BLOCK) of a state. */
export function packDynamic(list: readonly DynamicBlock[]): {
  dynamic: PackedDynamic;
  prefixes: PrefixElement[];
} {
  // Address → timeout ms (0: none); IPv6 by canonical text.
  const v4 = new Map<number, number>();
  const v6 = new Map<string, { bytes: Uint8Array; ms: number }>();
  const prefixes = new Map<string, PrefixElement>();
  for (const d of list) {
    const expired = d.expiresIn !== null && typeof d.expiresIn === 'number' && d.expiresIn <= 0;
    const n = typeof d.ip === 'string' ? canonicalV4Number(d.ip) : -1;
    if (n >= 0 && v4Refusal(n) === null) {
      if (expired) v4.delete(n);
      else v4.set(n, timeoutMs(d.ip, d.expiresIn) ?? 0);
      continue;
    }
    const p = parsePrefixBlock(d.ip, expired ? null : d.expiresIn);
    if (p) {
      if (expired) prefixes.delete(p.text);
      else prefixes.set(p.text, p);
      continue;
    }
    const host = parseHost(d.ip);
    const b = host.bytes;
    const key = host.family === 4 ? u32be(b) : -1;
    if (expired) {
      if (host.family === 4) v4.delete(key);
      else v6.delete(host.text);
      continue;
    }
    const ms = timeoutMs(host.text, d.expiresIn) ?? 0;
    if (host.family === 4) v4.set(key, ms);
    else v6.set(host.text, { bytes: b, ms });
  }
  return { dynamic: { 4: packV4(v4), 6: packV6(v6) }, prefixes: [...prefixes.values()] };
}

/**
 * Feed networks checked like list entries (SP_ERR_ADDRESS_INVALID names the first bad
 * one), each exactly one CIDR block; entries with no time left are left out, and a
 * network given twice keeps its longest timeout.
 */
export function prepareFeeds(feeds: readonly FeedBlock[]): FeedElement[] {
  if (!Array.isArray(feeds))
    throw new SipprotError('SP_ERR_ADDRESS_INVALID', 'expected a list of feed networks');
  const out = new Map<string, FeedElement>();
  for (const f of feeds) {
    const r = parseRange(f?.network);
    const blocks = rangeToPrefixes(r);
    if (blocks.length !== 1) {
      throw new SipprotError('SP_ERR_ADDRESS_INVALID', `feed entry '${f.network}' is not one CIDR network`);
    }
    if (typeof f.expiresIn === 'number' && f.expiresIn <= 0) continue;
    const ms = timeoutMs(f.network, f.expiresIn);
    if (ms === null) throw new SipprotError('SP_ERR_USAGE', `feed entry '${f.network}' needs a timeout`);
    const text = rangesToNetworks([r])[0] as string;
    const old = out.get(text);
    if (old && old.timeoutMs >= ms) continue;
    out.set(text, { family: r.family, start: r.start, prefix: blocks[0]!.prefix, text, timeoutMs: ms });
  }
  return [...out.values()];
}

/** Feed entries in address order (IPv4 first), then by prefix length, as both firewalls report them. */
export function sortFeeds(feeds: FeedBlock[]): FeedBlock[] {
  const keyed = feeds.map((f) => {
    const r = parseRange(f.network);
    const hex = r.start.toString(16).padStart(32, '0');
    return { f, key: `${r.family}${hex}${String(1000 - rangeToPrefixes(r)[0]!.prefix).padStart(4, '0')}` };
  });
  keyed.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return keyed.map((k) => k.f);
}

/** Dynamic blocks in address order (IPv4 first), as both firewalls report them. */
export function sortByAddress(blocks: DynamicBlock[]): DynamicBlock[] {
  // Fixed-width keys (family, then the address bytes in hex) sort as the addresses do.
  const keyed = blocks.map((b) => {
    const a = parseAddress(b.ip);
    return { b, key: a ? `${a.family}${Buffer.from(a.bytes).toString('hex')}` : `9${b.ip}` };
  });
  keyed.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return keyed.map((k) => k.b);
}

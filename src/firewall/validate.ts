/**
 * The gate in front of nft: every address and network is parsed, refused or
 * canonicalised here, so nothing but canonical address text ever reaches a ruleset
 * (nft would otherwise resolve host names, and "1.2.3.300" is one).
 *
 * Networks are kept as merged ranges: the kernel's interval sets refuse overlaps, and
 * merging here (instead of nft's auto-merge) makes the kernel hold exactly what we
 * loaded, so `snapshot()` of the real firewall and of the fake agree to the byte.
 */
import { SipprotError } from '../core/errors.js';
import { u32be } from '../core/net/bytes.js';
import { canonicalV4Number, checkNetwork, type Family, type Network, parseAddress } from '../core/net/ip.js';
import { addressToBigint, formatBigint, rangePrefixes } from '../core/net/ip-range.js';

export interface AddressRange {
  family: Family;
  /** Inclusive bounds as integers (IPv4: 32 bits, IPv6: 128 bits). */
  start: bigint;
  end: bigint;
}

export interface Host {
  family: Family;
  text: string;
  /** The address in network byte order (4 or 16 bytes): what netlink carries. */
  bytes: Uint8Array;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

/** Ranges no packet from a remote peer can carry as a source; blocking them is a mistake. */
const FORBIDDEN: Array<{ family: Family; start: bigint; end: bigint; what: string }> = [
  { family: 4, start: 0x7f000000n, end: 0x7fffffffn, what: 'loopback' },
  { family: 4, start: 0xe0000000n, end: 0xefffffffn, what: 'multicast' },
  { family: 6, start: 1n, end: 1n, what: 'loopback' },
  { family: 6, start: 0xffn << 120n, end: (1n << 128n) - 1n, what: 'multicast' },
];

function refusal(r: AddressRange): string | null {
  if (r.start === r.end && r.start === 0n) return 'the unspecified address';
  for (const f of FORBIDDEN) {
    if (f.family === r.family && r.start >= f.start && r.end <= f.end) return `a ${f.what} address`;
  }
  return null;
}

function invalid(input: string, why: string): SipprotError {
  return new SipprotError('SP_ERR_ADDRESS_INVALID', `'${input}' ${why}`, { details: { input } });
}

/** parseRange's refusal of one IPv4 host given as a number. */
export function v4Refusal(n: number): string | null {
  if (n === 0) return 'the unspecified address';
  const first = Math.floor(n / 0x1000000);
  if (first === 127) return 'a loopback address';
  if (first >= 224 && first <= 239) return 'a multicast address';
  return null;
}

/** One address, CIDR network or `start-end` range → a range, or a SipprotError. */
export function parseRange(input: string): AddressRange {
  if (typeof input !== 'string') throw invalid(String(input), 'is not an address');
  const v4 = canonicalV4Number(input);
  if (v4 >= 0) {
    const why = v4Refusal(v4);
    if (why) throw invalid(input, `is ${why}: sipprot never blocks or exempts it`);
    const start = BigInt(v4);
    return { family: 4, start, end: start };
  }
  const text = input.trim();
  const dash = text.indexOf('-');
  let range: AddressRange;
  if (dash >= 0) {
    const a = parseAddress(text.slice(0, dash));
    const b = parseAddress(text.slice(dash + 1));
    if (!a || !b) throw invalid(input, 'is not a range of two addresses (start-end)');
    if (a.family !== b.family) throw invalid(input, 'mixes IPv4 and IPv6');
    range = { family: a.family, start: addressToBigint(a.bytes), end: addressToBigint(b.bytes) };
    if (range.start > range.end) throw invalid(input, 'ends before it starts');
  } else {
    const r = checkNetwork(text);
    if (!r.ok) throw new SipprotError('SP_ERR_ADDRESS_INVALID', r.reason, { details: { input } });
    const n = r.network;
    const start = addressToBigint(n.bytes);
    const hostBits = BigInt(BITS[n.family] - n.prefix);
    range = { family: n.family, start, end: start + (1n << hostBits) - 1n };
  }
  const why = refusal(range);
  if (why) throw invalid(input, `is ${why}: sipprot never blocks or exempts it`);
  return range;
}

/** parseRange's refusal, on the bytes of one address (no bigint: this runs 100k times at init). */
function hostRefusal(b: Uint8Array): string | null {
  if (b.every((x) => x === 0)) return 'the unspecified address';
  if (b.length === 4) {
    if (b[0] === 127) return 'a loopback address';
    if (b[0]! >= 224 && b[0]! <= 239) return 'a multicast address';
    return null;
  }
  if (b[0] === 0xff) return 'a multicast address';
  if (b[15] === 1 && b.subarray(0, 15).every((x) => x === 0)) return 'a loopback address';
  return null;
}

/** A single address for a dynamic block, canonicalised. */
export function parseHost(input: string): Host {
  const v4 = typeof input === 'string' ? canonicalV4Number(input) : -1;
  if (v4 >= 0) {
    const why = v4Refusal(v4);
    if (why) throw invalid(input, `is ${why}: sipprot never blocks or exempts it`);
    const bytes = new Uint8Array([v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255]);
    return { family: 4, text: input, bytes };
  }
  if (typeof input === 'string' && !input.includes('/') && !input.includes('-')) {
    const a = parseAddress(input);
    if (a) {
      const why = hostRefusal(a.bytes);
      if (why) throw invalid(input, `is ${why}: sipprot never blocks or exempts it`);
      return { family: a.family, text: a.text, bytes: a.bytes };
    }
  }
  const r = parseRange(input);
  if (r.start !== r.end) throw invalid(input, 'is a network: a dynamic block is one address');
  const text = formatBigint(r.start, r.family);
  return { family: r.family, text, bytes: parseAddress(text)!.bytes };
}

function compare(a: AddressRange, b: AddressRange): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.start < b.start ? -1 : a.start > b.start ? 1 : 0;
}

/** Positions an IPv4 sort key can carry beside the address (start · 2^21 + position < 2^53). */
const POSITIONS = 2 ** 21;

/**
 * Ranges by family, then start, equal starts in their order (what a stable sort by `compare`
 * gives). IPv4 through one Float64Array of numeric keys sorted natively: a 1M-entry list's
 * sort with a bigint comparison took most of ~0.9 s of CPU at start (issue 13 target 5).
 */
function sortRanges(ranges: readonly AddressRange[]): AddressRange[] {
  const v4: AddressRange[] = [];
  const v6: AddressRange[] = [];
  for (const r of ranges) (r.family === 4 ? v4 : v6).push(r);
  v6.sort(compare);
  if (v4.length >= POSITIONS) return [...v4.sort(compare), ...v6];
  const keys = new Float64Array(v4.length);
  for (let i = 0; i < v4.length; i++) keys[i] = Number(v4[i]!.start) * POSITIONS + i;
  keys.sort();
  const out = new Array<AddressRange>(ranges.length);
  for (let i = 0; i < keys.length; i++) out[i] = v4[keys[i]! % POSITIONS]!;
  for (let i = 0; i < v6.length; i++) out[keys.length + i] = v6[i]!;
  return out;
}

/** Sort, then merge overlapping and adjacent ranges. IPv4 first. */
export function mergeRanges(ranges: AddressRange[]): AddressRange[] {
  const sorted = sortRanges(ranges);
  const out: AddressRange[] = [];
  // A range is copied only when another merges into it (rare): the output never shares
  // a mutated object with the input, and 100k separate hosts are not copied at start.
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && last.family === r.family && r.start <= last.end + 1n) {
      if (r.end > last.end) out[out.length - 1] = { family: last.family, start: last.start, end: r.end };
    } else {
      out.push(r);
    }
  }
  return out;
}

/**
 * Networks parsed already (the list files' parser keeps them) as merged ranges, checked
 * like parseRange checks text: no parse, one bigint or two for each (100k at start).
 */
export function networkRanges(nets: readonly Network[]): AddressRange[] {
  const out: AddressRange[] = new Array(nets.length);
  for (let i = 0; i < nets.length; i++) {
    const n = nets[i]!;
    const b = n.bytes;
    const start = n.family === 4 ? BigInt(u32be(b)) : addressToBigint(b);
    const hostBits = BITS[n.family] - n.prefix;
    const range: AddressRange = {
      family: n.family,
      start,
      end: hostBits === 0 ? start : start + (1n << BigInt(hostBits)) - 1n,
    };
    // An IPv4 host (most entries) is checked by its number, without bigint comparisons.
    const why = n.family === 4 && hostBits === 0 ? v4Refusal(Number(start)) : refusal(range);
    if (why) throw invalid(n.text, `is ${why}: sipprot never blocks or exempts it`);
    out[i] = range;
  }
  return mergeRanges(out);
}

/**
 * A list read for the kernel (core/lists/list-columns.ts) as merged ranges: the same as
 * networkRanges of its hosts and networks together. The IPv4 hosts are sorted natively
 * and merged as numbers with the IPv4 networks' ranges (a start's 100k hosts took ~0.1 s
 * as a range object each, sorted and merged with bigint comparisons); an object and a
 * bigint only for each range that comes out.
 */
export function columnRanges(cols: { v4Hosts: Float64Array; networks: readonly Network[] }): AddressRange[] {
  const hosts = Float64Array.from(cols.v4Hosts).sort();
  for (const h of hosts) {
    // Whatever the caller gives: a host is a whole IPv4 number, never refused.
    const why = Number.isInteger(h) && h >= 0 && h <= 0xffffffff ? v4Refusal(h) : 'not an IPv4 address';
    if (why) throw invalid(String(h), `is ${why}: sipprot never blocks or exempts it`);
  }
  const others = networkRanges(cols.networks);
  const v4 = others.filter((r) => r.family === 4);
  const out: AddressRange[] = [];
  let start = -1;
  let end = -2;
  const flush = () => {
    if (start < 0) return;
    const s = BigInt(start);
    out.push({ family: 4, start: s, end: end === start ? s : BigInt(end) });
  };
  // Both in address order (networkRanges merged the networks): a merge walk; a range takes
  // whatever overlaps or touches it, as mergeRanges does.
  for (let i = 0, j = 0; i < hosts.length || j < v4.length; ) {
    let a: number;
    let b: number;
    if (j >= v4.length || (i < hosts.length && hosts[i]! < Number(v4[j]!.start))) {
      a = hosts[i]!;
      b = a;
      i++;
    } else {
      a = Number(v4[j]!.start);
      b = Number(v4[j]!.end);
      j++;
    }
    if (start >= 0 && a <= end + 1) {
      if (b > end) end = b;
    } else {
      flush();
      start = a;
      end = b;
    }
  }
  flush();
  for (const r of others) if (r.family === 6) out.push(r);
  return out;
}

/** Parse and merge a list of networks; the first bad entry throws, naming it. */
export function toRanges(networks: readonly string[]): AddressRange[] {
  if (!Array.isArray(networks))
    throw new SipprotError('SP_ERR_ADDRESS_INVALID', 'expected a list of networks');
  return mergeRanges(networks.map(parseRange));
}

export interface Prefix {
  family: Family;
  start: bigint;
  prefix: number;
}

/** The fewest CIDR blocks that cover a range exactly, in address order. */
export function rangeToPrefixes(r: AddressRange): Prefix[] {
  return rangePrefixes(r.start, r.end, r.family).map((p) => ({ family: r.family, ...p }));
}

/** The fewest CIDR networks that cover a range exactly (a single host without prefix). */
export function rangeToCidrs(r: AddressRange): string[] {
  return rangeToPrefixes(r).map((p) => {
    const addr = formatBigint(p.start, p.family);
    return p.prefix === BITS[p.family] ? addr : `${addr}/${p.prefix}`;
  });
}

/** The netmask of a prefix length, as address text (`255.255.255.0`, `ffff:ffff::`). */
export function netmask(family: Family, prefix: number): string {
  const bits = BITS[family];
  const all = (1n << BigInt(bits)) - 1n;
  return formatBigint((all << BigInt(bits - prefix)) & all, family);
}

export function addressBits(family: Family): number {
  return BITS[family];
}

/**
 * The canonical form of a set of networks: the union, written as the fewest CIDR
 * networks (single hosts without a prefix), IPv4 first, ascending. Two lists that
 * cover the same addresses have the same canonical form.
 */
export function canonicalNetworks(networks: readonly string[]): string[] {
  return rangesToNetworks(toRanges(networks));
}

export function rangesToNetworks(ranges: readonly AddressRange[]): string[] {
  return ranges.flatMap(rangeToCidrs);
}

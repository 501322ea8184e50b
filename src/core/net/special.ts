/**
 * Special-purpose address ranges: the IANA IPv4 and IPv6 Special-Purpose Address
 * Registries (iana-ipv4-special-registry, iana-ipv6-special-registry, as of 2025), plus
 * the multicast blocks and the IETF-reserved ::/8. No address in them belongs to a
 * country, and some can never be the source of a packet sipprot sees.
 *
 * Two uses, both issue 10:
 * - geo-IP (item 6): no range here may ever map to a country — the shipped table said
 *   192.168.1.1 was AU, so BLOCKED_COUNTRIES=AU dropped the LAN and its admin. The table
 *   is cut at build and after every update (core/geoip/reserved.ts).
 * - list entries (item 9): `kind: 'never-source'` ranges are refused in the lists with
 *   their reason (nft would take them, but they block or exempt nothing real, and the
 *   firewall refused them and then every later entry).
 *
 * 44 ranges; a lookup walks them (tens of comparisons): used per admin change or per
 * geo table range, never per packet.
 */
import { type Address, type Network, networkContains, parseNetwork } from './ip.js';

export interface SpecialRange {
  network: Network;
  /** What the registry calls it. */
  name: string;
  /** Where it is defined. */
  rfc: string;
  /** Ranges no packet from a peer can come from: refused as list entries. */
  neverSource: boolean;
}

/** [network, name, rfc, never a source]. */
const TABLE: ReadonlyArray<readonly [string, string, string, boolean?]> = [
  // IPv4 (iana-ipv4-special-registry), then multicast.
  ['0.0.0.0/8', '"this network"', 'RFC 791'],
  ['10.0.0.0/8', 'private use', 'RFC 1918'],
  ['100.64.0.0/10', 'shared address space (carrier-grade NAT)', 'RFC 6598'],
  ['127.0.0.0/8', 'loopback', 'RFC 1122', true],
  ['169.254.0.0/16', 'link-local', 'RFC 3927'],
  ['172.16.0.0/12', 'private use', 'RFC 1918'],
  ['192.0.0.0/24', 'IETF protocol assignments', 'RFC 6890'],
  ['192.0.2.0/24', 'documentation (TEST-NET-1)', 'RFC 5737'],
  ['192.31.196.0/24', 'AS112-v4', 'RFC 7535'],
  ['192.52.193.0/24', 'AMT', 'RFC 7450'],
  ['192.88.99.0/24', 'deprecated 6to4 relay anycast', 'RFC 7526'],
  ['192.168.0.0/16', 'private use', 'RFC 1918'],
  ['192.175.48.0/24', 'direct delegation AS112 service', 'RFC 7534'],
  ['198.18.0.0/15', 'benchmarking', 'RFC 2544'],
  ['198.51.100.0/24', 'documentation (TEST-NET-2)', 'RFC 5737'],
  ['203.0.113.0/24', 'documentation (TEST-NET-3)', 'RFC 5737'],
  ['224.0.0.0/4', 'multicast', 'RFC 5771', true],
  ['240.0.0.0/4', 'reserved', 'RFC 1112'],
  ['255.255.255.255/32', 'limited broadcast', 'RFC 919', true],
  // IPv6 (iana-ipv6-special-registry), the reserved ::/8 around it, then multicast.
  ['::/128', 'the unspecified address', 'RFC 4291', true],
  ['::1/128', 'loopback', 'RFC 4291', true],
  ['::ffff:0:0/96', 'IPv4-mapped', 'RFC 4291'],
  ['64:ff9b::/96', 'IPv4/IPv6 translation', 'RFC 6052'],
  ['64:ff9b:1::/48', 'local-use IPv4/IPv6 translation', 'RFC 8215'],
  ['::/8', 'reserved by IETF (IPv4-compatible, ...)', 'RFC 4291'],
  ['100::/64', 'discard-only', 'RFC 6666'],
  ['100:0:0:1::/64', 'dummy IPv6 prefix', 'RFC 9780'],
  ['2001::/32', 'TEREDO', 'RFC 4380'],
  ['2001:2::/48', 'benchmarking', 'RFC 5180'],
  ['2001:db8::/32', 'documentation', 'RFC 3849'],
  ['2001::/23', 'IETF protocol assignments', 'RFC 2928'],
  ['2002::/16', '6to4', 'RFC 3056'],
  ['2620:4f:8000::/48', 'direct delegation AS112 service', 'RFC 7534'],
  ['3fff::/20', 'documentation', 'RFC 9637'],
  ['5f00::/16', 'segment routing SIDs', 'RFC 9602'],
  ['fc00::/7', 'unique-local', 'RFC 4193'],
  ['fe80::/10', 'link-local', 'RFC 4291'],
  ['ff00::/8', 'multicast', 'RFC 4291', true],
];

let parsed: SpecialRange[] | null = null;

const MAPPED = '::ffff:0:0/96';

/** ::ffff:0:0/96 as the IPv6 block it is (parseNetwork reads mapped networks as IPv4, on purpose). */
function mappedNetwork(): Network {
  const bytes = new Uint8Array(16);
  bytes[10] = 0xff;
  bytes[11] = 0xff;
  return { family: 6, bytes, prefix: 96, text: MAPPED };
}

/** Every special-purpose range (most specific first within a block: the first hit names it best). */
export function specialRanges(): readonly SpecialRange[] {
  parsed ??= TABLE.map(([net, name, rfc, never]) => {
    const network = net === MAPPED ? mappedNetwork() : parseNetwork(net);
    if (!network) throw new Error(`special.ts: ${net} is not a network`);
    return { network, name, rfc, neverSource: never === true };
  });
  return parsed;
}

/** The special-purpose range holding `addr`, or null for an ordinary (global) address. */
export function specialRangeOf(addr: Address): SpecialRange | null {
  for (const r of specialRanges()) if (networkContains(r.network, addr)) return r;
  return null;
}

/** Whether network `a` lies wholly inside network `b`. */
export function networkWithin(a: Network, b: Network): boolean {
  return a.family === b.family && a.prefix >= b.prefix && networkContains(b, { ...a, text: a.text });
}

/** The never-a-source range that holds all of `net` (0.0.0.0, 127.0.0.0/8, ff02::/16...), or null. */
export function neverSourceRange(net: Network): SpecialRange | null {
  if (net.family === 4 && net.prefix === 32 && net.bytes.every((b) => b === 0)) {
    return { network: net, name: 'the unspecified address', rfc: 'RFC 1122', neverSource: true };
  }
  for (const r of specialRanges()) if (r.neverSource && networkWithin(net, r.network)) return r;
  return null;
}

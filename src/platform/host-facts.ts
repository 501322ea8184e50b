/**
 * What this host is and talks to: the addresses nothing sipprot does may cut off (the
 * lock-out guard, issue 10 item 8) and that no forged packet may get blocked (item 7):
 * - its own addresses (every interface; loopback is protected apart);
 * - its DNS resolvers (/etc/resolv.conf nameserver lines);
 * - its gateways (/proc/net/route and /proc/net/ipv6_route next hops);
 * - the peers of established SSH sessions (/proc/net/tcp{,6}, local port 22): the admin
 *   typing `sipprot deny add ...` is one of them.
 * The files are small, but reading /proc/net/tcp{,6} walks the kernel's whole TCP hash
 * table: 3–22 ms each on the 2-core bench VM under load (measured), held on whatever
 * thread reads them. The daemon's timer refresh therefore reads them off the event loop
 * (readHostFactsAsync, the libuv pool); the CLI reads them once per command.
 * Unreadable files count as empty: a host without IPv6 has no ipv6_route.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import type { Protected } from '../core/lists/lockout.js';
import { formatAddress, parseAddress } from '../core/net/ip.js';

export interface HostFacts {
  own: Array<{ ip: string; iface: string }>;
  /** The networks of the host's interfaces (its LANs), e.g. 192.0.2.0/24 on eth0. */
  lans?: Array<{ network: string; iface: string }>;
  resolvers: string[];
  gateways: string[];
  sshPeers: string[];
}

export interface HostFactSources {
  resolvConf?: string;
  /** Directory standing in for /proc/net (tests). */
  procNet?: string;
  interfaces?: () => ReturnType<typeof networkInterfaces>;
  sshPort?: number;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function lanNetworks(interfaces: () => ReturnType<typeof networkInterfaces>): NonNullable<HostFacts['lans']> {
  const out = new Map<string, string>();
  for (const [iface, list] of Object.entries(interfaces())) {
    for (const a of list ?? []) {
      if (a.internal || !a.cidr) continue;
      const [addr, prefix] = a.cidr.split('/');
      const parsed = parseAddress((addr ?? '').split('%')[0]!);
      if (!parsed || !prefix) continue;
      const bytes = parsed.bytes.slice();
      const p = Number(prefix);
      for (let i = 0; i < bytes.length; i++)
        bytes[i]! &= (0xff << (8 - Math.max(0, Math.min(8, p - i * 8)))) & 0xff;
      const net = `${formatAddress({ bytes })}/${p}`;
      if (!out.has(net)) out.set(net, iface);
    }
  }
  return [...out].map(([network, iface]) => ({ network, iface }));
}

function ownAddresses(interfaces: () => ReturnType<typeof networkInterfaces>): HostFacts['own'] {
  const out: HostFacts['own'] = [];
  for (const [iface, list] of Object.entries(interfaces())) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      const addr = parseAddress(a.address.split('%')[0]!);
      if (addr) out.push({ ip: addr.text, iface });
    }
  }
  return out;
}

/** `nameserver X` lines (a zone id like fe80::1%eth0 is dropped with its zone). */
export function parseResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    const addr = m ? parseAddress(m[1]!.split('%')[0]!) : null;
    if (addr) out.push(addr.text);
  }
  return out;
}

/** /proc/net hex: IPv4 is one little-endian word; IPv6 four of them (tcp6) or big-endian (ipv6_route). */
function hexAddress(hex: string, wordsLittleEndian: boolean): string | null {
  if (!/^[0-9A-Fa-f]+$/.test(hex) || (hex.length !== 8 && hex.length !== 32)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  if (wordsLittleEndian) {
    for (let w = 0; w < bytes.length; w += 4) bytes.subarray(w, w + 4).reverse();
  }
  if (bytes.every((b) => b === 0)) return null;
  return parseAddress(formatAddress({ bytes }))?.text ?? null;
}

/** Next hops of the IPv4 and IPv6 routing tables. */
export function parseGateways(route: string, ipv6Route: string): string[] {
  const out = new Set<string>();
  for (const line of route.split('\n').slice(1)) {
    const gw = line.trim().split(/\s+/)[2];
    const ip = gw ? hexAddress(gw, true) : null;
    if (ip) out.add(ip);
  }
  for (const line of ipv6Route.split('\n')) {
    const hop = line.trim().split(/\s+/)[4];
    const ip = hop ? hexAddress(hop, false) : null;
    if (ip) out.add(ip);
  }
  return [...out];
}

/** Remote addresses of ESTABLISHED (state 01) TCP connections whose local port is `port`. */
export function parseTcpPeers(tcp: string, port: number): string[] {
  const out = new Set<string>();
  for (const line of tcp.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || f[3] !== '01') continue;
    const [, localPort] = f[1]!.split(':');
    const [remote] = f[2]!.split(':');
    if (Number.parseInt(localPort ?? '', 16) !== port || !remote) continue;
    const ip = hexAddress(remote, true);
    if (ip) out.add(ip);
  }
  return [...out];
}

export function readHostFacts(src: HostFactSources = {}): HostFacts {
  return factsOf(src, factFiles(src).map(read));
}

/** readHostFacts with the files read off the event loop (the daemon's timer refresh). */
export async function readHostFactsAsync(src: HostFactSources = {}): Promise<HostFacts> {
  const texts = await Promise.all(factFiles(src).map((f) => readFile(f, 'utf8').catch(() => '')));
  return factsOf(src, texts);
}

/** resolv.conf, route, ipv6_route, tcp, tcp6. */
function factFiles(src: HostFactSources): string[] {
  const net = src.procNet ?? '/proc/net';
  return [
    src.resolvConf ?? '/etc/resolv.conf',
    `${net}/route`,
    `${net}/ipv6_route`,
    `${net}/tcp`,
    `${net}/tcp6`,
  ];
}

function factsOf(src: HostFactSources, [resolv, route, route6, tcp, tcp6]: string[]): HostFacts {
  const port = src.sshPort ?? 22;
  return {
    own: ownAddresses(src.interfaces ?? networkInterfaces),
    lans: lanNetworks(src.interfaces ?? networkInterfaces),
    resolvers: parseResolvConf(resolv ?? ''),
    gateways: parseGateways(route ?? '', route6 ?? ''),
    sshPeers: [...new Set([...parseTcpPeers(tcp ?? '', port), ...parseTcpPeers(tcp6 ?? '', port)])],
  };
}

/** The facts as the lock-out guard's protected addresses, each with why. */
export function protectedByHost(f: HostFacts): Protected[] {
  return [
    ...f.own.map((o) => ({ ip: o.ip, why: `this host's address (${o.iface})` })),
    ...f.resolvers.map((ip) => ({ ip, why: "this host's DNS resolver" })),
    ...f.gateways.map((ip) => ({ ip, why: "this host's gateway" })),
    ...f.sshPeers.map((ip) => ({ ip, why: 'an SSH session to this host' })),
  ];
}

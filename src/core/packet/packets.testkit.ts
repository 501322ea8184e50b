/**
 * Test helpers: build Ethernet/SLL/loopback frames, IPv4/IPv6 packets (fragments and
 * extension headers too), UDP datagrams and TCP segments, SIP text, and pcap/pcapng files
 * as bytes. Pure (no I/O): write the bytes with fs in the test that needs a file.
 *
 *   const frame = ethernetUdp4('192.0.2.1', 5060, '198.51.100.2', 5060, sipText(...lines));
 *   fs.writeFileSync(path, writePcap([{ at: 1700000000.5, frame }]));
 *
 * Checksums are left zero (the decoder does not verify them; tcpdump -r reports them as
 * bad, which is what offloaded captures look like too). Capture files (writePcap,
 * writePcapng), packets and streams cut in pieces (fragment4/6, tcpSegments, splitAt) and
 * SIP/HEP messages (sipRequest, sipResponse, hep3) live in sibling files and are
 * re-exported here: import everything from packets.testkit.js.
 */

// ------------------------------------------------------------------ bytes and text

/** latin1 bytes of a string. */
export function bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** A SIP message from its lines: CRLF line ends, the blank line, then `body`. */
export function sipText(lines: string[], body = ''): Uint8Array {
  return bytes(lines.join('\r\n') + '\r\n\r\n' + body);
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  return concatList(parts);
}

/** concat for long lists (a spread of 100k arrays overflows the stack). */
export function concatList(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Big-endian bytes of a 16-bit number. */
export function u16(n: number): number[] {
  return [(n >>> 8) & 0xff, n & 0xff];
}

/** Big-endian bytes of a 32-bit number. */
export function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** 4 or 16 bytes of an IPv4 or IPv6 address text. */
export function addrBytes(text: string): Uint8Array {
  if (!text.includes(':')) {
    const parts = text.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) throw new Error(`bad IPv4 ${text}`);
    return Uint8Array.from(parts);
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const words = (s: string | undefined) => (s ? s.split(':').map((w) => Number.parseInt(w, 16)) : []);
  const h = words(head);
  const t = words(tail);
  const all = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  if (all.length !== 8 || all.some((w) => !(w >= 0 && w <= 0xffff))) throw new Error(`bad IPv6 ${text}`);
  return Uint8Array.from(all.flatMap((w) => u16(w)));
}

// ------------------------------------------------------------------ network layer

export interface Ipv4Options {
  src: string;
  dst: string;
  /** 17 UDP, 6 TCP, ... */
  proto: number;
  payload: Uint8Array;
  id?: number;
  ttl?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  /** Fragment offset in bytes (a multiple of 8). */
  fragOffset?: number;
  /** IP options (padded to 4 bytes here). */
  options?: Uint8Array;
  /** Override the total-length field (to build malformed packets). */
  totalLength?: number;
}

export function ipv4(o: Ipv4Options): Uint8Array {
  const opts = o.options ?? new Uint8Array(0);
  const optLen = Math.ceil(opts.length / 4) * 4;
  const ihl = 20 + optLen;
  const total = ihl + o.payload.length;
  const flags = (o.dontFragment ? 0x4000 : 0) | (o.moreFragments ? 0x2000 : 0) | ((o.fragOffset ?? 0) >> 3);
  const h = new Uint8Array(ihl);
  h.set([
    0x40 | (ihl / 4),
    0,
    ...u16(o.totalLength ?? total),
    ...u16(o.id ?? 1),
    ...u16(flags),
    o.ttl ?? 64,
    o.proto,
    0,
    0,
  ]);
  h.set(addrBytes(o.src), 12);
  h.set(addrBytes(o.dst), 16);
  h.set(opts, 20);
  return concat(h, o.payload);
}

export interface Ipv6Extension {
  /** 0 hop-by-hop, 43 routing, 60 destination options, 51 AH, 44 fragment. */
  type: number;
  /** Header bytes after the next-header field; padded here to the header's unit. */
  body?: Uint8Array;
}

export interface Ipv6Options {
  src: string;
  dst: string;
  /** Upper-layer protocol after the extension headers. */
  nextHeader: number;
  payload: Uint8Array;
  ext?: Ipv6Extension[];
  /** Override the payload-length field. */
  payloadLength?: number;
}

export function ipv6(o: Ipv6Options): Uint8Array {
  const exts = o.ext ?? [];
  const chain: Uint8Array[] = [];
  for (let i = 0; i < exts.length; i++) {
    const e = exts[i]!;
    const next = i + 1 < exts.length ? exts[i + 1]!.type : o.nextHeader;
    chain.push(extHeader(e.type, next, e.body ?? new Uint8Array(0)));
  }
  const rest = concat(...chain, o.payload);
  const h = new Uint8Array(40);
  h.set([
    0x60,
    0,
    0,
    0,
    ...u16(o.payloadLength ?? rest.length),
    exts.length > 0 ? exts[0]!.type : o.nextHeader,
    64,
  ]);
  h.set(addrBytes(o.src), 8);
  h.set(addrBytes(o.dst), 24);
  return concat(h, rest);
}

function extHeader(type: number, next: number, body: Uint8Array): Uint8Array {
  if (type === 44) {
    // fragment header: body is offset/flags(2) + id(4)
    const b = new Uint8Array(8);
    b[0] = next;
    b.set(body.subarray(0, 6), 2);
    return b;
  }
  const unit = type === 51 ? 4 : 8;
  const len = Math.max(8, Math.ceil((2 + body.length) / unit) * unit);
  const b = new Uint8Array(len);
  b[0] = next;
  b[1] = type === 51 ? len / 4 - 2 : len / 8 - 1;
  b.set(body, 2);
  return b;
}

// ------------------------------------------------------------------ transport layer

export function udp(sport: number, dport: number, payload: Uint8Array, length?: number): Uint8Array {
  return concat(
    Uint8Array.from([...u16(sport), ...u16(dport), ...u16(length ?? 8 + payload.length), 0, 0]),
    payload,
  );
}

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

export interface TcpOptions {
  sport: number;
  dport: number;
  seq: number;
  ack?: number;
  flags?: number;
  payload?: Uint8Array;
  /** TCP options (padded to 4 bytes). */
  options?: Uint8Array;
}

export function tcp(o: TcpOptions): Uint8Array {
  const opts = o.options ?? new Uint8Array(0);
  const hlen = 20 + Math.ceil(opts.length / 4) * 4;
  const h = new Uint8Array(hlen);
  h.set([
    ...u16(o.sport),
    ...u16(o.dport),
    ...u32(o.seq >>> 0),
    ...u32((o.ack ?? 0) >>> 0),
    (hlen / 4) << 4,
    o.flags ?? ACK | PSH,
    ...u16(65535),
    0,
    0,
    0,
    0,
  ]);
  h.set(opts, 20);
  return concat(h, o.payload ?? new Uint8Array(0));
}

/** An IPv4 or IPv6 packet (by the address family of `src`) carrying a UDP datagram. */
export function udpPacket(
  src: string,
  sport: number,
  dst: string,
  dport: number,
  payload: Uint8Array,
): Uint8Array {
  const l4 = udp(sport, dport, payload);
  return src.includes(':')
    ? ipv6({ src, dst, nextHeader: 17, payload: l4 })
    : ipv4({ src, dst, proto: 17, payload: l4 });
}

export function tcpPacket(src: string, dst: string, seg: TcpOptions): Uint8Array {
  const l4 = tcp(seg);
  return src.includes(':')
    ? ipv6({ src, dst, nextHeader: 6, payload: l4 })
    : ipv4({ src, dst, proto: 6, payload: l4 });
}

// ------------------------------------------------------------------ link layers

export interface EthernetOptions {
  /** VLAN ids, outermost first; the first uses 0x88a8 when `qinq` is set. */
  vlans?: number[];
  qinq?: boolean;
  /** EtherType override (default from the IP version). */
  etherType?: number;
}

export function ethernet(ip: Uint8Array, o: EthernetOptions = {}): Uint8Array {
  const type = o.etherType ?? (ip[0]! >> 4 === 6 ? 0x86dd : 0x0800);
  const head: number[] = [0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01];
  const vlans = o.vlans ?? [];
  vlans.forEach((id, i) => {
    head.push(...u16(i === 0 && o.qinq ? 0x88a8 : 0x8100), ...u16(id & 0xfff));
  });
  head.push(...u16(type));
  return concat(Uint8Array.from(head), ip);
}

/** Linux cooked capture v1 (LINKTYPE 113). */
export function sll(ip: Uint8Array, protocol?: number): Uint8Array {
  const proto = protocol ?? (ip[0]! >> 4 === 6 ? 0x86dd : 0x0800);
  return concat(Uint8Array.from([0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0, ...u16(proto)]), ip);
}

/** Linux cooked capture v2 (LINKTYPE 276), what `tcpdump -i any` writes today. */
export function sll2(ip: Uint8Array, protocol?: number): Uint8Array {
  const proto = protocol ?? (ip[0]! >> 4 === 6 ? 0x86dd : 0x0800);
  return concat(Uint8Array.from([...u16(proto), 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]), ip);
}

/** BSD null loopback (LINKTYPE 0): the address family in host byte order. */
export function nullLink(ip: Uint8Array, o: { bigEndian?: boolean; af6?: number } = {}): Uint8Array {
  const af = ip[0]! >> 4 === 6 ? (o.af6 ?? 30) : 2;
  const h = o.bigEndian ? u32(af) : u32(af).reverse();
  return concat(Uint8Array.from(h), ip);
}

/** OpenBSD loopback (LINKTYPE 108): the address family in network byte order. */
export function loopLink(ip: Uint8Array): Uint8Array {
  return concat(Uint8Array.from(u32(ip[0]! >> 4 === 6 ? 24 : 2)), ip);
}

export function ethernetUdp4(
  src: string,
  sport: number,
  dst: string,
  dport: number,
  payload: Uint8Array,
  o: EthernetOptions = {},
): Uint8Array {
  return ethernet(udpPacket(src, sport, dst, dport, payload), o);
}

export function ethernetUdp6(
  src: string,
  sport: number,
  dst: string,
  dport: number,
  payload: Uint8Array,
  o: EthernetOptions = {},
): Uint8Array {
  return ethernet(udpPacket(src, sport, dst, dport, payload), o);
}

export * from './capture-files.testkit.js';
export * from './segments.testkit.js';
export * from './sip-messages.testkit.js';

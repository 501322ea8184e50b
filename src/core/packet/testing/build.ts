/**
 * Test helpers: build Ethernet/SLL/loopback frames, IPv4/IPv6 packets (fragments and
 * extension headers too), UDP datagrams and TCP segments, SIP text, and pcap/pcapng files
 * as bytes. Pure (no I/O): write the bytes with fs in the test that needs a file.
 *
 *   const frame = ethernetUdp4('192.0.2.1', 5060, '198.51.100.2', 5060, sipText(...lines));
 *   fs.writeFileSync(path, writePcap([{ at: 1700000000.5, frame }]));
 *
 * Checksums are left zero (the decoder does not verify them; tcpdump -r reports them as
 * bad, which is what offloaded captures look like too).
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

function u16(n: number): number[] {
  return [(n >>> 8) & 0xff, n & 0xff];
}

function u32(n: number): number[] {
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

// ------------------------------------------------------------------ fragments

/** Split an IPv4 packet into fragments carrying at most `size` payload bytes (multiple of 8). */
export function fragment4(packet: Uint8Array, size: number): Uint8Array[] {
  const ihl = (packet[0]! & 15) * 4;
  const src = packet.subarray(12, 16).join('.');
  const dst = packet.subarray(16, 20).join('.');
  const id = (packet[4]! << 8) | packet[5]!;
  const payload = packet.subarray(ihl);
  const out: Uint8Array[] = [];
  for (let off = 0; off < payload.length; off += size) {
    const part = payload.subarray(off, Math.min(payload.length, off + size));
    out.push(
      ipv4({
        src,
        dst,
        proto: packet[9]!,
        payload: part,
        id,
        fragOffset: off,
        moreFragments: off + size < payload.length,
      }),
    );
  }
  return out;
}

/**
 * IPv6 fragments of `payload` (the fragmentable part: upper-layer header and data, or
 * further extension headers whose first type is `nextHeader`).
 */
export function fragment6(
  src: string,
  dst: string,
  nextHeader: number,
  payload: Uint8Array,
  size: number,
  id = 0x1234567,
  before: Ipv6Extension[] = [],
): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < payload.length; off += size) {
    const part = payload.subarray(off, Math.min(payload.length, off + size));
    const more = off + size < payload.length ? 1 : 0;
    const body = Uint8Array.from([...u16(off | more), ...u32(id)]);
    out.push(ipv6({ src, dst, nextHeader, payload: part, ext: [...before, { type: 44, body }] }));
  }
  return out;
}

// ------------------------------------------------------------------ TCP streams

export interface TcpStreamOptions {
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** Each chunk becomes one segment, in this order. */
  chunks: Uint8Array[];
  /** Initial sequence number (the SYN's). */
  isn?: number;
  /** Start with a SYN (default true). */
  syn?: boolean;
  /** End with a FIN (default false). */
  fin?: boolean;
}

export interface TcpSegment {
  seq: number;
  flags: number;
  payload: Uint8Array;
  /** The IP packet (IPv4 or IPv6 by `src`). */
  packet: Uint8Array;
}

/** One direction of a TCP stream as IP packets: [SYN], data segments, [FIN]. */
export function tcpSegments(o: TcpStreamOptions): TcpSegment[] {
  const isn = o.isn ?? 1000;
  const out: TcpSegment[] = [];
  const seg = (seq: number, flags: number, payload: Uint8Array) =>
    out.push({
      seq: seq >>> 0,
      flags,
      payload,
      packet: tcpPacket(o.src, o.dst, { sport: o.sport, dport: o.dport, seq, flags, payload }),
    });
  if (o.syn ?? true) seg(isn, SYN, new Uint8Array(0));
  let seq = (isn + 1) >>> 0;
  for (const c of o.chunks) {
    seg(seq, ACK | PSH, c);
    seq = (seq + c.length) >>> 0;
  }
  if (o.fin) seg(seq, ACK | FIN, new Uint8Array(0));
  return out;
}

/** Cut `data` into pieces at the given offsets. */
export function splitAt(data: Uint8Array, ...offsets: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const o of offsets) {
    out.push(data.subarray(prev, o));
    prev = o;
  }
  out.push(data.subarray(prev));
  return out;
}

// ------------------------------------------------------------------ capture files

export interface CaptureFrame {
  /** Epoch seconds. */
  at: number;
  frame: Uint8Array;
  /** Length on the wire (default: the frame's). */
  origLen?: number;
  /** pcapng interface index (default 0). */
  iface?: number;
}

export interface PcapWriteOptions {
  linkType?: number;
  nano?: boolean;
  bigEndian?: boolean;
  snaplen?: number;
}

/** A classic pcap file. */
export function writePcap(records: CaptureFrame[], o: PcapWriteOptions = {}): Uint8Array {
  const le = !o.bigEndian;
  const parts: Uint8Array[] = [];
  const hdr = new DataView(new ArrayBuffer(24));
  hdr.setUint32(0, o.nano ? 0xa1b23c4d : 0xa1b2c3d4, le);
  hdr.setUint16(4, 2, le);
  hdr.setUint16(6, 4, le);
  hdr.setUint32(16, o.snaplen ?? 262144, le);
  hdr.setUint32(20, o.linkType ?? 1, le);
  parts.push(new Uint8Array(hdr.buffer));
  const unit = o.nano ? 1e9 : 1e6;
  for (const r of records) {
    const rh = new DataView(new ArrayBuffer(16));
    let sec = Math.floor(r.at);
    let frac = Math.round((r.at - sec) * unit);
    if (frac >= unit) {
      sec++;
      frac -= unit;
    }
    rh.setUint32(0, sec, le);
    rh.setUint32(4, frac, le);
    rh.setUint32(8, r.frame.length, le);
    rh.setUint32(12, r.origLen ?? r.frame.length, le);
    parts.push(new Uint8Array(rh.buffer), r.frame);
  }
  return concatList(parts);
}

export interface PcapngInterface {
  linkType: number;
  /** if_tsresol option byte: 6 = microseconds (default), 9 = ns, 0x80|n = 2^-n. */
  tsresol?: number;
  /** if_tsoffset option: seconds added to every timestamp of the interface. */
  tsoffset?: number;
  snaplen?: number;
}

export interface PcapngWriteOptions {
  interfaces?: PcapngInterface[];
  bigEndian?: boolean;
  /** Use Simple Packet Blocks (interface 0, no timestamps) instead of Enhanced ones. */
  simple?: boolean;
  /** Extra blocks (type, body) written after the interfaces; unknown types must be skipped. */
  extraBlocks?: Array<{ type: number; body: Uint8Array }>;
}

/** A pcapng file: one section, the given interfaces, one packet block per record. */
export function writePcapng(records: CaptureFrame[], o: PcapngWriteOptions = {}): Uint8Array {
  const le = !o.bigEndian;
  const ifaces = o.interfaces ?? [{ linkType: 1 }];
  const parts: Uint8Array[] = [];
  const block = (type: number, body: Uint8Array) => {
    const padded = Math.ceil(body.length / 4) * 4;
    const total = 12 + padded;
    const b = new Uint8Array(total);
    const v = new DataView(b.buffer);
    v.setUint32(0, type, le);
    v.setUint32(4, total, le);
    b.set(body, 8);
    v.setUint32(total - 4, total, le);
    parts.push(b);
  };
  const shb = new DataView(new ArrayBuffer(16));
  shb.setUint32(0, 0x1a2b3c4d, le);
  shb.setUint16(4, 1, le);
  shb.setUint16(6, 0, le);
  shb.setInt32(8, -1, le);
  shb.setInt32(12, -1, le);
  block(0x0a0d0d0a, new Uint8Array(shb.buffer));
  for (const i of ifaces) {
    const v = new DataView(new ArrayBuffer(32));
    v.setUint16(0, i.linkType, le);
    v.setUint32(4, i.snaplen ?? 262144, le);
    let o = 8;
    if (i.tsresol !== undefined) {
      v.setUint16(o, 9, le);
      v.setUint16(o + 2, 1, le);
      v.setUint8(o + 4, i.tsresol);
      o += 8;
    }
    if (i.tsoffset !== undefined) {
      v.setUint16(o, 14, le);
      v.setUint16(o + 2, 8, le);
      v.setBigInt64(o + 4, BigInt(i.tsoffset), le);
      o += 12;
    }
    block(1, new Uint8Array(v.buffer, 0, o === 8 ? 8 : o + 4)); // options end with opt_endofopt
  }
  for (const x of o.extraBlocks ?? []) block(x.type, x.body);
  for (const r of records) {
    if (o.simple) {
      const body = new Uint8Array(4 + r.frame.length);
      new DataView(body.buffer).setUint32(0, r.origLen ?? r.frame.length, le);
      body.set(r.frame, 4);
      block(3, body);
      continue;
    }
    const iface = ifaces[r.iface ?? 0]!;
    const res = iface.tsresol ?? 6;
    const units = res & 0x80 ? 2 ** (res & 0x7f) : 10 ** res;
    const ts = (BigInt(Math.round((r.at - (iface.tsoffset ?? 0)) * 1e6)) * BigInt(units)) / 1000000n;
    const body = new Uint8Array(20 + r.frame.length);
    const v = new DataView(body.buffer);
    v.setUint32(0, r.iface ?? 0, le);
    v.setUint32(4, Number(ts >> 32n), le);
    v.setUint32(8, Number(ts & 0xffffffffn), le);
    v.setUint32(12, r.frame.length, le);
    v.setUint32(16, r.origLen ?? r.frame.length, le);
    body.set(r.frame, 20);
    block(6, body);
  }
  return concatList(parts);
}

// ------------------------------------------------------------------ HEPv3

export interface HepOptions {
  src: string;
  sport: number;
  dst: string;
  dport: number;
  payload: Uint8Array;
  /** Epoch seconds (chunks 9/10); omit for none. */
  at?: number;
  /** IP protocol chunk: 17 (default) or 6. */
  ipProto?: number;
  /** Protocol type chunk 11 (1 = SIP, default); null leaves it out. */
  protoType?: number | null;
  captureId?: number;
  /** More chunks, written before the payload (e.g. another vendor's). */
  extra?: Array<{ vendor: number; type: number; value: Uint8Array }>;
}

/** One HEPv3 packet. */
export function hep3(o: HepOptions): Uint8Array {
  const chunks: Uint8Array[] = [];
  const chunk = (vendor: number, type: number, value: Uint8Array | number[]) => {
    const v = value instanceof Uint8Array ? value : Uint8Array.from(value);
    chunks.push(concat(Uint8Array.from([...u16(vendor), ...u16(type), ...u16(6 + v.length)]), v));
  };
  const v6 = o.src.includes(':');
  chunk(0, 1, [v6 ? 10 : 2]);
  chunk(0, 2, [o.ipProto ?? 17]);
  chunk(0, v6 ? 5 : 3, addrBytes(o.src));
  chunk(0, v6 ? 6 : 4, addrBytes(o.dst));
  chunk(0, 7, u16(o.sport));
  chunk(0, 8, u16(o.dport));
  if (o.at !== undefined) {
    const sec = Math.floor(o.at);
    chunk(0, 9, u32(sec));
    chunk(0, 10, u32(Math.round((o.at - sec) * 1e6)));
  }
  if (o.protoType !== null) chunk(0, 11, [o.protoType ?? 1]);
  if (o.captureId !== undefined) chunk(0, 12, u32(o.captureId));
  for (const x of o.extra ?? []) chunk(x.vendor, x.type, x.value);
  chunk(0, 15, o.payload);
  const body = concat(...chunks);
  return concat(Uint8Array.from([0x48, 0x45, 0x50, 0x33, ...u16(6 + body.length)]), body);
}

// ------------------------------------------------------------------ SIP messages

export interface SipRequestOptions {
  method?: string;
  /** The user addressed (Request-URI, To, From unless `fromUser`). */
  user?: string;
  fromUser?: string;
  host?: string;
  callId?: string;
  cseq?: number;
  branch?: string;
  userAgent?: string | null;
  /** Adds `Authorization: Digest username="..."`. */
  authUser?: string | null;
  /** Extra header lines. */
  headers?: string[];
  body?: string;
}

/** A plausible request (REGISTER by default) as a phone or a tool sends it. */
export function sipRequest(o: SipRequestOptions = {}): Uint8Array {
  const method = o.method ?? 'REGISTER';
  const user = o.user ?? '100';
  const host = o.host ?? 'pbx.example.com';
  const cseq = o.cseq ?? 1;
  const uri = method === 'REGISTER' ? `sip:${host}` : `sip:${user}@${host}`;
  const lines = [
    `${method} ${uri} SIP/2.0`,
    `Via: SIP/2.0/UDP 192.0.2.10:5060;rport;branch=${o.branch ?? `z9hG4bK-${cseq}-${user}`}`,
    'Max-Forwards: 70',
    `From: <sip:${o.fromUser ?? user}@${host}>;tag=f${cseq}`,
    `To: <sip:${user}@${host}>`,
    `Call-ID: ${o.callId ?? `call-${user}@192.0.2.10`}`,
    `CSeq: ${cseq} ${method}`,
    `Contact: <sip:${o.fromUser ?? user}@192.0.2.10:5060>`,
  ];
  if (o.userAgent !== null) lines.push(`User-Agent: ${o.userAgent ?? 'TestPhone/1.0'}`);
  if (o.authUser) {
    lines.push(
      `Authorization: Digest username="${o.authUser}",realm="${host}",nonce="abc",uri="${uri}",response="0123456789abcdef0123456789abcdef",algorithm=MD5`,
    );
  }
  lines.push(...(o.headers ?? []));
  const body = o.body ?? '';
  lines.push(`Content-Length: ${body.length}`);
  return sipText(lines, body);
}

export interface SipResponseOptions {
  status: number;
  reason?: string;
  method?: string;
  user?: string;
  host?: string;
  callId?: string;
  cseq?: number;
  branch?: string;
  /** Adds a WWW-Authenticate challenge (default for 401; Proxy-Authenticate for 407). */
  challenge?: boolean;
  stale?: boolean;
  server?: string;
  body?: string;
}

export function sipResponse(o: SipResponseOptions): Uint8Array {
  const user = o.user ?? '100';
  const host = o.host ?? 'pbx.example.com';
  const cseq = o.cseq ?? 1;
  const method = o.method ?? 'REGISTER';
  const lines = [
    `SIP/2.0 ${o.status} ${o.reason ?? 'Reason'}`,
    `Via: SIP/2.0/UDP 192.0.2.10:5060;rport=5060;received=192.0.2.10;branch=${o.branch ?? `z9hG4bK-${cseq}-${user}`}`,
    `From: <sip:${user}@${host}>;tag=f${cseq}`,
    `To: <sip:${user}@${host}>;tag=srv`,
    `Call-ID: ${o.callId ?? `call-${user}@192.0.2.10`}`,
    `CSeq: ${cseq} ${method}`,
    `Server: ${o.server ?? 'TestPBX'}`,
  ];
  if (o.challenge ?? (o.status === 401 || o.status === 407)) {
    const name = o.status === 407 ? 'Proxy-Authenticate' : 'WWW-Authenticate';
    lines.push(
      `${name}: Digest algorithm=MD5, realm="${host}", nonce="n${cseq}"${o.stale ? ', stale=true' : ''}`,
    );
  }
  const body = o.body ?? '';
  lines.push(`Content-Length: ${body.length}`);
  return sipText(lines, body);
}

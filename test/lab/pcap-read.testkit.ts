/**
 * An independent capture reader for the lab's golden captures: pcap (as tcpdump writes
 * it) → the SIP payloads between hosts, with IPv4/IPv6 fragments reassembled and TCP
 * streams put back in order. It imports nothing of sipprot on purpose: the expected
 * decisions of testdata/golden-next are derived with it, so a bug in sipprot's own
 * decoder cannot hide in its expectations.
 *
 * Scope (what the lab writes, nothing more): classic pcap, microsecond or nanosecond
 * stamps, either byte order; link types EN10MB (1), RAW (101), LINUX_SLL (113) and
 * LINUX_SLL2 (276); VLAN tags; TCP in order or retransmitted (a segment already seen is
 * skipped), no loss. Fragments are kept until their datagram is complete (at most 4096
 * pending, dropped in arrival order beyond that).
 */
import { readFileSync } from 'node:fs';

/** One transport payload: a UDP datagram, or the bytes a TCP segment added to its stream. */
export interface Payload {
  /** Packet time, epoch seconds (of the last fragment / the segment). */
  t: number;
  proto: 'udp' | 'tcp';
  src: string;
  sport: number;
  dst: string;
  dport: number;
  data: Buffer;
  /** IP fragments this datagram was made of (1 = not fragmented). */
  fragments: number;
}

export interface CaptureInfo {
  linkType: string;
  frames: number;
  /** Frames too short for the headers they announce (skipped). */
  malformed: number;
  payloads: Payload[];
}

const LINK: Record<number, string> = { 1: 'EN10MB', 101: 'RAW', 113: 'LINUX_SLL', 276: 'LINUX_SLL2' };

/** Reads a pcap file (path or bytes) into transport payloads (TCP in stream order per direction). */
export function readCapture(file: string | Buffer): CaptureInfo {
  const buf = typeof file === 'string' ? readFileSync(file) : file;
  const magic = buf.readUInt32LE(0);
  let le: boolean;
  let nano: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) {
    le = true;
    nano = magic === 0xa1b23c4d;
  } else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) {
    le = false;
    nano = magic === 0x4d3cb2a1;
  } else throw new Error(`not a classic pcap file (magic ${magic.toString(16)})`);
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const link = u32(20) & 0xffff;
  const linkType = LINK[link];
  if (linkType === undefined) throw new Error(`link type ${link} not supported`);
  const ctx = new Reassembly();
  let off = 24;
  let frames = 0;
  let malformed = 0;
  // A record cut short (a capture stopped mid-write) ends the file.
  while (off + 16 <= buf.length && off + 16 + u32(off + 8) <= buf.length) {
    const t = u32(off) + u32(off + 4) / (nano ? 1e9 : 1e6);
    const caplen = u32(off + 8);
    const frame = buf.subarray(off + 16, off + 16 + caplen);
    off += 16 + caplen;
    frames++;
    try {
      const ip = network(link, frame);
      if (ip !== null) ctx.ip(t, ip);
    } catch {
      malformed++; // a frame too short for its headers: not ours to decode
    }
  }
  return { linkType, frames, malformed, payloads: ctx.out };
}

/** The IP packet inside a frame, or null (ARP, LLDP, ...). */
function network(link: number, f: Buffer): Buffer | null {
  let type: number;
  let at: number;
  if (link === 1) {
    type = f.readUInt16BE(12);
    at = 14;
    while (type === 0x8100 || type === 0x88a8) {
      type = f.readUInt16BE(at + 2);
      at += 4;
    }
  } else if (link === 113) {
    type = f.readUInt16BE(14);
    at = 16;
  } else if (link === 276) {
    type = f.readUInt16BE(0);
    at = 20;
  } else {
    return f;
  }
  return type === 0x0800 || type === 0x86dd ? f.subarray(at) : null;
}

function ip4(b: Buffer, o: number): string {
  return `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
}

/** RFC 5952 text of an IPv6 address (lower case, longest zero run as ::). */
export function ip6(b: Buffer, o: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(b.readUInt16BE(o + i * 2));
  let best = -1;
  let len = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > len && j - i > 1) {
      best = i;
      len = j - i;
    }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + len))}`;
}

interface FragSet {
  parts: { off: number; data: Buffer }[];
  total: number;
  count: number;
}

interface Stream {
  next: number | null;
  pending: Map<number, Buffer>;
}

class Reassembly {
  readonly out: Payload[] = [];
  private readonly frags = new Map<string, FragSet>();
  private readonly streams = new Map<string, Stream>();

  ip(t: number, p: Buffer): void {
    const v = p[0]! >> 4;
    if (v === 4) {
      const ihl = (p[0]! & 15) * 4;
      const total = p.readUInt16BE(2);
      const proto = p[9]!;
      const src = ip4(p, 12);
      const dst = ip4(p, 16);
      const fo = p.readUInt16BE(6);
      const body = p.subarray(ihl, total);
      const more = (fo & 0x2000) !== 0;
      const off = (fo & 0x1fff) * 8;
      if (!more && off === 0) this.transport(t, proto, src, dst, body, 1);
      else
        this.fragment(t, `4|${src}|${dst}|${p.readUInt16BE(4)}|${proto}`, proto, src, dst, off, more, body);
      return;
    }
    if (v !== 6) return;
    const src = ip6(p, 8);
    const dst = ip6(p, 24);
    let next = p[6]!;
    let at = 40;
    const end = 40 + p.readUInt16BE(4);
    // Extension headers: hop-by-hop (0), routing (43), destination options (60), fragment (44).
    while (next === 0 || next === 43 || next === 60 || next === 44) {
      if (next === 44) {
        const fo = p.readUInt16BE(at + 2);
        const id = p.readUInt32BE(at + 4);
        const proto = p[at]!;
        const body = p.subarray(at + 8, end);
        this.fragment(t, `6|${src}|${dst}|${id}`, proto, src, dst, fo & 0xfff8, (fo & 1) === 1, body);
        return;
      }
      const hn = p[at]!;
      at += (p[at + 1]! + 1) * 8;
      next = hn;
    }
    this.transport(t, next, src, dst, p.subarray(at, end), 1);
  }

  private fragment(
    t: number,
    key: string,
    proto: number,
    src: string,
    dst: string,
    off: number,
    more: boolean,
    data: Buffer,
  ): void {
    let set = this.frags.get(key);
    if (set === undefined) {
      set = { parts: [], total: -1, count: 0 };
      this.frags.set(key, set);
      if (this.frags.size > 4096) this.frags.delete(this.frags.keys().next().value as string);
    }
    set.parts.push({ off, data: Buffer.from(data) });
    set.count++;
    if (!more) set.total = off + data.length;
    if (set.total < 0) return;
    const have = set.parts.reduce((n, x) => n + x.data.length, 0);
    if (have < set.total) return;
    const whole = Buffer.alloc(set.total);
    for (const x of set.parts) x.data.copy(whole, x.off);
    this.frags.delete(key);
    this.transport(t, proto, src, dst, whole, set.count);
  }

  private transport(t: number, proto: number, src: string, dst: string, b: Buffer, fragments: number): void {
    if (proto === 17 && b.length >= 8) {
      const sport = b.readUInt16BE(0);
      const dport = b.readUInt16BE(2);
      const data = Buffer.from(b.subarray(8, b.readUInt16BE(4)));
      this.out.push({ t, proto: 'udp', src, sport, dst, dport, data, fragments });
    } else if (proto === 6 && b.length >= 20) {
      const sport = b.readUInt16BE(0);
      const dport = b.readUInt16BE(2);
      const seq = b.readUInt32BE(4);
      const flags = b[13]!;
      const data = b.subarray((b[12]! >> 4) * 4);
      this.segment(t, src, sport, dst, dport, seq, flags, data);
    }
  }

  /** Appends a segment's new bytes to its direction's stream, in sequence order. */
  private segment(
    t: number,
    src: string,
    sport: number,
    dst: string,
    dport: number,
    seq: number,
    flags: number,
    data: Buffer,
  ): void {
    const key = `${src}|${sport}|${dst}|${dport}`;
    let s = this.streams.get(key);
    if (s === undefined || (flags & 0x02) !== 0) {
      s = { next: null, pending: new Map() };
      this.streams.set(key, s);
    }
    if ((flags & 0x02) !== 0) {
      s.next = (seq + 1) >>> 0;
      return;
    }
    if (data.length === 0) return;
    if (s.next === null) s.next = seq;
    s.pending.set(seq, Buffer.from(data));
    for (;;) {
      let took = false;
      for (const [q, d] of s.pending) {
        const ahead = (s.next - q) >>> 0;
        if (ahead >= d.length && ahead < 0x80000000) {
          s.pending.delete(q); // old data: a retransmission
          continue;
        }
        if (ahead === 0 || ahead < d.length) {
          s.pending.delete(q);
          const fresh = d.subarray(ahead);
          s.next = (s.next + fresh.length) >>> 0;
          this.out.push({ t, proto: 'tcp', src, sport, dst, dport, data: fresh, fragments: 1 });
          took = true;
          break;
        }
      }
      if (!took) return;
    }
  }
}

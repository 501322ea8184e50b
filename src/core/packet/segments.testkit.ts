/**
 * Test helpers for packets and streams cut in pieces (split out of packets.testkit.ts,
 * issue 11): IPv4 fragments of a built packet, IPv6 fragments behind a fragment header
 * (type 44, 8 bytes), one direction of a TCP stream as its segments ([SYN], data, [FIN])
 * and a buffer cut at offsets — what the reassembly and framing tests feed the decoder.
 * Re-exported by packets.testkit.ts.
 */
import {
  ACK,
  FIN,
  type Ipv6Extension,
  ipv4,
  ipv6,
  PSH,
  SYN,
  tcpPacket,
  u16,
  u32,
} from './packets.testkit.js';

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

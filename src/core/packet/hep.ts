/**
 * HEPv3 (Homer Encapsulation Protocol), the capture feed Kamailio, OpenSIPS, Asterisk and
 * FreeSWITCH send: it carries SIP that is TLS-encrypted on the wire. A packet is "HEP3",
 * a 16-bit total length, then chunks of (vendor 16, type 16, length 16 incl. this header,
 * value). Generic chunks (vendor 0) used here:
 *   1 IP family  2 IP protocol  3/4 IPv4 src/dst  5/6 IPv6 src/dst  7/8 src/dst port
 *   9 timestamp seconds  10 timestamp microseconds  11 protocol type (1 = SIP)
 *   12 capture agent id  15 payload
 * Unknown chunks and other vendors' chunks are skipped.
 */

import { u32be } from '../net/bytes.js';
import type { Transport } from '../types.js';
import { ipv4Text, ipv6Text } from './addr.js';

export interface HepPacket {
  /** Epoch seconds from chunks 9/10, or null when the agent sent no timestamp. */
  at: number | null;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  /** From the IP protocol chunk (6 tcp, 17 udp, 132 sctp, 22 tls: see IP_PROTO_TLS); the caller may know better. */
  transport: Transport;
  /** Chunk 11: 1 = SIP; null when absent. */
  protoType: number | null;
  captureId: number | null;
  payload: Uint8Array;
}

/**
 * Kamailio's siptrace has no IP protocol number for TLS, WS or WSS and writes IPPROTO_IDP
 * (22) as a "fake proto type" (siptrace_hep.c, pipport2su; seen from Kamailio 5.6 in
 * test/e2e/tls-hep.test.ts). Read as the UDP default, a TLS attacker's block record, its
 * history, the UI and the mails all said udp. WebSocket arrives the same way: 'tls' is
 * the nearer truth for both (a connection-oriented transport, TLS on a WSS port).
 */
const IP_PROTO_TLS = 22;

function transportOf(ipProto: number): Transport {
  if (ipProto === 6) return 'tcp';
  if (ipProto === 132) return 'sctp';
  if (ipProto === IP_PROTO_TLS) return 'tls';
  return 'udp';
}

/** One HEPv3 packet, or null when it is not one or is malformed. Never throws. */
export function decodeHep(buf: Uint8Array): HepPacket | null {
  if (buf.length < 6 || buf[0] !== 0x48 || buf[1] !== 0x45 || buf[2] !== 0x50 || buf[3] !== 0x33) return null;
  const total = (buf[4]! << 8) | buf[5]!;
  if (total < 6 || total > buf.length) return null;
  let src: string | null = null;
  let dst: string | null = null;
  let sport = -1;
  let dport = -1;
  let sec = -1;
  let usec = 0;
  let ipProto = -1;
  let protoType: number | null = null;
  let captureId: number | null = null;
  let payload: Uint8Array | null = null;
  let p = 6;
  while (p + 6 <= total) {
    const vendor = (buf[p]! << 8) | buf[p + 1]!;
    const type = (buf[p + 2]! << 8) | buf[p + 3]!;
    const len = (buf[p + 4]! << 8) | buf[p + 5]!;
    if (len < 6 || p + len > total) return null;
    const v = p + 6;
    const vlen = len - 6;
    if (vendor === 0) {
      switch (type) {
        case 2:
          if (vlen === 1) ipProto = buf[v]!;
          break;
        case 3:
          if (vlen === 4) src = ipv4Text(buf, v);
          break;
        case 4:
          if (vlen === 4) dst = ipv4Text(buf, v);
          break;
        case 5:
          if (vlen === 16) src = ipv6Text(buf, v);
          break;
        case 6:
          if (vlen === 16) dst = ipv6Text(buf, v);
          break;
        case 7:
          if (vlen === 2) sport = (buf[v]! << 8) | buf[v + 1]!;
          break;
        case 8:
          if (vlen === 2) dport = (buf[v]! << 8) | buf[v + 1]!;
          break;
        case 9:
          if (vlen === 4) sec = u32be(buf, v);
          break;
        case 10:
          if (vlen === 4) usec = u32be(buf, v);
          break;
        case 11:
          if (vlen === 1) protoType = buf[v]!;
          break;
        case 12:
          if (vlen === 4) captureId = u32be(buf, v);
          break;
        case 15:
          payload = buf.subarray(v, v + vlen);
          break;
      }
    }
    p += len;
  }
  if (src === null || dst === null || sport < 0 || dport < 0 || payload === null) return null;
  return {
    at: sec >= 0 ? sec + usec / 1e6 : null,
    src,
    sport,
    dst,
    dport,
    transport: transportOf(ipProto),
    protoType,
    captureId,
    payload,
  };
}

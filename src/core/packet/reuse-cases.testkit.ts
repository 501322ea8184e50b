/**
 * Frames whose bytes a decoder must keep across packets (IP fragments, TCP segments out of
 * order): the cases the reused-buffer harness feeds to catch a decoder keeping views.
 */
import { ethernet, fragment4, ipv4, sipText, tcpSegments, udp } from './packets.testkit.js';

const SRC = '203.0.113.66';
const DST = '192.0.2.1';

/** A scanner REGISTER padded to `size` bytes, as IPv4 fragments of at most `piece` bytes (Ethernet frames). */
export function buildIpv4Fragments(size: number, piece: number): Uint8Array[] {
  const msg = paddedRegister(size, 'reuse-frag-1');
  const packet = ipv4({ src: SRC, dst: DST, proto: 17, payload: udp(5070, 5060, msg), id: 0x4242 });
  return fragment4(packet, Math.floor(piece / 8) * 8).map((f) => ethernet(f));
}

/** A scanner REGISTER of `size` bytes over TCP in segments of `piece` bytes, optionally with the middle ones swapped. */
export function buildTcpSegments(size: number, piece: number, shuffle: boolean): Uint8Array[] {
  const msg = paddedRegister(size, 'reuse-call-1');
  const chunks: Uint8Array[] = [];
  for (let off = 0; off < msg.length; off += piece)
    chunks.push(msg.subarray(off, Math.min(msg.length, off + piece)));
  const segs = tcpSegments({ src: SRC, sport: 40000, dst: DST, dport: 5060, chunks }).map((s) =>
    ethernet(s.packet),
  );
  if (shuffle && segs.length >= 3) {
    // The last data segment (the headers that matter) first: it is held out of order.
    const n = segs.length;
    const t = segs[n - 1]!;
    segs[n - 1] = segs[n - 2]!;
    segs[n - 2] = t;
  }
  return segs;
}

/** Padding first, then the headers that matter, so every piece carries something the rules read. */
function paddedRegister(size: number, callId: string): Uint8Array {
  const lines = (pad: string) => [
    'REGISTER sip:pbx.example.com SIP/2.0',
    'Via: SIP/2.0/UDP 203.0.113.66:5070;branch=z9hG4bK-reuse',
    `X-Pad: ${pad}`,
    'From: <sip:100@pbx.example.com>;tag=reuse',
    'To: <sip:100@pbx.example.com>',
    `Call-ID: ${callId}`,
    'CSeq: 1 REGISTER',
    'User-Agent: friendly-scanner',
    'Content-Length: 0',
  ];
  const base = sipText(lines('')).length;
  return sipText(lines('p'.repeat(Math.max(0, size - base))));
}

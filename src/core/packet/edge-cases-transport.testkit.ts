/** Edge-case captures of the transport layers: IP fragments and a TCP stream (see edge-cases.ts). */

import { type EdgeCapture, ev, PBX4, PBX6, T } from './edge-cases.testkit.js';
import {
  type CaptureFrame,
  concat,
  ethernet,
  ethernetUdp4,
  fragment4,
  fragment6,
  ipv4,
  sipRequest,
  sipResponse,
  splitAt,
  tcpSegments,
  udp,
  writePcap,
} from './packets.testkit.js';

const SDP = `v=0\r\no=- 1 1 IN IP4 203.0.113.50\r\ns=-\r\nc=IN IP4 203.0.113.50\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 101\r\n${'a=rtpmap:101 telephone-event/8000\r\n'.repeat(60)}`;

/** A large INVITE fragmented over IPv4 (fragments out of order) and IPv6 (after a hop-by-hop header). */
export function fragments(): EdgeCapture {
  const a4 = '203.0.113.50';
  const a6 = '2001:db8:0:2::50';
  const inv4 = sipRequest({
    method: 'INVITE',
    user: '0044201234567',
    fromUser: '301',
    callId: 'frag-v4',
    authUser: '301',
    body: SDP,
  });
  const inv6 = sipRequest({
    method: 'INVITE',
    user: '0044201234567',
    fromUser: '302',
    callId: 'frag-v6',
    body: SDP,
  });
  const f4 = fragment4(
    ipv4({ src: a4, dst: PBX4, proto: 17, payload: udp(5062, 5060, inv4), id: 4242 }),
    1200,
  );
  const f6 = fragment6(a6, PBX6, 17, udp(5062, 5060, inv6), 1232, 0xabcdef, [
    { type: 0, body: new Uint8Array(6) },
  ]);
  const c407 = sipResponse({ status: 407, method: 'INVITE', user: '0044201234567', callId: 'frag-v4' });
  if (f4.length !== 3) throw new Error(`expected 3 IPv4 fragments, got ${f4.length}`);
  const frames: CaptureFrame[] = [
    ...[f4[2]!, f4[0]!, f4[1]!].map((ip, i) => ({ at: T + 1 + i * 0.001, frame: ethernet(ip) })),
    { at: T + 1.01, frame: ethernetUdp4(PBX4, 5060, a4, 5062, c407) },
    ...f6.map((ip, i) => ({ at: T + 2 + i * 0.001, frame: ethernet(ip) })),
  ];
  const last6 = T + 2 + (f6.length - 1) * 0.001;
  return {
    file: 'ip-fragments.pcap',
    description: 'A large INVITE fragmented over IPv4 (out of order) and IPv6 (with a hop-by-hop header)',
    sipPorts: [{ from: 5060, to: 5060 }],
    data: writePcap(frames),
    expected: [
      ev(T + 1.002, a4, 5062, PBX4, 5060, 'udp', {
        kind: 'request',
        method: 'INVITE',
        callId: 'frag-v4',
        fromUser: '301',
        authUser: '301',
        userAgent: 'TestPhone/1.0',
      }),
      ev(T + 1.01, PBX4, 5060, a4, 5062, 'udp', {
        kind: 'response',
        method: 'INVITE',
        status: 407,
        callId: 'frag-v4',
        fromUser: '0044201234567',
      }),
      ev(last6, a6, 5062, PBX6, 5060, 'udp', {
        kind: 'request',
        method: 'INVITE',
        callId: 'frag-v6',
        fromUser: '302',
        userAgent: 'TestPhone/1.0',
      }),
    ],
  };
}

/** One TCP connection: coalesced messages, a split one, a retransmission, reordering, FIN. */
export function tcpStream(): EdgeCapture {
  const cl = '203.0.113.60';
  const m = (i: number) =>
    sipRequest({
      user: `40${i}`,
      callId: `tcp-${i}`,
      cseq: i + 1,
      authUser: `40${i}`,
      userAgent: 'sipcli/v1.8',
    });
  const r = (i: number) => sipResponse({ status: 403, user: `40${i}`, callId: `tcp-${i}`, cseq: i + 1 });
  const up = concat(m(0), m(1), m(2), m(3), m(4));
  const l0 = m(0).length;
  const l01 = l0 + m(1).length;
  const l012 = l01 + m(2).length;
  // chunks: [m0+m1 coalesced] [m2 head] [m2 tail + m3 head] [m3 tail] [m4]
  const chunks = splitAt(up, l01, l01 + 50, l012 + 100, l012 + m(3).length);
  const segs = tcpSegments({
    src: cl,
    sport: 40001,
    dst: PBX4,
    dport: 5060,
    chunks,
    isn: 0xfffff000,
    fin: true,
  });
  const down = tcpSegments({
    src: PBX4,
    sport: 5060,
    dst: cl,
    dport: 40001,
    chunks: [concat(r(0), r(1)), r(2)],
    isn: 7,
  });
  const [syn, c01, c2a, c2b, c3, c4, fin] = segs;
  const order = [syn!, down[0]!, c01!, down[1]!, c2a!, c01!, c3!, c2b!, down[2]!, c4!, fin!];
  const frames = order.map((s, i) => ({ at: T + 3 + i * 0.01, frame: ethernet(s.packet) }));
  const at = (i: number) => T + 3 + i * 0.01;
  const up1 = (i: number, t: number) =>
    ev(t, cl, 40001, PBX4, 5060, 'tcp', {
      kind: 'request',
      method: 'REGISTER',
      callId: `tcp-${i}`,
      fromUser: `40${i}`,
      authUser: `40${i}`,
      userAgent: 'sipcli/v1.8',
    });
  const dn = (i: number, t: number) =>
    ev(t, PBX4, 5060, cl, 40001, 'tcp', {
      kind: 'response',
      method: 'REGISTER',
      status: 403,
      callId: `tcp-${i}`,
      fromUser: `40${i}`,
    });
  return {
    file: 'tcp-stream.pcap',
    description:
      'One SIP/TCP connection across the 2^32 sequence wrap: coalesced messages, a message split over segments, a retransmission, out-of-order delivery, FIN',
    sipPorts: [{ from: 5060, to: 5060 }],
    data: writePcap(frames),
    expected: [
      up1(0, at(2)),
      up1(1, at(2)),
      dn(0, at(3)),
      dn(1, at(3)),
      up1(2, at(7)), // completed when the held segment after it fills the gap
      up1(3, at(7)),
      dn(2, at(8)),
      up1(4, at(9)),
    ],
  };
}

/**
 * Hand-made edge-case captures (testdata/edge/): each is a capture file's bytes plus the
 * SIP messages a correct decoder must find in it, written down from what was put in (not
 * from what the decoder says). testdata/edge/generate.ts writes them to disk; the test
 * src/capture/edge-captures.test.ts replays the committed files and checks both.
 */

import { fragments, tcpStream } from './edge-cases-transport.testkit.js';
import {
  bytes,
  type CaptureFrame,
  ethernet,
  ethernetUdp4,
  ethernetUdp6,
  ipv4,
  nullLink,
  sipRequest,
  sipResponse,
  sipText,
  sll,
  sll2,
  tcpPacket,
  udpPacket,
  writePcap,
  writePcapng,
} from './packets.testkit.js';

/** What one decoded message must look like (a subset of SipEvent + SipMessage). */
export interface ExpectedEvent {
  at: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  transport: 'udp' | 'tcp';
  kind: 'request' | 'response';
  method: string;
  status: number | null;
  callId: string | null;
  fromUser: string | null;
  authUser: string | null;
  userAgent: string | null;
}

export interface EdgeCapture {
  /** File name in testdata/edge/. */
  file: string;
  description: string;
  /** SIP ports and protocols to decode with. */
  sipPorts: Array<{ from: number; to: number }>;
  data: Uint8Array;
  expected: ExpectedEvent[];
}

export const T = 1700000000;
export const PBX4 = '198.51.100.1';
export const PBX6 = '2001:db8::1';

export function ev(
  at: number,
  src: string,
  sport: number,
  dst: string,
  dport: number,
  transport: 'udp' | 'tcp',
  m: Partial<ExpectedEvent> & Pick<ExpectedEvent, 'kind' | 'method' | 'callId'>,
): ExpectedEvent {
  return {
    at,
    src,
    sport,
    dst,
    dport,
    transport,
    status: null,
    fromUser: null,
    authUser: null,
    userAgent: null,
    ...m,
  };
}

/** A phone registering over IPv6: REGISTER → 401 → REGISTER with credentials → 200. */
function ipv6Registration(): EdgeCapture {
  const phone = '2001:db8:0:1::64';
  const reg1 = sipRequest({ user: '201', callId: 'v6-reg', cseq: 1, userAgent: 'Yealink SIP-T46S 66.85' });
  const c401 = sipResponse({ status: 401, user: '201', callId: 'v6-reg', cseq: 1 });
  const reg2 = sipRequest({
    user: '201',
    callId: 'v6-reg',
    cseq: 2,
    authUser: '201',
    userAgent: 'Yealink SIP-T46S 66.85',
  });
  const ok = sipResponse({ status: 200, user: '201', callId: 'v6-reg', cseq: 2 });
  const frames: CaptureFrame[] = [
    { at: T + 0.1, frame: ethernetUdp6(phone, 5060, PBX6, 5060, reg1) },
    { at: T + 0.11, frame: ethernetUdp6(PBX6, 5060, phone, 5060, c401) },
    { at: T + 0.2, frame: ethernetUdp6(phone, 5060, PBX6, 5060, reg2) },
    { at: T + 0.21, frame: ethernetUdp6(PBX6, 5060, phone, 5060, ok) },
  ];
  const ua = 'Yealink SIP-T46S 66.85';
  return {
    file: 'ipv6-registration.pcap',
    description: 'IPv6 phone registration with a digest challenge (Ethernet, UDP)',
    sipPorts: [{ from: 5060, to: 5060 }],
    data: writePcap(frames),
    expected: [
      ev(T + 0.1, phone, 5060, PBX6, 5060, 'udp', {
        kind: 'request',
        method: 'REGISTER',
        callId: 'v6-reg',
        fromUser: '201',
        userAgent: ua,
      }),
      ev(T + 0.11, PBX6, 5060, phone, 5060, 'udp', {
        kind: 'response',
        method: 'REGISTER',
        status: 401,
        callId: 'v6-reg',
        fromUser: '201',
      }),
      ev(T + 0.2, phone, 5060, PBX6, 5060, 'udp', {
        kind: 'request',
        method: 'REGISTER',
        callId: 'v6-reg',
        fromUser: '201',
        authUser: '201',
        userAgent: ua,
      }),
      ev(T + 0.21, PBX6, 5060, phone, 5060, 'udp', {
        kind: 'response',
        method: 'REGISTER',
        status: 200,
        callId: 'v6-reg',
        fromUser: '201',
      }),
    ],
  };
}

/** Compact header names, folded lines, odd case, bare LF. */
function compactFolded(): EdgeCapture {
  const src = '203.0.113.70';
  const compact = sipText([
    'OPTIONS sip:100@198.51.100.1 SIP/2.0',
    'v: SIP/2.0/UDP 203.0.113.70:5070;branch=z9hG4bK-compact',
    'f: "scan" <sip:100@198.51.100.1>;tag=1',
    't: <sip:100@198.51.100.1>',
    'i: compact-1',
    'CSEQ: 1 OPTIONS',
    'USER-AGENT: friendly-scanner',
    'l: 0',
  ]);
  const folded = sipText([
    'REGISTER sip:198.51.100.1 SIP/2.0',
    'Via: SIP/2.0/UDP 203.0.113.70:5070',
    '  ;branch=z9hG4bK-folded',
    'From:',
    '  <sip:555@198.51.100.1>;tag=2',
    'To: <sip:555@198.51.100.1>',
    'Call-ID: folded-1',
    'CSeq: 9 REGISTER',
    'User-Agent: Acme',
    '\tPhone 2.0',
    'Authorization: Digest realm="pbx",',
    '   username="555", nonce="n"',
    'Content-Length: 0',
  ]);
  const lf = bytes(
    'INVITE sip:600@198.51.100.1 SIP/2.0\nCall-ID: bare-lf\nFrom: <tel:+15551230000>\nCSeq: 1 INVITE\n\n',
  );
  const frames: CaptureFrame[] = [
    { at: T + 4, frame: ethernetUdp4(src, 5070, PBX4, 5060, compact) },
    { at: T + 4.1, frame: ethernetUdp4(src, 5070, PBX4, 5060, folded) },
    { at: T + 4.2, frame: ethernetUdp4(src, 5070, PBX4, 5060, lf) },
  ];
  return {
    file: 'compact-folded.pcap',
    description: 'Compact header names, folded header lines, odd header case, bare LF line ends',
    sipPorts: [{ from: 5060, to: 5060 }],
    data: writePcap(frames),
    expected: [
      ev(T + 4, src, 5070, PBX4, 5060, 'udp', {
        kind: 'request',
        method: 'OPTIONS',
        callId: 'compact-1',
        fromUser: '100',
        userAgent: 'friendly-scanner',
      }),
      ev(T + 4.1, src, 5070, PBX4, 5060, 'udp', {
        kind: 'request',
        method: 'REGISTER',
        callId: 'folded-1',
        fromUser: '555',
        authUser: '555',
        userAgent: 'Acme Phone 2.0',
      }),
      ev(T + 4.2, src, 5070, PBX4, 5060, 'udp', {
        kind: 'request',
        method: 'INVITE',
        callId: 'bare-lf',
        fromUser: '+15551230000',
      }),
    ],
  };
}

/** Garbage on the SIP port around one real message: none of it may crash or decode. */
function garbage(): EdgeCapture {
  const src = '203.0.113.80';
  const junk = new Uint8Array(300);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 131 + 7) & 255;
  const options = sipRequest({
    method: 'OPTIONS',
    user: '100',
    callId: 'between-garbage',
    userAgent: 'sipvicious',
  });
  const good = ethernetUdp4(src, 5060, PBX4, 5060, options);
  const frames: CaptureFrame[] = [
    { at: T + 5, frame: ethernetUdp4(src, 5060, PBX4, 5060, junk) },
    {
      at: T + 5.01,
      frame: ethernetUdp4(src, 5060, PBX4, 5060, bytes('GET / HTTP/1.1\r\nHost: pbx\r\n\r\n')),
    },
    { at: T + 5.02, frame: ethernetUdp4(src, 5060, PBX4, 5060, bytes('\r\n\r\n')) },
    {
      at: T + 5.03,
      frame: ethernetUdp4(
        src,
        5060,
        PBX4,
        5060,
        Uint8Array.from([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
      ),
    },
    { at: T + 5.04, frame: good.subarray(0, 30) }, // truncated in the IP header
    { at: T + 5.05, frame: good.subarray(0, 60) }, // truncated in the UDP payload (IP length says more)
    { at: T + 5.06, frame: ethernetUdp4(src, 5060, PBX4, 5060, bytes('REGISTER sip:pbx SIP/2')) },
    { at: T + 5.07, frame: ethernet(new Uint8Array(28), { etherType: 0x0806 }) }, // ARP
    { at: T + 5.08, frame: good },
    { at: T + 5.09, frame: ethernet(ipv4({ src, dst: PBX4, proto: 17, payload: junk.subarray(0, 7) })) },
  ];
  return {
    file: 'garbage.pcap',
    description:
      'Binary, HTTP, STUN, keep-alives, truncated frames, ARP and one real OPTIONS on the SIP port',
    sipPorts: [{ from: 5060, to: 5060 }],
    data: writePcap(frames),
    expected: [
      ev(T + 5.08, src, 5060, PBX4, 5060, 'udp', {
        kind: 'request',
        method: 'OPTIONS',
        callId: 'between-garbage',
        fromUser: '100',
        userAgent: 'sipvicious',
      }),
    ],
  };
}

/** What `tcpdump -i any` writes: Linux cooked v2; IPv4 and IPv6; a port range. */
function linuxAny(): EdgeCapture {
  const a = '203.0.113.90';
  const b = '2001:db8:0:3::90';
  const r1 = sipRequest({
    method: 'REGISTER',
    user: '700',
    callId: 'sll2-v4',
    userAgent: 'PolycomVVX-VVX_411-UA/6.3',
  });
  const r2 = sipRequest({ method: 'INVITE', user: '701', callId: 'sll2-v6' });
  const frames: CaptureFrame[] = [
    { at: T + 6, frame: sll2(udpPacket(a, 5080, PBX4, 5082, r1)) },
    { at: T + 6.5, frame: sll2(udpPacket(b, 5080, PBX6, 5081, r2)) },
    { at: T + 6.6, frame: sll2(udpPacket(a, 40000, PBX4, 5090, r2)) }, // neither port is a SIP port
  ];
  return {
    file: 'linux-sll2.pcap',
    description: 'Linux cooked v2 (tcpdump -i any), IPv4 and IPv6, SIP ports 5080-5082',
    sipPorts: [{ from: 5080, to: 5082 }],
    data: writePcap(frames, { linkType: 276, nano: true }),
    expected: [
      ev(T + 6, a, 5080, PBX4, 5082, 'udp', {
        kind: 'request',
        method: 'REGISTER',
        callId: 'sll2-v4',
        fromUser: '700',
        userAgent: 'PolycomVVX-VVX_411-UA/6.3',
      }),
      ev(T + 6.5, b, 5080, PBX6, 5081, 'udp', {
        kind: 'request',
        method: 'INVITE',
        callId: 'sll2-v6',
        fromUser: '701',
        userAgent: 'TestPhone/1.0',
      }),
    ],
  };
}

/** pcapng, big-endian, three interfaces: Ethernet with QinQ, Linux SLL, BSD null loopback. */
function pcapngMixed(): EdgeCapture {
  const a = '203.0.113.100';
  const m1 = sipRequest({ method: 'OPTIONS', user: '800', callId: 'ng-qinq' });
  const m2 = sipResponse({ status: 404, method: 'REGISTER', user: '801', callId: 'ng-sll' });
  const m3 = sipRequest({ method: 'REGISTER', user: '802', callId: 'ng-null', authUser: '802' });
  const tcpSeg = tcpPacket(a, PBX4, { sport: 40100, dport: 5060, seq: 1, payload: m3 });
  const frames: CaptureFrame[] = [
    { at: T + 7, frame: ethernetUdp4(a, 5060, PBX4, 5060, m1, { vlans: [100, 200], qinq: true }), iface: 0 },
    { at: T + 7.25, frame: sll(udpPacket(PBX4, 5060, a, 5060, m2)), iface: 1 },
    { at: T + 7.5, frame: nullLink(tcpSeg, { bigEndian: true }), iface: 2 },
  ];
  return {
    file: 'mixed-links.pcapng',
    description:
      'pcapng (big-endian, ns and µs resolutions) with Ethernet QinQ, Linux SLL and BSD loopback interfaces',
    sipPorts: [{ from: 5060, to: 5060 }],
    data: writePcapng(frames, {
      bigEndian: true,
      interfaces: [{ linkType: 1, tsresol: 9 }, { linkType: 113 }, { linkType: 0, tsresol: 6 }],
      extraBlocks: [{ type: 5, body: new Uint8Array(20) }], // an Interface Statistics Block to skip
    }),
    expected: [
      ev(T + 7, a, 5060, PBX4, 5060, 'udp', {
        kind: 'request',
        method: 'OPTIONS',
        callId: 'ng-qinq',
        fromUser: '800',
        userAgent: 'TestPhone/1.0',
      }),
      ev(T + 7.25, PBX4, 5060, a, 5060, 'udp', {
        kind: 'response',
        method: 'REGISTER',
        status: 404,
        callId: 'ng-sll',
        fromUser: '801',
      }),
      ev(T + 7.5, a, 40100, PBX4, 5060, 'tcp', {
        kind: 'request',
        method: 'REGISTER',
        callId: 'ng-null',
        fromUser: '802',
        authUser: '802',
        userAgent: 'TestPhone/1.0',
      }),
    ],
  };
}

export function edgeCaptures(): EdgeCapture[] {
  return [
    ipv6Registration(),
    fragments(),
    tcpStream(),
    compactFolded(),
    garbage(),
    linuxAny(),
    pcapngMixed(),
  ];
}

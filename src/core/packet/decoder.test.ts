import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAddress } from '../net/ip.js';
import { ipv6Text } from './addr.js';
import { Decoder, type DecoderOptions } from './decoder.js';
import {
  addrBytes,
  bytes,
  concat,
  ethernet,
  ethernetUdp4,
  ethernetUdp6,
  ipv4,
  ipv6,
  loopLink,
  nullLink,
  sipRequest,
  sipResponse,
  sll,
  sll2,
  udp,
  udpPacket,
} from './packets.testkit.js';

const OPTS: DecoderOptions = { sipPorts: [{ from: 5060, to: 5060 }], protocols: ['udp', 'tcp'] };
const AT = 1700000000.25;
const REG = sipRequest({ user: '200', callId: 'link-test', authUser: '200' });

function only(d: Decoder, linkType: number, frame: Uint8Array) {
  const ev = d.push(linkType, AT, frame);
  assert.equal(ev.length, 1, `one event (stats ${JSON.stringify(d.stats)})`);
  return ev[0]!;
}

describe('Decoder: link types', () => {
  const v4 = udpPacket('203.0.113.9', 5062, '198.51.100.1', 5060, REG);
  const v6 = udpPacket('2001:db8::9', 5062, '2001:db8::1', 5060, REG);
  const cases: Array<[string, number, Uint8Array, string]> = [
    ['Ethernet IPv4', 1, ethernet(v4), '203.0.113.9'],
    ['Ethernet IPv6', 1, ethernet(v6), '2001:db8::9'],
    ['802.1Q', 1, ethernet(v4, { vlans: [42] }), '203.0.113.9'],
    ['QinQ 802.1ad', 1, ethernet(v6, { vlans: [100, 200], qinq: true }), '2001:db8::9'],
    ['triple tag', 1, ethernet(v4, { vlans: [1, 2, 3] }), '203.0.113.9'],
    ['Linux SLL', 113, sll(v4), '203.0.113.9'],
    ['Linux SLL IPv6', 113, sll(v6), '2001:db8::9'],
    ['Linux SLL2', 276, sll2(v4), '203.0.113.9'],
    ['Linux SLL2 IPv6', 276, sll2(v6), '2001:db8::9'],
    ['raw 101 IPv4', 101, v4, '203.0.113.9'],
    ['raw 101 IPv6', 101, v6, '2001:db8::9'],
    ['raw 12', 12, v4, '203.0.113.9'],
    ['raw 14', 14, v6, '2001:db8::9'],
    ['LINKTYPE_IPV4', 228, v4, '203.0.113.9'],
    ['LINKTYPE_IPV6', 229, v6, '2001:db8::9'],
    ['null little-endian IPv4', 0, nullLink(v4), '203.0.113.9'],
    ['null big-endian IPv4', 0, nullLink(v4, { bigEndian: true }), '203.0.113.9'],
    ['null macOS IPv6 (30)', 0, nullLink(v6, { af6: 30 }), '2001:db8::9'],
    ['null FreeBSD IPv6 (28)', 0, nullLink(v6, { af6: 28 }), '2001:db8::9'],
    ['null OpenBSD IPv6 (24)', 0, nullLink(v6, { af6: 24, bigEndian: true }), '2001:db8::9'],
    ['null Linux IPv6 (10)', 0, nullLink(v6, { af6: 10 }), '2001:db8::9'],
    ['OpenBSD loop IPv4', 108, loopLink(v4), '203.0.113.9'],
    ['OpenBSD loop IPv6', 108, loopLink(v6), '2001:db8::9'],
    [
      'PPPoE session',
      1,
      ethernet(
        concat(Uint8Array.from([0x11, 0, 0, 1, (v4.length + 2) >> 8, (v4.length + 2) & 255, 0, 0x21]), v4),
        {
          etherType: 0x8864,
        },
      ),
      '203.0.113.9',
    ],
  ];
  for (const [name, linkType, frame, src] of cases) {
    it(name, () => {
      const d = new Decoder(OPTS);
      const e = only(d, linkType, frame);
      assert.equal(e.src, src);
      assert.equal(e.sport, 5062);
      assert.equal(e.dport, 5060);
      assert.equal(e.transport, 'udp');
      assert.equal(e.at, AT);
      assert.equal(e.msg.callId, 'link-test');
      assert.equal(e.msg.authUser, '200');
    });
  }

  it('counts frames without IP and unknown link types', () => {
    const d = new Decoder(OPTS);
    const arp = ethernet(new Uint8Array(28), { etherType: 0x0806 });
    assert.deepEqual(d.push(1, AT, arp), []);
    assert.deepEqual(d.push(147, AT, udpPacket('192.0.2.1', 5060, '192.0.2.2', 5060, REG)), []);
    assert.deepEqual(d.push(0, AT, Uint8Array.from([99, 0, 0, 0, 0x45])), []);
    assert.deepEqual(d.push(101, AT, Uint8Array.from([0x55, 1, 2])), []);
    assert.equal(d.stats.notIp, 4);
    assert.equal(d.stats.frames, 4);
    assert.equal(d.stats.sip, 0);
  });
});

describe('Decoder: IP layer', () => {
  it('skips IPv4 options', () => {
    const d = new Decoder(OPTS);
    const opts = Uint8Array.from([0x94, 4, 0, 0, 1, 1, 1, 0]); // router alert + NOPs
    const pkt = ipv4({
      src: '192.0.2.1',
      dst: '192.0.2.2',
      proto: 17,
      payload: udp(5060, 5060, REG),
      options: opts,
    });
    assert.equal(only(d, 101, pkt).msg.callId, 'link-test');
  });

  it('ignores Ethernet padding and trailers past the IP length', () => {
    const d = new Decoder(OPTS);
    const cut = bytes('OPTIONS sip:h SIP/2.0\r\nCall-ID: abc');
    const frame = concat(ethernetUdp4('192.0.2.1', 5060, '192.0.2.2', 5060, cut), bytes('XYZ\r\n'));
    assert.equal(only(d, 1, frame).msg.callId, 'abc');
  });

  it('walks IPv6 extension headers', () => {
    const d = new Decoder(OPTS);
    const pkt = ipv6({
      src: 'fe80::1',
      dst: 'ff02::1:2',
      nextHeader: 17,
      payload: udp(5060, 5060, REG),
      ext: [
        { type: 0, body: new Uint8Array(6) },
        { type: 60, body: new Uint8Array(12) },
        { type: 43 },
        { type: 51 },
      ],
    });
    const e = only(d, 101, pkt);
    assert.equal(e.src, 'fe80::1');
    assert.equal(e.dst, 'ff02::1:2');
  });

  it('treats an atomic IPv6 fragment as a whole packet', () => {
    const d = new Decoder(OPTS);
    const pkt = ipv6({
      src: '2001:db8::5',
      dst: '2001:db8::6',
      nextHeader: 17,
      payload: udp(5060, 5060, REG),
      ext: [{ type: 44, body: Uint8Array.from([0, 0, 0, 0, 0, 7]) }],
    });
    assert.equal(only(d, 101, pkt).msg.callId, 'link-test');
    assert.equal(d.stats.fragments, 0);
  });

  it('drops ESP, no-next-header and unknown protocols as filtered', () => {
    const d = new Decoder(OPTS);
    d.push(101, AT, ipv6({ src: '::1', dst: '::1', nextHeader: 59, payload: new Uint8Array(0) }));
    d.push(101, AT, ipv6({ src: '::1', dst: '::1', nextHeader: 50, payload: new Uint8Array(16) }));
    d.push(101, AT, ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: 1, payload: new Uint8Array(8) }));
    assert.equal(d.stats.filtered, 3);
    assert.equal(d.stats.malformed, 0);
  });

  it('counts malformed headers', () => {
    const d = new Decoder(OPTS);
    const good = ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: 17, payload: udp(5060, 5060, REG) });
    const longer = ipv4({
      src: '192.0.2.1',
      dst: '192.0.2.2',
      proto: 17,
      payload: udp(5060, 5060, REG),
      totalLength: good.length + 10,
    });
    const badIhl = good.slice();
    badIhl[0] = 0x43;
    const badUdpLen = ipv4({
      src: '192.0.2.1',
      dst: '192.0.2.2',
      proto: 17,
      payload: udp(5060, 5060, REG, 4),
    });
    const overUdpLen = ipv4({
      src: '192.0.2.1',
      dst: '192.0.2.2',
      proto: 17,
      payload: udp(5060, 5060, REG, 9999),
    });
    const shortV6 = ipv6({
      src: '::1',
      dst: '::1',
      nextHeader: 17,
      payload: udp(5060, 5060, REG),
      payloadLength: 9999,
    });
    for (const p of [longer, badIhl, badUdpLen, overUdpLen, shortV6, good.subarray(0, 19)]) {
      assert.deepEqual(d.push(101, AT, p), []);
    }
    assert.equal(d.stats.malformed, 6);
  });

  it('decodes every prefix of a frame without throwing', () => {
    const d = new Decoder(OPTS);
    for (const frame of [
      ethernetUdp4('192.0.2.1', 5060, '192.0.2.2', 5060, REG, { vlans: [7] }),
      ethernetUdp6('2001:db8::1', 5060, '2001:db8::2', 5060, REG),
      sll2(udpPacket('192.0.2.1', 5060, '192.0.2.2', 5060, REG)),
    ]) {
      let events = 0;
      for (let n = 0; n <= frame.length; n++) events += d.push(1, AT, frame.subarray(0, n)).length;
      assert.ok(events <= 1);
    }
  });
});

describe('Decoder: ports, protocols, payloads', () => {
  it('parses only SIP ports, in ranges, in either direction', () => {
    const d = new Decoder({
      sipPorts: [
        { from: 5060, to: 5062 },
        { from: 5080, to: 5080 },
      ],
      protocols: ['udp'],
    });
    const f = (sport: number, dport: number) => ethernetUdp4('192.0.2.1', sport, '192.0.2.2', dport, REG);
    assert.equal(d.push(1, AT, f(40000, 5061)).length, 1);
    assert.equal(d.push(1, AT, f(5080, 40000)).length, 1, 'answers from the SIP port');
    assert.equal(d.push(1, AT, f(40000, 5063)).length, 0);
    assert.equal(d.push(1, AT, f(53, 40000)).length, 0);
    assert.equal(d.stats.filtered, 2);
  });

  it('honours the protocol list', () => {
    const d = new Decoder({ sipPorts: [{ from: 5060, to: 5060 }], protocols: ['tcp'] });
    assert.deepEqual(d.push(1, AT, ethernetUdp4('192.0.2.1', 5060, '192.0.2.2', 5060, REG)), []);
    assert.equal(d.stats.filtered, 1);
  });

  it('separates keep-alives from payloads that are not SIP', () => {
    const d = new Decoder(OPTS);
    const f = (p: Uint8Array) => d.push(1, AT, ethernetUdp4('192.0.2.1', 5060, '192.0.2.2', 5060, p));
    f(bytes('\r\n\r\n'));
    f(bytes('\r\n'));
    f(new Uint8Array(0));
    f(Uint8Array.from([0, 0, 0, 0]));
    f(bytes('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    f(Uint8Array.from([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
    assert.equal(d.stats.keepalives, 4);
    assert.equal(d.stats.notSip, 2);
    assert.equal(d.stats.sip, 0);
  });

  it('reports responses with the network facts around them', () => {
    const d = new Decoder(OPTS);
    const resp = sipResponse({ status: 401, user: '200', callId: 'c401', cseq: 3 });
    const e = only(d, 1, ethernetUdp6('2001:db8:0:0:1::1', 5060, '2001:db8::77', 40123, resp));
    assert.equal(e.src, '2001:db8::1:0:0:1', 'RFC 5952: the leftmost of equal zero runs');
    assert.equal(e.dst, '2001:db8::77');
    assert.equal(e.sport, 5060);
    assert.equal(e.dport, 40123);
    assert.equal(e.msg.status, 401);
    assert.equal(e.msg.method, 'REGISTER');
    assert.equal(e.msg.cseq, 3);
  });
});

describe('ipv6Text', () => {
  it('matches core/ip formatAddress (RFC 5952) on tricky and random addresses', () => {
    const fixed = [
      '::',
      '::1',
      '1::',
      '2001:db8::1',
      '2001:db8:0:1:1:1:1:1',
      '2001:0:0:1::1',
      'fe80::1:0:0:1',
      '1:0:0:2:0:0:0:3',
    ];
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed;
    };
    const samples = fixed.map(addrBytes);
    for (let i = 0; i < 2000; i++) {
      const b = new Uint8Array(16);
      for (let j = 0; j < 8; j++) {
        const w = rnd() % 3 === 0 ? 0 : rnd() & 0xffff;
        b[2 * j] = w >> 8;
        b[2 * j + 1] = w & 255;
      }
      samples.push(b);
    }
    for (const b of samples) assert.equal(ipv6Text(b, 0), formatAddress({ bytes: b }));
    assert.equal(ipv6Text(addrBytes('2001:db8:0:1:1:1:1:1'), 0), '2001:db8:0:1:1:1:1:1');
  });
});

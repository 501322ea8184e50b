import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Decoder } from './decoder.js';
import { decodeHep } from './hep.js';
import { bytes, hep3, sipRequest, sipResponse } from './packets.testkit.js';

const REG = sipRequest({ user: '300', callId: 'hep-1', authUser: '300', userAgent: 'Yealink SIP-T46S' });
const OPTS = { sipPorts: [{ from: 5060, to: 5060 }], protocols: ['udp' as const] };

describe('decodeHep', () => {
  it('reads an IPv4 SIP packet', () => {
    const h = decodeHep(
      hep3({
        src: '203.0.113.40',
        sport: 5061,
        dst: '198.51.100.1',
        dport: 5061,
        payload: REG,
        at: 1700000300.5,
        ipProto: 6,
        captureId: 2001,
      }),
    );
    assert.ok(h);
    assert.equal(h.src, '203.0.113.40');
    assert.equal(h.dst, '198.51.100.1');
    assert.equal(h.sport, 5061);
    assert.equal(h.dport, 5061);
    assert.equal(h.at, 1700000300.5);
    assert.equal(h.transport, 'tcp');
    assert.equal(h.protoType, 1);
    assert.equal(h.captureId, 2001);
    assert.deepEqual(h.payload, REG);
  });

  it('reads IPv6 addresses and skips other vendors’ chunks', () => {
    const h = decodeHep(
      hep3({
        src: '2001:db8::40',
        sport: 5060,
        dst: '2001:db8::1',
        dport: 5060,
        payload: REG,
        extra: [
          { vendor: 0x0003, type: 15, value: bytes('not the payload') },
          { vendor: 0, type: 99, value: new Uint8Array(3) },
        ],
      }),
    );
    assert.ok(h);
    assert.equal(h.src, '2001:db8::40');
    assert.equal(h.at, null);
    assert.equal(h.transport, 'udp');
    assert.deepEqual(h.payload, REG);
  });

  it('reads SIP over TLS as Kamailio reports it: IP protocol 22 (issue 12 item 9)', () => {
    // Kamailio's siptrace (siptrace_hep.c, pipport2su) has no IP protocol for TLS, WS or
    // WSS and writes IPPROTO_IDP (22) as a "fake proto type"; seen on the wire from
    // Kamailio 5.6 in test/e2e/tls-hep.test.ts. Read as UDP, a TLS attacker's block and
    // history said udp.
    const h = decodeHep(
      hep3({
        src: '203.0.113.41',
        sport: 40001,
        dst: '198.51.100.1',
        dport: 5061,
        payload: REG,
        ipProto: 22,
      }),
    );
    assert.ok(h);
    assert.equal(h.transport, 'tls');
    const other = decodeHep(
      hep3({ src: '203.0.113.41', sport: 1, dst: '198.51.100.1', dport: 2, payload: REG, ipProto: 99 }),
    );
    assert.equal(other?.transport, 'udp', 'an unknown protocol number stays the HEP default');
  });

  it('returns null for what is not valid HEPv3', () => {
    const good = hep3({ src: '192.0.2.1', sport: 1, dst: '192.0.2.2', dport: 2, payload: REG });
    const badLen = good.slice();
    badLen[5] = 3; // total length shorter than the header
    const chunkOverrun = good.slice();
    chunkOverrun[11] = 0xff; // first chunk claims to run past the end
    const noPayload = good.slice(0, good.length - REG.length - 6);
    noPayload[4] = noPayload.length >> 8;
    noPayload[5] = noPayload.length & 255;
    for (const b of [
      new Uint8Array(0),
      bytes('HEP2xxxxxxxx'),
      good.subarray(0, 20),
      badLen,
      chunkOverrun,
      noPayload,
      REG,
    ]) {
      assert.equal(decodeHep(b), null);
    }
  });
});

describe('Decoder.pushHep', () => {
  it('turns a HEP packet into a SIP event', () => {
    const d = new Decoder(OPTS);
    const ev = d.pushHep(
      hep3({
        src: '203.0.113.40',
        sport: 5061,
        dst: '198.51.100.1',
        dport: 5061,
        payload: REG,
        at: 1700000400,
      }),
    );
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.at, 1700000400);
    assert.equal(ev[0]!.msg.userAgent, 'Yealink SIP-T46S');
    assert.equal(ev[0]!.dport, 5061, 'no port filter on HEP');
    assert.equal(d.stats.hep, 1);
    assert.equal(d.stats.sip, 1);
  });

  it('uses the fallback time and the transport override', () => {
    const d = new Decoder(OPTS);
    const resp = sipResponse({ status: 401, callId: 'hep-2' });
    const ev = d.pushHep(
      hep3({
        src: '198.51.100.1',
        sport: 5061,
        dst: '203.0.113.40',
        dport: 40000,
        payload: resp,
        ipProto: 6,
      }),
      {
        at: 1700000500,
        transport: 'tls',
      },
    );
    assert.equal(ev[0]!.at, 1700000500);
    assert.equal(ev[0]!.transport, 'tls');
  });

  it('drops non-SIP protocol types, invalid packets and non-SIP payloads', () => {
    const d = new Decoder(OPTS);
    assert.deepEqual(
      d.pushHep(hep3({ src: '192.0.2.1', sport: 1, dst: '192.0.2.2', dport: 2, payload: REG, protoType: 5 })),
      [],
    );
    assert.deepEqual(d.pushHep(bytes('garbage')), []);
    assert.deepEqual(
      d.pushHep(hep3({ src: '192.0.2.1', sport: 1, dst: '192.0.2.2', dport: 2, payload: bytes('\r\n\r\n') })),
      [],
    );
    assert.deepEqual(
      d.pushHep(hep3({ src: '192.0.2.1', sport: 1, dst: '192.0.2.2', dport: 2, payload: bytes('hello') })),
      [],
    );
    assert.equal(d.stats.hepInvalid, 2);
    assert.equal(d.stats.keepalives, 1);
    assert.equal(d.stats.notSip, 1);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Decoder, type DecoderOptions } from './decoder.js';
import {
  ethernet,
  fragment4,
  fragment6,
  ipv4,
  sipRequest,
  sll2,
  tcp,
  udp,
  udpPacket,
} from './packets.testkit.js';

const OPTS: DecoderOptions = { sipPorts: [{ from: 5060, to: 5060 }], protocols: ['udp', 'tcp'] };
const T0 = 1700000200;
// A large INVITE: SDP bodies with many codecs push UDP datagrams past the MTU.
const body = `v=0\r\n${'a=rtpmap:101 telephone-event/8000\r\n'.repeat(80)}`;
const INVITE = sipRequest({ method: 'INVITE', user: '900', callId: 'frag-call', body });

function v4frags(id = 77, sport = 5060) {
  const whole = ipv4({
    src: '203.0.113.30',
    dst: '198.51.100.1',
    proto: 17,
    payload: udp(sport, 5060, INVITE),
    id,
  });
  return fragment4(whole, 1480);
}

function v6frags(id = 0x99, before = false) {
  const l4 = udp(5060, 5060, INVITE);
  return fragment6(
    '2001:db8::30',
    '2001:db8::1',
    17,
    l4,
    1232,
    id,
    before ? [{ type: 0, body: new Uint8Array(6) }] : [],
  );
}

function pushAll(d: Decoder, frames: Uint8Array[], t = T0, dt = 0.001) {
  const ev = [];
  for (let i = 0; i < frames.length; i++) ev.push(...d.push(1, t + i * dt, ethernet(frames[i]!)));
  return ev;
}

describe('IP fragments', () => {
  it('the test INVITE really fragments', () => {
    assert.ok(INVITE.length > 3000);
    assert.ok(v4frags().length >= 3);
    assert.ok(v6frags().length >= 3);
  });

  it('reassembles IPv4 fragments in order', () => {
    const d = new Decoder(OPTS);
    const ev = pushAll(d, v4frags());
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.msg.callId, 'frag-call');
    assert.equal(ev[0]!.src, '203.0.113.30');
    assert.equal(ev[0]!.sport, 5060);
    assert.equal(d.stats.reassembled, 1);
    assert.equal(d.stats.fragments, v4frags().length);
  });

  it('reassembles IPv4 fragments out of order and ignores duplicates', () => {
    const d = new Decoder(OPTS);
    const f = v4frags();
    const ev = pushAll(d, [f[2]!, f[0]!, f[2]!, ...f.slice(3), f[1]!].reverse());
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.msg.callId, 'frag-call');
  });

  it('keeps interleaved datagrams apart by id', () => {
    const d = new Decoder(OPTS);
    const a = v4frags(1);
    const b = v4frags(2);
    const mixed = a.flatMap((x, i) => [x, b[i]!]);
    assert.equal(pushAll(d, mixed).length, 2);
  });

  it('reassembles IPv6 fragments, in and out of order, over SLL2', () => {
    for (const order of ['in', 'out'] as const) {
      const d = new Decoder(OPTS);
      const f = v6frags();
      const frames = order === 'in' ? f : [f[1]!, f[f.length - 1]!, ...f.slice(2, -1), f[0]!];
      const ev = frames.flatMap((x, i) => d.push(276, T0 + i, sll2(x)));
      assert.equal(ev.length, 1, order);
      assert.equal(ev[0]!.src, '2001:db8::30');
      assert.equal(ev[0]!.msg.callId, 'frag-call');
    }
  });

  it('reassembles IPv6 fragments after a hop-by-hop header', () => {
    const d = new Decoder(OPTS);
    assert.equal(pushAll(d, v6frags(5, true)).length, 1);
  });

  it('reassembles IPv6 fragments whose fragmentable part starts with destination options', () => {
    const d = new Decoder(OPTS);
    const dest = new Uint8Array(8);
    dest[0] = 17; // next header UDP, length 0 (8 bytes)
    const payload = new Uint8Array([...dest, ...udp(5060, 5060, INVITE)]);
    const f = fragment6('2001:db8::30', '2001:db8::1', 60, payload, 1232, 6);
    const ev = pushAll(d, f);
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.msg.callId, 'frag-call');
  });

  it('reassembles fragmented TCP segments', () => {
    const d = new Decoder(OPTS);
    const seg = tcp({ sport: 40000, dport: 5060, seq: 1, payload: INVITE });
    const whole = ipv4({ src: '203.0.113.31', dst: '198.51.100.1', proto: 6, payload: seg, id: 9 });
    const ev = pushAll(d, fragment4(whole, 1000));
    assert.equal(ev.length, 1);
    assert.equal(ev[0]!.transport, 'tcp');
  });

  it('gives up a datagram that does not complete within the timeout (packet time)', () => {
    const d = new Decoder({ ...OPTS, limits: { fragTimeout: 30 } });
    const f = v4frags();
    assert.equal(pushAll(d, f.slice(0, -1)).length, 0);
    // the last fragment arrives too late: the old parts are gone, nothing is decoded
    assert.equal(d.push(1, T0 + 31, ethernet(f[f.length - 1]!)).length, 0);
    assert.equal(d.stats.fragDropped, 1);
    // a sweep on a later packet drops the lone late fragment as well
    d.push(1, T0 + 100, ethernet(udpPacket('192.0.2.1', 1, '192.0.2.2', 2, new Uint8Array(1))));
    assert.equal(d.stats.fragDropped, 2);
  });

  it('drops overlapping fragments (an evasion trick) and oversized datagrams', () => {
    const d = new Decoder(OPTS);
    const f = v4frags(3);
    const evil = ipv4({
      src: '203.0.113.30',
      dst: '198.51.100.1',
      proto: 17,
      payload: new Uint8Array(800),
      id: 3,
      fragOffset: 1000,
      moreFragments: true,
    });
    assert.equal(pushAll(d, [f[0]!, evil, ...f.slice(1)]).length, 0);
    assert.ok(d.stats.fragDropped >= 1);
    const huge = ipv4({
      src: '203.0.113.30',
      dst: '198.51.100.1',
      proto: 17,
      payload: new Uint8Array(1000),
      id: 4,
      fragOffset: 65000,
    });
    d.push(1, T0, ethernet(huge));
    assert.ok(d.stats.fragDropped >= 2);
  });

  it('does not keep datagrams for other ports', () => {
    const d = new Decoder(OPTS);
    const whole = ipv4({
      src: '203.0.113.30',
      dst: '198.51.100.1',
      proto: 17,
      payload: udp(53, 40000, INVITE),
      id: 5,
    });
    const f = fragment4(whole, 1480);
    assert.equal(pushAll(d, [f[1]!, f[0]!, ...f.slice(2)]).length, 0);
    assert.equal(d.stats.reassembled, 0);
    assert.equal(d.stats.fragDropped, 0);
  });

  it('bounds memory: datagram count and bytes', () => {
    const d = new Decoder({ ...OPTS, limits: { maxFragDatagrams: 8, maxFragBytes: 20000 } });
    for (let id = 0; id < 100; id++) pushAll(d, v4frags(id).slice(0, 2));
    assert.ok(d.stats.fragDropped >= 90);
    // still works afterwards
    assert.equal(pushAll(d, v4frags(1000)).length, 1);
  });
});

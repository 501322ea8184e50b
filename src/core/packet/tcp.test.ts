import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SipEvent } from '../types.js';
import { Decoder, type DecoderOptions } from './decoder.js';
import {
  ACK,
  bytes,
  concat,
  ethernet,
  FIN,
  RST,
  SYN,
  sipRequest,
  sipResponse,
  splitAt,
  type TcpSegment,
  tcpPacket,
  tcpSegments,
} from './packets.testkit.js';

const OPTS: DecoderOptions = { sipPorts: [{ from: 5060, to: 5060 }], protocols: ['tcp'] };
const T0 = 1700000100;

const m1 = sipRequest({ user: '101', callId: 'tcp-1', cseq: 1, authUser: '101' });
const m2 = sipRequest({
  user: '102',
  callId: 'tcp-2',
  cseq: 2,
  method: 'INVITE',
  body: 'v=0\r\no=- 1 1 IN IP4 x\r\n',
});
const m3 = sipResponse({ status: 403, user: '103', callId: 'tcp-3', cseq: 3 });

function stream(chunks: Uint8Array[], o: { isn?: number; syn?: boolean; fin?: boolean; v6?: boolean } = {}) {
  return tcpSegments({
    src: o.v6 ? '2001:db8::a' : '203.0.113.20',
    sport: 40000,
    dst: o.v6 ? '2001:db8::1' : '198.51.100.1',
    dport: 5060,
    chunks,
    isn: o.isn,
    syn: o.syn,
    fin: o.fin,
  });
}

/** Push segments (in the given order) and return the Call-IDs seen, in order. */
function run(d: Decoder, segs: TcpSegment[], dt = 0.001): SipEvent[] {
  const out: SipEvent[] = [];
  segs.forEach((s, i) => {
    out.push(...d.push(1, T0 + i * dt, ethernet(s.packet)));
  });
  return out;
}

const ids = (ev: SipEvent[]) => ev.map((e) => e.msg.callId);

describe('TCP reassembly', () => {
  it('one message per segment', () => {
    const d = new Decoder(OPTS);
    const ev = run(d, stream([m1, m2, m3]));
    assert.deepEqual(ids(ev), ['tcp-1', 'tcp-2', 'tcp-3']);
    assert.equal(ev[0]!.transport, 'tcp');
    assert.equal(ev[0]!.src, '203.0.113.20');
    assert.equal(ev[0]!.sport, 40000);
    assert.equal(ev[0]!.dport, 5060);
    assert.equal(ev[1]!.msg.method, 'INVITE');
    assert.equal(ev[2]!.msg.status, 403);
  });

  it('several messages in one segment (coalesced), with CRLF keep-alives between', () => {
    const d = new Decoder(OPTS);
    const ev = run(d, stream([concat(m1, bytes('\r\n\r\n'), m2, m3, bytes('\r\n'))]));
    assert.deepEqual(ids(ev), ['tcp-1', 'tcp-2', 'tcp-3']);
  });

  it('one message over several segments, split in the start line, headers and body', () => {
    const d = new Decoder(OPTS);
    const all = concat(m1, m2, m3);
    const cuts = [3, 40, m1.length - 1, m1.length + 10, m1.length + m2.length - 5, m1.length + m2.length + 2];
    const segs = stream(splitAt(all, ...cuts));
    const ev: SipEvent[] = [];
    segs.forEach((s, i) => {
      const got = d.push(1, T0 + i, ethernet(s.packet));
      ev.push(...got);
      for (const e of got) assert.equal(e.at, T0 + i, 'the event has the time of the completing segment');
    });
    assert.deepEqual(ids(ev), ['tcp-1', 'tcp-2', 'tcp-3']);
  });

  it('byte by byte', () => {
    const d = new Decoder(OPTS);
    const all = concat(m2, m1);
    const chunks = Array.from({ length: all.length }, (_, i) => all.subarray(i, i + 1));
    assert.deepEqual(ids(run(d, stream(chunks))), ['tcp-2', 'tcp-1']);
  });

  it('ignores retransmissions and overlapping segments', () => {
    const d = new Decoder(OPTS);
    const segs = stream([m1, m2, m3]);
    const [syn, a, b, c] = segs as [TcpSegment, TcpSegment, TcpSegment, TcpSegment];
    // b again, then a segment overlapping the end of b and the start of c
    const overlap = tcpPacket('203.0.113.20', '198.51.100.1', {
      sport: 40000,
      dport: 5060,
      seq: b.seq + b.payload.length - 10,
      flags: ACK,
      payload: concat(b.payload.subarray(b.payload.length - 10), c.payload.subarray(0, 30)),
    });
    const ev = run(d, [syn, a, a, b, b, { ...c, packet: overlap }, c, c]);
    assert.deepEqual(ids(ev), ['tcp-1', 'tcp-2', 'tcp-3']);
    assert.equal(d.stats.tcpRetransmits, 3);
  });

  it('holds out-of-order segments until the gap fills', () => {
    const d = new Decoder(OPTS);
    const all = concat(m1, m2, m3);
    const segs = stream(splitAt(all, 100, m1.length + 50, m1.length + m2.length, m1.length + m2.length + 40));
    const [syn, ...data] = segs;
    const order = [data[2]!, data[1]!, data[4]!, data[0]!, data[3]!];
    assert.deepEqual(ids(run(d, [syn!, ...order])), ['tcp-1', 'tcp-2', 'tcp-3']);
    assert.equal(d.stats.tcpOutOfOrder, 3);
  });

  it('gives up a gap that never fills and resynchronises on the next message', () => {
    const d = new Decoder({ ...OPTS, limits: { tcpHoldTime: 1 } });
    const segs = stream(splitAt(concat(m1, m2, m3), 50, m1.length + 20, m1.length + m2.length));
    const [syn, s1, , s3, s4] = segs as TcpSegment[];
    const ev = [
      ...d.push(1, T0, ethernet(syn!.packet)),
      ...d.push(1, T0, ethernet(s1!.packet)),
      ...d.push(1, T0 + 0.1, ethernet(s3!.packet)), // m1's tail and m2's head lost
      ...d.push(1, T0 + 5, ethernet(s4!.packet)), // after the hold time
    ];
    assert.deepEqual(ids(ev), ['tcp-3']);
    assert.equal(d.stats.tcpGaps, 1);
    assert.ok(d.stats.drops >= 1);
  });

  it('gives up a gap when too many segments wait', () => {
    const d = new Decoder({ ...OPTS, limits: { tcpMaxHeld: 2 } });
    const msgs = [m1, m2, m3, sipRequest({ callId: 'tcp-4' }), sipRequest({ callId: 'tcp-5' })];
    const [syn, , ...rest] = stream(msgs);
    assert.deepEqual(ids(run(d, [syn!, ...rest])), ['tcp-2', 'tcp-3', 'tcp-4', 'tcp-5']);
    assert.equal(d.stats.tcpGaps, 1);
  });

  it('picks up a stream mid-connection (no SYN, first segment mid-message)', () => {
    const d = new Decoder(OPTS);
    const segs = stream([m1.subarray(60), m2, m3], { syn: false });
    assert.deepEqual(ids(run(d, segs)), ['tcp-2', 'tcp-3']);
    assert.ok(d.stats.resyncs > 0);
  });

  it('skips bodies, even those holding SIP-looking lines and split across segments', () => {
    const d = new Decoder(OPTS);
    const body = 'SIP/2.0 200 OK\r\nCall-ID: not-a-message\r\n\r\n' + 'x'.repeat(3000);
    const big = sipRequest({ method: 'MESSAGE', callId: 'with-body', body });
    const all = concat(big, m3);
    const segs = stream(splitAt(all, 200, 1000, 2000, big.length - 3));
    assert.deepEqual(ids(run(d, segs)), ['with-body', 'tcp-3']);
  });

  it('handles sequence numbers wrapping past 2^32', () => {
    const d = new Decoder(OPTS);
    const all = concat(m1, m2, m3);
    const segs = stream(splitAt(all, 30, 400, 900), { isn: 0xffffffff - 500 });
    const [syn, a, b, c, e] = segs as TcpSegment[];
    assert.deepEqual(ids(run(d, [syn!, a!, c!, b!, e!])), ['tcp-1', 'tcp-2', 'tcp-3']);
  });

  it('keeps both directions apart and works over IPv6', () => {
    const d = new Decoder(OPTS);
    const req = stream([m1], { v6: true });
    const resp = tcpSegments({
      src: '2001:db8::1',
      sport: 5060,
      dst: '2001:db8::a',
      dport: 40000,
      chunks: splitAt(m3, 70),
      isn: 9000,
    });
    const ev = run(d, [req[0]!, resp[0]!, resp[1]!, req[1]!, resp[2]!]);
    assert.deepEqual(ids(ev), ['tcp-1', 'tcp-3']);
    assert.equal(ev[1]!.src, '2001:db8::1');
    assert.equal(ev[1]!.sport, 5060);
  });

  it('frees flows on FIN and RST', () => {
    const d = new Decoder(OPTS);
    run(d, stream([m1], { fin: true }));
    assert.equal(d.stats.tcpFlows, 0);
    const segs = stream([m1.subarray(0, 50)]);
    run(d, segs);
    assert.equal(d.stats.tcpFlows, 1);
    // the server resets: both directions go
    const rst = tcpPacket('198.51.100.1', '203.0.113.20', {
      sport: 5060,
      dport: 40000,
      seq: 1,
      flags: RST | ACK,
    });
    d.push(1, T0 + 1, ethernet(rst));
    assert.equal(d.stats.tcpFlows, 0);
  });

  it('does not track bare ACKs or FINs of unknown flows', () => {
    const d = new Decoder(OPTS);
    const ack = tcpPacket('203.0.113.20', '198.51.100.1', { sport: 40000, dport: 5060, seq: 5, flags: ACK });
    const fin = tcpPacket('203.0.113.20', '198.51.100.1', {
      sport: 40000,
      dport: 5060,
      seq: 5,
      flags: ACK | FIN,
    });
    d.push(1, T0, ethernet(ack));
    d.push(1, T0, ethernet(fin));
    assert.equal(d.stats.tcpFlows, 0);
  });

  it('restarts a flow on a new SYN, keeps it on a retransmitted one', () => {
    const d = new Decoder(OPTS);
    const first = stream([m1.subarray(0, 80)], { isn: 100 });
    run(d, [first[0]!, first[0]!, first[1]!]);
    const second = stream([m2], { isn: 77777 });
    assert.deepEqual(ids(run(d, second)), ['tcp-2']);
  });

  it('bounds the flow table (least recently seen go first) and expires idle flows', () => {
    const d = new Decoder({ ...OPTS, limits: { maxTcpFlows: 16, tcpIdleTimeout: 60 } });
    for (let i = 0; i < 40; i++) {
      const seg = tcpPacket(`203.0.113.${i + 1}`, '198.51.100.1', {
        sport: 40000,
        dport: 5060,
        seq: 1,
        flags: ACK,
        payload: m1.subarray(0, 20),
      });
      d.push(1, T0 + i, ethernet(seg));
    }
    assert.ok(d.stats.tcpFlows <= 16);
    assert.ok(d.stats.tcpFlowsEvicted >= 24);
    // long silence, then any packet: idle flows are swept
    d.push(
      1,
      T0 + 1000,
      ethernet(tcpPacket('192.0.2.1', '192.0.2.2', { sport: 1, dport: 2, seq: 1, flags: ACK })),
    );
    assert.equal(d.stats.tcpFlows, 0);
    assert.ok(d.stats.tcpFlowsExpired > 0);
  });

  it('bounds the per-flow buffer and recovers after an endless header block', () => {
    const d = new Decoder({ ...OPTS, limits: { tcpFlowBuffer: 4096 } });
    const endless = bytes('REGISTER sip:h SIP/2.0\r\n' + 'X-Junk: yyyyyyyyyyyyyyyyyyyy\r\n'.repeat(400));
    const segs = stream([...splitAt(endless, 1000, 2000, 3000, 4000, 5000, 6000), bytes('\r\n'), m3]);
    assert.deepEqual(ids(run(d, segs)), ['tcp-3']);
    assert.ok(d.stats.overflows >= 1);
  });

  it('resynchronises over binary garbage on a SIP port', () => {
    const d = new Decoder(OPTS);
    const junk = new Uint8Array(3000);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) & 255;
    assert.deepEqual(ids(run(d, stream([junk, bytes('\r\n'), m1]))), ['tcp-1']);
  });

  it('parses a SYN that carries data (TCP Fast Open)', () => {
    const d = new Decoder(OPTS);
    const syn = tcpPacket('203.0.113.20', '198.51.100.1', {
      sport: 40000,
      dport: 5060,
      seq: 41,
      flags: SYN,
      payload: m1,
    });
    assert.deepEqual(ids(d.push(1, T0, ethernet(syn))), ['tcp-1']);
  });
});

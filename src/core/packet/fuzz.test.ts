import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '../prng.testkit.js';
import { Decoder } from './decoder.js';
import {
  bytes,
  concat,
  ethernet,
  fragment4,
  fragment6,
  hep3,
  ipv4,
  loopLink,
  nullLink,
  sipRequest,
  sipResponse,
  sll,
  sll2,
  tcpSegments,
  udp,
  udpPacket,
} from './packets.testkit.js';

const LINKS: Array<[number, (ip: Uint8Array) => Uint8Array]> = [
  [1, (ip) => ethernet(ip)],
  [1, (ip) => ethernet(ip, { vlans: [5, 6] })],
  [113, sll],
  [276, sll2],
  [101, (ip) => ip],
  [0, (ip) => nullLink(ip)],
  [108, loopLink],
];

describe('Decoder fuzz', () => {
  it('survives 20k random and mutated frames (seeded) and keeps its bounds', () => {
    const rand = mulberry32(0x5eed);
    const int = (n: number) => Math.floor(rand() * n);
    const d = new Decoder({
      sipPorts: [{ from: 5060, to: 5061 }],
      protocols: ['udp', 'tcp'],
      limits: { maxTcpFlows: 64, maxFragDatagrams: 16, maxFragBytes: 64 * 1024, tcpFlowBuffer: 8192 },
    });
    const body = 'v=0\r\n'.repeat(400);
    const msgs = [
      sipRequest({ authUser: '100' }),
      sipRequest({ method: 'INVITE', body }),
      sipResponse({ status: 401, stale: true }),
      sipResponse({ status: 403 }),
      bytes('\r\n\r\n'),
    ];
    const seeds: Array<[number, Uint8Array]> = [];
    for (const m of msgs) {
      for (const [lt, wrap] of LINKS) {
        seeds.push([lt, wrap(udpPacket('203.0.113.1', 5060, '198.51.100.1', 5060, m))]);
        seeds.push([lt, wrap(udpPacket('2001:db8::1', 40000, '2001:db8::2', 5061, m))]);
      }
      for (const s of tcpSegments({
        src: '203.0.113.2',
        sport: 40000,
        dst: '198.51.100.1',
        dport: 5060,
        chunks: [m.subarray(0, 50), m.subarray(50)],
      })) {
        seeds.push([1, ethernet(s.packet)]);
      }
    }
    const big = sipRequest({ method: 'INVITE', body });
    for (const f of fragment4(
      ipv4({ src: '203.0.113.3', dst: '198.51.100.1', proto: 17, payload: udp(5060, 5060, big), id: 9 }),
      512,
    )) {
      seeds.push([101, f]);
    }
    for (const f of fragment6('2001:db8::3', '2001:db8::1', 17, udp(5060, 5060, big), 512))
      seeds.push([101, f]);

    let events = 0;
    const N = 20000;
    for (let i = 0; i < N; i++) {
      const kind = int(4);
      let lt: number;
      let frame: Uint8Array;
      if (kind === 0) {
        lt = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 9999][int(11)]!;
        frame = new Uint8Array(int(300));
        for (let j = 0; j < frame.length; j++) frame[j] = int(256);
      } else {
        const [slt, sf] = seeds[int(seeds.length)]!;
        lt = slt;
        frame = sf.slice();
        const flips = kind === 1 ? 1 : 1 + int(12);
        for (let k = 0; k < flips; k++) {
          // Aim most flips at the headers, where lengths and offsets live.
          const pos = rand() < 0.7 ? int(Math.min(frame.length, 80)) : int(frame.length);
          frame[pos] = int(256);
        }
        if (kind === 3) {
          frame =
            rand() < 0.5 ? frame.subarray(0, int(frame.length + 1)) : concat(frame, new Uint8Array(int(64)));
        }
      }
      const ev = d.push(lt, 1700000000 + i * 0.01, frame);
      for (const e of ev) {
        assert.ok(e.msg.kind === 'request' || e.msg.kind === 'response');
        assert.equal(typeof e.src, 'string');
        assert.ok(e.sport >= 0 && e.sport <= 65535);
      }
      events += ev.length;
    }
    const s = d.stats;
    assert.equal(s.frames, N);
    assert.ok(events > 1000, `mutated frames still decode (${events})`);
    assert.ok(s.tcpFlows <= 64);
    assert.ok(s.malformed > 0 && s.notIp > 0 && s.notSip > 0);
  });

  it('survives 5k mutated HEP packets', () => {
    const rand = mulberry32(42);
    const int = (n: number) => Math.floor(rand() * n);
    const d = new Decoder({ sipPorts: [{ from: 5060, to: 5060 }], protocols: ['udp'] });
    const base = hep3({
      src: '2001:db8::5',
      sport: 5060,
      dst: '2001:db8::6',
      dport: 5060,
      payload: sipRequest(),
      at: 1700000000,
    });
    let ok = 0;
    for (let i = 0; i < 5000; i++) {
      const b = base.slice(0, 1 + int(base.length));
      for (let k = 0; k < 1 + int(6); k++) b[int(Math.min(b.length, 120))] = int(256);
      ok += d.pushHep(b).length;
    }
    assert.ok(d.stats.hepInvalid > 0);
    assert.ok(ok > 0, `some mutated packets still decode (${ok})`);
  });
});

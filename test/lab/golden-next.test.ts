/**
 * The lab cases of issue 12 (scripts/lab/record-next.sh, test/lab/next-cases.testkit.ts) are
 * what their expect.json says, read without sipprot's code:
 * - the independent reader (pcap-read.testkit.ts, sip-read.testkit.ts, exchanges.testkit.ts) agrees with
 *   tcpdump (scripts/lab/sipevents.sh) on every testdata/golden case recorded by
 *   record.sh: same requests, same failed answers, same HIT_COUNT-th failure time;
 * - every case's expect.json is re-derived from its capture and equals the committed
 *   file; captures are < 2 MiB and show what their notes claim (fragments, segments,
 *   stretched time);
 * - retime.testkit.ts keeps every byte and order and multiplies every gap.
 * Runs without root: only files are read.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { byClient, readExchanges } from './exchanges.testkit.js';
import { CASES, PBX } from './next-cases.testkit.js';
import { expectFor } from './next-expect.testkit.js';
import { readCapture } from './pcap-read.testkit.js';
import { retime } from './retime.testkit.js';
import { readSip } from './sip-read.testkit.js';

const TESTDATA = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'testdata');
const RECORD_SH_CASES = [
  'sipp-bruteforce-udp',
  'sipp-bruteforce-tcp',
  'sipp-distributed',
  'svmap-scan',
  'svwar-enum',
  'svcrack',
  'misconfigured-phone',
  'phones-only',
  'ipv6-bruteforce',
];

interface GoldenAttacker {
  ip: string;
  reason: string;
  at?: number;
  failedAnswers: number;
  requests: number;
}

describe('the independent capture reader', () => {
  for (const name of RECORD_SH_CASES) {
    it(`agrees with tcpdump on testdata/golden/${name}`, () => {
      const dir = join(TESTDATA, 'golden', name);
      const e = JSON.parse(readFileSync(join(dir, 'expect.json'), 'utf8')) as {
        attackers: GoldenAttacker[];
        config: { HIT_COUNT: number };
        packets: { requests: number };
      };
      const cap = readExchanges(join(dir, 'capture.pcap'), PBX);
      const reqs = cap.messages.filter((m) => m.method !== null && m.method !== 'ACK');
      assert.equal(reqs.length, e.packets.requests);
      const per = byClient(cap.exchanges);
      for (const a of e.attackers) {
        const mine = per.get(a.ip) ?? [];
        assert.equal(mine.length, a.requests, `${a.ip} requests`);
        const fails = mine
          .filter((x) => x.failed)
          .map((x) => x.answer?.t as number)
          .sort((p, q) => p - q);
        assert.equal(fails.length, a.failedAnswers, `${a.ip} failed answers`);
        if (a.reason === 'auth-failures') {
          const at = fails[e.config.HIT_COUNT - 1] as number;
          assert.ok(Math.abs(at - (a.at as number)) < 1e-6, `${a.ip}: ${at} vs ${a.at}`);
        }
      }
    });
  }
});

describe('lab cases of issue 12', () => {
  for (const c of CASES) {
    const dir = join(TESTDATA, c.dir, c.name);
    it(`${c.dir}/${c.name}: small, and its expect.json is re-derived from its capture`, () => {
      assert.ok(
        existsSync(join(dir, 'capture.pcap')),
        `${dir}/capture.pcap missing (record-next.sh ${c.name})`,
      );
      assert.ok(statSync(join(dir, 'capture.pcap')).size < 2 * 1024 * 1024);
      const text = readFileSync(join(dir, 'expect.json'), 'utf8');
      assert.equal(expectFor(c, join(dir, 'capture.pcap')), text);
    });
  }

  it('tcp-segments: messages span segments, and segments carry several messages', () => {
    const msgs = readSip(join(TESTDATA, 'golden', 'tcp-segments', 'capture.pcap')).messages;
    const tcp = msgs.filter((m) => m.proto === 'tcp');
    assert.ok(tcp.filter((m) => m.pieces > 1).length >= 20, 'messages over several segments');
    assert.ok(
      tcp.some((m) => m.perSegment > 1),
      'several messages in one segment',
    );
  });

  it('ip-fragments: the INVITEs arrive in IPv4 and IPv6 fragments', () => {
    const msgs = readSip(join(TESTDATA, 'golden', 'ip-fragments', 'capture.pcap')).messages;
    const frag = msgs.filter((m) => m.method === 'INVITE' && m.pieces > 1);
    assert.ok(frag.some((m) => m.src.includes('.')) && frag.some((m) => m.src.includes(':')));
    assert.ok(frag.length >= 30);
  });

  it('slow-attack: stretched to more than 70 minutes', () => {
    const e = JSON.parse(readFileSync(join(TESTDATA, 'golden', 'slow-attack', 'expect.json'), 'utf8')) as {
      attackers: { firstRequestAt: number; lastRequestAt: number }[];
      retimed: { factor: number };
    };
    const a = e.attackers[0];
    assert.ok(a !== undefined && a.lastRequestAt - a.firstRequestAt > 70 * 60);
    assert.equal(e.retimed.factor, 30);
  });
});

describe('retime', () => {
  it('keeps every packet and multiplies every gap', () => {
    const file = join(TESTDATA, 'golden', 'phones-only', 'capture.pcap');
    const raw = readFileSync(file);
    const out = retime(raw, 30);
    assert.equal(out.length, raw.length);
    const a = readCapture(raw).payloads;
    const b = readCapture(out).payloads;
    assert.equal(b.length, a.length);
    // Around any origin: the distance between two packets grows exactly 30 times.
    const x0 = (a[0] as { t: number }).t;
    const y0 = (b[0] as { t: number }).t;
    for (let i = 0; i < a.length; i++) {
      const x = a[i] as { t: number; data: Buffer };
      const y = b[i] as { t: number; data: Buffer };
      assert.ok(x.data.equals(y.data));
      // µs stamps as doubles (~0.25 µs apart near 1.8e9 s), the error times 30: within 10 µs.
      assert.ok(Math.abs(y.t - y0 - 30 * (x.t - x0)) < 1e-5, `packet ${i}`);
    }
    assert.ok((b.at(-1)?.t ?? 0) - y0 > 25 * 30, 'the 30-s capture now lasts over 12 minutes');
  });

  it('refuses pcapng and factors out of range', () => {
    assert.throws(() => retime(Buffer.from([0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0]), 2), /pcapng/);
    const raw = readFileSync(join(TESTDATA, 'golden', 'phones-only', 'capture.pcap'));
    assert.throws(() => retime(raw, 0.5), /factor/);
  });
});

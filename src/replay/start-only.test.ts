/**
 * The blocked-source fast path (Decoder.startOnly asking Engine.decidedByAddress: a
 * request from a source held blocked, or an answer to it, is parsed as its start line only)
 * must not change one
 * decision: every capture of testdata/ and a brute force whose blocks run out and come back
 * (BLOCKTIME 3 s, a local address and SIP port to SIP port answers among the traffic) give,
 * whether only requests or requests and answers take the fast path, the same decisions, in the same order, and the same engine and decoder counters with the
 * fast path as with every message parsed whole — and the fast path is taken.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readCaptureChunks } from '../capture/pcap-file.js';
import { parseConfig } from '../core/config/parse.js';
import { Engine } from '../core/engine.js';
import { AccessLists } from '../core/lists/lists.js';
import { canonicalV4Number } from '../core/net/ip.js';
import { Decoder } from '../core/packet/decoder.js';
import { ethernetUdp4, writePcap } from '../core/packet/packets.testkit.js';
import { sipRequest, sipResponse } from '../core/packet/sip-messages.testkit.js';
import { LEAN_REQUEST, LEAN_RESPONSE, START_REQUEST, START_RESPONSE } from '../core/sip/parse.js';
import type { Config } from '../core/types.js';

const TESTDATA = join(import.meta.dirname, '..', '..', 'testdata');

interface Run {
  decisions: string[];
  engine: string;
  decoder: string;
  startOnly: number;
  /** Of which answers (START_RESPONSE). */
  answers: number;
  /** Datagrams whose answer was parsed lean (LEAN_RESPONSE granted). */
  lean: number;
}

type Source = { file: string } | { bytes: Uint8Array };

async function* frames(src: Source): AsyncGenerator<[number, number, Uint8Array, number, number]> {
  if ('file' in src) {
    for await (const { buf, records: r } of readCaptureChunks(src.file)) {
      for (let i = 0; i < r.count; i++) yield [r.linkType[i]!, r.at[i]!, buf, r.start[i]!, r.end[i]!];
    }
    return;
  }
  // writePcap's layout: a 24-byte header, then 16-byte record headers (little-endian).
  const b = src.bytes;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let p = 24; p + 16 <= b.length; ) {
    const at = v.getUint32(p, true) + v.getUint32(p + 4, true) / 1e6;
    const len = v.getUint32(p + 8, true);
    yield [1, at, b, p + 16, p + 16 + len];
    p += 16 + len;
  }
}

/** `asked`: the kinds the fast path may parse as their start line (0: every message whole). */
async function run(src: Source, config: Config, asked: number, local?: string[]): Promise<Run> {
  const decoder = new Decoder({ sipPorts: config.sipPorts, protocols: config.protocols });
  const engine = new Engine(config, {
    lists: new AccessLists([], []),
    country: () => null,
    ...(local ? { localAddresses: local } : {}),
  });
  let startOnly = 0;
  let answers = 0;
  let lean = 0;
  if (asked !== 0) {
    decoder.startOnly = (at, s, sport, d, dport, sv4, dv4) => {
      // The numbers the decoder hands over are the texts' (IPv6: -1): a wrong one would be a wrong lookup.
      assert.equal(sv4, canonicalV4Number(s), s);
      assert.equal(dv4, canonicalV4Number(d), d);
      const kinds = engine.decidedByAddress(at, s, sport, d, dport, asked, sv4, dv4);
      if ((kinds & (START_REQUEST | START_RESPONSE)) !== 0) startOnly++;
      if ((kinds & START_RESPONSE) !== 0) answers++;
      if ((kinds & LEAN_RESPONSE) !== 0) lean++;
      return kinds;
    };
  }
  const decisions: string[] = [];
  for await (const [link, at, buf, start, end] of frames(src)) {
    for (const ev of decoder.pushAt(link, at, buf, start, end)) {
      for (const d of engine.onEvent(ev)) decisions.push(JSON.stringify(d));
    }
  }
  for (const d of engine.tick(Number.MAX_SAFE_INTEGER)) decisions.push(JSON.stringify(d));
  return {
    decisions,
    engine: JSON.stringify(engine.stats),
    decoder: JSON.stringify(decoder.stats),
    startOnly,
    answers,
    lean,
  };
}

function captures(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...captures(p));
    else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(name)) out.push(p);
  }
  return out.sort();
}

function configFor(file: string): Config {
  const expect = join(file, '..', 'expect.json');
  const conf = existsSync(expect)
    ? (JSON.parse(readFileSync(expect, 'utf8')) as { config: Record<string, string | number> }).config
    : {};
  const text = Object.entries(conf)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
  return parseConfig(text, { source: null });
}

/** The daemon's choice (requests), replay's (all four), and the lean kinds alone. */
const ALL = START_REQUEST | START_RESPONSE | LEAN_RESPONSE | LEAN_REQUEST;
const ASKED = [START_REQUEST, START_REQUEST | START_RESPONSE, LEAN_RESPONSE | LEAN_REQUEST, ALL];

function assertSame(a: Run, b: Run, what: string): void {
  assert.deepEqual(b.decisions, a.decisions, `${what}: decisions`);
  assert.equal(b.engine, a.engine, `${what}: engine counters`);
  assert.equal(b.decoder, a.decoder, `${what}: decoder counters`);
}

/** 12 guessers, 30 wrong passwords each at 4/s (403), phones, a local PBX's own requests. */
function bruteForce(): Uint8Array {
  const recs: { at: number; frame: Uint8Array }[] = [];
  const PBX = '203.0.113.5';
  let at = 1_800_000_000;
  for (let round = 0; round < 30; round++) {
    for (let g = 0; g < 12; g++) {
      const ip = `198.51.100.${10 + g}`;
      const cseq = round + 1;
      const callId = `g${g}-${round}`;
      // Guessers 0-3 send from port 5060: the PBX's answers go SIP port to SIP port.
      const sport = g < 4 ? 5060 : 40000 + g;
      const req = sipRequest({ user: `${100 + g}`, cseq, callId, authUser: `${100 + g}`, userAgent: null });
      recs.push({ at, frame: ethernetUdp4(ip, sport, PBX, 5060, req) });
      at += 0.01;
      const res = sipResponse({ status: 403, user: `${100 + g}`, cseq, callId });
      recs.push({ at, frame: ethernetUdp4(PBX, 5060, ip, sport, res) });
      at += 0.01;
    }
    // The PBX's own OPTIONS to a trunk, and a phone that registers fine.
    recs.push({
      at,
      frame: ethernetUdp4(PBX, 5060, '192.0.2.99', 5060, sipRequest({ method: 'OPTIONS', cseq: round + 1 })),
    });
    recs.push({
      at,
      frame: ethernetUdp4('192.0.2.20', 5070, PBX, 5060, sipRequest({ user: '200', cseq: round + 1 })),
    });
    at += 0.01;
    // Every 10th round a pause longer than BLOCKTIME: the blocks run out, the guessers come back.
    at += round % 10 === 9 ? 4 : 0.2;
  }
  return writePcap(recs);
}

describe('a blocked source judged by its address decides exactly as the whole parse', () => {
  it('on every capture of testdata/', async () => {
    const files = captures(TESTDATA);
    assert.ok(files.length >= 30, `${files.length} captures`);
    let fastPaths = 0;
    let answers = 0;
    let lean = 0;
    for (const file of files) {
      const config = configFor(file);
      const whole = await run({ file }, config, 0);
      for (const asked of ASKED) {
        const fast = await run({ file }, config, asked);
        assertSame(whole, fast, `${file}, kinds ${asked}`);
        fastPaths += fast.startOnly;
        answers += fast.answers;
        if (asked === ALL) lean += fast.lean;
      }
    }
    assert.ok(lean > 1000, `${lean} answers parsed lean`);
    // The captures hold attackers that go on after their block: the fast path was taken.
    assert.ok(fastPaths > 100, `${fastPaths} messages parsed as their start line`);
    assert.ok(answers > 20, `${answers} answers parsed as their start line`);
  });

  it('on a brute force whose blocks run out and come back, with a local PBX', async () => {
    const bytes = bruteForce();
    const config = parseConfig('HIT_COUNT=5\nBLOCKTIME=3\nSIP_PORTS=5060', { source: null });
    for (const local of [undefined, ['203.0.113.5']]) {
      const whole = await run({ bytes }, config, 0, local);
      let fast = whole;
      for (const asked of ASKED) {
        fast = await run({ bytes }, config, asked, local);
        assertSame(whole, fast, `local ${local}, kinds ${asked}`);
      }
      const blocks = whole.decisions.filter((d) => d.includes('"action":"block"')).length;
      const unblocks = whole.decisions.filter((d) => d.includes('"action":"unblock"')).length;
      assert.ok(blocks >= 24 && unblocks >= 24, `${blocks} blocks, ${unblocks} unblocks`);
      assert.ok(fast.startOnly > 100, `${fast.startOnly} messages parsed as their start line`);
      // The answers to blocked guessers are decided by address too.
      assert.ok(fast.answers > 20, `${fast.answers} answers parsed as their start line`);
    }
  });
});

/**
 * Decoding throughput on one core: SIP parsing, the packet Decoder (UDP and TCP), and a
 * capture file read end to end. One result line per measurement: best of several bounded
 * rounds, in items per second of CPU time. Run: node --import tsx bench/decode.bench.ts
 *
 * `--file CAPTURE` (e.g. the replay bench's mixed.pcap or flood.pcap; pin it with
 * `taskset -c 1`): instead, the stages of a replay's decoding on that file, each timed
 * once over the whole file (first run, no warm-up), to show where the decoder stands
 * against what Node can do at all: (1) reading the records (into a fresh buffer a chunk,
 * then into one reused buffer as replay reads), (2) reading + a bare header
 * scan (latin1 text of each UDP payload, split into lines, first letter of each: the
 * floor of any parser that makes strings), (2b) the same lines found over the bytes, no
 * string made, and (2c) with the fields the engine keys on (Call-ID, CSeq, top Via branch,
 * From and To users) hashed from the bytes: the floor of a decoder that builds no string
 * for what the engine only compares, (3) reading + Decoder.pushAt to SipEvents,
 * (4) the same with replay's lean kinds (answers without the fields no answer's judging
 * reads, requests without Contact).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readCaptureBatches, readCaptureChunks } from '../src/capture/pcap-file.js';
import { Decoder } from '../src/core/packet/decoder.js';
import { ipOffset } from '../src/core/packet/link.js';
import {
  bytes,
  type CaptureFrame,
  concat,
  ethernet,
  ethernetUdp4,
  sipResponse,
  sipText,
  tcpSegments,
  writePcap,
} from '../src/core/packet/packets.testkit.js';
import { LEAN_REQUEST, LEAN_RESPONSE, parseSip } from '../src/core/sip/parse.js';

/** A typical ~600-byte REGISTER with credentials, as a softphone sends it. */
const REGISTER = sipText([
  'REGISTER sip:pbx.example.com SIP/2.0',
  'Via: SIP/2.0/UDP 203.0.113.5:5060;rport;branch=z9hG4bK-524287-1---a1b2c3d4e5f6',
  'Max-Forwards: 70',
  'Contact: <sip:100@203.0.113.5:5060;rinstance=5f3c2a1b>',
  'To: <sip:100@pbx.example.com>',
  'From: <sip:100@pbx.example.com>;tag=8a2c1f0e',
  'Call-ID: YjVkNGE1ZjJmM2RmNzUwYzJhNTM4Yjk0NGU1YWQ4NmI',
  'CSeq: 2 REGISTER',
  'Expires: 3600',
  'Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO',
  'User-Agent: Zoiper rv2.10.19.6',
  'Authorization: Digest username="100",realm="asterisk",nonce="1cc4a3b2",uri="sip:pbx.example.com",response="e1c6a2d3f4b5a6978877665544332211",algorithm=MD5',
  'Content-Length: 0',
]);
const CHALLENGE = sipResponse({
  status: 401,
  reason: 'Unauthorized',
  callId: 'YjVkNGE1ZjJmM2RmNzUwYzJhNTM4Yjk0NGU1YWQ4NmI',
});

function fmt(rate: number): string {
  return rate >= 1e6 ? `${(rate / 1e6).toFixed(2)}M` : `${(rate / 1e3).toFixed(0)}k`;
}

/**
 * Best rate over `rounds` rounds of `fn` (returns how many items it did), per second of
 * this process's CPU time: on a shared machine wall time measures the neighbours.
 */
function best(rounds: number, fn: () => number): number {
  let top = 0;
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage();
    const n = fn();
    const c = process.cpuUsage(c0);
    const rate = n / ((c.user + c.system) / 1e6);
    if (rate > top) top = rate;
  }
  return top;
}

let sink = 0;

function benchParse(label: string, msg: Uint8Array): void {
  const N = 300000;
  const rate = best(6, () => {
    for (let i = 0; i < N; i++) sink += parseSip(msg)?.status ?? 1;
    return N;
  });
  console.log(`decode: parseSip ${label} (${msg.length} B): ${fmt(rate)} msg/s`);
}

function benchUdp(): void {
  const frames = [
    ethernetUdp4('203.0.113.5', 5060, '198.51.100.1', 5060, REGISTER),
    ethernetUdp4('198.51.100.1', 5060, '203.0.113.5', 5060, CHALLENGE),
  ];
  const d = new Decoder({ sipPorts: [{ from: 5060, to: 5060 }], protocols: ['udp', 'tcp'] });
  const N = 200000;
  const rate = best(6, () => {
    for (let i = 0; i < N; i++) sink += d.push(1, 1700000000 + i * 1e-4, frames[i & 1]!).length;
    return N;
  });
  console.log(`decode: Decoder UDP/IPv4/Ethernet REGISTER+401: ${fmt(rate)} frames/s`);
}

function benchTcp(): void {
  // Four messages per segment, then one message split over two segments, repeated.
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < 200; i++) {
    chunks.push(concat(REGISTER, CHALLENGE, REGISTER, CHALLENGE));
    chunks.push(REGISTER.subarray(0, 200), REGISTER.subarray(200));
  }
  const segs = tcpSegments({
    src: '203.0.113.5',
    sport: 40000,
    dst: '198.51.100.1',
    dport: 5060,
    chunks,
    syn: true,
  });
  const frames = segs.map((s) => ethernet(s.packet));
  const rate = best(6, () => {
    let msgs = 0;
    for (let rep = 0; rep < 50; rep++) {
      const d = new Decoder({ sipPorts: [{ from: 5060, to: 5060 }], protocols: ['tcp'] });
      for (let i = 0; i < frames.length; i++) msgs += d.push(1, 1700000000 + i * 1e-4, frames[i]!).length;
    }
    return msgs;
  });
  console.log(`decode: Decoder TCP reassembly + framing (coalesced and split): ${fmt(rate)} msg/s`);
}

async function benchFile(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-bench-'));
  try {
    const recs: CaptureFrame[] = [];
    const N = 200000;
    for (let i = 0; i < N; i++) {
      const src = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      const frame =
        i & 1
          ? ethernetUdp4('198.51.100.1', 5060, src, 5060, CHALLENGE)
          : ethernetUdp4(src, 5060, '198.51.100.1', 5060, REGISTER);
      recs.push({ at: 1700000000 + i * 1e-3, frame });
    }
    const path = join(dir, 'bench.pcap');
    writeFileSync(path, writePcap(recs));
    let top = 0;
    for (let r = 0; r < 3; r++) {
      const d = new Decoder({ sipPorts: [{ from: 5060, to: 5060 }], protocols: ['udp'] });
      const c0 = process.cpuUsage();
      let msgs = 0;
      for await (const batch of readCaptureBatches(path)) {
        for (const rec of batch) msgs += d.push(rec.linkType, rec.at, rec.frame).length;
      }
      const c = process.cpuUsage(c0);
      top = Math.max(top, msgs / ((c.user + c.system) / 1e6));
    }
    console.log(
      `decode: pcap file → Decoder → SipEvent (${N} frames, ${(N * 700) >> 20} MB): ${fmt(top)} msg/s`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type SliceFn = (this: Uint8Array, start: number, end: number) => string;
const latin1 = (Buffer.prototype as unknown as { latin1Slice: SliceFn }).latin1Slice;

/** Lines of one UDP/IPv4 payload (latin1 text, split with indexOf): a bare header scan. */
function bareScan(linkType: number, buf: Uint8Array, start: number, end: number): number {
  const p = udpPayload(linkType, buf, start, end);
  if (p < 0) return 0;
  const s = latin1.call(buf, p, end);
  let n = 0;
  let q = 0;
  for (;;) {
    const lf = s.indexOf('\n', q);
    if (lf < 0) break;
    n += s.charCodeAt(q) | 32;
    q = lf + 1;
  }
  return n;
}

/** The UDP/IPv4 payload's start in a record, or -1. */
function udpPayload(linkType: number, buf: Uint8Array, start: number, end: number): number {
  const r = ipOffset(linkType, buf, start, end);
  if (r < 0 || (r & 15) !== 4) return -1;
  const ip = r >> 4;
  const p = ip + (buf[ip]! & 15) * 4 + 8;
  return p < end ? p : -1;
}

/** FNV-1a over bytes [s, e). */
function fnv(buf: Uint8Array, s: number, e: number): number {
  let h = 0x811c9dc5;
  for (let i = s; i < e; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * The same lines read over the bytes, no string made: each line's end by a byte loop,
 * its first letter. With `fields`, also what the engine keys on, from the bytes: the
 * Call-ID's hash, the CSeq number, the top Via's branch hash, the From and To users'
 * hashes (the floor of a decoder that builds no string for what the engine only compares).
 */
function byteScan(
  linkType: number,
  buf: Uint8Array,
  start: number,
  end: number,
  fields: boolean,
  native = false,
): number {
  const p = udpPayload(linkType, buf, start, end);
  if (p < 0) return 0;
  let n = 0;
  let q = p;
  let via = false;
  while (q < end) {
    let lf = q;
    if (native) {
      lf = buf.indexOf(10, q);
      if (lf < 0 || lf > end) lf = end;
    } else while (lf < end && buf[lf] !== 10) lf++;
    const c = buf[q]! | 32;
    n += c;
    if (fields && lf - q > 3) {
      // Header name up to ':' (compact forms too: i, v, f, t).
      let colon = q;
      while (colon < lf && buf[colon] !== 58) colon++;
      const len = colon - q;
      let v = colon + 1;
      while (v < lf && buf[v] === 32) v++;
      const e = lf > v && buf[lf - 1] === 13 ? lf - 1 : lf;
      if ((c === 99 && len === 7 && (buf[q + 5]! | 32) === 105) || (c === 105 && len === 1))
        n += fnv(buf, v, e); // Call-ID
      else if (c === 99 && len === 4 && (buf[q + 1]! | 32) === 115) {
        let x = 0;
        for (let i = v; i < e && buf[i]! >= 48 && buf[i]! <= 57; i++) x = x * 10 + buf[i]! - 48; // CSeq
        n += x;
      } else if (!via && ((c === 118 && len === 3) || (c === 118 && len === 1))) {
        via = true;
        for (let i = v; i + 8 < e; i++) {
          if (buf[i] === 59 && (buf[i + 1]! | 32) === 98 && buf[i + 7] === 61) {
            let b = i + 8;
            while (b < e && buf[b] !== 59 && buf[b] !== 44) b++;
            n += fnv(buf, i + 8, b); // top Via's branch
            break;
          }
        }
      } else if ((c === 102 || c === 116) && (len === 4 || len === 2 || len === 1)) {
        // From / To: the user between "sip:" and '@'.
        for (let i = v; i + 4 < e; i++) {
          if (buf[i + 3] === 58 && (buf[i]! | 32) === 115) {
            let a = i + 4;
            while (a < e && buf[a] !== 64 && buf[a] !== 62 && buf[a] !== 59) a++;
            n += fnv(buf, i + 4, a);
            break;
          }
        }
      }
    }
    if (lf - q <= 1) break; // the blank line: the body follows
    q = lf + 1;
  }
  return n;
}

async function benchStages(path: string): Promise<void> {
  type Stage = (lt: number, at: number, buf: Uint8Array, s: number, e: number) => number;
  // Every stage reads as replay does (one reused buffer); the first also with a fresh buffer a chunk.
  const stages: Array<[string, Stage, boolean?]> = [
    ['read records (a fresh buffer a chunk)', () => 1, false],
    ['read records', () => 1],
    ['read + bare header scan', (lt, _at, buf, s, e) => bareScan(lt, buf, s, e)],
    ['read + byte header scan (no string)', (lt, _at, buf, s, e) => byteScan(lt, buf, s, e, false)],
    [
      'read + byte header scan, line ends by native indexOf',
      (lt, _at, buf, s, e) => byteScan(lt, buf, s, e, false, true),
    ],
    [
      'read + byte scan + key fields hashed from bytes',
      (lt, _at, buf, s, e) => byteScan(lt, buf, s, e, true),
    ],
    [
      'read + Decoder.pushAt → SipEvent',
      (() => {
        const d = new Decoder({ sipPorts: [{ from: 5060, to: 5061 }], protocols: ['udp', 'tcp'] });
        return (lt: number, at: number, buf: Uint8Array, s: number, e: number) =>
          d.pushAt(lt, at, buf, s, e).length;
      })(),
    ],
    [
      "read + Decoder.pushAt with replay's lean kinds",
      (() => {
        // What replay asks for a source not held blocked (Engine.decidedByAddress grants it
        // for an answer to a remote address): answers without From, To, User-Agent,
        // Contact; requests without Contact.
        const d = new Decoder({ sipPorts: [{ from: 5060, to: 5061 }], protocols: ['udp', 'tcp'] });
        d.startOnly = () => LEAN_RESPONSE | LEAN_REQUEST;
        return (lt: number, at: number, buf: Uint8Array, s: number, e: number) =>
          d.pushAt(lt, at, buf, s, e).length;
      })(),
    ],
  ];
  for (const [label, fn, reuse] of stages) {
    let frames = 0;
    const c0 = process.cpuUsage();
    for await (const { buf, records: r } of readCaptureChunks(path, { reuse: reuse ?? true })) {
      for (let i = 0; i < r.count; i++) sink += fn(r.linkType[i]!, r.at[i]!, buf, r.start[i]!, r.end[i]!);
      frames += r.count;
    }
    const c = process.cpuUsage(c0);
    const us = (c.user + c.system) / frames;
    console.log(
      `decode file ${label}: ${frames} frames, ${us.toFixed(2)} µs CPU a frame = ${fmt(1e6 / us)} frames/s`,
    );
  }
}

const { values } = parseArgs({ options: { file: { type: 'string' } } });
if (values.file) {
  await benchStages(values.file);
} else {
  benchParse('REGISTER', REGISTER);
  benchParse('401', CHALLENGE);
  benchParse('not SIP', bytes('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  benchUdp();
  benchTcp();
  await benchFile();
}
if (sink === 42) console.log('');

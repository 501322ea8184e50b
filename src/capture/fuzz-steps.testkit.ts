/**
 * The fuzzer's input stream, a pure function of (seed, corpus). Per round:
 *   40% a window of 1–16 consecutive frames of one capture (sometimes reordered, a frame
 *       repeated or dropped), each mutated with probability 0.4: fragments and TCP
 *       segments keep their neighbours, so reassembly state is exercised, not only headers;
 *   15% a built sequence (fragments, TCP out of order, every link type), mutated the same way;
 *   10% random bytes under a random link type (known ones and 9999);
 *   25% one SIP message, mutated as text, parsed alone, then carried in a fresh UDP
 *       datagram (IPv4 or IPv6) or in TCP segments cut at random on one of 8 long-lived
 *       flows (messages run on across rounds: framing state);
 *    8% a HEPv3 packet around a mutated message, its bytes mutated half the time;
 *    2% a small pcap/pcapng file of seed frames, mutated (fuzz-files.testkit.ts).
 * Every 5,000 inputs the decoders are made anew, with the default limits or small ones
 * (64 TCP flows, 16 datagrams, 64 KiB of fragments, 8 KiB per flow) so evictions happen.
 * Packet time runs forward 0–10 ms per frame with jumps of minutes (expiry) and seconds back.
 */
import type { DecoderLimits } from '../core/packet/decoder.js';
import { ethernet, hep3, tcpPacket, udpPacket } from '../core/packet/packets.testkit.js';
import type { Corpus, SeedFrame } from './fuzz-corpus.testkit.js';
import { captureFile } from './fuzz-files.testkit.js';
import { mutateBytes, mutateSip, Rand, randomFrame } from './fuzz-mutate.testkit.js';

export type FuzzStep =
  | { op: 'reset'; limits: Partial<DecoderLimits> }
  | { op: 'frame'; linkType: number; at: number; bytes: Uint8Array }
  | { op: 'sip'; bytes: Uint8Array }
  | { op: 'hep'; at: number; bytes: Uint8Array }
  /** A capture file, parsed whole and in `chunk`-byte pieces. */
  | { op: 'file'; chunk: number; bytes: Uint8Array };

export const RESET_EVERY = 5000;
const SMALL: Partial<DecoderLimits> = {
  maxTcpFlows: 64,
  maxFragDatagrams: 16,
  maxFragBytes: 64 * 1024,
  tcpFlowBuffer: 8192,
  tcpMaxHeld: 4,
};
const LINK_TYPES = [0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 9999];
const V4 = ['203.0.113.7', '198.51.100.9', '10.0.0.1'];
const V6 = ['2001:db8::7', '2001:db8:1::9', 'fe80::1'];

interface Flow {
  src: string;
  dst: string;
  sport: number;
  seq: number;
}

export function* fuzzSteps(seed: number, corpus: Corpus): Generator<FuzzStep> {
  const r = new Rand(seed);
  let at = 1_700_000_000;
  const tick = () => {
    const x = r.next();
    if (x < 0.005) at += 60 + r.int(900);
    else if (x < 0.01) at -= r.int(10);
    else at += r.next() * 0.01;
    return at;
  };
  const flows: Flow[] = [];
  for (let i = 0; i < 8; i++) {
    const v6 = i % 2 === 1;
    flows.push({
      src: v6 ? V6[i % 3]! : V4[i % 3]!,
      dst: v6 ? '2001:db8::5060' : '192.0.2.1',
      sport: 40000 + i,
      seq: r.int(2 ** 32),
    });
  }
  let inputs = RESET_EVERY;
  const other = () => r.pick(r.pick(corpus.sequences).frames).frame;
  for (;;) {
    if (inputs >= RESET_EVERY) {
      yield { op: 'reset', limits: r.chance(0.5) ? SMALL : {} };
      inputs = 0;
    }
    const mode = r.int(100);
    if (mode < 55) {
      const seq =
        mode < 40
          ? r.pick(corpus.sequences)
          : r.pick(corpus.sequences.filter((s) => s.name.startsWith('built')));
      for (const f of window(r, seq.frames)) {
        const bytes = r.chance(0.4) ? mutateBytes(r, f.frame, other()) : f.frame.slice();
        const lt = r.chance(0.02) ? r.pick(LINK_TYPES) : f.linkType;
        yield { op: 'frame', linkType: lt, at: tick(), bytes };
        inputs++;
      }
    } else if (mode < 65) {
      yield { op: 'frame', linkType: r.pick(LINK_TYPES), at: tick(), bytes: randomFrame(r) };
      inputs++;
    } else if (mode < 90) {
      const msg = r.chance(0.85) ? mutateSip(r, r.pick(corpus.sip), other()) : r.pick(corpus.sip).slice();
      yield { op: 'sip', bytes: msg };
      inputs++;
      for (const frame of carry(r, msg, flows)) {
        yield { op: 'frame', linkType: 1, at: tick(), bytes: frame };
        inputs++;
      }
    } else if (mode >= 98) {
      const bytes = captureFile(r, window(r, r.pick(corpus.sequences).frames), tick(), other());
      yield { op: 'file', chunk: 1 + r.int(r.chance(0.5) ? 64 : 4096), bytes };
      inputs++;
    } else {
      const v6 = r.chance(0.5);
      const payload = mutateSip(r, r.pick(corpus.sip), other());
      let bytes = hep3({
        src: v6 ? r.pick(V6) : r.pick(V4),
        dst: v6 ? '2001:db8::5060' : '192.0.2.1',
        sport: r.int(65536),
        dport: 5061,
        ipProto: r.pick([6, 17, 132]),
        payload: payload.subarray(0, 65_000),
        ...(r.chance(0.8) ? { at: tick() } : {}),
        protoType: r.chance(0.9) ? 1 : r.int(256),
      });
      if (r.chance(0.5)) bytes = mutateBytes(r, bytes, payload);
      yield { op: 'hep', at: tick(), bytes };
      inputs++;
    }
  }
}

/** 1–16 consecutive frames; sometimes two swapped, one repeated or one dropped. */
function window(r: Rand, frames: SeedFrame[]): SeedFrame[] {
  const start = r.int(frames.length);
  const w = frames.slice(start, start + 1 + r.int(16));
  const x = r.next();
  if (w.length >= 2 && x < 0.1) {
    const i = r.int(w.length - 1);
    [w[i], w[i + 1]] = [w[i + 1]!, w[i]!];
  } else if (x < 0.15) {
    w.push(w[r.int(w.length)]!);
  } else if (w.length >= 2 && x < 0.2) {
    w.splice(r.int(w.length), 1);
  }
  return w;
}

/** A message as Ethernet frames: one UDP datagram, or TCP segments on a long-lived flow. */
function carry(r: Rand, msg: Uint8Array, flows: Flow[]): Uint8Array[] {
  const data = msg.subarray(0, 60_000);
  if (r.chance(0.5)) {
    const v6 = r.chance(0.5);
    const src = v6 ? r.pick(V6) : r.pick(V4);
    return [ethernet(udpPacket(src, 5060, v6 ? '2001:db8::5060' : '192.0.2.1', 5060, data))];
  }
  const f = r.pick(flows);
  const out: Uint8Array[] = [];
  let off = 0;
  while (off < data.length) {
    const n = Math.min(data.length - off, 1 + r.int(1460));
    const payload = data.subarray(off, off + n);
    // 5%: a gap (the segment is lost on the wire, its bytes never come).
    if (!r.chance(0.05))
      out.push(
        ethernet(tcpPacket(f.src, f.dst, { sport: f.sport, dport: 5060, seq: f.seq, flags: 0x18, payload })),
      );
    f.seq = (f.seq + n) >>> 0;
    off += n;
  }
  if (out.length >= 2 && r.chance(0.1)) out.reverse();
  return out;
}

/**
 * The decoder fuzzer (issue 10): a seeded stream of inputs for the packet Decoder
 * (Ethernet/VLAN/SLL/null links, IPv4, IPv6, fragments, UDP, TCP), the SIP parser,
 * HEPv3 and pcap/pcapng files (fuzz-files.testkit.ts), made by mutating every real capture in testdata/ (fuzz-corpus.testkit.ts)
 * and by random bytes, each judged by three oracles:
 * - no throw, and no single input slower than `slowMs` (a hang shows as a stalled run:
 *   bench/fuzz.ts watches the worker and names the input);
 * - kept references: every input goes to two decoders, one with its own fresh Buffer and
 *   one through ONE shared buffer that is scribbled over after each call, the way libpcap
 *   reuses its ring (reused-buffer.testkit.ts); any difference in events or counters is a
 *   view kept past the call (issue 10 item 11);
 * - bounds: addresses are addresses, ports 0–65535, attacker text ≤ MAX_FIELD, TCP flows
 *   within their limit.
 * The stream is a pure function of the seed (decoder outputs never steer it), so input N
 * of seed S is regenerated exactly, without running the decoders.
 */
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Decoder, DecoderLimits } from '../core/packet/decoder.js';
import { MAX_FIELD, parseSip } from '../core/sip/parse.js';
import type { SipEvent, SipMessage } from '../core/types.js';
import type { Corpus } from './fuzz-corpus.testkit.js';
import { captureFileProblem } from './fuzz-files.testkit.js';
import { type FuzzStep, fuzzSteps } from './fuzz-steps.testkit.js';

export type FuzzDecoder = Pick<Decoder, 'push' | 'pushHep' | 'stats'>;

export interface FuzzOptions {
  seed: number;
  /** Inputs to run (reset steps are not inputs). */
  count: number;
  /** Wall-clock bound: the run stops after this many seconds even if `count` is not reached. */
  seconds?: number;
  corpus: Corpus;
  makeDecoder: (limits: Partial<DecoderLimits>) => FuzzDecoder;
  /** One input slower than this is a finding (default 250 ms). */
  slowMs?: number;
  /** Called before each input with its index (bench/fuzz.ts's hang watchdog reads it). */
  onInput?: (index: number) => void;
}

export interface FuzzFailure {
  index: number;
  op: FuzzStep['op'];
  linkType: number | null;
  message: string;
  /** The failing input, hex. */
  hex: string;
  /** Inputs the decoders had seen since they were made (their state matters). */
  sinceReset: number;
}

export interface FuzzReport {
  seed: number;
  inputs: number;
  /** SIP events out of the decoders, messages out of the parser, records out of capture files. */
  events: number;
  /** Inputs of each kind. */
  byOp: { frame: number; sip: number; hep: number; file: number };
  seconds: number;
  slowestMs: number;
  slowestIndex: number;
  failure: FuzzFailure | null;
}

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
const CAPPED = ['fromUser', 'toUser', 'userAgent', 'authUser', 'contact'] as const;

/** What is wrong with a parsed message, or null. */
export function messageProblem(m: SipMessage): string | null {
  if (m.kind === 'request') {
    if (typeof m.method !== 'string' || m.method.length === 0 || m.status !== null)
      return 'bad request fields';
  } else if (m.kind === 'response') {
    if (m.status === null || !Number.isInteger(m.status) || m.status < 100 || m.status > 699)
      return 'bad status';
  } else return `bad kind ${String(m.kind)}`;
  for (const k of CAPPED) {
    const v = m[k];
    if (v !== null && v.length > MAX_FIELD) return `${k} of ${v.length} chars > MAX_FIELD`;
  }
  if (m.cseq !== null && !Number.isFinite(m.cseq)) return 'cseq not finite';
  return null;
}

/** What is wrong with a decoded event, or null. */
export function eventProblem(e: SipEvent): string | null {
  if (isIP(e.src) === 0 || isIP(e.dst) === 0) return `bad address ${e.src} -> ${e.dst}`;
  for (const p of [e.sport, e.dport]) if (!Number.isInteger(p) || p < 0 || p > 65535) return `bad port ${p}`;
  if (!['udp', 'tcp', 'tls', 'ws', 'sctp'].includes(e.transport)) return `bad transport ${e.transport}`;
  if (!Number.isFinite(e.at)) return 'time not finite';
  return messageProblem(e.msg);
}

/** Two decoders (fresh buffers / one reused buffer) fed the same inputs. */
class Pair {
  readonly shared = Buffer.alloc(262_144);
  fresh: FuzzDecoder;
  reused: FuzzDecoder;
  maxFlows = 0;

  constructor(private readonly make: FuzzOptions['makeDecoder']) {
    this.fresh = make({});
    this.reused = make({});
  }

  reset(limits: Partial<DecoderLimits>): string | null {
    const problem = this.compareStats();
    this.fresh = this.make(limits);
    this.reused = this.make(limits);
    this.maxFlows = limits.maxTcpFlows ?? 16384;
    return problem;
  }

  compareStats(): string | null {
    const a = JSON.stringify(this.fresh.stats);
    const b = JSON.stringify(this.reused.stats);
    return a === b ? null : `counters differ through a reused buffer:\n fresh  ${a}\n reused ${b}`;
  }

  /** Runs one input; returns [events, problem]. */
  step(s: FuzzStep): [number, string | null] {
    if (s.op === 'reset') return [0, this.reset(s.limits)];
    if (s.op === 'file') return captureFileProblem(s.bytes, s.chunk);
    const own = Buffer.from(s.bytes.buffer, s.bytes.byteOffset, s.bytes.length);
    const n = s.bytes.length;
    this.shared.set(s.bytes, 0);
    const view = this.shared.subarray(0, n);
    if (s.op === 'sip') {
      const a = parseSip(own);
      const b = parseSip(view);
      this.shared.fill(0xa5, 0, n);
      const ja = JSON.stringify(a);
      const jb = JSON.stringify(b);
      if (ja !== jb)
        return [0, `parser output differs through a reused buffer:\n fresh  ${ja}\n reused ${jb}`];
      return [a ? 1 : 0, a ? messageProblem(a) : null];
    }
    let a: SipEvent[];
    let b: SipEvent[];
    if (s.op === 'hep') {
      a = this.fresh.pushHep(own, { at: s.at });
      b = this.reused.pushHep(view, { at: s.at });
    } else {
      a = this.fresh.push(s.linkType, s.at, own);
      b = this.reused.push(s.linkType, s.at, view);
    }
    // What the next packet does to the ring: a view kept by the decoder now reads 0xA5.
    this.shared.fill(0xa5, 0, n);
    if (a.length !== 0 || b.length !== 0) {
      const ja = JSON.stringify(a);
      const jb = JSON.stringify(b);
      if (ja !== jb)
        return [a.length, `events differ through a reused buffer:\n fresh  ${ja}\n reused ${jb}`];
      for (const e of a) {
        const p = eventProblem(e);
        if (p) return [a.length, `${p} in ${JSON.stringify(e)}`];
      }
    }
    const flows = this.fresh.stats.tcpFlows;
    if (flows > this.maxFlows) return [a.length, `${flows} TCP flows tracked > limit ${this.maxFlows}`];
    return [a.length, null];
  }
}

/** Runs the stream of `seed` until `count` inputs, `seconds`, or the first failure. */
export function runFuzz(o: FuzzOptions): FuzzReport {
  const started = performance.now();
  const deadline = started + (o.seconds ?? Number.POSITIVE_INFINITY) * 1000;
  const slowMs = o.slowMs ?? 250;
  const pair = new Pair(o.makeDecoder);
  const report: FuzzReport = {
    seed: o.seed,
    inputs: 0,
    events: 0,
    byOp: { frame: 0, sip: 0, hep: 0, file: 0 },
    seconds: 0,
    slowestMs: 0,
    slowestIndex: -1,
    failure: null,
  };
  let sinceReset = 0;
  const fail = (s: FuzzStep, message: string) => {
    report.failure = {
      index: report.inputs,
      op: s.op,
      linkType: s.op === 'frame' ? s.linkType : null,
      message,
      hex: s.op === 'reset' ? '' : hex(s.bytes),
      sinceReset,
    };
  };
  for (const s of fuzzSteps(o.seed, o.corpus)) {
    if (report.inputs >= o.count) break;
    if (s.op === 'reset') {
      const problem = pair.step(s)[1];
      if (problem) {
        fail(s, problem);
        break;
      }
      sinceReset = 0;
      continue;
    }
    o.onInput?.(report.inputs);
    const t0 = performance.now();
    let events = 0;
    let problem: string | null;
    try {
      [events, problem] = pair.step(s);
    } catch (e) {
      problem = `threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    }
    const ms = performance.now() - t0;
    if (ms > report.slowestMs) {
      report.slowestMs = ms;
      report.slowestIndex = report.inputs;
    }
    if (problem === null && ms > slowMs) problem = `one input took ${ms.toFixed(1)} ms (> ${slowMs} ms)`;
    if (problem !== null) {
      fail(s, problem);
      break;
    }
    report.events += events;
    report.byOp[s.op]++;
    report.inputs++;
    sinceReset++;
    if ((report.inputs & 1023) === 0 && performance.now() > deadline) break;
  }
  if (report.failure === null) {
    const problem = pair.compareStats();
    if (problem)
      report.failure = {
        index: report.inputs,
        op: 'reset',
        linkType: null,
        message: problem,
        hex: '',
        sinceReset,
      };
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** Input `index` of the stream of `seed` (for a hang: the watchdog names it without running it). */
export function inputAt(seed: number, corpus: Corpus, index: number): FuzzStep | null {
  let i = 0;
  for (const s of fuzzSteps(seed, corpus)) {
    if (s.op === 'reset') continue;
    if (i === index) return s;
    i++;
  }
  return null;
}

/**
 * Reads one run's capture (tcpdump on the PBX's eth0, nanosecond timestamps, Ethernet)
 * and measures, for one attacker address, with nothing of sipprot's own code:
 *
 * - threshold: the HIT_COUNT-th failed answer leaving the PBX for the attacker (a 401/407
 *   to a request that carried credentials, a 403, or a 404 to a REGISTER; requests and
 *   answers matched by Call-ID + CSeq);
 * - block: the ICMP echo probes the attacker sends every millisecond and its SIP requests.
 *   The PBX answers each one until a firewall drops the address; the block moment lies
 *   between the last packet that was answered and the next one, after which nothing was
 *   (the SIP requests narrow the bracket at high rates, the probes at low ones);
 * - failures answered: every failed answer that left the PBX for the attacker (what the
 *   attacker learned).
 */
import { readFileSync } from 'node:fs';

export interface RunMeasure {
  /** Failed answers sent to the attacker over the whole run. */
  failures: number;
  /** Requests from the attacker seen on the wire. */
  requests: number;
  /** Capture time of the HIT_COUNT-th failed answer (s), null if it never came. */
  thresholdAt: number | null;
  /**
   * The block moment lies in (lastAnsweredAt, firstDroppedAt]: the last packet from the
   * attacker (probe or SIP request) that was answered, and the next one, after which
   * nothing was answered any more (capture times, s).
   */
  lastAnsweredAt: number | null;
  firstDroppedAt: number | null;
  /** What the first dropped packet was. */
  firstDroppedKind: 'probe' | 'sip' | null;
  /** Block after the threshold, ms: upper bound (first dropped) and lower bound (last answered). */
  latencyMs: number | null;
  latencyLowMs: number | null;
  probes: number;
  probeReplies: number;
}

interface Packet {
  at: number;
  src: string;
  dst: string;
  proto: number;
  sport: number;
  dport: number;
  payload: Buffer;
}

function* packets(path: string): Generator<Packet> {
  const b = readFileSync(path);
  if (b.length < 24) return;
  const magic = b.readUInt32LE(0);
  const nano = magic === 0xa1b23c4d;
  if (!nano && magic !== 0xa1b2c3d4) throw new Error(`${path}: not a little-endian pcap file`);
  const link = b.readUInt32LE(20);
  if (link !== 1) throw new Error(`${path}: link type ${link}, expected Ethernet (1)`);
  for (let o = 24; o + 16 <= b.length; ) {
    const at = b.readUInt32LE(o) + b.readUInt32LE(o + 4) / (nano ? 1e9 : 1e6);
    const len = b.readUInt32LE(o + 8);
    const f = b.subarray(o + 16, o + 16 + len);
    o += 16 + len;
    if (f.length < 34 || f.readUInt16BE(12) !== 0x0800) continue;
    const ihl = (f[14]! & 15) * 4;
    const proto = f[23]!;
    const src = `${f[26]}.${f[27]}.${f[28]}.${f[29]}`;
    const dst = `${f[30]}.${f[31]}.${f[32]}.${f[33]}`;
    const l4 = 14 + ihl;
    const end = Math.min(f.length, 14 + f.readUInt16BE(16));
    if (proto === 17 && end >= l4 + 8) {
      yield {
        at,
        src,
        dst,
        proto,
        sport: f.readUInt16BE(l4),
        dport: f.readUInt16BE(l4 + 2),
        payload: f.subarray(l4 + 8, end),
      };
    } else if (proto === 1 && end >= l4 + 8) {
      yield { at, src, dst, proto, sport: 0, dport: 0, payload: f.subarray(l4, end) };
    }
  }
}

interface Sip {
  request: boolean;
  method: string;
  status: number;
  key: string;
  auth: boolean;
}

function sip(p: Uint8Array): Sip | null {
  const text = Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('latin1');
  const head = text.slice(0, text.indexOf('\r\n\r\n') >>> 0);
  const lines = head.split('\r\n');
  const first = lines[0] ?? '';
  let callId = '';
  let cseq = '';
  let auth = false;
  for (const l of lines.slice(1)) {
    const c = l.indexOf(':');
    const name = l.slice(0, c).trim().toLowerCase();
    const value = l.slice(c + 1).trim();
    if (name === 'call-id' || name === 'i') callId = value;
    else if (name === 'cseq') cseq = value;
    else if (name === 'authorization' || name === 'proxy-authorization') auth = true;
  }
  const cseqMethod = cseq.split(/\s+/)[1] ?? '';
  if (first.startsWith('SIP/2.0 ')) {
    return {
      request: false,
      method: cseqMethod,
      status: Number(first.split(' ')[1]),
      key: `${callId} ${cseq}`,
      auth,
    };
  }
  const method = first.split(' ')[0] ?? '';
  if (!/^[A-Z]+$/.test(method)) return null;
  return { request: true, method, status: 0, key: `${callId} ${cseq}`, auth };
}

export function analyzeRun(path: string, attacker: string, pbx: string, hitCount: number): RunMeasure {
  const withCreds = new Map<string, boolean>();
  /** Departure times of the answers to each request (Call-ID + CSeq). */
  const answers = new Map<string, number[]>();
  const inbound: Array<{ at: number; kind: 'probe' | 'sip'; key: string | number }> = [];
  const failuresAt: number[] = [];
  let requests = 0;
  let probes = 0;
  const replied = new Set<number>();
  for (const p of packets(path)) {
    if (p.proto === 1) {
      const type = p.payload[0];
      const seq = p.payload.readUInt16BE(6);
      if (type === 8 && p.src === attacker && p.dst === pbx) {
        probes++;
        inbound.push({ at: p.at, kind: 'probe', key: seq });
      } else if (type === 0 && p.src === pbx && p.dst === attacker) replied.add(seq);
      continue;
    }
    if (p.sport !== 5060 && p.dport !== 5060) continue;
    const m = sip(p.payload);
    if (m === null) continue;
    if (m.request && p.src === attacker && p.dst === pbx) {
      requests++;
      withCreds.set(m.key, m.auth);
      if (m.method !== 'ACK') inbound.push({ at: p.at, kind: 'sip', key: m.key });
    } else if (!m.request && p.src === pbx && p.dst === attacker) {
      const list = answers.get(m.key) ?? [];
      list.push(p.at);
      answers.set(m.key, list);
      const creds = withCreds.get(m.key) ?? false;
      const failed =
        ((m.status === 401 || m.status === 407) && creds) ||
        m.status === 403 ||
        (m.status === 404 && m.method === 'REGISTER');
      if (failed) failuresAt.push(p.at);
    }
  }
  const thresholdAt = failuresAt.length >= hitCount ? failuresAt[hitCount - 1]! : null;
  // A probe is answered by its echo reply; a SIP request by an answer that left after it arrived.
  const answered = (x: (typeof inbound)[number]) =>
    x.kind === 'probe'
      ? replied.has(x.key as number)
      : (answers.get(x.key as string) ?? []).some((t) => t >= x.at);
  inbound.sort((a, b) => a.at - b.at);
  let lastOk = -1;
  for (let i = 0; i < inbound.length; i++) if (answered(inbound[i]!)) lastOk = i;
  const last = lastOk >= 0 ? inbound[lastOk]! : null;
  const first = lastOk + 1 < inbound.length ? inbound[lastOk + 1]! : null;
  const ms = (t: number | undefined) =>
    t !== undefined && thresholdAt !== null ? (t - thresholdAt) * 1000 : null;
  return {
    failures: failuresAt.length,
    requests,
    thresholdAt,
    lastAnsweredAt: last?.at ?? null,
    firstDroppedAt: first?.at ?? null,
    firstDroppedKind: first?.kind ?? null,
    latencyMs: ms(first?.at),
    latencyLowMs: ms(last?.at),
    probes,
    probeReplies: replied.size,
  };
}

/** Nearest-rank percentile of numbers (null when empty). */
export function percentile(xs: number[], p: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, attacker, pbx, hit] = process.argv.slice(2);
  if (!file || !attacker || !pbx) {
    console.error('usage: analyze.ts CAPTURE.pcap ATTACKER_IP PBX_IP [HIT_COUNT]');
    process.exit(2);
  }
  console.log(JSON.stringify(analyzeRun(file, attacker, pbx, Number(hit ?? 10))));
}

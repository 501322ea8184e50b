/**
 * The issue-13 flood, as a seeded capture: ~1M SIP packets between one PBX and 125k
 * addresses, for the live flood bench (tcpreplay onto a veth) and the replay bench (the
 * same file through `replay`). Same seed, same bytes.
 *
 *   node --import tsx bench/gen-flood.ts --out /tmp/x/flood.pcap [--packets 1000000] [--seed N] [--mix issue|phones]
 *
 * - 30% of the packets: 25k phones doing the digest dance (REGISTER → 401 → REGISTER
 *   with credentials → 200; 75k dances, each on a new Call-ID, a phone ~3 times);
 * - 70%: single wrong-password attempts (REGISTER with credentials → 401, sipp style,
 *   no User-Agent) from 100k attacker addresses in turn (350k attempts, 3–4 per address,
 *   ~3 s apart at 100k packets/s, so with the default HIT_COUNT=10 nothing is blocked:
 *   every one of them stays tracked);
 * - 256 dances/attempts in flight at once, their packets interleaved at random;
 *   timestamps 10 µs apart (a nominal 100k packets/s: `tcpreplay --pps` ignores them,
 *   replay judges by them).
 *
 * `--mix phones` (the live bench's reference for real phone traffic, no attackers): the
 * same 25k phones and address plan, every packet a phone's: 50% of the activities the
 * digest dance above, 30% OPTIONS keep-alives (OPTIONS → 200), 20% calls (INVITE → 407 →
 * ACK → INVITE with credentials → 100, 180, 200 → ACK → BYE → 200, gen-traffic.ts's
 * `phoneCall`): by packets ~31% registrations, ~12% keep-alives, ~57% calls. Nothing in it
 * is an attack: a daemon judging it blocks nobody (the bench prints its blocks).
 *
 * Every address is in 198.18.0.0/15 (RFC 2544, benchmarking): phones 198.18.0.1…,
 * attackers from offset 30,000, the PBX at 198.19.255.254. The flood bench makes the
 * whole prefix local to its sending namespace. Ethernet frames between two MACs no
 * interface owns (02:50:42:58:00:01 PBX side, 02:47:57:00:00:01 far side, from
 * gen-pcap.ts), so on the receiving veth only a packet capture sees them.
 * Writes FILE and FILE.json (counts, address plan, seed).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { type Addr, addr4, LINKTYPE_ETHERNET, PcapWriter } from './gen-pcap.js';
import { type Dialog, Rng, request, response } from './gen-sip.js';
import { phoneCall } from './gen-traffic.js';

/** 198.18.0.0/15 as a number, and its size. */
const BASE = ((198 << 24) | (18 << 16)) >>> 0;
const SPAN = 1 << 17;
export const FLOOD_PREFIX = '198.18.0.0/15';
/** The seed of the capture the flood and replay benches share. */
export const FLOOD_SEED = 20260113;
export const FLOOD_MACS = ['02:50:42:58:00:01', '02:47:57:00:00:01'];
const ATTACKER_OFFSET = 30_000;
export const FLOOD_PBX = addr4(BASE + SPAN - 2);
const PHONE_UAS = ['Yealink SIP-T46S 66.86.0.15', 'Grandstream GXP2170 1.0.11.23', 'Zoiper rv2.10.19.6'];
const IN_FLIGHT = 256;
const STEP_US = 10;
/** 2026-01-01T00:00:00Z in microseconds. */
const T0 = 1767225600e6;

export type FloodMix = 'issue' | 'phones';

export interface FloodManifest {
  profile: 'flood';
  /** Absent in captures written before the phones mix: the issue's. */
  mix?: FloodMix;
  seed: number;
  /** packets / 1M (the replay bench's --scale). */
  scale: number;
  /** Generated packets (= frames = SIP messages). */
  messages: number;
  frames: number;
  bytes: number;
  linkType: number;
  phonePackets: number;
  attackPackets: number;
  sources: { phone: number; bruteforce: number };
  /** Attacker addresses that sent at least one attempt. */
  attackersUsed: number;
  prefix: string;
  pbx: string;
  macs: string[];
  spanSeconds: number;
}

export function floodRoleOf(ip: string): 'phone' | 'bruteforce' | null {
  const p = ip.split('.');
  if (p.length !== 4) return null;
  const n = ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
  const off = n - BASE;
  if (off < 1 || off >= SPAN - 2) return null;
  return off < ATTACKER_OFFSET ? 'phone' : 'bruteforce';
}

interface Pkt {
  inbound: boolean;
  text: string;
}
interface Flight {
  ip: Addr;
  port: number;
  pkts: Pkt[];
  i: number;
}

function dance(r: Rng, ip: Addr, phone: number): Pkt[] {
  const port = 5060 + (phone % 3);
  const d: Dialog = {
    ip,
    port,
    user: `${1000 + (phone % 1000)}`,
    callId: `${r.hex(24)}@${ip.text}`,
    fromTag: r.hex(10),
    ua: PHONE_UAS[phone % PHONE_UAS.length]!,
  };
  const nonce = r.hex(24);
  const cseq = 1 + r.int(5000);
  const b1 = `z9hG4bK${r.hex(20)}`;
  const b2 = `z9hG4bK${r.hex(20)}`;
  const auth = { kind: 'www' as const, nonce, response: r.hex(32) };
  const pbx = FLOOD_PBX;
  return [
    { inbound: true, text: request(d, { method: 'REGISTER', cseq, branch: b1 }) },
    {
      inbound: false,
      text: response(d, { status: 401, method: 'REGISTER', cseq, branch: b1, toTag: r.hex(8), nonce, pbx }),
    },
    { inbound: true, text: request(d, { method: 'REGISTER', cseq: cseq + 1, branch: b2, auth }) },
    {
      inbound: false,
      text: response(d, {
        status: 200,
        method: 'REGISTER',
        cseq: cseq + 1,
        branch: b2,
        toTag: r.hex(8),
        pbx,
      }),
    },
  ];
}

function attempt(r: Rng, ip: Addr, attacker: number): Pkt[] {
  // One target extension per attacker (password guessing, not enumeration).
  const d: Dialog = {
    ip,
    port: 5060,
    user: `${100 + ((Math.imul(attacker, 2654435761) >>> 0) % 900)}`,
    callId: r.hex(20),
    fromTag: r.hex(8),
    ua: null,
  };
  const b = `z9hG4bK${r.hex(20)}`;
  const auth = { kind: 'www' as const, nonce: r.hex(24), response: r.hex(32) };
  return [
    { inbound: true, text: request(d, { method: 'REGISTER', cseq: 1, branch: b, auth }) },
    {
      inbound: false,
      text: response(d, {
        status: 401,
        method: 'REGISTER',
        cseq: 1,
        branch: b,
        toTag: r.hex(8),
        nonce: r.hex(24),
        pbx: FLOOD_PBX,
      }),
    },
  ];
}

/** A phone's OPTIONS keep-alive, answered 200 (a new Call-ID each, as phones send them). */
function keepalive(r: Rng, ip: Addr, phone: number): Pkt[] {
  const d: Dialog = {
    ip,
    port: 5060 + (phone % 3),
    user: `${1000 + (phone % 1000)}`,
    callId: `${r.hex(16)}@${ip.text}`,
    fromTag: r.hex(10),
    ua: PHONE_UAS[phone % PHONE_UAS.length]!,
  };
  const b = `z9hG4bK${r.hex(20)}`;
  return [
    { inbound: true, text: request(d, { method: 'OPTIONS', cseq: 1, branch: b }) },
    {
      inbound: false,
      text: response(d, {
        status: 200,
        method: 'OPTIONS',
        cseq: 1,
        branch: b,
        toTag: r.hex(8),
        pbx: FLOOD_PBX,
      }),
    },
  ];
}

/** A phone's authenticated call to another extension (10 packets). */
function call(r: Rng, ip: Addr, phone: number): Pkt[] {
  const d: Dialog = {
    ip,
    port: 5060 + (phone % 3),
    user: `${1000 + (phone % 1000)}`,
    target: `${1000 + ((phone + 1 + r.int(998)) % 1000)}`,
    callId: `${r.hex(24)}@${ip.text}`,
    fromTag: r.hex(10),
    ua: PHONE_UAS[phone % PHONE_UAS.length]!,
  };
  // phoneCall spaces its messages in time; the flood's timestamps are its own (STEP_US).
  const ctx = { pbx: FLOOD_PBX, t0: 0, span: 400e6, hitCount: 10 };
  return [...phoneCall(ctx, d, r)].map((m) => ({ inbound: m.inbound, text: m.text }));
}

/** The phones mix's next activity: 50% registrations, 30% keep-alives, 20% calls. */
function phoneActivity(r: Rng, phones: number): { ip: Addr; port: number; pkts: Pkt[] } {
  const p = r.int(phones);
  const ip = addr4(BASE + 1 + p);
  const u = r.next();
  const pkts = u < 0.5 ? dance(r, ip, p) : u < 0.8 ? keepalive(r, ip, p) : call(r, ip, p);
  return { ip, port: 5060 + (p % 3), pkts };
}

export function generateFlood(o: {
  out: string;
  seed: number;
  /** 'issue' (default): the phones and attackers; 'phones': phones only. */
  mix?: FloodMix;
  packets?: number;
  phones?: number;
  attackers?: number;
}): FloodManifest {
  const total = o.packets ?? 1_000_000;
  const phones = o.phones ?? 25_000;
  const attackers = o.attackers ?? 100_000;
  if (!(total >= 100 && phones >= 1 && phones < ATTACKER_OFFSET && attackers >= 1))
    throw new Error('gen-flood: --packets ≥ 100, 1 ≤ phones < 30000, attackers ≥ 1');
  if (attackers % 7919 === 0) throw new Error('gen-flood: the attacker count must not be a multiple of 7919');
  if (ATTACKER_OFFSET + attackers > SPAN - 2)
    throw new Error(`gen-flood: at most ${SPAN - 2 - ATTACKER_OFFSET} attackers`);
  let dances = Math.round((0.3 * total) / 4);
  let attempts = Math.floor((total - 4 * dances) / 2);
  const r = new Rng(o.seed);
  const w = new PcapWriter(o.out, LINKTYPE_ETHERNET, [FLOOD_PBX]);
  const used = new Uint8Array(attackers);
  let attemptNo = 0;
  let phonePackets = 0;
  let attackPackets = 0;
  const mix = o.mix ?? 'issue';
  let phoneBudget = mix === 'phones' ? total : 0;
  if (mix === 'phones') dances = attempts = 0;
  const next = (): Flight | null => {
    if (phoneBudget > 0) {
      const a = phoneActivity(r, phones);
      phoneBudget -= a.pkts.length;
      phonePackets += a.pkts.length;
      return { ...a, i: 0 };
    }
    if (dances + attempts === 0) return null;
    if (r.next() * (dances + attempts) < dances) {
      dances--;
      const p = r.int(phones);
      const ip = addr4(BASE + 1 + p);
      phonePackets += 4;
      return { ip, port: 5060 + (p % 3), pkts: dance(r, ip, p), i: 0 };
    }
    attempts--;
    // Round-robin through the attackers in a scrambled order: every address is used.
    const a = (attemptNo++ * 7919) % attackers;
    used[a] = 1;
    attackPackets += 2;
    return {
      ip: addr4(BASE + ATTACKER_OFFSET + a),
      port: 5060,
      pkts: attempt(r, addr4(BASE + ATTACKER_OFFSET + a), a),
      i: 0,
    };
  };
  const pool: Flight[] = [];
  for (let i = 0; i < IN_FLIGHT; i++) {
    const f = next();
    if (f) pool.push(f);
  }
  let t = T0;
  try {
    while (pool.length > 0) {
      const k = r.int(pool.length);
      const f = pool[k]!;
      const p = f.pkts[f.i++]!;
      if (p.inbound) w.udp(t, f.ip, f.port, FLOOD_PBX, 5060, p.text);
      else w.udp(t, FLOOD_PBX, 5060, f.ip, f.port, p.text);
      t += STEP_US;
      if (f.i === f.pkts.length) {
        const n = next();
        if (n) pool[k] = n;
        else {
          pool[k] = pool[pool.length - 1]!;
          pool.pop();
        }
      }
    }
  } finally {
    w.close();
  }
  const m: FloodManifest = {
    profile: 'flood',
    ...(mix === 'phones' ? { mix } : {}),
    seed: o.seed,
    scale: total / 1_000_000,
    messages: w.frames,
    frames: w.frames,
    bytes: w.bytes,
    linkType: w.linkType,
    phonePackets,
    attackPackets,
    sources: { phone: phones, bruteforce: attackers },
    attackersUsed: used.reduce((a, b) => a + b, 0),
    prefix: FLOOD_PREFIX,
    pbx: FLOOD_PBX.text,
    macs: FLOOD_MACS,
    spanSeconds: (w.frames * STEP_US) / 1e6,
  };
  writeFileSync(`${o.out}.json`, `${JSON.stringify(m, null, 2)}\n`);
  return m;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      seed: { type: 'string', default: `${FLOOD_SEED}` },
      packets: { type: 'string', default: '1000000' },
      mix: { type: 'string', default: 'issue' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.out) {
    console.log(
      'usage: gen-flood.ts --out FILE.pcap [--packets 1000000] [--seed 20260113] [--mix issue|phones]',
    );
    process.exit(values.help ? 0 : 2);
  }
  const t = performance.now();
  if (values.mix !== 'issue' && values.mix !== 'phones') throw new Error('gen-flood: --mix issue|phones');
  const m = generateFlood({
    out: values.out,
    seed: Number(values.seed),
    packets: Number(values.packets),
    mix: values.mix,
  });
  console.log(
    `gen-flood: ${m.messages.toLocaleString('en')} SIP packets (${m.phonePackets.toLocaleString('en')} phone, ` +
      `${m.attackPackets.toLocaleString('en')} attack from ${m.attackersUsed.toLocaleString('en')} addresses), ` +
      `${(m.bytes / 2 ** 20).toFixed(0)} MiB → ${values.out} (seed ${m.seed}, ${((performance.now() - t) / 1000).toFixed(1)} s)`,
  );
}

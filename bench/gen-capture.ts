/**
 * Deterministic, seeded generator of large SIP captures for the replay benchmark. Frames
 * are written straight into a pcap file (Ethernet or Linux cooked), never held in memory.
 *
 *   node --import tsx bench/gen-capture.ts --profile mixed --out /tmp/x/mixed.pcap
 *   node --import tsx bench/gen-capture.ts --profile tracked --out /tmp/x/tracked.pcap
 *
 * Profiles:
 * - mixed: one hour of a PBX with 100k phones (registrations every ~1700 s, calls,
 *   OPTIONS keep-alives) under attack from 25k addresses (password guessing in sipp and
 *   svcrack styles, svmap scanners, svwar enumeration, toll-fraud INVITEs): ~1.3M SIP
 *   messages from 125k source addresses (5% of the phones and 10% of the crackers over
 *   IPv6). `--scale 0.1` makes a tenth of it.
 * - tracked: 1M distinct addresses within 40 s, each guessing two passwords
 *   (REGISTER with credentials → 401, REGISTER with credentials → 403): 4M messages, every
 *   address tracked by detection at once.
 * - flood: the issue-13 flood of the live bench (bench/gen-flood.ts: 1M packets, 30%
 *   phones' digest dances, 70% wrong-password attempts from 100k addresses).
 *
 * Writes FILE and FILE.json (what is in it: counts, sources per role, seed). Prints one line.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { floodRoleOf, generateFlood } from './gen-flood.js';
import { type Addr, addr4, addr6, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, PcapWriter } from './gen-pcap.js';
import { type Dialog, Rng, request, response } from './gen-sip.js';
import {
  bruteForce,
  type Ctx,
  enumerator,
  type Msg,
  phoneCall,
  phoneKeepalive,
  phoneRegistrations,
  phoneUa,
  SCANNER_UAS,
  type Session,
  scanner,
  tollFraud,
} from './gen-traffic.js';

export type Role = 'phone' | 'bruteforce' | 'scanner' | 'enumeration' | 'toll-fraud' | 'tracked';

/** First IPv4 octets (and the third IPv6 word, under 2001:db8::/32) of each role's addresses. */
export const ROLE_OCTETS: Record<Role, number[]> = {
  phone: [24, 71, 86, 98, 173],
  bruteforce: [45, 46],
  scanner: [185, 193],
  enumeration: [91],
  'toll-fraud': [41],
  tracked: [23, 77, 89, 103, 109, 113, 212],
};
const ROLE_V6: Partial<Record<Role, number>> = { phone: 0x100, bruteforce: 0x200 };

/** The role of a source address of a generated capture (null: the PBX or unknown). */
export function roleOf(ip: string): Role | null {
  const flood = floodRoleOf(ip);
  if (flood) return flood;
  if (ip.includes(':')) {
    const w = Number.parseInt(ip.split(':')[2] ?? '', 16);
    for (const [role, v] of Object.entries(ROLE_V6)) if (v === w) return role as Role;
    return null;
  }
  const o = Number(ip.slice(0, ip.indexOf('.')));
  for (const [role, os] of Object.entries(ROLE_OCTETS)) if (os.includes(o)) return role as Role;
  return null;
}

/**
 * The address of source number `g` in a role. The low 24 bits are g times an odd
 * constant (a bijection modulo 2^24), so every g gives a distinct address whatever the role.
 */
export function sourceAddr(role: Role, g: number, v6 = false): Addr {
  const low = Math.imul(g, 0x9e3779b1) & 0xffffff;
  if (v6) return addr6([0x2001, 0xdb8, ROLE_V6[role] ?? 0xfff, low >>> 16, 0, 0, 0, (low & 0xffff) | 1]);
  const os = ROLE_OCTETS[role];
  return addr4(((os[g % os.length]! << 24) | low) >>> 0);
}

export const PBX4 = addr4(((203 << 24) | (0 << 16) | (113 << 8) | 10) >>> 0);
export const PBX6 = addr6([0x2001, 0xdb8, 0x5060, 0, 0, 0, 0, 0x10]);
/** 2026-01-01T00:00:00Z in microseconds. */
const T0 = 1767225600e6;

export interface Manifest {
  profile: string;
  seed: number;
  scale: number;
  linkType: number;
  messages: number;
  frames: number;
  bytes: number;
  sources: Partial<Record<Role, number>>;
  spanSeconds: number;
}

interface Entry {
  at: number;
  seq: number;
  s: Session;
  m: Msg;
}

/** A binary min-heap of the sessions' next messages, by time then creation order. */
class Heap {
  private a: Entry[] = [];
  get size(): number {
    return this.a.length;
  }
  push(e: Entry): void {
    const a = this.a;
    a.push(e);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }
  pop(): Entry {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}
const less = (x: Entry, y: Entry) => x.at < y.at || (x.at === y.at && x.seq < y.seq);

function mixed(w: PcapWriter, seed: number, scale: number, hitCount: number): Manifest {
  const ctx: Ctx = { pbx: PBX4, t0: T0, span: 3600e6, hitCount };
  const heap = new Heap();
  let seq = 0;
  let g = 0;
  const sources: Partial<Record<Role, number>> = {};
  const add = (ip: Addr, port: number, msgs: Iterator<Msg>) => {
    const first = msgs.next();
    if (!first.done) heap.push({ at: first.value.at, seq: seq++, s: { ip, port, msgs }, m: first.value });
  };
  const n = (k: number) => Math.max(1, Math.round(k * scale));
  const dialog = (ip: Addr, port: number, user: string, ua: string | null, r: Rng): Dialog => ({
    ip,
    port,
    user,
    callId: `${r.hex(24)}@${ip.v6 ? 'phone' : ip.text}`,
    fromTag: r.hex(10),
    ua,
  });
  const sessionCtx = (ip: Addr): Ctx => (ip.v6 ? { ...ctx, pbx: PBX6 } : ctx);

  const phones = n(100_000);
  for (let i = 0; i < phones; i++, g++) {
    const r = new Rng(seed ^ Math.imul(g + 1, 0x85ebca6b));
    const ip = sourceAddr('phone', g, i % 20 === 19);
    const port = r.next() < 0.7 ? 5060 : 1024 + r.int(60000);
    const user = `${1000 + (i % 1000)}`;
    const ua = phoneUa(r);
    const c = sessionCtx(ip);
    add(ip, port, phoneRegistrations(c, dialog(ip, port, user, ua, r), r));
    if (r.next() < 0.2)
      add(ip, port, phoneCall(c, { ...dialog(ip, port, user, ua, r), target: `${1000 + r.int(1000)}` }, r));
    if (r.next() < 0.05) add(ip, port, phoneKeepalive(c, dialog(ip, port, user, ua, r), r));
  }
  sources.phone = phones;
  const attackers: Array<[Role, number, (c: Ctx, d: Dialog, r: Rng) => Iterator<Msg>]> = [
    ['bruteforce', n(3000), bruteForce],
    ['scanner', n(20_000), scanner],
    ['enumeration', n(1000), enumerator],
    ['toll-fraud', n(1000), tollFraud],
  ];
  for (const [role, count, make] of attackers) {
    for (let i = 0; i < count; i++, g++) {
      const r = new Rng(seed ^ Math.imul(g + 1, 0xc2b2ae35));
      const ip = sourceAddr(role, g, role === 'bruteforce' && i % 10 === 9);
      const port = r.next() < 0.5 ? 5060 : 1024 + r.int(60000);
      let ua: string | null = null;
      if (role === 'scanner') ua = r.pick(SCANNER_UAS);
      else if (role === 'bruteforce') {
        const x = r.next();
        ua = x < 0.6 ? null : x < 0.8 ? 'friendly-scanner' : 'Asterisk PBX 16.2.1';
      } else if (role === 'enumeration') ua = r.next() < 0.2 ? 'friendly-scanner' : null;
      const d = dialog(ip, port, `${100 + r.int(900)}`, ua, r);
      if (role === 'enumeration' && ua === null) d.compact = true;
      add(ip, port, make(sessionCtx(ip), d, r));
    }
    sources[role] = count;
  }

  let messages = 0;
  while (heap.size > 0) {
    const e = heap.pop();
    const { s, m } = e;
    const pbx = s.ip.v6 ? PBX6 : PBX4;
    if (m.inbound) w.udp(m.at, s.ip, s.port, pbx, 5060, m.text);
    else w.udp(m.at, pbx, 5060, s.ip, s.port, m.text);
    messages++;
    const next = s.msgs.next();
    if (!next.done) {
      if (next.value.at < m.at) throw new Error('a session went back in time');
      heap.push({ at: next.value.at, seq: e.seq, s, m: next.value });
    }
  }
  return {
    profile: 'mixed',
    seed,
    scale,
    linkType: w.linkType,
    messages,
    frames: w.frames,
    bytes: w.bytes,
    sources,
    spanSeconds: 3600,
  };
}

/**
 * 1M addresses (× scale), one every 40 µs: each sends a wrong password (→ 401) and, 1 s
 * later, another (→ 403), so all of them are tracked within one MONIT_PERIOD.
 */
function tracked(w: PcapWriter, seed: number, scale: number): Manifest {
  const N = Math.max(1, Math.round(1_000_000 * scale));
  const STEP = 40; // µs between addresses
  const LAG = 25_000; // second guess 25k steps (1 s) after the first
  const r = new Rng(seed);
  const dialogOf = (g: number): Dialog => {
    const ip = sourceAddr('tracked', g);
    // Derived from g alone, so the second guess of an address can rebuild its dialog.
    return {
      ip,
      port: 5060 + (g % 7),
      user: `${100 + (g % 50)}`,
      callId: `c${g.toString(36)}`,
      fromTag: `t${g.toString(36)}`,
      ua: null,
    };
  };
  const guess = (t: number, d: Dialog, cseq: number, status: number) => {
    const b = `z9hG4bK${r.hex(16)}`;
    const auth = { kind: 'www' as const, nonce: r.hex(24), response: r.hex(32) };
    w.udp(t, d.ip, d.port, PBX4, 5060, request(d, { method: 'REGISTER', cseq, branch: b, auth }));
    w.udp(
      t + 10,
      PBX4,
      5060,
      d.ip,
      d.port,
      response(d, {
        status,
        method: 'REGISTER',
        cseq,
        branch: b,
        toTag: r.hex(8),
        nonce: r.hex(24),
        pbx: PBX4,
      }),
    );
  };
  for (let k = 0; k < N + LAG; k++) {
    const t = T0 + k * STEP;
    if (k < N) guess(t, dialogOf(k), 1, 401);
    if (k >= LAG && k - LAG < N) guess(t + 20, dialogOf(k - LAG), 2, 403);
  }
  const spanSeconds = ((N + LAG) * STEP) / 1e6;
  return {
    profile: 'tracked',
    seed,
    scale,
    linkType: w.linkType,
    messages: w.frames,
    frames: w.frames,
    bytes: w.bytes,
    sources: { tracked: N },
    spanSeconds,
  };
}

export function generate(o: {
  profile: string;
  out: string;
  seed: number;
  scale: number;
  link: string;
  hitCount: number;
}): Manifest {
  // The issue-13 flood (bench/gen-flood.ts): 1M packets × scale, Ethernet only.
  if (o.profile === 'flood')
    return generateFlood({ out: o.out, seed: o.seed, packets: Math.round(1_000_000 * o.scale) });
  const linkType = o.link === 'sll' ? LINKTYPE_LINUX_SLL : LINKTYPE_ETHERNET;
  const w = new PcapWriter(o.out, linkType, [PBX4, PBX6]);
  let m: Manifest;
  try {
    if (o.profile === 'mixed') m = mixed(w, o.seed, o.scale, o.hitCount);
    else if (o.profile === 'tracked') m = tracked(w, o.seed, o.scale);
    else throw new Error(`unknown profile '${o.profile}' (mixed, tracked or flood)`);
  } finally {
    w.close();
  }
  m.bytes = w.bytes;
  writeFileSync(`${o.out}.json`, `${JSON.stringify(m, null, 2)}\n`);
  return m;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      profile: { type: 'string', default: 'mixed' },
      out: { type: 'string' },
      seed: { type: 'string', default: '20260101' },
      scale: { type: 'string', default: '1' },
      link: { type: 'string', default: 'ethernet' },
      'hit-count': { type: 'string', default: '10' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.out) {
    console.log(
      'usage: gen-capture.ts --profile mixed|tracked|flood --out FILE.pcap [--seed N] [--scale X] [--link ethernet|sll] [--hit-count 10]',
    );
    process.exit(values.help ? 0 : 2);
  }
  const t = performance.now();
  const m = generate({
    profile: values.profile!,
    out: values.out,
    seed: Number(values.seed),
    scale: Number(values.scale),
    link: values.link!,
    hitCount: Number(values['hit-count']),
  });
  const srcs = Object.values(m.sources).reduce((a, b) => a + (b ?? 0), 0);
  console.log(
    `gen-capture: ${m.profile} ${m.messages.toLocaleString('en')} SIP messages from ${srcs.toLocaleString('en')} sources over ${m.spanSeconds} s, ` +
      `${(m.bytes / 2 ** 20).toFixed(0)} MiB → ${values.out} (seed ${m.seed}, ${((performance.now() - t) / 1000).toFixed(1)} s)`,
  );
}

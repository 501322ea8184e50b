/**
 * Who sends what in a generated capture: each session is a generator of SIP messages in
 * time order (microseconds), between one remote address and the PBX. Phones register
 * the normal way (REGISTER → 401 → REGISTER with credentials → 200), call, and send
 * keep-alives; attackers guess passwords (sipp and svcrack styles), scan (svmap),
 * enumerate extensions (svwar) and probe for toll fraud.
 *
 * The PBX is guarded: an attacker's answers stop after a few failures (as they would
 * once the firewall drops it) while the tool keeps sending for a while, as real tools do.
 */
import type { Addr } from './gen-pcap.js';
import { type Dialog, type Rng, request, response } from './gen-sip.js';

export interface Msg {
  /** Microseconds since the epoch. */
  at: number;
  /** Remote → PBX (else PBX → remote). */
  inbound: boolean;
  text: string;
}

export interface Session {
  ip: Addr;
  port: number;
  msgs: Iterator<Msg>;
}

export interface Ctx {
  pbx: Addr;
  /** Start of the capture and its length, in microseconds. */
  t0: number;
  span: number;
  /** Failures answered before the emulated guard stops answering (HIT_COUNT). */
  hitCount: number;
}

const S = 1e6;
const PHONE_UAS = [
  'Yealink SIP-T46S 66.86.0.15',
  'Grandstream GXP2170 1.0.11.23',
  'Cisco/SPA504G-7.6.2f',
  'Polycom/5.9.5.0614 PolycomVVX-VVX_411-UA/5.9.5.0614',
  'Zoiper rv2.10.19.6',
  'Linphone/5.2.0 (belle-sip/5.2.0)',
  'MicroSIP/3.21.3',
  'Snom D785 10.1.141.13',
  'Fanvil X4U 2.12.6.7',
  'Bria 6 release 6.5.3 stamp 108400',
];
/** Scanner User-Agents from the default SCANNERS list, as the tools send them. */
export const SCANNER_UAS = [
  'friendly-scanner',
  'sipvicious',
  'sip-scan',
  'VaxSIPUserAgent/3.1',
  'pplsip',
  'sipcli/v1.8',
];

const rtt = (r: Rng) => Math.round(r.range(800, 5000));
const branch = (r: Rng) => `z9hG4bK${r.hex(20)}`;

/** Registrations every ~1700 s for the whole span, one Call-ID, rising CSeq. */
export function* phoneRegistrations(c: Ctx, d: Dialog, r: Rng): Generator<Msg> {
  let t = c.t0 + Math.round(r.range(0, 1700 * S));
  let cseq = 1 + r.int(5000);
  while (t < c.t0 + c.span) {
    const nonce = r.hex(24);
    let b = branch(r);
    yield { at: t, inbound: true, text: request(d, { method: 'REGISTER', cseq, branch: b }) };
    t += rtt(r);
    yield {
      at: t,
      inbound: false,
      text: response(d, {
        status: 401,
        method: 'REGISTER',
        cseq,
        branch: b,
        toTag: r.hex(8),
        nonce,
        pbx: c.pbx,
      }),
    };
    t += Math.round(r.range(2000, 40000));
    cseq++;
    b = branch(r);
    const auth = { kind: 'www' as const, nonce, response: r.hex(32) };
    yield { at: t, inbound: true, text: request(d, { method: 'REGISTER', cseq, branch: b, auth }) };
    t += rtt(r);
    yield {
      at: t,
      inbound: false,
      text: response(d, { status: 200, method: 'REGISTER', cseq, branch: b, toTag: r.hex(8), pbx: c.pbx }),
    };
    cseq++;
    t += Math.round(r.range(1650, 1750) * S);
  }
}

/** One call: INVITE → 407 → ACK → INVITE with credentials → 100, 180, 200 → ACK … BYE → 200. */
export function* phoneCall(c: Ctx, d: Dialog, r: Rng): Generator<Msg> {
  let t = c.t0 + Math.round(r.range(0, c.span - 400 * S));
  let cseq = 1 + r.int(100);
  const nonce = r.hex(24);
  let b = branch(r);
  const tag = r.hex(10);
  yield { at: t, inbound: true, text: request(d, { method: 'INVITE', cseq, branch: b, sdp: true }) };
  t += rtt(r);
  yield {
    at: t,
    inbound: false,
    text: response(d, { status: 407, method: 'INVITE', cseq, branch: b, toTag: tag, nonce, pbx: c.pbx }),
  };
  t += Math.round(r.range(1000, 10000));
  yield { at: t, inbound: true, text: request(d, { method: 'ACK', cseq, branch: b, toTag: tag }) };
  t += Math.round(r.range(1000, 10000));
  cseq++;
  b = branch(r);
  const auth = { kind: 'proxy' as const, nonce, response: r.hex(32) };
  yield { at: t, inbound: true, text: request(d, { method: 'INVITE', cseq, branch: b, auth, sdp: true }) };
  const tag2 = r.hex(10);
  t += rtt(r);
  yield {
    at: t,
    inbound: false,
    text: response(d, { status: 100, method: 'INVITE', cseq, branch: b, toTag: tag2, pbx: c.pbx }),
  };
  t += Math.round(r.range(50000, 300000));
  yield {
    at: t,
    inbound: false,
    text: response(d, { status: 180, method: 'INVITE', cseq, branch: b, toTag: tag2, pbx: c.pbx }),
  };
  t += Math.round(r.range(1, 15) * S);
  yield {
    at: t,
    inbound: false,
    text: response(d, { status: 200, method: 'INVITE', cseq, branch: b, toTag: tag2, sdp: true, pbx: c.pbx }),
  };
  t += rtt(r);
  yield { at: t, inbound: true, text: request(d, { method: 'ACK', cseq, branch: branch(r), toTag: tag2 }) };
  t += Math.round(r.range(10, 300) * S);
  cseq++;
  b = branch(r);
  yield { at: t, inbound: true, text: request(d, { method: 'BYE', cseq, branch: b, toTag: tag2 }) };
  t += rtt(r);
  yield {
    at: t,
    inbound: false,
    text: response(d, { status: 200, method: 'BYE', cseq, branch: b, toTag: tag2, pbx: c.pbx }),
  };
}

/** OPTIONS keep-alives every 300 s, each answered 200. */
export function* phoneKeepalive(c: Ctx, d: Dialog, r: Rng): Generator<Msg> {
  let t = c.t0 + Math.round(r.range(0, 300 * S));
  let cseq = 1;
  while (t < c.t0 + c.span) {
    const b = branch(r);
    const dd = { ...d, callId: `${r.hex(16)}@${d.ip.text}` };
    yield { at: t, inbound: true, text: request(dd, { method: 'OPTIONS', cseq, branch: b }) };
    t += rtt(r);
    yield {
      at: t,
      inbound: false,
      text: response(dd, { status: 200, method: 'OPTIONS', cseq, branch: b, toTag: r.hex(8), pbx: c.pbx }),
    };
    cseq++;
    t += Math.round(r.range(295, 305) * S);
  }
}

/**
 * Password guessing, one new Call-ID per guess: sipp style (credentials at once) or
 * svcrack style (REGISTER → 401 → REGISTER with credentials); REGISTER or INVITE;
 * wrong passwords answered 401/407 or 403 until the guard cuts the attacker off.
 */
export function* bruteForce(c: Ctx, base: Dialog, r: Rng): Generator<Msg> {
  let t = c.t0 + Math.round(r.range(0, c.span - 120 * S));
  const invite = r.next() < 0.2;
  const method = invite ? 'INVITE' : 'REGISTER';
  const challengeFirst = r.next() < 0.5;
  const fail = r.next() < 0.8 ? (invite ? 407 : 401) : 403;
  const kind = invite ? ('proxy' as const) : ('www' as const);
  const gap = S / r.range(2, 50);
  const guesses = 20 + r.int(40);
  // A scanner User-Agent is blocked at its first request.
  let answered = base.ua !== null && SCANNER_UAS.includes(base.ua) ? 1 : c.hitCount;
  let last = 0;
  for (let g = 0; g < guesses; g++, t += Math.round(gap * r.range(0.8, 1.2))) {
    t = Math.max(t, last + 100);
    const d = { ...base, callId: `${r.hex(20)}`, fromTag: r.hex(8) };
    let nonce = r.hex(24);
    let cseq = 1;
    let at = t;
    if (challengeFirst) {
      const b = branch(r);
      yield { at, inbound: true, text: request(d, { method, cseq, branch: b, sdp: invite }) };
      if (answered <= 0) continue;
      at += rtt(r);
      last = at;
      const status = invite ? 407 : 401;
      yield {
        at,
        inbound: false,
        text: response(d, { status, method, cseq, branch: b, toTag: r.hex(8), nonce, pbx: c.pbx }),
      };
      at += Math.round(r.range(500, 3000));
      cseq++;
    } else nonce = r.hex(24);
    const b = branch(r);
    const auth = { kind, nonce, response: r.hex(32) };
    yield { at, inbound: true, text: request(d, { method, cseq, branch: b, auth, sdp: invite }) };
    last = at;
    if (answered <= 0) continue;
    answered--;
    at += rtt(r);
    last = at;
    yield {
      at,
      inbound: false,
      text: response(d, {
        status: fail,
        method,
        cseq,
        branch: b,
        toTag: r.hex(8),
        nonce: r.hex(24),
        pbx: c.pbx,
      }),
    };
  }
}

/** svmap: an OPTIONS (or REGISTER) with a scanner User-Agent, answered once, then retransmitted. */
export function* scanner(c: Ctx, d: Dialog, r: Rng): Generator<Msg> {
  let t = c.t0 + Math.round(r.range(0, c.span - 10 * S));
  const method = r.next() < 0.8 ? 'OPTIONS' : 'REGISTER';
  const b = branch(r);
  const text = request(d, { method, cseq: 1, branch: b });
  yield { at: t, inbound: true, text };
  t += rtt(r);
  const status = method === 'OPTIONS' ? 200 : 401;
  yield {
    at: t,
    inbound: false,
    text: response(d, { status, method, cseq: 1, branch: b, toTag: r.hex(8), nonce: r.hex(24), pbx: c.pbx }),
  };
  // Retransmissions of the same request after the block: nobody answers them.
  const again = r.int(4);
  for (let i = 0; i < again; i++) {
    t += Math.round(r.range(0.4, 0.6) * S * 2 ** i);
    yield { at: t, inbound: true, text };
  }
}

/** svwar: REGISTER or OPTIONS for consecutive extensions; 404 for unknown ones, 401/200 for known ones. */
export function* enumerator(c: Ctx, base: Dialog, r: Rng): Generator<Msg> {
  let t = c.t0 + Math.round(r.range(0, c.span - 60 * S));
  const method = r.next() < 0.7 ? 'REGISTER' : 'OPTIONS';
  const first = 100 + r.int(900);
  const probes = 30 + r.int(70);
  const gap = S / r.range(20, 200);
  let answered = 15;
  let last = 0;
  for (let i = 0; i < probes; i++, t += Math.round(gap * r.range(0.8, 1.2))) {
    t = Math.max(t, last + 100);
    const user = `${first + i}`;
    const d = { ...base, user, callId: r.hex(20), fromTag: r.hex(8) };
    const b = branch(r);
    yield { at: t, inbound: true, text: request(d, { method, cseq: 1, branch: b }) };
    if (answered-- <= 0) continue;
    // Extensions 1000-1999 exist on this PBX.
    const known = Number(user) >= 1000 && Number(user) < 2000;
    const status = known ? (method === 'REGISTER' ? 401 : 200) : 404;
    last = t + rtt(r);
    yield {
      at: last,
      inbound: false,
      text: response(d, {
        status,
        method,
        cseq: 1,
        branch: b,
        toTag: r.hex(8),
        nonce: r.hex(24),
        pbx: c.pbx,
      }),
    };
  }
}

/** Toll-fraud probing: INVITEs to outside numbers without credentials → 407 (never followed up), 403 or 404. */
export function* tollFraud(c: Ctx, base: Dialog, r: Rng): Generator<Msg> {
  let t = c.t0 + Math.round(r.range(0, c.span - 60 * S));
  const tries = 20 + r.int(20);
  const gap = S / r.range(1, 5);
  let answered = c.hitCount + 2;
  let last = 0;
  for (let i = 0; i < tries; i++, t += Math.round(gap * r.range(0.8, 1.2))) {
    t = Math.max(t, last + 100);
    const target = `${r.pick(['00', '011', '+', '9011'])}${r.pick(['972', '44', '882', '53', '370'])}${10000000 + r.int(89999999)}`;
    const d = { ...base, target, callId: r.hex(20), fromTag: r.hex(8) };
    const b = branch(r);
    yield { at: t, inbound: true, text: request(d, { method: 'INVITE', cseq: 1, branch: b, sdp: true }) };
    if (answered-- <= 0) continue;
    const status = r.pick([407, 403, 404]);
    const tag = r.hex(8);
    const at = t + rtt(r);
    yield {
      at,
      inbound: false,
      text: response(d, {
        status,
        method: 'INVITE',
        cseq: 1,
        branch: b,
        toTag: tag,
        nonce: r.hex(24),
        pbx: c.pbx,
      }),
    };
    last = at + rtt(r);
    yield { at: last, inbound: true, text: request(d, { method: 'ACK', cseq: 1, branch: b, toTag: tag }) };
  }
}

export function phoneUa(r: Rng): string {
  return r.pick(PHONE_UAS);
}

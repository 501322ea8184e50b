import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  answer,
  challenge401,
  crackAttempt,
  forbidden403,
  options,
  phoneRegistration,
  register,
  SERVER,
  testConfig,
  uniq,
} from './detect/detect.testkit.js';
import { Engine, type EngineDeps } from './engine.js';
import { canonicalV4Number } from './net/ip.js';
import type { ListLookup } from './policy/policy.js';
import { LEAN_REQUEST, LEAN_RESPONSE, START_REQUEST, START_RESPONSE } from './sip/parse.js';
import type { Config, Decision, SipEvent, SipMessage } from './types.js';

const ATTACKER = '203.0.113.66';
const NAT = '192.0.2.200';

const noLists: ListLookup = { check: () => ({ status: 'none' }) };

function engine(over: Partial<Config> = {}, deps: Partial<EngineDeps> = {}): Engine {
  return new Engine(testConfig(over), { lists: noLists, country: () => null, ...deps });
}

function feed(e: Engine, events: SipEvent[], until?: number): Decision[] {
  const sorted = events.map((ev, i) => [ev, i] as const).sort((a, b) => a[0].at - b[0].at || a[1] - b[1]);
  const out: Decision[] = [];
  for (const [ev] of sorted) out.push(...e.onEvent(ev));
  if (until !== undefined) out.push(...e.tick(until));
  return out;
}

function brief(ds: Decision[]) {
  return ds.map((d) => [d.action, d.ip, d.reason, d.at]);
}

function crack(
  n: number,
  start: number,
  every: number,
  ip = ATTACKER,
  ua: string | null = 'pplsip',
): SipEvent[] {
  return Array.from({ length: n }, (_, i) =>
    crackAttempt(ip, `${100 + (i % 3)}`, start + i * every, { ua }),
  ).flat();
}

function phones(ip: string, n: number, minutes: number): SipEvent[] {
  const out: SipEvent[] = [];
  for (let m = 0; m < minutes; m++) {
    for (let i = 0; i < n; i++)
      out.push(...phoneRegistration(ip, `${2000 + i}`, m * 60 + i * 0.01, { sport: 20000 + i }));
  }
  return out;
}

describe('Engine', () => {
  test('phones behind one NAT registering for ten minutes are never blocked', () => {
    const e = engine({ hitCount: 3, enumUsers: 5, enumChallenges: 5 });
    assert.deepEqual(feed(e, phones(NAT, 50, 10), 2000), []);
    assert.equal(e.stats.detector.failures, 0);
    assert.equal(e.stats.requests, 1000);
  });

  test('a cracker is blocked at its HIT_COUNT-th failure, renewed while it goes on, lifted after BLOCKTIME', () => {
    // BLOCKTIME 50: renewals reported at most every 5 s (a tenth), so 15 s of guessing shows them.
    const e = engine({ hitCount: 5, blockTime: 50 });
    const events = crack(30, 0, 0.5);
    const fifthFailure = events[4 * 4 + 3]!;
    const d = feed(e, events);
    assert.deepEqual(brief(d.slice(0, 1)), [['block', ATTACKER, 'auth-failures', fifthFailure.at]]);
    assert.equal(d[0]!.expiresAt, fifthFailure.at + 50);
    const ext = d.slice(1);
    assert.ok(ext.length > 0 && ext.every((x) => x.action === 'extend'));
    const lastRequest = events.filter((x) => x.msg.kind === 'request').at(-1)!;
    assert.equal(e.policy.recordOf(ATTACKER)?.expiresAt, lastRequest.at + 50);
    assert.equal(e.stats.repeatVerdicts, 0);
    assert.ok(e.stats.blockedPackets > 0);
    const lifted = e.tick(lastRequest.at + 50);
    assert.deepEqual(
      lifted.filter((x) => x.action === 'unblock').map((x) => [x.reason, x.at]),
      [['expired', lastRequest.at + 50]],
    );
  });

  test('every verdict reaches onVerdict, the block and the repeats after it', () => {
    const seen: Array<[string, string]> = [];
    const e = engine({ hitCount: 2 }, { onVerdict: (v) => seen.push([v.ip, v.rule]) });
    feed(e, [options({ at: 1, ip: ATTACKER, ua: 'friendly-scanner' })]);
    assert.deepEqual(seen, [[ATTACKER, 'scanner']]);
  });

  test('a scanner is blocked at its first request', () => {
    const e = engine();
    const r = options({ at: 3, ip: ATTACKER, ua: 'friendly-scanner' });
    const d = feed(e, [r]);
    assert.deepEqual(brief(d), [['block', ATTACKER, 'scanner', 3]]);
    assert.equal(d[0]!.userAgent, 'friendly-scanner');
  });

  test('an event that decides nothing returns a frozen empty array; decisions come in an array of their own', () => {
    const e = engine();
    const quiet = e.onEvent(options({ at: 1, ip: NAT, ua: 'Yealink SIP-T46S 66.86.0.15' }));
    assert.deepEqual(quiet, []);
    assert.ok(Object.isFrozen(quiet), 'callers cannot add to the shared empty array');
    const first = e.onEvent(options({ at: 2, ip: ATTACKER, ua: 'friendly-scanner' }));
    const second = e.onEvent(options({ at: 3, ip: '203.0.113.67', ua: 'friendly-scanner' }));
    assert.deepEqual(brief(first), [['block', ATTACKER, 'scanner', 2]]);
    assert.deepEqual(brief(second), [['block', '203.0.113.67', 'scanner', 3]]);
    assert.notEqual(first, second, 'a later event does not reuse the array handed out');
    // A blocked address's request renews its block without being judged again (reported once
    // extendInterval has passed: 60 s at BLOCKTIME 600).
    const renew = e.onEvent(options({ at: 62.5, ip: ATTACKER, ua: 'friendly-scanner' }));
    assert.deepEqual(brief(renew), [['extend', ATTACKER, 'scanner', 62.5]]);
    assert.equal(e.stats.blockedPackets, 1);
    assert.equal(e.stats.verdicts.scanner, 2);
  });

  test('the allow list wins over every rule', () => {
    const allow: ListLookup = { check: (ip) => ({ status: ip === ATTACKER ? 'allowed' : 'none' }) };
    const e = engine({ hitCount: 3 }, { lists: allow });
    const events = [...crack(10, 0, 1), options({ at: 20, ip: ATTACKER, ua: 'sipvicious' })];
    assert.deepEqual(feed(e, events), []);
    assert.ok(e.stats.policy.allowed >= 3);
  });

  test('blocked countries: the kernel drops them, the engine decides nothing', () => {
    const e = engine({ hitCount: 3, blockedCountries: ['RU'] }, { country: () => 'RU' });
    assert.deepEqual(feed(e, crack(5, 0, 1)), []);
    assert.equal(e.stats.policy.country, 1);
  });

  test('an attacker that keeps coming back becomes permanent after BLOCK_THRESHOLD blocks', () => {
    const e = engine({ hitCount: 3, blockTime: 60, blockThreshold: 2 }, { country: () => 'NL' });
    const events = [0, 1000, 2000].flatMap((start) => crack(3, start, 1));
    const d = feed(e, events, 5000);
    assert.deepEqual(
      d.map((x) => [x.action, x.timesBlocked]),
      [
        ['block', 1],
        ['unblock', 1],
        ['block', 2],
        ['unblock', 2],
        ['permanent', 3],
      ],
    );
    assert.match(d[4]!.note!, /^permanent after 2 dynamic blocks \(auth-failures, user agent "pplsip"\)/);
    assert.equal(d[4]!.country, 'NL');
  });

  test('svwar against a challenging registrar: judged as time moves on', () => {
    const e = engine({ enumUsers: 10, enumChallenges: 1000, hitCount: 100 });
    const events = Array.from({ length: 40 }, (_, i) => {
      const r = register({ at: 100 + i * 0.02, ip: ATTACKER, user: `${300 + i}`, ua: null });
      return [r, challenge401(r)];
    }).flat();
    assert.deepEqual(feed(e, events), []);
    const d = e.tick(130);
    assert.deepEqual(
      d.map((x) => [x.action, x.reason]),
      [['block', 'enumeration']],
    );
    assert.equal(d[0]!.users.length, 10);
    assert.equal(
      e.stats.repeatVerdicts,
      3,
      'the other 30 challenges filled three more windows: not reported',
    );
  });

  test('nextDue: a clock that ticks only when it says lifts, judges and rotates as a clock that never stops', () => {
    const cfg = { enumUsers: 10, enumChallenges: 1000, hitCount: 5, blockTime: 600 };
    const events = [
      ...Array.from({ length: 40 }, (_, i) => {
        const r = register({ at: 100 + i * 0.02, ip: ATTACKER, user: `${300 + i}`, ua: null });
        return [r, challenge401(r)];
      }).flat(),
      ...crack(6, 105, 0.5, '198.51.100.7'),
    ];
    // Every 250 ms, as the daemon's timer ran before.
    const dense = engine(cfg);
    const byDense = feed(dense, events);
    for (let t = 106; t <= 12_000; t += 0.25) byDense.push(...dense.tick(t));
    // Only at nextDue; a tick just before it must decide nothing.
    const lazy = engine(cfg);
    const byLazy = feed(lazy, events);
    let ticks = 0;
    for (let due = lazy.nextDue(); due <= 12_000; due = lazy.nextDue()) {
      assert.deepEqual(lazy.tick(due - 0.001), [], `a tick before nextDue (${due}) decided something`);
      byLazy.push(...lazy.tick(Math.max(due, 106)));
      ticks++;
    }
    const shape = (ds: Decision[]) => ds.map((d) => [d.action, d.ip, d.reason]);
    assert.deepEqual(shape(byLazy), shape(byDense));
    assert.deepEqual(shape(byLazy.filter((d) => d.action !== 'extend')), [
      ['block', '198.51.100.7', 'auth-failures'],
      ['block', ATTACKER, 'enumeration'],
      ['unblock', '198.51.100.7', 'expired'],
      ['unblock', ATTACKER, 'expired'],
    ]);
    // The same moments, or earlier by less than the dense clock's 250 ms.
    for (const [i, d] of byLazy.entries()) {
      const late = byDense[i]!.at - d.at;
      assert.ok(
        late >= 0 && late < 0.25,
        `${d.action} ${d.ip} at ${d.at}, the dense clock's at ${byDense[i]!.at}`,
      );
    }
    assert.equal(lazy.stats.pendingChallenges, 0);
    assert.ok(ticks < 80, `${ticks} ticks: one per due time, not one per 250 ms`);
  });

  test('a misconfigured phone among working ones is blocked and labelled', () => {
    const e = engine({ hitCount: 10, blockTime: 40 }); // renewals reported every 4 s
    const callId = uniq('dead-ext-');
    const bad: SipEvent[] = [];
    for (let i = 0; i < 12; i++) {
      const r = register({ at: 5 + i * 5, ip: NAT, user: '2099', callId, cseq: 1 + i, sport: 5062 });
      bad.push(r, forbidden403(r));
    }
    const d = feed(e, [...phones(NAT, 20, 2), ...bad]);
    // The whole NAT is blocked (the manual's warning); its traffic renews the block.
    assert.deepEqual(
      d.map((x) => x.action),
      ['block', 'extend', 'extend'],
    );
    assert.equal(d[0]!.at, 50.01, 'at the 10th failure');
    assert.equal(d[0]!.misconfiguredPhone, true);
    assert.deepEqual(d[0]!.users, ['2099']);
  });

  test('the local server talking from its SIP port is not an attacker', () => {
    const e = engine({ hitCount: 1 }, { localAddresses: [SERVER] });
    // The PBX rings a phone whose port is also 5060; the phone refuses with 403.
    const out = register({ at: 1, ip: SERVER, method: 'INVITE', creds: true });
    const req = { ...out, dst: '192.0.2.50' };
    const resp = { ...answer(req, 403), src: '192.0.2.50', sport: 5060, dst: SERVER };
    assert.deepEqual(feed(e, [req, resp]), []);
    assert.equal(e.stats.local, 2);
  });

  test('traffic not to or from a SIP port is ignored', () => {
    const e = engine({ hitCount: 1 });
    const r = register({ at: 1, ip: ATTACKER, creds: true, dport: 5080 });
    assert.deepEqual(feed(e, [r, answer(r, 403)]), []);
    assert.equal(e.stats.ignored, 2);
  });

  test('SIP_PORTS ranges are honoured', () => {
    const e = engine({ hitCount: 1, sipPorts: [{ from: 5080, to: 5082 }] });
    const r = register({ at: 1, ip: ATTACKER, creds: true, dport: 5081 });
    const d = feed(e, [r, answer(r, 403)]);
    assert.deepEqual(brief(d), [['block', ATTACKER, 'auth-failures', 1.01]]);
    assert.equal(d[0]!.port, 5081);
  });

  test('manual block and unblock go through the same path', () => {
    const e = engine();
    assert.equal(e.block(ATTACKER, 10)[0]!.reason, 'manual');
    assert.ok(e.policy.isBlocked(ATTACKER));
    assert.equal(e.onEvent(options({ at: 70, ip: ATTACKER }))[0]!.action, 'extend');
    assert.equal(e.unblock(ATTACKER, 80)[0]!.action, 'unblock');
    assert.deepEqual(e.onEvent(options({ at: 90, ip: ATTACKER })), []);
  });

  test('restored blocks are renewed by traffic and lifted on time', () => {
    const e = engine({ blockTime: 100 });
    e.restore([
      {
        ip: ATTACKER,
        reason: 'scanner',
        userAgent: 'sipvicious',
        country: null,
        attempts: 1,
        users: [],
        transport: 'udp',
        port: 5060,
        firstSeen: 0,
        lastSeen: 0,
        blockedAt: 0,
        expiresAt: 100,
        timesBlocked: 1,
        misconfiguredPhone: false,
        note: null,
      },
    ]);
    assert.equal(e.onEvent(options({ at: 50, ip: ATTACKER }))[0]!.expiresAt, 150);
    assert.deepEqual(brief(e.tick(150)), [['unblock', ATTACKER, 'expired', 150]]);
  });

  test('malformed and odd messages never crash', () => {
    const e = engine({ hitCount: 2 });
    let seed = 1;
    const rnd = (n: number) => {
      seed = (seed * 16807) % 2147483647;
      return seed % n;
    };
    const pick = <T>(xs: T[]): T => xs[rnd(xs.length)]!;
    for (let i = 0; i < 20_000; i++) {
      const kind = pick(['request', 'response'] as const);
      const msg: SipMessage = {
        kind,
        method: pick(['REGISTER', 'INVITE', 'ACK', 'OPTIONS', '', 'X'.repeat(rnd(300))]),
        uri: pick([null, 'sip:1@h', 'sip:', '<<<', 'tel:', 'sip:@', 'sips:a:b@c;d']),
        status:
          kind === 'response' ? pick([null, 0, 100, 200, 401, 403, 404, 407, 999, -1, Number.NaN]) : null,
        callId: pick([null, '', 'a', 'b']),
        cseq: pick([null, 0, 1, 2, -5, Number.NaN, 2 ** 40]),
        branch: pick([null, '', 'z', 'y']),
        fromUser: pick([null, '', '1']),
        toUser: pick([null, '', '1', '2', 'x'.repeat(200)]),
        userAgent: pick([null, '', 'friendly-scanner', 'ünïcödé', '\u0000\uffff', 'A'.repeat(1000)]),
        hasCredentials: rnd(2) === 1,
        authUser: pick([null, '', 'u']),
        stale: rnd(2) === 1,
        contact: null,
      };
      const ip = `203.0.113.${rnd(4)}`;
      const ev: SipEvent = {
        at: i * 0.01 + pick([0, -1, 0.5]),
        src: kind === 'request' ? ip : SERVER,
        sport: kind === 'request' ? 5060 : pick([5060, 5061]),
        dst: kind === 'request' ? SERVER : ip,
        dport: kind === 'request' ? pick([5060, 70000, -1]) : 5060,
        transport: 'udp',
        msg,
      };
      e.onEvent(ev);
    }
    e.tick(1e6);
    assert.equal(e.stats.events, 20_000);
  });
});

describe('Engine.decidedByAddress: which parts of a message its judging reads', () => {
  const ALL = START_REQUEST | START_RESPONSE | LEAN_RESPONSE | LEAN_REQUEST;
  const LOCAL = '198.51.100.7';
  const n = (ip: string) => canonicalV4Number(ip);
  for (const withNumbers of [false, true]) {
    test(`a blocked remote by its start line, answers to other remotes lean, the host's own never (numbers: ${withNumbers})`, () => {
      const e = engine({}, { localAddresses: [LOCAL, '2001:db8::7'] });
      e.block(ATTACKER, 10);
      const ask = (src: string, sport: number, dst: string, dport: number) =>
        withNumbers
          ? e.decidedByAddress(11, src, sport, dst, dport, ALL, n(src), n(dst))
          : e.decidedByAddress(11, src, sport, dst, dport, ALL);
      // A request from the blocked source; an answer to it.
      assert.equal(ask(ATTACKER, 5070, LOCAL, 5060), START_REQUEST | LEAN_REQUEST);
      assert.equal(ask(LOCAL, 5060, ATTACKER, 5070), START_RESPONSE | LEAN_REQUEST);
      // Another remote: its request whole (but Contact), the answer to it lean.
      assert.equal(ask(NAT, 5070, LOCAL, 5060), LEAN_REQUEST);
      assert.equal(ask(LOCAL, 5060, NAT, 5070), LEAN_RESPONSE | LEAN_REQUEST);
      // The host's own address as the remote side (the PBX answering itself, a trunk's
      // answer to it from port 5060): read whole — onLocal reads what it likes.
      assert.equal(ask('203.0.113.9', 5060, LOCAL, 5070), LEAN_REQUEST);
      assert.equal(ask('2001:db8::9', 5060, '2001:db8::7', 5070), LEAN_REQUEST);
      // Not from a SIP port: no answer of the local server.
      assert.equal(ask(LOCAL, 5070, NAT, 5080), LEAN_REQUEST);
      // The daemon asks for requests only.
      assert.equal(e.decidedByAddress(11, ATTACKER, 5070, LOCAL, 5060, START_REQUEST), START_REQUEST);
      assert.equal(e.decidedByAddress(11, LOCAL, 5060, NAT, 5070, START_REQUEST), 0);
    });
  }

  test("several local addresses, an IPv6 one first: each IPv4 one is the host's, by number as by text", () => {
    const L2 = '198.51.100.8';
    const given = engine({}, { localAddresses: ['2001:db8::7', LOCAL, L2] });
    // Replay learns them from their challenges: IPv6 first, then two IPv4 servers.
    const learned = engine();
    for (const [i, ip] of ['2001:db8::7', LOCAL, L2].entries()) {
      const req = register({ at: 1 + i, ip: NAT, dst: ip });
      learned.onEvent(req);
      learned.onEvent(answer(req, 401));
    }
    for (const e of [given, learned]) {
      e.block(ATTACKER, 10);
      for (const withNumbers of [false, true]) {
        const ask = (src: string, sport: number, dst: string, dport: number) =>
          withNumbers
            ? e.decidedByAddress(11, src, sport, dst, dport, ALL, n(src), n(dst))
            : e.decidedByAddress(11, src, sport, dst, dport, ALL);
        // Answers between the host's own addresses: read whole.
        assert.equal(ask(LOCAL, 5060, L2, 5070), LEAN_REQUEST);
        assert.equal(ask(L2, 5060, LOCAL, 5070), LEAN_REQUEST);
        // A remote's answer from either: lean; a blocked remote's request to either: its start.
        assert.equal(ask(L2, 5060, NAT, 5070), LEAN_RESPONSE | LEAN_REQUEST);
        assert.equal(ask(ATTACKER, 5070, L2, 5060), START_REQUEST | LEAN_REQUEST);
        assert.equal(ask(ATTACKER, 5070, LOCAL, 5060), START_REQUEST | LEAN_REQUEST);
      }
    }
    // One IPv4 address beside a first IPv6 one: found by its number too.
    const two = engine({}, { localAddresses: ['2001:db8::7', LOCAL] });
    assert.equal(two.decidedByAddress(11, NAT, 5060, LOCAL, 5070, ALL, n(NAT), n(LOCAL)), LEAN_REQUEST);
    assert.equal(
      two.decidedByAddress(11, LOCAL, 5060, NAT, 5070, ALL, n(LOCAL), n(NAT)),
      LEAN_RESPONSE | LEAN_REQUEST,
    );
  });
});

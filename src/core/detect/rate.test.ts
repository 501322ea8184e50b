/**
 * Issue 12 items 5 (sweeps), 6 (floods), 7 (prefixes), 8 (observe mode, near misses),
 * and the local side learned in replay, through the Engine.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Engine, type EngineDeps } from '../engine.js';
import { HASH, hashEnd, hashStart, hashStr } from '../sip/match-hash.js';
import type { Config, Decision, SipEvent } from '../types.js';
import {
  answer,
  crackAttempt,
  detection,
  feedEngine,
  options,
  phoneRegistration,
  request,
  SERVER,
  testConfig,
} from './detect.testkit.js';

const ATTACKER = '203.0.113.66';
const NAT = '192.0.2.200';

function engine(over: Partial<Config> = {}, deps: Partial<EngineDeps> = {}): Engine {
  return new Engine(testConfig(over), {
    lists: { check: () => ({ status: 'none' }) },
    country: () => null,
    ...deps,
  });
}
const blocks = (ds: Decision[]) => ds.filter((d) => d.action === 'block' || d.action === 'permanent');

/** `rate` OPTIONS a second from `ip` for `seconds`, each answered 200. */
function stream(ip: string, rate: number, seconds: number, start = 0): SipEvent[] {
  const out: SipEvent[] = [];
  for (let i = 0; i < rate * seconds; i++) {
    const r = options({ at: start + i / rate, ip, user: `${200 + (i % 50)}`, sport: 10000 + (i % 100) });
    out.push(r, answer(r, 200, 0.001));
  }
  return out;
}

describe('floods', () => {
  test('1500 requests a second (FLOOD_RATE 1000): blocked within the 5 s window', () => {
    const e = engine();
    const b = blocks(feedEngine(e, stream(ATTACKER, 1500, 6)));
    assert.equal(b.length, 1);
    assert.equal(b[0]!.reason, 'flood');
    assert.ok(b[0]!.at < 5, `at ${b[0]!.at}`);
    assert.ok(b[0]!.attempts >= 5000);
    assert.match(b[0]!.note ?? '', /^flood: \d+ requests within 5 s/);
  });

  test('blocked at exactly FLOOD_RATE x 5 requests (the slot count is the source own)', () => {
    const b = blocks(feedEngine(engine(), stream(ATTACKER, 1500, 6)));
    assert.equal(b[0]!.attempts, 5000);
    assert.equal(b[0]!.at, 4999 / 1500);
  });

  test('a source sharing a hash slot with a flooder never inherits its count', () => {
    // Two addresses in one slot of the rate table (found by search: 2^18 slots).
    const slotOf = (ip: string) => {
      hashStart();
      hashStr(ip);
      hashEnd();
      return HASH.h1 & ((1 << 18) - 1);
    };
    const seen = new Map<number, string>();
    let pair: [string, string] | null = null;
    for (let i = 0; pair === null; i++) {
      const ip = `198.19.${(i >> 8) & 255}.${i & 255}`;
      const other = seen.get(slotOf(ip));
      if (other !== undefined) pair = [other, ip];
      else seen.set(slotOf(ip), ip);
    }
    const [flooder, quiet] = pair;
    const e = engine();
    const b = blocks(feedEngine(e, [...stream(flooder, 1500, 6), ...stream(quiet, 20, 6, 0.01)]));
    assert.deepEqual(
      b.map((d) => d.ip),
      [flooder],
    );
  });

  test('FLOOD_RATE=300: 500 a second is a flood', () => {
    const b = blocks(
      feedEngine(engine({ detection: detection({ floodRate: 300 }) }), stream(ATTACKER, 500, 6)),
    );
    assert.deepEqual(
      b.map((d) => d.reason),
      ['flood'],
    );
  });

  test('an office NAT booting 500 phones at 400 requests a second for 30 s, among 2000 quiet sources: nothing', () => {
    const e = engine();
    const quiet = Array.from({ length: 2000 }, (_, i) =>
      stream(`198.18.${i >> 8}.${i & 255}`, 1, 3, i * 0.01),
    ).flat();
    assert.deepEqual(blocks(feedEngine(e, [...stream(NAT, 400, 30), ...quiet])), []);
  });

  test('FLOOD_RATE=0 switches it off', () => {
    assert.deepEqual(
      blocks(feedEngine(engine({ detection: detection({ floodRate: 0 }) }), stream(ATTACKER, 1500, 6))),
      [],
    );
  });

  test("the server's own requests never count: NOTIFYs from the host's address", () => {
    const e = engine({}, { localAddresses: [SERVER] });
    const notify: SipEvent[] = [];
    for (let i = 0; i < 5000; i++) {
      const r = request({
        method: 'NOTIFY',
        at: i / 1000,
        ip: SERVER,
        user: `${200 + (i % 30)}`,
        dport: 5060,
      });
      notify.push({ ...r, dst: NAT });
    }
    assert.deepEqual(blocks(feedEngine(e, notify)), []);
    assert.equal(e.stats.local, 5000);
  });

  test('in replay (no local addresses) the server is learned from its challenges, then its NOTIFYs never count', () => {
    const e = engine();
    const learn = phoneRegistration(NAT, '200', 0);
    const notify: SipEvent[] = [];
    for (let i = 0; i < 5000; i++) {
      const r = request({ method: 'NOTIFY', at: 1 + i / 1000, ip: SERVER, user: `${200 + (i % 30)}` });
      notify.push({ ...r, dst: NAT });
    }
    assert.deepEqual(blocks(feedEngine(e, [...learn, ...notify])), []);
    assert.equal(e.stats.local, 5000);
  });
});

describe('sweeps across local addresses and ports', () => {
  const ports = { sipPorts: [{ from: 5060, to: 5062 }] };
  function sweep(ip: string, targets: Array<[string, number]>, start = 0): SipEvent[] {
    return targets.flatMap(([dst, dport], i) => {
      const r = request({ method: 'OPTIONS', at: start + i * 0.5, ip, user: '100', dport, dst, ua: null });
      return [r, answer(r, 200)];
    });
  }
  const FOUR: Array<[string, number]> = [
    [SERVER, 5060],
    [SERVER, 5061],
    [SERVER, 5062],
    ['198.51.100.11', 5060],
  ];

  test('one source, four local address:port pairs within MONIT_PERIOD: a scanner', () => {
    const b = blocks(feedEngine(engine(ports), sweep(ATTACKER, FOUR)));
    assert.equal(b.length, 1);
    assert.equal(b[0]!.reason, 'scanner');
    assert.match(b[0]!.note ?? '', /sweep of 4 local address:port pairs/);
  });

  test('a phone with a failover server (two targets): nothing', () => {
    assert.deepEqual(blocks(feedEngine(engine(ports), sweep(NAT, FOUR.slice(0, 2)))), []);
  });

  test('an office whose phones use every address and port (trusted): nothing', () => {
    const e = engine(ports);
    assert.deepEqual(
      blocks(feedEngine(e, [...phoneRegistration(NAT, '200', 0), ...sweep(NAT, FOUR, 1)])),
      [],
    );
  });

  test('four targets spread over more than MONIT_PERIOD: nothing', () => {
    const slow = FOUR.flatMap(([dst, dport], i) => sweep(ATTACKER, [[dst, dport]], i * 30));
    assert.deepEqual(blocks(feedEngine(engine(ports), slow)), []);
  });
});

describe('prefixes', () => {
  /** One failed guess from each of `n` addresses of 2001:db8:7:1::/64, 2 s apart. */
  const rotating = (n: number, start = 0) =>
    Array.from({ length: n }, (_, i) =>
      crackAttempt(`2001:db8:7:1::${(i + start + 1).toString(16)}`, '100', (i + start) * 2),
    ).flat();

  test('an attacker rotating inside its /64 keeps filling one window: blocked at the HIT_COUNT-th', () => {
    const b = blocks(feedEngine(engine(), rotating(10)));
    assert.deepEqual(
      b.map((d) => [d.ip, d.reason]),
      [['2001:db8:7:1::a', 'auth-failures']],
    );
  });

  test('PREFIX_V6=128: every address counted apart, nothing (but the per-extension view)', () => {
    const d = detection({ prefixV6: 128, distributedSources: 0 });
    assert.deepEqual(blocks(feedEngine(engine({ detection: d }), rotating(10))), []);
  });

  test('IPv4 addresses of one /24 are apart by default, together with PREFIX_V4=24', () => {
    const ev = Array.from({ length: 10 }, (_, i) => crackAttempt(`198.18.9.${i + 1}`, '100', i * 2)).flat();
    const quiet = detection({ distributedSources: 0 });
    assert.deepEqual(blocks(feedEngine(engine({ detection: quiet }), ev)), []);
    const b = blocks(feedEngine(engine({ detection: { ...quiet, prefixV4: 24 } }), ev));
    assert.deepEqual(
      b.map((d) => d.ip),
      ['198.18.9.10'],
    );
  });

  test('PREFIX_BLOCK=3: after three blocked addresses, every other one is blocked at its first request', () => {
    const e = engine({ hitCount: 2 });
    const ds = feedEngine(e, rotating(6));
    // The third block holds the prefix: the network itself is blocked whole (the kernel's
    // interval set drops every address of it, one never seen included).
    assert.deepEqual(
      blocks(ds).map((d) => [d.reason, d.ip.endsWith('/64') ? d.ip : 'address']),
      [
        ['auth-failures', 'address'],
        ['auth-failures', 'address'],
        ['auth-failures', 'address'],
        ['prefix', '2001:db8:7:1::/64'],
      ],
    );
    assert.match(
      blocks(ds)[3]!.note ?? '',
      /^network 2001:db8:7:1::\/64 blocked whole: 3 of its addresses were blocked/,
    );
    // A new address of it that gets through (capture sees it before the kernel drops it) is
    // blocked at its first request too, and renews the network's block.
    const next = feedEngine(e, rotating(1, 40));
    assert.deepEqual(
      next.map((d) => [d.action, d.reason, d.ip]),
      [
        ['block', 'prefix', '2001:db8:7:1::29'],
        ['extend', 'prefix', '2001:db8:7:1::/64'],
      ],
    );
    assert.match(next[0]!.note ?? '', /address of 2001:db8:7:1::\/64, where 3 addresses were blocked/);
    assert.equal(e.stats.detector.requests, 12, 'none of its requests was judged: the first one blocked it');
    assert.equal(e.stats.blockedPackets, 1, 'its second request met the block');
  });

  test('PREFIX_BLOCK=0: the fourth address is judged on its own', () => {
    const e = engine({ hitCount: 2, detection: detection({ prefixBlock: 0 }) });
    feedEngine(e, rotating(6));
    assert.deepEqual(feedEngine(e, rotating(1, 40)), []);
  });
});

describe('observe mode and near misses', () => {
  test('OBSERVE=all: nothing enforced, one "would block" per address and BLOCKTIME', () => {
    const observed: Decision[] = [];
    const e = engine({ detection: detection({ observe: ['all'] }) }, { onObserve: (d) => observed.push(d) });
    const guesses = Array.from({ length: 25 }, (_, i) => crackAttempt(ATTACKER, '100', i)).flat();
    assert.deepEqual(feedEngine(e, guesses), []);
    assert.deepEqual(
      observed.map((d) => [d.action, d.reason, d.ip, d.expiresAt]),
      [['observe', 'auth-failures', ATTACKER, null]],
    );
    assert.match(observed[0]!.note ?? '', /^would block \(OBSERVE\): 10 failed authentication attempts/);
    assert.equal(e.stats.decisions.observe, 1);
    assert.equal(e.policy.isBlocked(ATTACKER), false);
  });

  test('OBSERVE=toll-fraud: other rules still block', () => {
    const observed: Decision[] = [];
    const e = engine(
      { detection: detection({ observe: ['toll-fraud'] }) },
      { onObserve: (d) => observed.push(d) },
    );
    const guesses = Array.from({ length: 10 }, (_, i) => crackAttempt(ATTACKER, '100', i)).flat();
    assert.deepEqual(
      blocks(feedEngine(e, guesses)).map((d) => d.reason),
      ['auth-failures'],
    );
    assert.deepEqual(observed, []);
  });

  test('without onObserve, observed decisions are counted and never returned', () => {
    const e = engine({ detection: detection({ observe: ['all'] }) });
    assert.deepEqual(
      feedEngine(e, Array.from({ length: 10 }, (_, i) => crackAttempt(ATTACKER, '100', i)).flat()),
      [],
    );
    assert.equal(e.stats.decisions.observe, 1);
  });

  test('near misses: the sources closest to each threshold, never the blocked ones', () => {
    const e = engine({}, { detector: { nearMisses: true } });
    const close = Array.from({ length: 7 }, (_, i) => crackAttempt('198.18.0.7', '100', i)).flat();
    const far = Array.from({ length: 3 }, (_, i) => crackAttempt('198.18.0.3', '100', i)).flat();
    const hit = Array.from({ length: 10 }, (_, i) => crackAttempt(ATTACKER, '100', i)).flat();
    feedEngine(e, [...close, ...far, ...hit]);
    const auth = e.nearMisses(5).filter((m) => m.rule === 'auth-failures');
    assert.deepEqual(
      auth.map((m) => [m.subject, m.peak, m.threshold]),
      [
        ['198.18.0.7', 7, 10],
        ['198.18.0.3', 3, 10],
      ],
    );
  });
});

/**
 * Issue 12 item 1: an office behind one NAT is never blocked — every variant through the
 * whole Engine with the product defaults (HIT_COUNT 10, ENUM_USERS 10, every issue-12
 * rule on). And the same shapes from a source whose credentials never worked are still
 * probes (the exemption is earned, not given).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Engine } from '../engine.js';
import type { Decision, SipEvent } from '../types.js';
import type { Alert } from './alerts.js';
import {
  answer,
  authedExchange,
  feedEngine,
  invite,
  notFound404,
  options,
  phoneRegistration,
  request,
  subscribe,
  testConfig,
} from './detect.testkit.js';

const NAT = '192.0.2.200';
const MINUTES = 12;

function engine(alerts: Alert[] = []): Engine {
  // The product defaults (testConfig has ENUM_USERS 20).
  return new Engine(testConfig({ enumUsers: 10 }), {
    lists: { check: () => ({ status: 'none' }) },
    country: () => null,
    onAlert: (a) => alerts.push(a),
  });
}

/** `n` phones (users 200..) re-registering every `every` seconds, a new source port each time. */
function registrations(n: number, every: number, minutes = MINUTES): SipEvent[] {
  const out: SipEvent[] = [];
  for (let t = 0; t < minutes * 60; t += every) {
    for (let i = 0; i < n; i++) {
      out.push(...phoneRegistration(NAT, `${200 + i}`, t + i * 0.05, { sport: 10000 + ((t + i) % 50000) }));
    }
  }
  return out;
}

/** Each of `phones` subscribes to `keys` BLF extensions (900..) every `every` s: 407, credentials, then `status`. */
function blf(phones: number, keys: number, every: number, status: number): SipEvent[] {
  const out: SipEvent[] = [];
  for (let t = 1; t < MINUTES * 60; t += every) {
    for (let p = 0; p < phones; p++) {
      for (let k = 0; k < keys; k++) {
        const at = t + p * 0.01 + k * 0.001;
        out.push(...authedExchange(NAT, 'SUBSCRIBE', `${900 + k}`, at, status, { authUser: `${200 + p}` }));
      }
    }
  }
  return out;
}

function every(step: number, f: (t: number, i: number) => SipEvent[]): SipEvent[] {
  const out: SipEvent[] = [];
  let i = 0;
  for (let t = 2; t < MINUTES * 60; t += step) out.push(...f(t, i++));
  return out;
}

const CASES: Array<[string, () => SipEvent[]]> = [
  ['30 phones re-registering every 2 minutes', () => registrations(30, 120)],
  ['100 phones re-registering every minute', () => registrations(100, 60)],
  ['BLF: 10 deleted extensions every 10 s (407, credentials, 404)', () => blf(1, 10, 10, 404)],
  ['BLF: 5 phones x 10 keys every 10 s', () => blf(5, 10, 10, 404)],
  ['fast BLF refresh: 10 keys every 2 s', () => blf(1, 10, 2, 404)],
  [
    'BLF answered 404 before any challenge (trusted source)',
    () =>
      every(10, (t) =>
        Array.from({ length: 10 }, (_, k) => {
          const r = subscribe({ at: t + k * 0.01, ip: NAT, user: `${900 + k}` });
          return [r, notFound404(r)];
        }).flat(),
      ),
  ],
  [
    'MWI SUBSCRIBE: 401, credentials, 200 or 404 (no voicemail)',
    () => every(30, (t, i) => authedExchange(NAT, 'SUBSCRIBE', `${200 + (i % 30)}`, t, i % 2 ? 200 : 404)),
  ],
  [
    'presence SUBSCRIBE answered 489 after credentials',
    () => every(5, (t, i) => authedExchange(NAT, 'SUBSCRIBE', `${300 + (i % 40)}`, t, 489)),
  ],
  [
    'OPTIONS keep-alives every 15 s from 30 phones, answered 200',
    () =>
      every(15, (t) =>
        Array.from({ length: 30 }, (_, p) => {
          const r = options({ at: t + p * 0.01, ip: NAT, user: `${200 + p}` });
          return [r, answer(r, 200)];
        }).flat(),
      ),
  ],
  [
    'OPTIONS keep-alives challenged and never authenticated (30 phones, every 15 s)',
    () =>
      every(15, (t) =>
        Array.from({ length: 30 }, (_, p) => {
          const r = options({ at: t + p * 0.01, ip: NAT, user: `${200 + p}` });
          return [r, answer(r, 407)];
        }).flat(),
      ),
  ],
  [
    'PUBLISH answered 489 after credentials',
    () => every(3, (t, i) => authedExchange(NAT, 'PUBLISH', `${200 + (i % 30)}`, t, 489)),
  ],
  [
    'wrong-number calls: 407, credentials, then 404/480/486/484',
    () =>
      every(4, (t, i) =>
        authedExchange(NAT, 'INVITE', `${200 + (i % 30)}`, t, [404, 480, 486, 484][i % 4]!, {
          uriUser: `${5000 + i}`,
        }),
      ),
  ],
  [
    'international calls: 407, credentials, 183 then 200, and some refused after credentials',
    () =>
      every(6, (t, i) => {
        const ex = authedExchange(NAT, 'INVITE', `${200 + (i % 30)}`, t, i % 3 ? 200 : 503, {
          uriUser: `00972${5000000 + i}`,
        });
        return [...ex.slice(0, 3), answer(ex[2]!, 183, 0.005), ex[3]!];
      }),
  ],
];

describe('an office behind one NAT is never blocked (defaults, whole engine)', () => {
  for (const [name, make] of CASES) {
    test(name, () => {
      const alerts: Alert[] = [];
      const e = engine(alerts);
      // Every variant runs beside the office's own registrations (what makes it trusted).
      const ds: Decision[] = feedEngine(e, [...registrations(30, 120), ...make()], MINUTES * 60 + 100);
      assert.deepEqual(
        ds.filter((d) => d.action === 'block' || d.action === 'permanent'),
        [],
        JSON.stringify(e.stats.detector),
      );
      assert.deepEqual(e.stats.verdicts, {
        scanner: 0,
        'auth-failures': 0,
        enumeration: 0,
        'toll-fraud': 0,
        'slow-attack': 0,
        distributed: 0,
        flood: 0,
      });
      assert.deepEqual(alerts, []);
    });
  }

  test('every variant at once, 100 phones: nothing', () => {
    const e = engine();
    const all = [...registrations(100, 60), ...CASES.flatMap(([, make]) => make())];
    const ds = feedEngine(e, all, MINUTES * 60 + 100);
    assert.equal(ds.filter((d) => d.action === 'block').length, 0, JSON.stringify(e.stats.detector));
    assert.ok(e.stats.detector.routingResults > 100, 'the routing results were seen');
    assert.ok(e.stats.detector.trustedProbes > 100, 'the trusted probes were seen');
  });
});

describe('the same shapes without working credentials are still attacks', () => {
  test('BLF-like SUBSCRIBEs for 10 users answered 404, no credentials ever: enumeration', () => {
    const e = engine();
    const events = Array.from({ length: 10 }, (_, k) => {
      const r = subscribe({ at: k * 0.1, ip: '203.0.113.9', user: `${900 + k}` });
      return [r, notFound404(r)];
    }).flat();
    const ds = feedEngine(e, events);
    assert.deepEqual(
      ds.map((d) => [d.action, d.reason]),
      [['block', 'enumeration']],
    );
  });

  test('OPTIONS challenged and never answered, no registration: enumeration (ENUM_CHALLENGES)', () => {
    const e = engine();
    const events = Array.from({ length: 30 }, (_, k) => {
      const r = options({ at: k, ip: '203.0.113.9', user: `${200 + (k % 3)}` });
      return [r, answer(r, 407)];
    }).flat();
    const ds = feedEngine(e, events, 60);
    assert.deepEqual(
      ds.map((d) => [d.action, d.reason]),
      [['block', 'enumeration']],
    );
  });

  test('trust expires: an hour after the last accepted registration, probes count again', () => {
    const e = engine();
    const probes = (t0: number) =>
      Array.from({ length: 10 }, (_, k) => {
        const r = request({ method: 'OPTIONS', at: t0 + k * 0.1, ip: NAT, user: `${900 + k}` });
        return [r, notFound404(r)];
      }).flat();
    const early = feedEngine(e, [...phoneRegistration(NAT, '200', 0), ...probes(10)]);
    assert.equal(early.length, 0, 'trusted');
    const late = feedEngine(e, probes(3700));
    assert.deepEqual(
      late.map((d) => d.reason),
      ['enumeration'],
    );
  });

  test('a 404 to an INVITE with credentials is a routing result, without them a probe', () => {
    const e = engine();
    const withCreds = Array.from({ length: 12 }, (_, k) =>
      authedExchange('203.0.113.7', 'INVITE', '201', k, 404, { uriUser: `${600 + k}` }),
    ).flat();
    assert.equal(feedEngine(e, withCreds).length, 0);
    assert.equal(e.stats.detector.routingResults, 12);
    const without = Array.from({ length: 10 }, (_, k) => {
      const r = invite({ at: 20 + k * 0.1, ip: '203.0.113.8', user: `${600 + k}` });
      return [r, notFound404(r)];
    }).flat();
    assert.deepEqual(
      feedEngine(e, without).map((d) => d.reason),
      ['enumeration'],
    );
  });
});

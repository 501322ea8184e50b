/**
 * Issue 12 item 3 (toll fraud) and item 4 (breach alerts): the number logic, then the
 * rules through the Engine.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Engine, type EngineDeps } from '../engine.js';
import type { Config, Decision, SipEvent } from '../types.js';
import type { Alert } from './alerts.js';
import {
  answer,
  authedExchange,
  crackAttempt,
  detection,
  feedEngine,
  invite,
  ok200,
  phoneRegistration,
  register,
  testConfig,
  uniq,
} from './detect.testkit.js';
import { numberReadings, outsideNumber, watchedPrefix } from './toll.js';

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

describe('outside numbers', () => {
  const CASES: Array<[string | null, string | null]> = [
    ['0097259123456', '0097259123456'],
    ['9011972591234', '9011972591234'],
    ['+97259123456', '97259123456'],
    ['+44207', '44207'],
    ['97259123456', '97259123456'],
    ['12345678', '12345678'],
    ['1234567', null],
    ['100', null],
    ['1099', null],
    ['+4420', null],
    ['0097a59123456', null],
    ['alice', null],
    [null, null],
  ];
  for (const [user, want] of CASES)
    test(`${user} → ${want}`, () => assert.equal(outsideNumber(user, 8), want));

  test('dial-prefix readings', () => {
    assert.deepEqual(numberReadings('9011972591'), ['9011972591', '011972591', '972591']);
    assert.ok(numberReadings('00972591').includes('972591'));
    assert.ok(numberReadings('900972591').includes('972591'));
  });

  const WATCH: Array<[string, string | null]> = [
    ['9011972591234', '972'],
    ['00972591234', '972'],
    ['972591234', '972'],
    ['0088213000000', '882'],
    ['4420712345', null],
  ];
  for (const [n, want] of WATCH)
    test(`watch ${n} → ${want}`, () => assert.equal(watchedPrefix(n, ['972', '882']), want));
});

/** An INVITE from `ip` to `number` answered `status` at `at`. */
function probe(ip: string, number: string, at: number, status: number, creds = false): SipEvent[] {
  const r = invite({ at, ip, user: '100', uriUser: number, creds, ua: null });
  return [r, answer(r, status)];
}

describe('toll-fraud probing', () => {
  const REFUSALS = [401, 403, 404, 407, 484, 503];
  for (const status of REFUSALS) {
    test(`three INVITEs to outside numbers answered ${status}, no authentication: blocked at the third`, () => {
      const e = engine();
      const nums = ['9011972591234', '00972591234', '+972591234'];
      const ds = feedEngine(
        e,
        nums.flatMap((n, i) => probe(ATTACKER, n, i * 2, status)),
      );
      const b = blocks(ds);
      assert.equal(b.length, 1, JSON.stringify(e.stats.detector));
      assert.equal(b[0]!.reason, 'toll-fraud');
      assert.equal(b[0]!.at, 4.01);
      assert.deepEqual(b[0]!.users, ['+972591234', '00972591234', '9011972591234']);
      assert.match(b[0]!.note ?? '', /dialled \+972591234, 00972591234, 9011972591234/);
    });
  }

  test('two probes, or three spread over more than MONIT_PERIOD: nothing', () => {
    assert.deepEqual(
      blocks(
        feedEngine(engine(), [
          ...probe(ATTACKER, '0097259123', 0, 403),
          ...probe(ATTACKER, '0097259124', 5, 403),
        ]),
      ),
      [],
    );
    const spread = [0, 40, 80].flatMap((t, i) => probe(ATTACKER, `0097259123${i}`, t, 404));
    assert.deepEqual(blocks(feedEngine(engine(), spread)), []);
  });

  test('an office whose phones register calls abroad, some refused: nothing', () => {
    const e = engine();
    const calls = Array.from({ length: 20 }, (_, i) => [
      ...probe(NAT, `0097259${1000 + i}`, 10 + i, i % 2 ? 503 : 404, true),
    ]).flat();
    assert.deepEqual(blocks(feedEngine(e, [...phoneRegistration(NAT, '200', 0), ...calls])), []);
  });

  test('a peer that authenticates its calls (407, credentials, 183) is never a prober', () => {
    const e = engine();
    const calls = Array.from({ length: 10 }, (_, i) => {
      const ex = authedExchange('198.18.5.5', 'INVITE', '300', i * 3, 200, { uriUser: `0044207${1000 + i}` });
      return [...ex.slice(0, 3), answer(ex[2]!, 183, 0.005), ex[3]!];
    }).flat();
    assert.deepEqual(blocks(feedEngine(e, calls)), []);
  });

  test('short numbers are extensions: enumeration, not toll fraud', () => {
    const e = engine({ enumUsers: 3 });
    const ds = feedEngine(
      e,
      [0, 1, 2].flatMap((i) => probe(ATTACKER, `${100 + i}`, i, 404)),
    );
    assert.deepEqual(
      blocks(ds).map((d) => d.reason),
      ['enumeration'],
    );
  });

  test('TOLL_COUNT=0 switches the rule off', () => {
    const e = engine({ detection: detection({ tollCount: 0 }) });
    const ds = feedEngine(
      e,
      [0, 1, 2, 3].flatMap((i) => probe(ATTACKER, `0097259123${i}`, i, 503)),
    );
    assert.deepEqual(blocks(ds), []);
  });

  describe('TOLL_WATCH', () => {
    const watch = () => engine({ detection: detection({ tollWatch: ['972', '882'] }) });

    test('one refused call to a watched destination blocks', () => {
      const b = blocks(feedEngine(watch(), probe(ATTACKER, '9011972591234', 0, 404)));
      assert.equal(b[0]?.reason, 'toll-fraud');
      assert.match(b[0]?.note ?? '', /watched destination 9011972591234/);
    });

    test('a challenge to a watched destination blocks when it goes unanswered, not before', () => {
      const e = watch();
      assert.deepEqual(blocks(feedEngine(e, probe(ATTACKER, '00882130000', 0, 407))), []);
      const b = blocks(feedEngine(e, [], 20));
      assert.equal(b[0]?.reason, 'toll-fraud');
      assert.equal(b[0]?.at, 10.01, 'at the end of the follow-up grace');
    });

    test('a challenge followed up with credentials is no probe', () => {
      const e = watch();
      const ex = authedExchange('198.18.5.5', 'INVITE', '300', 0, 200, { uriUser: '00882130000' });
      assert.deepEqual(blocks(feedEngine(e, ex, 60)), []);
    });

    test('a call to a watched destination that connects raises a watched-call alert, once', () => {
      const alerts: Alert[] = [];
      const e = engine({ detection: detection({ tollWatch: ['972'] }) }, { onAlert: (a) => alerts.push(a) });
      const ex = authedExchange(NAT, 'INVITE', '200', 1, 200, { uriUser: '00972591234' });
      feedEngine(e, [
        ...phoneRegistration(NAT, '200', 0),
        ...ex.slice(0, 3),
        answer(ex[2]!, 183, 0.005),
        ex[3]!,
      ]);
      assert.deepEqual(
        alerts.map((a) => [a.kind, a.dialled, a.ip]),
        [['watched-call', '00972591234', NAT]],
      );
      assert.equal(alerts[0]!.text, `call to watched destination 00972591234 from ${NAT} went through`);
    });
  });
});

describe('breach alerts', () => {
  function alertsOf(events: SipEvent[], over: Partial<Config> = {}): Alert[] {
    const alerts: Alert[] = [];
    feedEngine(engine(over, { onAlert: (a) => alerts.push(a) }), events);
    return alerts;
  }

  /** `n` wrong guesses for `user` (new Call-ID each) every 10 s, then the right password. */
  function cracked(n: number, user = '1099', ip = ATTACKER): SipEvent[] {
    const out = Array.from({ length: n }, (_, i) => crackAttempt(ip, user, i * 10)).flat();
    const callId = uniq('win-');
    const r1 = register({ at: n * 10, ip, user, callId, cseq: 1 });
    const r2 = register({ at: n * 10 + 0.02, ip, user, callId, cseq: 2, creds: true });
    return [...out, r1, answer(r1, 401), r2, ok200(r2)];
  }

  test('a 200 after failures for the extension it was attacking: "possible cracked password"', () => {
    const a = alertsOf(cracked(8));
    assert.equal(a.length, 1);
    assert.equal(a[0]!.kind, 'breach');
    assert.equal(a[0]!.text, `possible cracked password: extension 1099, from ${ATTACKER}, after 8 failures`);
  });

  test('a phone whose nonce expired once, or that mistyped twice: no alert', () => {
    assert.deepEqual(alertsOf(cracked(1)), []);
    assert.deepEqual(alertsOf(cracked(2)), []);
  });

  test('a phone fixed after failing all afternoon in its one registration dialog: no alert', () => {
    const callId = uniq('fix-');
    const events: SipEvent[] = [];
    for (let i = 0; i < 40; i++) {
      const r = register({ at: i * 30, ip: NAT, user: '205', callId, cseq: 10 + i, creds: true });
      events.push(r, answer(r, 403));
    }
    const ok = register({ at: 1300, ip: NAT, user: '205', callId, cseq: 60, creds: true });
    events.push(ok, ok200(ok));
    assert.deepEqual(alertsOf(events), []);
  });

  test('an INVITE to an outside number answered 183 after failures: possible toll fraud', () => {
    const events = [
      ...Array.from({ length: 4 }, (_, i) => crackAttempt(ATTACKER, '1099', i * 10)).flat(),
      ...(() => {
        const r = invite({ at: 50, ip: ATTACKER, user: '1099', uriUser: '9011972591234', creds: true });
        return [r, answer(r, 183)];
      })(),
    ];
    const a = alertsOf(events);
    assert.equal(a.length, 1);
    assert.equal(a[0]!.kind, 'breach');
    assert.equal(a[0]!.dialled, '9011972591234');
    assert.match(
      a[0]!.text,
      /^possible toll fraud: call to 9011972591234 from 203\.0\.113\.66 went through after 4 failures/,
    );
  });

  test('an extension attacked from several addresses, then one of them gets in', () => {
    const events = [
      ...crackAttempt('198.18.0.1', '1099', 0),
      ...crackAttempt('198.18.0.2', '1099', 10),
      ...crackAttempt('198.18.0.3', '1099', 20),
      ...phoneRegistration('198.18.0.2', '1099', 30),
    ];
    const a = alertsOf(events);
    assert.deepEqual(
      a.map((x) => [x.kind, x.ip, x.user]),
      [['breach', '198.18.0.2', '1099']],
    );
  });
});

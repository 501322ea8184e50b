/**
 * Issue 12 item 2: slow attacks (the long windows, SLOW_HOUR_COUNT / SLOW_DAY_COUNT) and
 * the per-extension view (DISTRIBUTED_SOURCES, DISTRIBUTED_BLOCK), through the Engine.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Engine, type EngineDeps } from '../engine.js';
import type { Config, Decision, SipEvent } from '../types.js';
import type { Alert } from './alerts.js';
import {
  answer,
  crackAttempt,
  detection,
  feedEngine,
  options,
  phoneRegistration,
  register,
  testConfig,
  uniq,
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

/** One guess every `every` s for `minutes`, a new Call-ID each, users 100-102 in turn. */
function slowGuesses(every: number, minutes: number, ip = ATTACKER): SipEvent[] {
  const out: SipEvent[] = [];
  for (let t = 0, i = 0; t < minutes * 60; t += every, i++)
    out.push(...crackAttempt(ip, `${100 + (i % 3)}`, t));
  return out;
}

/** A phone for a deleted extension: one Call-ID, CSeq rising, answered `status`, every `every` s. */
function deletedExtension(every: number, hours: number, status = 403): SipEvent[] {
  const callId = uniq('del-');
  const out: SipEvent[] = [];
  for (let t = 0, i = 0; t < hours * 3600; t += every, i++) {
    const r = register({ at: t, ip: NAT, user: '205', callId, cseq: 10 + i, creds: true, sport: 5999 });
    out.push(r, answer(r, status));
  }
  return out;
}

describe('slow attacks: the hour and day windows', () => {
  test('2.5 guesses a minute for 74 minutes: never HIT_COUNT a minute, slow-attack at the 30th', () => {
    const e = engine();
    const ds = feedEngine(e, slowGuesses(24, 74), 74 * 60 + 10);
    const b = blocks(ds);
    assert.equal(b.length, 1, JSON.stringify(b));
    assert.equal(b[0]!.reason, 'slow-attack');
    assert.equal(b[0]!.attempts, 30);
    assert.equal(b[0]!.at, 29 * 24 + 0.03, 'blocked at the answer to the 30th guess');
    assert.match(b[0]!.note ?? '', /slow attack: 30 failed attempts within an hour/);
    assert.equal(e.stats.verdicts['auth-failures'], 0);
  });

  test('the day window: 5 guesses an hour, blocked once 100 are within a day', () => {
    const e = engine();
    const ds = feedEngine(e, slowGuesses(720, 24 * 60), 24 * 3600);
    const b = blocks(ds);
    assert.equal(b.length, 1);
    assert.equal(b[0]!.reason, 'slow-attack');
    assert.match(b[0]!.note ?? '', /within a day/);
    assert.ok(b[0]!.at > 19 * 3600 && b[0]!.at < 21 * 3600, `at ${b[0]!.at}`);
  });

  test('the manual`s deleted-extension phone retrying every 30 s all day: never blocked, not even labelled', () => {
    const e = engine();
    assert.deepEqual(blocks(feedEngine(e, deletedExtension(30, 24), 24 * 3600 + 60)), []);
    assert.equal(e.stats.detector.failures, 2880);
  });

  test('the same phone retrying every 5 s: the short window blocks it, labelled misconfigured', () => {
    const e = engine();
    const b = blocks(feedEngine(e, deletedExtension(5, 1)));
    assert.equal(b[0]!.reason, 'auth-failures');
    assert.equal(b[0]!.misconfiguredPhone, true);
  });

  test('a peer whose OPTIONS keep-alives get 403 every 30 s all day is not guessing', () => {
    const e = engine();
    const events: SipEvent[] = [];
    for (let t = 0; t < 24 * 3600; t += 30) {
      const r = options({ at: t, ip: NAT, user: 'trunk' });
      events.push(r, answer(r, 403));
    }
    assert.deepEqual(blocks(feedEngine(e, events)), []);
  });

  const KEYS: Array<[string, Partial<Config['detection']>, string | null]> = [
    ['both off', { slowHour: 0, slowDay: 0 }, null],
    ['SLOW_HOUR_COUNT=0: the day window catches it at the 100th', { slowHour: 0 }, 'within a day'],
    ['SLOW_HOUR_COUNT=20: earlier', { slowHour: 20 }, 'within an hour'],
  ];
  for (const [name, d, note] of KEYS) {
    test(`${name}`, () => {
      const b = blocks(feedEngine(engine({ detection: detection(d) }), slowGuesses(24, 74)));
      if (note === null) assert.deepEqual(b, []);
      else assert.match(b[0]?.note ?? '', new RegExp(note));
    });
  }
});

describe('the per-extension view: distributed guessing', () => {
  /** One failed guess on `user` from each of `n` addresses, `gap` s apart. */
  function botnet(n: number, user: string, gap: number, start = 0): SipEvent[] {
    return Array.from({ length: n }, (_, i) =>
      crackAttempt(`198.18.0.${i + 1}`, user, start + i * gap),
    ).flat();
  }

  test('10 addresses failing once each on extension 1099 within an hour: an alert and every one blocked', () => {
    const alerts: Alert[] = [];
    const e = engine({}, { onAlert: (a) => alerts.push(a) });
    const b = blocks(feedEngine(e, botnet(10, '1099', 300)));
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.kind, 'distributed');
    assert.equal(alerts[0]!.user, '1099');
    assert.equal(alerts[0]!.sources.length, 10);
    assert.match(alerts[0]!.text, /^extension 1099 attacked from 10 addresses within an hour/);
    assert.deepEqual(
      b.map((d) => d.ip).sort(),
      Array.from({ length: 10 }, (_, i) => `198.18.0.${i + 1}`).sort(),
    );
    assert.ok(b.every((d) => d.reason === 'distributed' && d.users[0] === '1099'));
  });

  test('the 11th address is blocked at its first failure while the attack is on', () => {
    const e = engine();
    feedEngine(e, botnet(10, '1099', 60));
    const late = crackAttempt('198.18.1.1', '1099', 1000);
    assert.deepEqual(
      blocks(feedEngine(e, late)).map((d) => [d.ip, d.reason, d.at]),
      [['198.18.1.1', 'distributed', late[3]!.at]],
    );
  });

  test('DISTRIBUTED_BLOCK=no: the alert only', () => {
    const alerts: Alert[] = [];
    const e = engine(
      { detection: detection({ distributedBlock: false }) },
      { onAlert: (a) => alerts.push(a) },
    );
    assert.deepEqual(blocks(feedEngine(e, botnet(12, '1099', 60))), []);
    assert.equal(alerts.length, 1);
  });

  test('9 addresses, or 10 spread over more than an hour: nothing', () => {
    assert.deepEqual(blocks(feedEngine(engine(), botnet(9, '1099', 60))), []);
    assert.deepEqual(blocks(feedEngine(engine(), botnet(10, '1099', 420))), []);
  });

  test('the office whose own phone for the extension fails is never counted or blocked', () => {
    const e = engine();
    const office = [...phoneRegistration(NAT, '200', 0), ...crackAttempt(NAT, '1099', 5)];
    const ds = feedEngine(e, [...office, ...botnet(10, '1099', 30, 10)]);
    assert.ok(!blocks(ds).some((d) => d.ip === NAT), 'the office is not an attacker');
    assert.equal(blocks(ds).length, 10);
  });

  test('addresses rotating inside one /64 are one source', () => {
    const e = engine();
    const ev = Array.from({ length: 10 }, (_, i) =>
      crackAttempt(`2001:db8:7:1::${i + 1}`, '1099', i * 60),
    ).flat();
    assert.deepEqual(blocks(feedEngine(e, ev)), []);
  });
});

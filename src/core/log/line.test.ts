import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldValue, localTime, logLine } from './line.js';

// 2026-12-05 03:12:44 UTC
const T = Date.UTC(2026, 11, 5, 3, 12, 44);
const terminal = { style: 'terminal' as const, utcOffsetMinutes: 0 };
const journald = { style: 'journald' as const, utcOffsetMinutes: 0 };

const decision = {
  level: 30,
  time: T,
  pid: 4242,
  hostname: 'pbx',
  name: 'sipprotd',
  event: 'decision',
  action: 'block',
  ip: '203.0.113.66',
  reason: 'auth-failures',
  attempts: 5,
  window: 60,
  users: ['100', '101'],
  userAgent: 'friendly-scanner',
  country: 'AU',
  msg: 'blocked',
};

describe('logLine', () => {
  it("the brief's line: time, level, what happened, the address, the reason", () => {
    assert.equal(
      logLine(decision, terminal),
      '2026-12-05 03:12:44 +0000 INFO  blocked 203.0.113.66 auth-failures: 5 failed attempts in 60 s (users 100,101; UA "friendly-scanner"; AU)',
    );
  });

  it('under journald: no time, the syslog priority as prefix', () => {
    assert.equal(
      logLine(decision, journald),
      '<6>blocked 203.0.113.66 auth-failures: 5 failed attempts in 60 s (users 100,101; UA "friendly-scanner"; AU)',
    );
    assert.match(logLine({ level: 40, time: T, msg: 'x' }, journald), /^<4>x$/);
    assert.match(logLine({ level: 50, time: T, msg: 'x' }, journald), /^<3>x$/);
    assert.match(logLine({ level: 60, time: T, msg: 'x' }, journald), /^<2>x$/);
    assert.match(logLine({ level: 20, time: T, msg: 'x' }, journald), /^<7>x$/);
  });

  it('local time with its offset', () => {
    assert.equal(localTime(T, 60), '2026-12-05 04:12:44 +0100');
    assert.equal(localTime(T, -330), '2026-12-04 21:42:44 -0530');
  });

  const cases: Array<[string, Record<string, unknown>, string]> = [
    [
      'scanner: the user agent says it',
      { ...decision, reason: 'scanner', attempts: 1, users: [], window: undefined },
      'blocked 203.0.113.66 scanner (UA "friendly-scanner"; AU)',
    ],
    [
      'observe mode',
      { ...decision, action: 'observe', reason: 'enumeration', attempts: 30, users: [] },
      'would block 203.0.113.66 enumeration: 30 probes in 60 s (UA "friendly-scanner"; AU)',
    ],
    [
      'unblock by expiry; by hand on a peer',
      { event: 'decision', action: 'unblock', ip: '203.0.113.66', reason: 'expired' },
      'unblocked 203.0.113.66 (expired)',
    ],
    [
      'unblock by hand on a peer',
      { event: 'decision', action: 'unblock', ip: '203.0.113.66', reason: 'manual', host: 'pbx-2' },
      'unblocked 203.0.113.66 (by hand; on pbx-2)',
    ],
    [
      'permanent with its note',
      {
        event: 'decision',
        action: 'permanent',
        ip: '198.51.100.7',
        reason: 'threshold',
        note: 'permanent after 5 dynamic blocks (auth-failures, user agent "x")',
        users: [],
        userAgent: null,
      },
      'permanently blocked 198.51.100.7 threshold: permanent after 5 dynamic blocks (auth-failures, user agent "x")',
    ],
    [
      'a misconfigured phone, decided on a peer host',
      {
        ...decision,
        misconfiguredPhone: true,
        host: 'pbx-7',
        users: ['1099'],
        userAgent: null,
        country: null,
      },
      'blocked 203.0.113.66 auth-failures: 5 failed attempts in 60 s (users 1099; looks like a misconfigured phone; decided on pbx-7)',
    ],
    [
      'an alert',
      {
        event: 'alert',
        alert: 'breach',
        ip: '192.0.2.9',
        text: 'possible cracked password: extension 1099, from 192.0.2.9, after 35 failures',
      },
      'ALERT possible cracked password: extension 1099, from 192.0.2.9, after 35 failures',
    ],
    [
      'any other record: component, message, fields',
      { component: 'nft', msg: 'command failed, retrying', err: { message: 'netlink: busy' }, tries: 2 },
      'nft: command failed, retrying err="netlink: busy" tries=2',
    ],
  ];
  for (const [name, rec, want] of cases) {
    it(name, () => assert.equal(logLine({ level: 30, time: T, ...rec }, journald), `<6>${want}`));
  }

  it("an attacker's text stays on one line and moves no cursor", () => {
    const ua = 'x\x1b[2J\x1b]0;pwned\x07\r\nFAKE 2026-12-05 INFO unblocked 1.2.3.4\u2028\u202e';
    for (const rec of [
      { ...decision, userAgent: ua },
      { msg: `warn ${ua}`, ua },
      { event: 'alert', text: ua },
    ]) {
      const line = logLine({ level: 30, time: T, ...rec }, terminal);
      assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
      assert.equal(line.split('\n').length, 1);
    }
  });

  it('a 63 KB user agent makes a short line', () => {
    const line = logLine({ ...decision, userAgent: 'A'.repeat(63_000) }, terminal);
    assert.ok(line.length < 400, String(line.length));
    assert.match(line, /A…"/);
  });

  it('field values: bare when plain, quoted when not', () => {
    assert.equal(fieldValue('eth0'), 'eth0');
    assert.equal(fieldValue('two words'), '"two words"');
    assert.equal(fieldValue('say "hi"'), '"say \\"hi\\""');
    assert.equal(fieldValue(['a', 'b']), 'a,b');
    assert.equal(fieldValue([]), '-');
    assert.equal(fieldValue(null), '-');
    assert.equal(fieldValue({ a: 1 }), '"{\\"a\\":1}"');
  });
});

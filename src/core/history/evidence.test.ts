import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../prng.testkit.js';
import { terminalText } from '../text/terminal.js';
import type { SipEvent, SipMessage } from '../types.js';
import { SAMPLE_CHARS } from './events.js';
import { EvidenceLog, sampleLine } from './evidence.js';

const PBX = '10.0.0.1';

function answerTo(ip: string, status: number, o: Partial<SipMessage> = {}): SipEvent {
  return {
    at: 1,
    src: PBX,
    sport: 5060,
    dst: ip,
    dport: 5070,
    transport: 'udp',
    msg: {
      kind: 'response',
      method: 'REGISTER',
      uri: null,
      status,
      callId: 'c',
      cseq: 1,
      branch: null,
      fromUser: '100',
      toUser: '100',
      userAgent: null,
      hasCredentials: false,
      authUser: null,
      stale: false,
      contact: null,
      ...o,
    },
  };
}

test('keeps the error answers sent to an address, the newest 5, as short lines', () => {
  const log = new EvidenceLog([{ from: 5060, to: 5060 }]);
  log.observe(answerTo('203.0.113.5', 200));
  log.observe(answerTo('203.0.113.5', 100));
  assert.deepEqual(log.samples('203.0.113.5'), [], 'a 200 or a 1xx is no evidence');
  for (const s of [401, 403, 404, 407, 401, 403]) log.observe(answerTo('203.0.113.5', s));
  assert.deepEqual(log.samples('203.0.113.5'), [
    'REGISTER 100 → 403 Forbidden',
    'REGISTER 100 → 404 Not Found',
    'REGISTER 100 → 407 Proxy Authentication Required',
    'REGISTER 100 → 401 Unauthorized',
    'REGISTER 100 → 403 Forbidden',
  ]);
  const copy = log.samples('203.0.113.5');
  copy.push('x');
  assert.equal(log.samples('203.0.113.5').length, 5, 'a copy');
});

test('attacker text is cut and stripped of control characters; a stale challenge says so', () => {
  const line = sampleLine(
    answerTo('203.0.113.5', 401, { toUser: `\u001b[2J${'9'.repeat(100)}`, method: 'INVITE', stale: true }),
  );
  assert.doesNotMatch(line, /\u001b/);
  assert.match(line, /^INVITE \?\[2J9+… → 401 Unauthorized \(stale\)$/);
  assert.ok(line.length <= 160);
});

test('a line is built once: the same as cleaning and cutting the whole line again, for any header text', () => {
  // The earlier form, kept as the oracle: every part cleaned, then the whole line again.
  const PHRASE: Record<number, string> = {
    401: 'Unauthorized',
    403: 'Forbidden',
    407: 'Proxy Authentication Required',
  };
  const clean = (s: string | null, n = 40) => (s ? terminalText(s, n) : '');
  const oracle = (m: SipMessage) => {
    const user = clean(m.toUser ?? m.fromUser);
    const line =
      `${clean(m.method, 16)}${user ? ` ${user}` : ''} → ${m.status} ${PHRASE[m.status ?? 0] ?? ''}`.trimEnd();
    return clean(line + (m.stale ? ' (stale)' : ''), SAMPLE_CHARS);
  };
  const rnd = mulberry32(20261205);
  const CHARS = ['a', '9', ' ', '\u001b', '\r', '\n', '\u0085', '\u202e', '…', '"', '<', '\t'];
  const text = (max: number) => {
    const n = Math.floor(rnd() * max);
    let s = '';
    for (let i = 0; i < n; i++) s += CHARS[Math.floor(rnd() * CHARS.length)];
    return s;
  };
  for (let i = 0; i < 5000; i++) {
    const ev = answerTo('203.0.113.5', [401, 403, 407, 450, 499, 599, 699][i % 7]!, {
      method: text(rnd() < 0.5 ? 10 : 300),
      toUser: rnd() < 0.3 ? null : text(rnd() < 0.5 ? 8 : 500),
      fromUser: rnd() < 0.5 ? null : text(60),
      stale: rnd() < 0.2,
    });
    const line = sampleLine(ev);
    assert.equal(line, oracle(ev.msg));
    assert.ok(line.length <= SAMPLE_CHARS);
  }
});

test('only answers from the local SIP ports to remote addresses count; at most `capacity` addresses', () => {
  const log = new EvidenceLog([{ from: 5060, to: 5060 }], 3);
  log.observe({ ...answerTo('203.0.113.5', 401), sport: 8080 });
  assert.equal(log.size, 0);
  for (let i = 0; i < 5; i++) log.observe(answerTo(`203.0.113.${10 + i}`, 401));
  assert.equal(log.size, 3);
  assert.deepEqual(log.samples('203.0.113.10'), [], 'the least recently answered is dropped first');
  assert.equal(log.samples('203.0.113.14').length, 1);
});

test('one, two and more answers to an address come back in order, whatever the other addresses got', () => {
  // One line is kept as itself, more in an array: the change from one to two and the
  // dropping of the oldest past 5 keep the order; the same line to many addresses is one
  // shared copy, and an address's samples do not change with another's.
  const log = new EvidenceLog([{ from: 5060, to: 5060 }]);
  const statuses = [401, 403, 404, 407, 486, 503, 603];
  const want = new Map<string, string[]>();
  const rnd = mulberry32(11);
  for (let k = 0; k < 3000; k++) {
    const ip = `198.51.100.${Math.floor(rnd() * 40)}`;
    const ev = answerTo(ip, statuses[Math.floor(rnd() * statuses.length)]!);
    log.observe(ev);
    const w = want.get(ip) ?? [];
    w.push(sampleLine(ev));
    if (w.length > 5) w.shift();
    want.set(ip, w);
    if (k % 7 === 0) assert.deepEqual(log.samples(ip), w, `answer ${k} to ${ip}`);
  }
  for (const [ip, w] of want) assert.deepEqual(log.samples(ip), w, ip);
  const one = log.samples('198.51.100.1');
  one.length = 0;
  assert.notEqual(log.samples('198.51.100.1').length, 0, 'a copy');
  const single = new EvidenceLog([{ from: 5060, to: 5060 }]);
  single.observe(answerTo('192.0.2.9', 401));
  const got = single.samples('192.0.2.9');
  assert.deepEqual(got, ['REGISTER 100 → 401 Unauthorized']);
  got.push('x');
  assert.deepEqual(single.samples('192.0.2.9'), ['REGISTER 100 → 401 Unauthorized'], 'a one-line copy too');
});

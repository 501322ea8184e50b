import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SipEvent, SipMessage } from '../types.js';
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

test('only answers from the local SIP ports to remote addresses count; at most `capacity` addresses', () => {
  const log = new EvidenceLog([{ from: 5060, to: 5060 }], 3);
  log.observe({ ...answerTo('203.0.113.5', 401), sport: 8080 });
  assert.equal(log.size, 0);
  for (let i = 0; i < 5; i++) log.observe(answerTo(`203.0.113.${10 + i}`, 401));
  assert.equal(log.size, 3);
  assert.deepEqual(log.samples('203.0.113.10'), [], 'the least recently answered is dropped first');
  assert.equal(log.samples('203.0.113.14').length, 1);
});

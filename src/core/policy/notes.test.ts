import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Verdict } from '../types.js';
import { blockNote, observeNote, permanentNote, prefixNote } from './notes.js';

/**
 * The notes' exact text, rule by rule (block records, mails and the UI show them): they are
 * built from parts now (one flat string), and a lost part must fail here — the golden
 * captures cover only some rules.
 */
const CASES: [Verdict['rule'], Partial<Verdict>, string | null, string][] = [
  [
    'scanner',
    { detail: 'friendly-scanner probe' },
    'friendly-scanner',
    'scanner: friendly-scanner probe, user agent "friendly-scanner"',
  ],
  ['scanner', {}, null, 'scanner no user agent'],
  [
    'enumeration',
    { users: ['100', '101'] },
    'sipvicious',
    'enumeration: 12 users or challenges probed without success (100, 101), user agent "sipvicious"',
  ],
  [
    'enumeration',
    { users: [] },
    null,
    'enumeration: 12 users or challenges probed without success, no user agent',
  ],
  [
    'auth-failures',
    { users: ['100'] },
    'Yealink',
    '12 failed authentication attempts for 100, user agent "Yealink"',
  ],
  [
    'auth-failures',
    { users: ['100'], misconfiguredPhone: true },
    'Yealink',
    '12 failed authentication attempts for 100, user agent "Yealink"; looks like a misconfigured phone (one user, one Call-ID, regular retries): check extension 100 on the phone or the PBX',
  ],
  [
    'auth-failures',
    { users: ['1', '2', '3', '4', '5', '6', '7'] },
    null,
    '12 failed authentication attempts for 1, 2, 3, 4, 5 and 2 more, no user agent',
  ],
  [
    'toll-fraud',
    { users: ['0044123'] },
    'x',
    'toll-fraud probing: 12 refused calls to outside numbers without authenticating; dialled 0044123, user agent "x"',
  ],
  [
    'toll-fraud',
    { detail: 'dialled 3 countries' },
    'x',
    'toll-fraud probing: 12 refused calls to outside numbers without authenticating; dialled 3 countries, user agent "x"',
  ],
  ['slow-attack', { users: ['100'] }, 'y', 'slow attack: 12 failed attempts for 100, user agent "y"'],
  [
    'slow-attack',
    { detail: '40 failed attempts within a day', users: [] },
    'y',
    'slow attack: 40 failed attempts within a day, user agent "y"',
  ],
  [
    'distributed',
    { detail: 'extension 100 attacked from 12 addresses within an hour', users: ['100'] },
    null,
    'distributed guessing: extension 100 attacked from 12 addresses within an hour, this address among them',
  ],
  [
    'distributed',
    { users: ['100'] },
    null,
    'distributed guessing: extension 100 attacked from many addresses, this address among them',
  ],
  ['flood', { detail: '900 requests in 10 s' }, 'z', 'flood: 900 requests in 10 s, user agent "z"'],
  ['flood', {}, 'z', 'flood: 12 requests, user agent "z"'],
];

function verdict(rule: Verdict['rule'], extra: Partial<Verdict>, userAgent: string | null): Verdict {
  return { rule, attempts: 12, users: [], userAgent, misconfiguredPhone: false, ...extra } as Verdict;
}

test('block notes read as they always did, for every rule', () => {
  for (const [rule, extra, ua, want] of CASES) assert.equal(blockNote(verdict(rule, extra, ua)), want);
});

test('permanent, observe and prefix notes', () => {
  const v = verdict('auth-failures', { users: ['100'] }, 'Yealink');
  assert.equal(
    permanentNote(3, v, blockNote(v)),
    'permanent after 3 dynamic blocks (auth-failures, user agent "Yealink"); 12 failed authentication attempts for 100, user agent "Yealink"',
  );
  assert.equal(
    observeNote(blockNote(v)),
    'would block (OBSERVE): 12 failed authentication attempts for 100, user agent "Yealink"',
  );
  const ips = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5', '192.0.2.6'];
  assert.equal(
    prefixNote('192.0.2.0/24', ips, 'auth-failures'),
    'address of 192.0.2.0/24, where 6 addresses were blocked (auth-failures): 192.0.2.2, 192.0.2.3, 192.0.2.4, 192.0.2.5, 192.0.2.6',
  );
});

/**
 * The store's fast address key is the history's key (core/history/query.ts subjectKey)
 * for every text: a different string would put an event where an address query never
 * finds it. Random addresses, every octet value, and texts near the edge of the fast path.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { subjectKey } from '../core/history/query.js';
import { storedSubjectKey } from './subject-key.js';

test('the fast key equals subjectKey for random IPv4 addresses and every octet value', () => {
  let seed = 1;
  const rnd = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 24;
  };
  const texts: string[] = [];
  for (let i = 0; i < 20_000; i++) texts.push(`${rnd()}.${rnd()}.${rnd()}.${rnd()}`);
  for (let b = 0; b < 256; b++) texts.push(`${b}.${255 - b}.${b}.0`, `0.0.0.${b}`, `${b}.0.0.0`);
  for (const t of texts) {
    const want = subjectKey(t);
    assert.ok(want !== null, t);
    assert.equal(storedSubjectKey(t), want, t);
  }
});

test('texts the fast path refuses still get subjectKey’s answer (or none)', () => {
  const odd = [
    '',
    '1.2.3',
    '1.2.3.4.',
    '.1.2.3.4',
    '1.2.3.4.5',
    '01.2.3.4',
    '1.2.3.04',
    '00.0.0.0',
    '256.1.1.1',
    '1.2.3.999',
    '1.2.3.1000',
    '1..3.4',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '1.2.3.4/32',
    '198.51.100.0/24',
    '10.0.0.0/8',
    '::1',
    '::ffff:1.2.3.4',
    '2001:db8::1',
    '2001:db8::/32',
    'x.y.z.w',
    '١.٢.٣.٤',
    '255.255.255.255',
    '0.0.0.0',
  ];
  for (const t of odd) assert.equal(storedSubjectKey(t), subjectKey(t), t);
  assert.equal(storedSubjectKey(null), null);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../prng.testkit.js';
import { HASH, hashEnd, hashNum, hashOne, hashStart, hashStartWith, hashStr } from './match-hash.js';

function key(ip: string, callId: string, cseq: number): [number, number] {
  hashStart();
  hashStr(ip);
  hashStr(callId);
  hashNum(cseq);
  hashStr('REGISTER');
  hashEnd();
  return [HASH.h1, HASH.h2];
}

test('30-bit hashes spread like random ones, and the pair never collides', () => {
  const n = 200_000;
  const byH1 = new Map<number, number>();
  const pairs = new Set<string>();
  let collisions = 0;
  for (let i = 0; i < n; i++) {
    const [h1, h2] = key(`203.0.${(i >> 8) & 255}.${i & 255}`, `a84b4c76e66710-${i % 977}`, i % 3);
    assert.ok(h1 >= 0 && h1 < 2 ** 30 && h2 >= 0 && h2 < 2 ** 30);
    if (byH1.has(h1)) collisions++;
    byH1.set(h1, i);
    pairs.add(`${h1}:${h2}`);
  }
  // Expected n²/2/2^30 ≈ 18.6 first-hash collisions for random values.
  assert.ok(collisions < 60, `${collisions} first-hash collisions`);
  assert.equal(pairs.size, n, 'no two keys share both hashes');
});

test('parts are separated and numbers are hashed by value', () => {
  hashStart();
  hashStr('ab');
  hashStr('c');
  hashEnd();
  const a = HASH.h1;
  hashStart();
  hashStr('a');
  hashStr('bc');
  hashEnd();
  assert.notEqual(HASH.h1, a);
  assert.notDeepEqual(key('x', 'y', 1), key('x', 'y', 2));
  assert.notDeepEqual(key('x', 'y', 1), key('x', 'y', 1 + 2 ** 32));
  assert.equal(hashOne(null), 0);
  assert.notEqual(hashOne(''), 0);
  assert.equal(hashOne('same'), hashOne('same'));
});

test('hashOne is the first hash of the three calls, hashStartWith the same as hashStart + hashStr', () => {
  const rnd = mulberry32(13);
  const word = () =>
    Array.from({ length: Math.floor(rnd() * 40) }, () =>
      String.fromCharCode(32 + Math.floor(rnd() * 200)),
    ).join('');
  let prev = '';
  for (let i = 0; i < 5000; i++) {
    const s = rnd() < 0.3 ? prev : word();
    prev = s;
    hashStart();
    hashStr(s);
    hashEnd();
    const h1 = HASH.h1;
    assert.equal(hashOne(s), h1 === 0 ? 1 : h1, JSON.stringify(s));
    // The memo path (same string as last time) and the fresh one give the same state.
    hashStartWith(s);
    hashNum(i);
    hashEnd();
    const viaMemo = [HASH.h1, HASH.h2];
    hashStart();
    hashStr(s);
    hashNum(i);
    hashEnd();
    assert.deepEqual(viaMemo, [HASH.h1, HASH.h2]);
  }
});

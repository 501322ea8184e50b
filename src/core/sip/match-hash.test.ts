import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../prng.testkit.js';
import type { SipMessage } from '../types.js';
import {
  branchHash,
  callHash,
  HASH,
  hashEnd,
  hashNum,
  hashOne,
  hashStart,
  hashStartWith,
  hashStr,
  requestKey,
} from './match-hash.js';
import { parseSipText } from './parse.js';

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

test('Call-ID and branch hashes: by value, four characters a step, the same for any string object', () => {
  const rnd = mulberry32(1313);
  const token = (n: number) =>
    Array.from({ length: n }, () => 'abcdefXYZ0123456789-.!%*_+`~@'[Math.floor(rnd() * 29)]).join('');
  // Fresh strings of the same characters: the Call-ID memo is keyed by value, not by object.
  const copy = (s: string) => ` ${s}`.slice(1);
  const byHash = new Map<number, string>();
  let collisions = 0;
  for (let i = 0; i < 20_000; i++) {
    const callId = token(1 + Math.floor(rnd() * 60));
    const branch = `z9hG4bK${token(Math.floor(rnd() * 30))}`;
    const msg = parseSipText(
      `REGISTER sip:pbx.example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1:5060;rport;branch=${branch}\r\n` +
        `Call-ID: ${callId}\r\nCSeq: ${i} REGISTER\r\nContent-Length: 0\r\n\r\n`,
    )!;
    const h = [callHash(msg.callId), branchHash(msg.branch)];
    assert.ok(requestKey('198.51.100.7', msg));
    const key = [HASH.h1, HASH.h2];
    assert.ok(h[0]! > 0 && h[0]! < 2 ** 30 && h[1]! > 0 && h[1]! < 2 ** 30);
    // Another Call-ID hashed in between: the first one's hashes and key are unchanged.
    callHash(`${callId}x`);
    assert.deepEqual([callHash(copy(msg.callId!)), branchHash(copy(msg.branch!))], h);
    const again: SipMessage = { ...msg, callId: copy(msg.callId!) };
    assert.ok(requestKey('198.51.100.7', again));
    assert.deepEqual([HASH.h1, HASH.h2], key);
    // One character more or less, or two swapped, is another hash.
    if (callId.length > 1) {
      assert.notEqual(callHash(callId.slice(1)), h[0]);
      assert.notEqual(
        callHash(`${callId[1]}${callId[0]}${callId.slice(2)}`) === h[0],
        callId[0] !== callId[1],
      );
    }
    const seen = byHash.get(h[0]!);
    if (seen !== undefined && seen !== callId) collisions++;
    byHash.set(h[0]!, callId);
  }
  // 20k random Call-IDs into 2^30: ~0.2 collisions expected.
  assert.ok(collisions <= 3, `${collisions} collisions`);
  assert.equal(callHash(null), 0);
  assert.equal(branchHash(null), 0);
  assert.notEqual(callHash(''), 0);
  // The empty string, a NUL and a word of NULs are told apart (the length goes in first).
  assert.equal(new Set([callHash(''), callHash('\0'), callHash('\0\0\0\0')]).size, 3);
});

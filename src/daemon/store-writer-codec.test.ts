/**
 * The staged batch's bytes (store-writer-codec.ts, store-writer-decode.ts): every batch the
 * enforcer makes reads back as the same batch, each distinct string is written once, values
 * outside the schema go through v8.serialize and still read back, and malformed bytes are
 * an SP_ERR_STORE error naming the slip, never another exception.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serialize } from 'node:v8';
import { isSipprotError } from '../core/errors.js';
import { eventOfListChange } from '../core/history/events.js';
import { mulberry32 as prng } from '../core/prng.testkit.js';
import { aBlock, aDecision, anAttack } from '../core/records.testkit.js';
import type { StoreBatch } from '../ports/store.js';
import { mergeBatches } from './store-writer-batches.js';
import { encodeBatch } from './store-writer-codec.js';
import { variedTurns } from './store-writer-codec.testkit.js';
import { decodeBatch } from './store-writer-decode.js';

const MALFORMED = (e: unknown) =>
  isSipprotError(e) && e.code === 'SP_ERR_STORE' && /staged store batch is malformed/.test(e.message);

test('every batch reads back as it was written: all fields, nulls, absent sections, any text', () => {
  let n = 0;
  for (const seed of [1, 2, 3, 20261205]) {
    for (const b of variedTurns(seed, 60)) {
      const bytes = encodeBatch(b);
      assert.ok(bytes.buffer instanceof SharedArrayBuffer);
      assert.notEqual(bytes[0], 0xff, 'the schema encoding, not the v8 fallback');
      assert.deepStrictEqual(decodeBatch(bytes), b);
      n++;
    }
  }
  assert.equal(n, 240);
  const odd: StoreBatch[] = [
    {},
    { history: [eventOfListChange('deny', 'add', { network: '203.0.113.0/24', note: 'ü' }, 1000.5, 'cli')] },
    {
      deleteBlocks: [],
      decisions: [aDecision('192.0.2.1', -0, { expiresAt: Number.MAX_VALUE, attempts: 2 ** 53 })],
    },
    { attacks: [anAttack('192.0.2.2', 1e-9, { host: 'h', detail: '' })] },
    { blocks: [aBlock('192.0.2.3', { host: 'pbx1', users: [], note: '\u{1F600}'.repeat(300) })] },
  ];
  for (const b of odd) assert.deepStrictEqual(decodeBatch(encodeBatch(b)), b);
  // Past the encoder's first scratch (4,096 slots, 1,024 strings, 16 KB of text), and after it.
  const big = mergeBatches(variedTurns(9, 400, 16));
  assert.ok((big.decisions?.length ?? 0) > 2000);
  assert.deepStrictEqual(decodeBatch(encodeBatch(big)), big);
  assert.deepStrictEqual(decodeBatch(encodeBatch(odd[4]!)), odd[4]);
});

test('a batch writes each distinct string once: a block’s address is in its bytes one time', () => {
  const ip = '198.51.100.77';
  const d = aDecision(ip, 1000.5, { userAgent: 'scanner-ua', users: ['alice', 'alice'] });
  const b: StoreBatch = {
    blocks: [aBlock(ip, { userAgent: 'scanner-ua' })],
    incrementTimesBlocked: [{ ip, at: 1000.5 }],
    decisions: [d],
    attacks: [anAttack(ip, 1000.5, { userAgent: 'scanner-ua' })],
  };
  const bytes = Buffer.from(encodeBatch(b));
  const count = (s: string) => bytes.toString('latin1').split(s).length - 1;
  assert.equal(count(ip), 1);
  assert.equal(count('scanner-ua'), 1);
  assert.equal(count('alice'), 1);
  assert.ok(bytes.byteLength < serialize(b).byteLength);
});

test('values the schema does not describe go through v8.serialize and read back the same', () => {
  const b = { blocks: [{ ...aBlock('192.0.2.9'), attempts: '12' }] } as unknown as StoreBatch;
  const bytes = encodeBatch(b);
  assert.equal(bytes[0], 0xff, "v8's version byte");
  assert.ok(bytes.buffer instanceof SharedArrayBuffer);
  assert.deepStrictEqual(decodeBatch(bytes), b);
  const misshapen = { decisions: [null] } as unknown as StoreBatch;
  assert.deepStrictEqual(decodeBatch(encodeBatch(misshapen)), misshapen);
  // The encoder is left clean for the next batch.
  const next = variedTurns(7, 1)[0]!;
  assert.deepStrictEqual(decodeBatch(encodeBatch(next)), next);
});

/** Bytes of `b` with the u32 header word `i` or the f64 slot `s` replaced. */
function patched(b: StoreBatch, at: { word?: [number, number]; slot?: [number, number] }): Uint8Array {
  const bytes = Uint8Array.from(encodeBatch(b));
  if (at.word) new Uint32Array(bytes.buffer, 0, 4)[at.word[0]] = at.word[1];
  if (at.slot) new Float64Array(bytes.buffer, 16, at.slot[0] + 1)[at.slot[0]] = at.slot[1];
  return bytes;
}

test('malformed bytes are SP_ERR_STORE naming the slip', () => {
  const one: StoreBatch = { deleteBlocks: ['192.0.2.5'] };
  // Slots: blocks -1, deleteBlocks 1, ref 0, then four absent sections.
  assert.deepStrictEqual(decodeBatch(encodeBatch(one)), one);
  const cases: Array<[Uint8Array, RegExp]> = [
    [new Uint8Array(3), /shorter than its header/],
    [patched(one, { word: [0, 0x12345678] }), /first word 0x12345678/],
    [patched(one, { word: [1, 6] }), /header says/],
    [encodeBatch(one).slice(0, 40), /header says/],
    [patched(one, { slot: [2, 5] }), /string 5 at slot 2/],
    [patched(one, { slot: [2, 0.5] }), /string 0.5/],
    [patched(one, { slot: [1, 1e9] }), /count 1000000000/],
    [patched(one, { slot: [1, -3] }), /count -3/],
    [patched(one, { slot: [1, 0] }), /1 slots after the last record/],
    [patched(one, { slot: [6, 2] }), /count 2 at slot 6/],
    [patched({ decisions: [aDecision('192.0.2.6', 1)] }, { slot: [8, 7] }), /tag 7 at slot 8/],
    [Uint8Array.from([0xff, 0x0f, 0x6f, 0x22]), /v8 bytes do not deserialize/],
    [Uint8Array.from(serialize(7)), /v8 bytes are not a batch/],
  ];
  for (const [bytes, msg] of cases)
    assert.throws(
      () => decodeBatch(bytes),
      (e: unknown) => MALFORMED(e) && msg.test((e as Error).message),
      `${msg}`,
    );
  const boolAt = { decisions: [aDecision('192.0.2.6', 1, { users: [] })] };
  // at, ip, action, reason, expiresAt (tag + value), userAgent, users (0), attempts, transport, port (tag + value), country, timesBlocked, misconfiguredPhone
  assert.throws(() => decodeBatch(patched(boolAt, { slot: [4 + 1 + 12 + 1, 3] })), /boolean 3/);
  const list = { blocks: [aBlock('192.0.2.7', { users: ['a'] })] };
  assert.throws(() => decodeBatch(patched(list, { slot: [1 + 6, -1] })), /a list holds null/);
  const text = Uint8Array.from(encodeBatch(one));
  new Uint32Array(text.buffer, 16 + 8 * 7, 1)[0] = 2 * 1000;
  assert.throws(() => decodeBatch(text), /string 0 ends at 1000/);
});

test('random damage to real batches is a batch or SP_ERR_STORE, never another error', () => {
  const rnd = prng(42);
  const turns = variedTurns(5, 40);
  let refused = 0;
  for (let i = 0; i < 4000; i++) {
    const bytes = Uint8Array.from(encodeBatch(turns[i % turns.length]!));
    for (let k = 0, m = 1 + Math.floor(rnd() * 4); k < m; k++)
      bytes[Math.floor(rnd() * bytes.length)] = Math.floor(rnd() * 256);
    const cut = rnd() < 0.2 ? bytes.subarray(0, Math.floor(rnd() * bytes.length)) : bytes;
    try {
      const b = decodeBatch(cut);
      assert.equal(typeof b, 'object');
    } catch (e) {
      assert.ok(MALFORMED(e), String(e));
      refused++;
    }
  }
  assert.ok(refused > 1000, `${refused} refused`);
});

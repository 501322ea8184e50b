/**
 * The native netlink calls read untrusted-sized arrays: nftApply (one transaction, on the
 * event loop) and nftLoadAsync (a start's bulk load, copied, then on libuv's pool) read
 * each set operation through one helper (native/src/napi-util.h read_key_op), so both
 * must refuse the same bad input, by name, before anything reaches a socket. A namespace
 * that does not exist tells "refused" from "accepted": accepted arguments go on to open it
 * and fail there.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

type Op = [string, unknown, unknown, unknown];
interface Native {
  nftApply(netns: string, table: string, ops: unknown[]): void;
  nftLoadAsync(netns: string, table: string, ops: unknown[], chunk: number): Promise<number>;
}
const native = createRequire(import.meta.url)('sipprot-native') as Native;
const NO_NS = 'sptest-start4-args-absent';

/** What each call says of `op`: the error's message (both fail: no namespace or bad op). */
async function both(op: Op): Promise<[string, string]> {
  let applied = '';
  try {
    native.nftApply(NO_NS, 'sipprot', [[true, ...op]]);
  } catch (e) {
    applied = (e as Error).message;
  }
  let loaded = '';
  try {
    await native.nftLoadAsync(NO_NS, 'sipprot', [op], 1000);
  } catch (e) {
    loaded = (e as Error).message;
  }
  return [applied, loaded];
}

const BAD: [string, Op, RegExp][] = [
  ['keys not a Uint8Array', ['s', new Uint16Array(4), 4, null], /keys must be a Uint8Array/],
  ['key length 8', ['s', new Uint8Array(8), 8, null], /keys must be a Uint8Array/],
  ['keys not a multiple of the key length', ['s', new Uint8Array(6), 4, null], /keys must be a Uint8Array/],
  ['IPv6 keys not a multiple of 16', ['s', new Uint8Array(20), 16, null], /keys must be a Uint8Array/],
  ['timeouts one short', ['s', new Uint8Array(8), 4, new Float64Array(1)], /timeouts must be a Float64Array/],
  [
    'timeouts one too many',
    ['s', new Uint8Array(8), 4, new Float64Array(3)],
    /timeouts must be a Float64Array/,
  ],
  [
    'timeouts not a Float64Array',
    ['s', new Uint8Array(8), 4, new Float32Array(2)],
    /timeouts must be a Float64Array/,
  ],
  ['a set name past 62 bytes', ['s'.repeat(63), new Uint8Array(4), 4, null], /set name too long/],
  ['a set name not a string', [7 as unknown as string, new Uint8Array(4), 4, null], /string/i],
];

describe('nftApply and nftLoadAsync read a set operation the same way', () => {
  for (const [what, op, says] of BAD) {
    it(`both refuse ${what}`, async () => {
      const [applied, loaded] = await both(op);
      assert.match(applied, says, `nftApply: ${applied}`);
      assert.match(loaded, says, `nftLoadAsync: ${loaded}`);
      assert.equal(applied.replace(/^nftApply: /, ''), loaded.replace(/^nftLoadAsync: /, ''));
    });
  }

  it('both take good operations (and then find no namespace)', async () => {
    for (const op of [
      ['s', new Uint8Array(8), 4, new Float64Array(2)],
      ['s', new Uint8Array(32), 16, null],
      ['s'.repeat(62), new Uint8Array(4), 4, null],
    ] as Op[]) {
      const [applied, loaded] = await both(op);
      for (const m of [applied, loaded]) {
        assert.doesNotMatch(m, /must be|too long|string/, m);
        assert.match(m, new RegExp(NO_NS));
      }
    }
    // No keys: nothing to send (nftApply returns before the socket), still not refused.
    for (const m of await both(['s', new Uint8Array(0), 4, undefined]))
      assert.doesNotMatch(m, /must be|too long/);
  });
});

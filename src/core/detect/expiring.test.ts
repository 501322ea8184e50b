import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mulberry32 } from '../prng.testkit.js';
import { ExpiringMap } from './expiring.js';

/** The map as it was (one Map, a ring of two JS arrays doubling): the reference. */
class Reference<V extends { at: number }> {
  private readonly map = new Map<number, V>();
  private keys: (number | undefined)[] = new Array(1);
  private vals: (V | undefined)[] = new Array(1);
  private head = 0;
  private len = 0;
  constructor(
    readonly maxEntries: number,
    readonly ttl: number,
  ) {}
  get size(): number {
    return this.map.size;
  }
  get(key: number): V | undefined {
    return this.map.get(key);
  }
  set(key: number, val: V, onEvict?: (key: number, val: V) => void): void {
    if (this.len === this.maxEntries) this.shift(onEvict);
    if (this.len === this.keys.length) {
      const cap = Math.min(this.keys.length * 2, this.maxEntries);
      const keys: (number | undefined)[] = new Array(cap);
      const vals: (V | undefined)[] = new Array(cap);
      for (let j = 0; j < this.len; j++) {
        keys[j] = this.keys[(this.head + j) % this.keys.length];
        vals[j] = this.vals[(this.head + j) % this.keys.length];
      }
      this.keys = keys;
      this.vals = vals;
      this.head = 0;
    }
    const i = (this.head + this.len) % this.keys.length;
    this.keys[i] = key;
    this.vals[i] = val;
    this.len++;
    this.map.set(key, val);
  }
  delete(key: number): boolean {
    return this.map.delete(key);
  }
  expire(now: number, onExpire?: (key: number, val: V) => void): void {
    while (this.len > 0) {
      if (this.vals[this.head]!.at + this.ttl > now) return;
      this.shift(onExpire);
    }
  }
  oldestAt(): number | null {
    return this.len > 0 ? this.vals[this.head]!.at : null;
  }
  private shift(cb?: (key: number, val: V) => void): void {
    const k = this.keys[this.head]!;
    const v = this.vals[this.head]!;
    this.head = (this.head + 1) % this.keys.length;
    this.len--;
    if (this.map.get(k) === v) {
      this.map.delete(k);
      cb?.(k, v);
    }
  }
}

describe('ExpiringMap', () => {
  test('keeps arrival order through its chunks, reports live expiries only', () => {
    const m = new ExpiringMap<{ at: number }>(10_000, 5);
    for (let i = 0; i < 5000; i++) m.set(1000 + i, { at: i / 1000 });
    m.delete(1000);
    m.set(1001, { at: 4.999 }); // replaced: its first slot is stale
    const seen: number[] = [];
    m.expire(5.5, (k) => seen.push(k));
    assert.equal(seen.length, 499, 'the first deleted, the second replaced: 2 of the 501 due are not live');
    assert.equal(seen[0], 1002);
    assert.equal(m.oldestAt(), 0.501);
    assert.equal(m.size, 4500);
  });

  test('a full ring evicts through the callback', () => {
    const m = new ExpiringMap<{ at: number }>(2, 100);
    const out: number[] = [];
    m.set(1, { at: 1 });
    m.set(2, { at: 2 });
    m.set(3, { at: 3 }, (k) => out.push(k));
    assert.deepEqual(out, [1]);
    assert.equal(m.get(1), undefined);
  });

  test('rejects a zero bound', () => {
    assert.throws(() => new ExpiringMap(0, 1), RangeError);
  });

  for (const [seed, max] of [
    [1, 1],
    [2, 3],
    [3, 4096],
    [4, 5000],
    [5, 9000],
    [6, 20_000],
  ] as const) {
    test(`random sets, gets, deletes, expiries against the one-Map ring (seed ${seed}, bound ${max})`, () => {
      // Keys from a range a few times the bound (replacements, deletes of absent keys,
      // keys in every shard), time moving on unevenly so expiries come in runs and the
      // ring wraps past its chunk edges many times; every answer and callback compared.
      const rnd = mulberry32(seed);
      const m = new ExpiringMap<{ at: number; id: number }>(max, 10);
      const r = new Reference<{ at: number; id: number }>(max, 10);
      // What came out since the last comparison: compared, then emptied (comparing the whole
      // growing record every 97 ops was quadratic: 49 s for seed 5 at load 14).
      const gotM: number[] = [];
      const gotR: number[] = [];
      let compared = 0;
      let now = 0;
      for (let op = 0; op < 120_000; op++) {
        const k = Math.floor(rnd() * max * 3) * 7919;
        const x = rnd();
        if (x < 0.5) {
          const v = { at: now, id: op };
          m.set(k, v, (ek, ev) => gotM.push(ek, ev.id));
          r.set(k, v, (ek, ev) => gotR.push(ek, ev.id));
        } else if (x < 0.75) {
          assert.equal(m.get(k), r.get(k), `op ${op}: get ${k}`);
        } else if (x < 0.85) {
          assert.equal(m.delete(k), r.delete(k), `op ${op}: delete ${k}`);
        } else {
          now += rnd() < 0.9 ? rnd() * 0.05 : rnd() * 8;
          m.expire(now, (ek, ev) => gotM.push(ek, ev.id));
          r.expire(now, (ek, ev) => gotR.push(ek, ev.id));
        }
        if (op % 97 === 0) {
          assert.equal(m.size, r.size, `op ${op}: size`);
          assert.equal(m.oldestAt(), r.oldestAt(), `op ${op}: oldest`);
          assert.deepEqual(gotM, gotR, `op ${op}: evictions and expiries`);
          compared += gotR.length / 2;
          gotM.length = 0;
          gotR.length = 0;
        }
      }
      assert.deepEqual(gotM, gotR);
      compared += gotR.length / 2;
      assert.ok(compared > 1000, `callbacks compared: ${compared}`);
    });
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../prng.testkit.js';
import { LruMap } from './lru.js';

/** The reference: a Map re-inserted on every set, its first key dropped beyond capacity. */
class Reference<V> {
  readonly m = new Map<string, V>();
  constructor(private readonly capacity: number) {}
  set(key: string, value: V): void {
    this.m.delete(key);
    this.m.set(key, value);
    if (this.m.size > this.capacity) this.m.delete(this.m.keys().next().value!);
  }
}

test('holds the same keys and values as a Map kept in recency order, through any sequence of sets', () => {
  for (let seed = 1; seed <= 60; seed++) {
    const rnd = mulberry32(seed);
    const capacity = 1 + Math.floor(rnd() * (seed % 3 === 0 ? 40 : 6));
    const keySpace = 1 + Math.floor(rnd() * capacity * 4);
    const lru = new LruMap<number>(capacity);
    const ref = new Reference<number>(capacity);
    for (let i = 0; i < 3000; i++) {
      // Hot keys are set again and again (the ring fills with stale uses), cold ones once.
      const key = `k${rnd() < 0.5 ? Math.floor(rnd() * 3) : Math.floor(rnd() * keySpace)}`;
      lru.set(key, i);
      ref.set(key, i);
      assert.equal(lru.size, ref.m.size, `seed ${seed} step ${i}`);
      if (i % 97 === 0 || capacity < 4)
        for (let k = 0; k < keySpace; k++)
          assert.equal(lru.get(`k${k}`), ref.m.get(`k${k}`), `seed ${seed} step ${i} k${k}`);
    }
  }
});

test('a key set again is the most recent; the least recently set goes first', () => {
  const lru = new LruMap<string>(3);
  for (const k of ['a', 'b', 'c']) lru.set(k, k);
  lru.set('a', 'a2');
  lru.set('d', 'd');
  assert.equal(lru.get('b'), undefined);
  assert.deepEqual(
    ['a', 'c', 'd'].map((k) => lru.get(k)),
    ['a2', 'c', 'd'],
  );
  assert.throws(() => new LruMap(0), /capacity must be at least 1/);
});

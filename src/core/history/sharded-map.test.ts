import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../prng.testkit.js';
import { ShardedMap } from './sharded-map.js';

/** The sharded map against a Map: get, set (new and existing keys), delete, size, over many seeds. */
test('ShardedMap answers as a Map would', () => {
  for (let seed = 1; seed <= 30; seed++) {
    const rnd = mulberry32(seed * 7717);
    const t = new ShardedMap<number>();
    const model = new Map<string, number>();
    const spread = seed % 2 === 0 ? 50 : 20_000;
    for (let op = 0; op < 20_000; op++) {
      const i = Math.floor(rnd() * spread);
      const key = rnd() < 0.8 ? `198.51.${i >> 8}.${i & 255}` : `2001:db8::${i.toString(16)}`;
      const r = rnd();
      if (r < 0.5) {
        t.set(key, op);
        model.set(key, op);
      } else if (r < 0.7) {
        assert.equal(t.delete(key), model.delete(key), `seed ${seed} op ${op} delete ${key}`);
      } else {
        assert.equal(t.get(key), model.get(key), `seed ${seed} op ${op} get ${key}`);
      }
      assert.equal(t.size, model.size);
    }
    for (const [k, v] of model) assert.equal(t.get(k), v);
  }
});

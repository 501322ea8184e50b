import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../prng.testkit.js';
import { MinHeap } from './heap.js';

for (const seed of [1, 7, 2026]) {
  test(`pops in key order across chunk edges, equal keys as before, items released (seed ${seed})`, () => {
    // Runs of pushes and pops that take the size past three chunks (4,096 entries each) and
    // back, against a sorted model: a key or item lost at a chunk's edge, or a chunk
    // dropped while in use, shows as a wrong pop.
    const rnd = mulberry32(seed);
    const h = new MinHeap<{ id: number }>();
    const model: [number, number][] = [];
    let id = 0;
    let maxChunks = 0;
    for (let round = 0; round < 8; round++) {
      const pushes = Math.floor(rnd() * 14_000);
      for (let k = 0; k < pushes; k++) {
        const key = Math.floor(rnd() * 5000) / 4; // many equal keys
        h.push(key, { id });
        model.push([key, id++]);
      }
      maxChunks = Math.max(maxChunks, h.chunks);
      model.sort((a, b) => a[0] - b[0]);
      const pops = Math.floor(rnd() * model.length);
      for (let k = 0; k < pops; k++) {
        assert.equal(h.peekKey(), model[0]![0]);
        const got = h.pop()!;
        const i = model.findIndex(([key, x]) => x === got.id && key === model[0]![0]);
        assert.ok(i >= 0, `round ${round} pop ${k}: ${got.id} has the smallest key`);
        model.splice(i, 1);
      }
      assert.equal(h.size, model.length);
      assert.ok(h.chunks <= Math.floor(model.length / 4096) + 2, 'chunks follow the size down');
    }
    assert.ok(maxChunks >= 3, `the test crossed chunk edges (${maxChunks} chunks)`);
    model.sort((a, b) => a[0] - b[0]);
    for (const [key] of model) {
      assert.equal(h.peekKey(), key);
      h.pop();
    }
    assert.equal(h.pop(), undefined);
    assert.equal(h.peekKey(), Number.POSITIVE_INFINITY);
  });
}

test('the same pops as the two-array heap it replaced, ties included', () => {
  // The old heap (sift-up while the parent is larger, sift-down to the smaller child, the
  // left one on a tie): expiry order among equal times decides which unblock comes first.
  class Old {
    keys: number[] = [];
    items: number[] = [];
    push(key: number, item: number): void {
      let i = this.keys.length;
      this.keys.push(key);
      this.items.push(item);
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (this.keys[p]! <= key) break;
        this.keys[i] = this.keys[p]!;
        this.items[i] = this.items[p]!;
        i = p;
      }
      this.keys[i] = key;
      this.items[i] = item;
    }
    pop(): number | undefined {
      if (this.keys.length === 0) return undefined;
      const top = this.items[0]!;
      const lk = this.keys.pop()!;
      const li = this.items.pop()!;
      const n = this.keys.length;
      if (n > 0) {
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= n) break;
          const r = l + 1;
          const c = r < n && this.keys[r]! < this.keys[l]! ? r : l;
          if (this.keys[c]! >= lk) break;
          this.keys[i] = this.keys[c]!;
          this.items[i] = this.items[c]!;
          i = c;
        }
        this.keys[i] = lk;
        this.items[i] = li;
      }
      return top;
    }
  }
  const rnd = mulberry32(99);
  const a = new Old();
  const b = new MinHeap<number>();
  for (let k = 0; k < 60_000; k++) {
    if (rnd() < 0.6) {
      const key = Math.floor(rnd() * 300);
      a.push(key, k);
      b.push(key, k);
    } else {
      assert.equal(b.pop(), a.pop(), `op ${k}`);
    }
  }
  for (let x = a.pop(); x !== undefined; x = a.pop()) assert.equal(b.pop(), x);
});

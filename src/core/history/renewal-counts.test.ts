import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../prng.testkit.js';
import { RenewalCounts } from './renewal-counts.js';

test('counts renewals as a Map of objects did, across chunks and reused slots', () => {
  for (let seed = 1; seed <= 12; seed++) {
    const rnd = mulberry32(seed);
    const counts = new RenewalCounts();
    const ref = new Map<string, { renewals: number; lastSeen: number }>();
    // 10k addresses: more than two chunks of 4,096 slots live at once, then churn that frees
    // and reuses slots (a freed slot's count cell holds the free list).
    const keys = 2_000 + Math.floor(rnd() * 10_000);
    for (let i = 0; i < 60_000; i++) {
      const ip = `10.${seed}.${Math.floor(rnd() * keys) >> 8}.${Math.floor(rnd() * keys) & 255}`;
      const at = i + rnd();
      const r = rnd();
      if (r < 0.7) {
        counts.renewed(ip, at);
        const e = ref.get(ip);
        if (e) {
          e.renewals++;
          e.lastSeen = at;
        } else ref.set(ip, { renewals: 1, lastSeen: at });
      } else if (r < 0.85) {
        assert.deepEqual(counts.lifted(ip), ref.get(ip), `seed ${seed} step ${i} ${ip}`);
        ref.delete(ip);
      } else {
        counts.forget(ip);
        ref.delete(ip);
      }
      assert.equal(counts.size, ref.size, `seed ${seed} step ${i}`);
    }
    for (const [ip, e] of ref) assert.deepEqual(counts.lifted(ip), e, `seed ${seed} ${ip}`);
    assert.equal(counts.size, 0);
  }
});

test('a lifted or forgotten address starts again from none', () => {
  const counts = new RenewalCounts();
  counts.renewed('192.0.2.1', 10.5);
  counts.renewed('192.0.2.1', 11.25);
  counts.renewed('192.0.2.2', 12);
  assert.deepEqual(counts.lifted('192.0.2.1'), { renewals: 2, lastSeen: 11.25 });
  assert.equal(counts.lifted('192.0.2.1'), undefined);
  // Its slot is reused by the next address: nothing of the old count shows through.
  counts.renewed('192.0.2.3', 13);
  assert.deepEqual(counts.lifted('192.0.2.3'), { renewals: 1, lastSeen: 13 });
  counts.forget('192.0.2.2');
  assert.equal(counts.lifted('192.0.2.2'), undefined);
  assert.equal(counts.size, 0);
});

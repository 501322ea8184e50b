import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalV4Number } from '../net/ip.js';
import { mulberry32 } from '../prng.testkit.js';
import type { BlockRecord } from '../types.js';
import { FLAGS, fo, HELD, SourceSlots, V4_UNKNOWN } from './source-slots.js';

/**
 * The slot table against a Map<string, meta>: slotFor, find (by text and by the caller's
 * number) and releaseIfEmpty, through growth of the index and of the columns, with slots
 * freed and reused; a slot keeps its number (and its doubles and record) until it is freed.
 * The index doubles in steps (the old cells move over during later operations): lookups,
 * inserts and frees meet both tables, so many seeds of tables that grow past a few doublings.
 */
function run(seed: number, ops: number, spread: number): number {
  const rnd = mulberry32(seed);
  const t = new SourceSlots();
  let migratingOps = 0;
  const model = new Map<string, { slot: number; meta: number; mark: number }>();
  const key = () => {
    const i = Math.floor(rnd() * spread);
    const r = rnd();
    if (r < 0.55) return `198.51.${i >> 8}.${i & 255}`;
    if (r < 0.65) return `198.51.0${i >> 8}.${i & 255}`; // non-canonical: a string key
    if (r < 0.75) return `255.255.${i >> 8}.${i & 255}`; // above 2^31 as a number
    if (r < 0.8) return `0.0.${i >> 8}.${i & 255}`; // 0.0.0.0 is key 0
    if (r < 0.9) return `2001:db8::${i.toString(16)}`;
    return `10.${i & 255}.0.0/16`;
  };
  for (let op = 0; op < ops; op++) {
    const k = key();
    const r = rnd();
    const m = model.get(k);
    if (r < 0.45) {
      const s = t.slotFor(k);
      if (m) assert.equal(s, m.slot, `${k} keeps its slot`);
      const meta = r < 0.1 ? 0 : ((op & 0xffff) << 2) | (op & FLAGS);
      t.setMeta(s, meta);
      t.f64Of(s)[fo(s)] = op;
      t.setPrev(s, op);
      t.setNext(s, -op);
      t.setRec(s, { ip: k, attempts: op } as BlockRecord);
      model.set(k, { slot: s, meta, mark: op });
    } else if (r < 0.7) {
      if (m === undefined) continue;
      if (rnd() < 0.7) t.setMeta(m.slot, 0);
      m.meta = t.metaOf(m.slot);
      t.releaseIfEmpty(m.slot, k);
      if (m.meta === 0) model.delete(k);
    } else {
      const n = canonicalV4Number(k);
      const s = t.find(k, rnd() < 0.5 ? V4_UNKNOWN : n);
      if (m === undefined) assert.equal(s, -1, k);
      else {
        assert.equal(s, m.slot, k);
        assert.equal(t.metaOf(s), m.meta, k);
        assert.equal(t.f64Of(s)[fo(s)], m.mark, `${k}: its doubles survive growth`);
        assert.equal(t.prevOf(s) - t.nextOf(s), 2 * m.mark, `${k}: its links survive growth`);
        assert.equal(t.recOf(s)?.attempts, m.mark, `${k}: its record survives growth`);
      }
    }
    if (op % 997 === 0) assert.equal(t.size, model.size);
    if (t.migrating) migratingOps++;
  }
  assert.equal(t.size, model.size);
  const slots = new Set<number>();
  for (const [k, m] of model) {
    assert.equal(t.find(k), m.slot, k);
    slots.add(m.slot);
  }
  assert.equal(slots.size, model.size, 'no two keys share a slot');
  return migratingOps;
}

test('SourceSlots answers as a Map would, through growth, frees and reuse', () => {
  run(13, 300_000, 40_000);
});

test('SourceSlots: many seeds of small tables (probe runs wrap past the end)', () => {
  for (let seed = 1; seed <= 60; seed++) run(seed * 7919, 4_000, 90);
});

test('SourceSlots: many seeds through index doublings in steps (finds, inserts and frees while the old index moves)', () => {
  let during = 0;
  for (let seed = 1; seed <= 40; seed++) during += run(seed * 104_729, 12_000, 2_500);
  // Each doubling is spread over ~cells/16 operations: thousands of them meet a move under way.
  assert.ok(during > 2_000, `operations during a move: ${during}`);
});

test('SourceSlots: an empty slot is freed, a held one or one with a count is not', () => {
  const t = new SourceSlots();
  const a = t.slotFor('192.0.2.1');
  t.setMeta(a, HELD);
  t.releaseIfEmpty(a, '192.0.2.1');
  assert.equal(t.find('192.0.2.1'), a);
  t.setMeta(a, 1 << 2); // a count, no block
  t.releaseIfEmpty(a, '192.0.2.1');
  assert.equal(t.find('192.0.2.1'), a);
  t.setMeta(a, 0);
  t.releaseIfEmpty(a, '192.0.2.1');
  assert.equal(t.find('192.0.2.1'), -1);
  assert.equal(t.size, 0);
  assert.equal(t.slotFor('2001:db8::1'), a, 'the freed slot is reused');
});

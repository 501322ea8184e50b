import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../prng.testkit.js';
import { AddressMap, V4_UNKNOWN } from './address-map.js';

test('AddressMap answers as a Map<string> would, IPv4 by number, anything else by text', () => {
  const rnd = mulberry32(99);
  const m = new AddressMap<number>();
  const model = new Map<string, number>();
  const key = () => {
    const i = Math.floor(rnd() * 3000);
    const r = rnd();
    if (r < 0.6) return `198.51.${i >> 8}.${i & 255}`;
    if (r < 0.7) return `198.51.0${i >> 8}.${i & 255}`; // non-canonical: another key
    if (r < 0.8) return `255.255.${i >> 8}.${i & 255}`; // above 2^31 as a number
    if (r < 0.9) return `2001:db8::${i.toString(16)}`;
    return `10.${i & 255}.0.0/16`;
  };
  for (let op = 0; op < 50_000; op++) {
    const k = key();
    const r = rnd();
    if (r < 0.4) {
      m.set(k, op);
      model.set(k, op);
    } else if (r < 0.6) {
      assert.equal(m.delete(k), model.delete(k), k);
    } else {
      assert.equal(m.get(k), model.get(k), k);
      assert.equal(m.has(k), model.has(k), k);
    }
    assert.equal(m.size, model.size);
  }
  assert.deepEqual([...m.values()], [...model.values()], 'insertion order kept');
});

test('AddressMap remembers its last answer only until the map changes', () => {
  const rnd = mulberry32(1313);
  const m = new AddressMap<number | undefined>();
  const model = new Map<string, number | undefined>();
  // Few keys, so that most lookups repeat the last one, between sets and deletes.
  const keys = ['192.0.2.1', '192.0.2.2', '2001:db8::1', '10.0.0.0/8', '192.0.2.01'];
  for (let op = 0; op < 20_000; op++) {
    const k = keys[Math.floor(rnd() * keys.length)]!;
    const r = rnd();
    if (r < 0.15) {
      // undefined values too: has() must still say the key is there.
      const v = r < 0.03 ? undefined : op;
      m.set(k, v);
      model.set(k, v);
    } else if (r < 0.25) {
      assert.equal(m.delete(k), model.delete(k), k);
    } else {
      assert.equal(m.get(k), model.get(k), k);
      assert.equal(m.has(k), model.has(k), k);
      assert.equal(m.get(k), model.get(k), k);
    }
    assert.equal(m.size, model.size);
  }
});

test("AddressMap: a large IPv4 table through growth and deletes, asked with the caller's number", () => {
  const rnd = mulberry32(20261205);
  const m = new AddressMap<number>();
  const model = new Map<string, number>();
  // Consecutive addresses (a flood's /15) and random ones, so probe runs wrap and collide.
  const key = (): [string, number] => {
    const n = rnd() < 0.5 ? 0xc6120000 + Math.floor(rnd() * 140_000) : Math.floor(rnd() * 2 ** 32);
    return [`${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`, n];
  };
  const keys: [string, number][] = [];
  for (let op = 0; op < 300_000; op++) {
    const r = rnd();
    if (r < 0.5 || keys.length === 0) {
      const k = key();
      keys.push(k);
      m.set(k[0], op);
      model.set(k[0], op);
    } else {
      const [ip, n] = r < 0.75 ? keys[Math.floor(rnd() * keys.length)]! : key();
      if (r < 0.62) assert.equal(m.delete(ip), model.delete(ip), ip);
      else {
        assert.equal(m.has(ip, n), model.has(ip), ip);
        assert.equal(m.get(ip), model.get(ip), ip);
      }
    }
  }
  assert.equal(m.size, model.size);
  for (const [ip, n] of keys) assert.equal(m.has(ip, n), model.has(ip), ip);
  // Texts that are no canonical IPv4, asked as such (-1), and numbers parsed when unknown.
  m.set('2001:db8::1', 1);
  assert.equal(m.has('2001:db8::1', -1), true);
  assert.equal(m.has('2001:db8::2', -1), false);
  assert.equal(m.has('2001:db8::1', V4_UNKNOWN), true);
  for (const [ip] of keys) assert.equal(m.get(ip), model.get(ip), ip);
});

test('AddressMap: a small IPv4 table whose probe runs wrap past its end, through many deletes', () => {
  // 5–12 keys in 16–32 cells: runs cross the last cell often, the case a backward shift
  // gets wrong first.
  for (let seed = 1; seed <= 40; seed++) {
    const rnd = mulberry32(seed);
    const universe = Array.from({ length: 5 + (seed % 8) }, () => Math.floor(rnd() * 2 ** 32));
    const m = new AddressMap<number>();
    const model = new Map<string, number>();
    for (let op = 0; op < 4000; op++) {
      const n = universe[Math.floor(rnd() * universe.length)]!;
      const ip = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
      if (rnd() < 0.5) {
        m.set(ip, op);
        model.set(ip, op);
      } else assert.equal(m.delete(ip), model.delete(ip), ip);
      for (const k of universe) {
        const t = `${k >>> 24}.${(k >>> 16) & 255}.${(k >>> 8) & 255}.${k & 255}`;
        assert.equal(m.has(t, k), model.has(t), `seed ${seed} op ${op} ${t}`);
      }
    }
  }
});

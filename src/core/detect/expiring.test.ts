import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExpiringMap } from './expiring.js';

describe('ExpiringMap', () => {
  test('grows its ring, keeps arrival order, reports live expiries only', () => {
    const m = new ExpiringMap<string, { at: number }>(10_000, 5);
    for (let i = 0; i < 5000; i++) m.set('k' + i, { at: i / 1000 });
    m.delete('k0');
    m.set('k1', { at: 4.999 }); // replaced: its first slot is stale
    const seen: string[] = [];
    m.expire(5.5, (k: string) => seen.push(k));
    assert.equal(seen.length, 499, 'k0 deleted, k1 replaced: 2 of the 501 due are not live');
    assert.equal(seen[0], 'k2');
    assert.equal(m.oldestAt(), 0.501);
    assert.equal(m.size, 4500);
  });

  test('a full ring evicts through the callback', () => {
    const m = new ExpiringMap<string, { at: number }>(2, 100);
    const out: string[] = [];
    m.set('a', { at: 1 });
    m.set('b', { at: 2 });
    m.set('c', { at: 3 }, (k: string) => out.push(k));
    assert.deepEqual(out, ['a']);
    assert.equal(m.get('a'), undefined);
  });

  test('rejects a zero bound', () => {
    assert.throws(() => new ExpiringMap(0, 1), RangeError);
  });
});

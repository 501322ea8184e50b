import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StringPool } from './intern.js';

test('a pool hands back the text it was given, null for null, and stays within its bound', () => {
  const pool = new StringPool(100);
  assert.equal(pool.get(null), null);
  const seen = new Map<string, string>();
  for (let i = 0; i < 5000; i++) {
    // Users of a dictionary, some longer than V8's copy-on-slice length (13).
    const u = i % 3 === 0 ? `user-with-a-long-name-${i % 150}` : String(i % 250);
    const packet = `From: <sip:${u}@pbx>`;
    const slice = packet.slice(11, 11 + u.length);
    const got = pool.get(slice);
    assert.equal(got, u);
    if (!seen.has(u)) seen.set(u, got!);
    assert.ok(pool.size <= 100, `${pool.size} entries`);
  }
  // Asked twice in a row (the To user, then the same username): the same answer.
  assert.equal(pool.get('134'), pool.get('134'));
});

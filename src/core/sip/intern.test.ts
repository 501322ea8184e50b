import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StringPool } from './intern.js';

test('a pool hands back the text it was given (null for null), whatever shares its slot', () => {
  const pool = new StringPool(4);
  assert.equal(pool.get(null), null);
  for (let i = 0; i < 5000; i++) {
    // Users of a dictionary, some longer than V8's copy-on-slice length (13) or than the
    // 16 characters hashed; 16 slots for 400 texts: slots are taken over all the time.
    const u =
      i % 3 === 0
        ? `user-with-a-long-name-${i % 150}`
        : i % 3 === 1
          ? String(i % 250)
          : `${'x'.repeat(i % 20)}`;
    const packet = `From: <sip:${u}@pbx>`;
    assert.equal(pool.get(packet.slice(11, 11 + u.length)), u);
    assert.equal(pool.get(u), u);
  }
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aBlock, aDecision, anAttack } from '../core/records.testkit.js';
import type { Verdict } from '../core/types.js';
import { attackRecordOf, batchOf } from './store-writer-batches.js';

/** A verdict with every field set (detail too), as the engine hands it to the enforcer. */
function aVerdict(over: Partial<Verdict> = {}): Verdict {
  const {
    country: _c,
    host: _h,
    ...v
  } = anAttack('198.51.100.7', 1_700_000_000, {
    detail: 'extension 213 attacked from 10 addresses within an hour',
  });
  return { ...v, ...over };
}

test('an attack record is the verdict with its own users list, the country, and the host only in cluster mode', () => {
  const v = aVerdict();
  const single = attackRecordOf(v, 'NL', undefined);
  assert.deepEqual(single, { ...v, users: v.users.slice(), country: 'NL' });
  assert.equal('host' in single, false);
  assert.notEqual(single.users, v.users);
  v.users.push('999'); // the engine reuses its lists: the record keeps what it saw
  assert.deepEqual(single.users, v.users.slice(0, -1));

  const fleet = attackRecordOf(v, null, 'pbx2');
  assert.deepEqual(fleet, { ...v, users: v.users.slice(), country: null, host: 'pbx2' });

  const plain = attackRecordOf(aVerdict({ detail: undefined }), null, undefined);
  assert.equal('detail' in plain, false, 'no detail field when the rule gave none');
});

test("a batch's block record is a copy of the policy's record: every field, its own users, the host when set", () => {
  const rec = aBlock('198.51.100.7', { users: ['100', '101'], note: 'n' });
  const d = aDecision('198.51.100.7', rec.blockedAt);
  const { store } = batchOf([d], [], () => rec);
  assert.deepEqual(store.blocks, [{ ...rec, users: ['100', '101'] }]);
  assert.equal('host' in store.blocks![0]!, false);
  rec.users.push('102');
  assert.deepEqual(store.blocks![0]!.users, ['100', '101']);

  const fleet = batchOf([{ ...d, host: 'pbx2' }], [], () => aBlock('198.51.100.7'));
  assert.equal(fleet.store.blocks![0]!.host, 'pbx2');
  const own = batchOf([{ ...d, host: 'pbx2' }], [], () => aBlock('198.51.100.7', { host: 'pbx1' }));
  assert.equal(own.store.blocks![0]!.host, 'pbx1', "the record's own host first");
});

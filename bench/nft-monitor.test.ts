import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addedElements } from './nft-monitor.js';

test('an exclusive first insert ("create element") counts as an add, as "add element" does', () => {
  // Lines as nft 1.0.6's monitor printed them for a fresh sipprotd's first block and its renewal.
  const create = 'create element inet sipprot dyn4 { 10.77.1.100 timeout 10m1s996ms expires 10m1s996ms }';
  const renew = 'add element inet sipprot dyn4 { 10.77.1.100 timeout 10m2s expires 10m2s }';
  assert.deepEqual(addedElements(create), {
    family: 'inet',
    table: 'sipprot',
    set: 'dyn4',
    addresses: ['10.77.1.100'],
  });
  assert.deepEqual(addedElements(renew)?.addresses, ['10.77.1.100']);
});

test('deletions and other events are not adds', () => {
  assert.equal(
    addedElements('delete element inet sipprot dyn4 { 10.77.1.100 timeout 10m2s expires 10m492ms }'),
    null,
  );
  assert.equal(addedElements('add table inet sipprot'), null);
  assert.equal(addedElements('# new generation 6 by process 1234 (sipprotd)'), null);
});

test('every address of a batched line, and a prefix by its network address', () => {
  const line =
    'add element inet sipprot dyn4 { 10.203.0.1 timeout 10m, 10.203.0.2 timeout 10m, 10.203.1.0/24 }';
  assert.deepEqual(addedElements(line)?.addresses, ['10.203.0.1', '10.203.0.2', '10.203.1.0']);
  // Timeouts and expiry texts are not addresses.
  assert.deepEqual(
    addedElements('add element inet sipprot dyn4 { 10.0.0.9 timeout 1h2m3s expires 59m }')?.addresses,
    ['10.0.0.9'],
  );
});

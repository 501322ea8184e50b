/**
 * core/block-view.ts's address order: IPv4 by number, then IPv6 by number, whatever the
 * text's order; two spellings of one address have one key; no address sorts last. (The
 * paging over both stores is store-block-page.contract.ts's.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressOrderKey, compareBlocks } from './block-view.js';
import { aBlock } from './records.testkit.js';

test('by address: IPv4 by number, then IPv6 by number, both directions; the text only breaks ties', () => {
  const order = [
    '0.0.0.0',
    '9.1.1.1',
    '10.0.0.1',
    '10.0.3.99',
    '10.0.3.230',
    '255.255.255.255',
    '::',
    '::2',
    '::10',
    '::1:0',
    '2001:db8::a',
    '2001:db8::10',
    'fe80::1',
    'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
  ];
  const shuffled = [...order].sort();
  assert.notDeepEqual(shuffled, order, 'the text order differs');
  const sorted = (dir: 'asc' | 'desc') =>
    shuffled
      .map((ip) => aBlock(ip))
      .sort((a, b) => compareBlocks(a, b, { key: 'ip', dir }))
      .map((b) => b.ip);
  assert.deepEqual(sorted('asc'), order);
  assert.deepEqual(sorted('desc'), [...order].reverse());
});

test('one address, one key: an IPv4-mapped or upper-case spelling sorts with its address; no address last', () => {
  assert.equal(addressOrderKey('::ffff:192.0.2.1'), addressOrderKey('192.0.2.1'));
  assert.equal(addressOrderKey('192.0.2.1'), 0xc0000201);
  assert.equal(addressOrderKey('2001:DB8::1'), addressOrderKey('2001:db8::1'));
  assert.equal(addressOrderKey('2001:db8::1'), '20010db8000000000000000000000001');
  const junk = aBlock('not an address');
  const last = aBlock('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  assert.ok(compareBlocks(last, junk, { key: 'ip', dir: 'asc' }) < 0);
  const a = aBlock('::ffff:192.0.2.1');
  const b = aBlock('192.0.2.1');
  assert.ok(
    compareBlocks(b, a, { key: 'ip', dir: 'desc' }) < 0,
    'a tie by key goes by text ("1" before ":"), ascending',
  );
});

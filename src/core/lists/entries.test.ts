/**
 * Issue 10 item 9: entries nft would take but that block or exempt nothing real are refused
 * with a reason wherever entries come in (file line named and skipped, CSV line, add), and
 * near-total ranges are recognised so they need --force.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNetwork } from '../net/ip.js';
import { entryRefusal, hugeEntry, hugeEntryOf } from './entries.js';
import { parseCsv } from './list-csv.js';
import { parseListFile } from './lists.js';

const net = (t: string) => parseNetwork(t)!;

describe('list entries: what nft and sense accept', () => {
  const refused: Array<[string, RegExp]> = [
    ['0.0.0.0', /the unspecified address/],
    ['::', /the unspecified address/],
    ['127.0.0.1', /inside 127\.0\.0\.0\/8 \(loopback\)/],
    ['127.0.0.0/8', /'127\.0\.0\.0\/8' is loopback/],
    ['::1', /loopback/],
    ['224.0.0.1', /multicast/],
    ['239.0.0.0/8', /multicast/],
    ['ff02::1', /multicast/],
    ['255.255.255.255', /limited broadcast/],
    ['::ffff:127.0.0.1', /loopback/],
  ];
  for (const [text, why] of refused) {
    it(`refuses ${text}`, () => {
      const r = entryRefusal(net(text));
      assert.match(r ?? '', why);
      assert.match(r ?? '', /no packet comes from it/);
    });
  }

  it('accepts ordinary, private and documentation networks, and ranges that only overlap the refused', () => {
    for (const t of [
      '192.0.2.1',
      '10.0.0.0/8',
      '100.64.0.0/10',
      'fe80::/10',
      '2001:db8::/32',
      '0.0.0.0/8',
      '64.0.0.0/2',
    ]) {
      assert.equal(entryRefusal(net(t)), null, t);
    }
  });

  it('near-total ranges need force; /8 and /16 do not', () => {
    assert.match(
      hugeEntry(net('128.0.0.0/1')) ?? '',
      /covers 1\/2 of all IPv4 addresses: repeat with --force/,
    );
    assert.match(hugeEntry(net('2000::/3')) ?? '', /covers 1\/8 of all IPv6 addresses/);
    assert.match(hugeEntry(net('0.0.0.0/0')) ?? '', /covers every IPv4 address/);
    assert.equal(hugeEntry(net('10.0.0.0/8')), null);
    assert.equal(hugeEntry(net('2001::/16')), null);
  });

  it('hugeEntryOf reads the text as hugeEntry reads the network, at every prefix length', () => {
    for (let p = 0; p <= 32; p++)
      assert.equal(hugeEntryOf(`0.0.0.0/${p}`), hugeEntry(net(`0.0.0.0/${p}`)), `/${p}`);
    for (let p = 0; p <= 128; p++) assert.equal(hugeEntryOf(`::/${p}`), hugeEntry(net(`::/${p}`)), `::/${p}`);
    assert.equal(hugeEntryOf('198.51.100.7'), null);
    assert.equal(hugeEntryOf('2001:db8::1'), null);
  });

  it('a list file: each refused line is named by number and skipped, the others load', () => {
    const r = parseListFile('198.51.100.7 ok\n0.0.0.0 oops\n::\n# c\n224.0.0.5 mc\n203.0.113.9\n');
    assert.deepEqual(
      r.entries.map((e) => e.network),
      ['198.51.100.7', '203.0.113.9'],
    );
    assert.deepEqual(
      r.errors.map((e) => [e.line, e.text]),
      [
        [2, '0.0.0.0 oops'],
        [3, '::'],
        [5, '224.0.0.5 mc'],
      ],
    );
  });

  it('CSV: a refused line is an error with its line number', () => {
    const r = parseCsv('network,note\n192.0.2.1,a\n127.0.0.1,b\n');
    assert.deepEqual(
      r.entries.map((e) => e.network),
      ['192.0.2.1'],
    );
    assert.equal(r.errors[0]!.line, 3);
    assert.match(r.errors[0]!.message, /loopback/);
  });
});

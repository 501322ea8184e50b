/**
 * A start reads the list files for the kernel as numbers (core/lists/list-columns.ts,
 * validate.ts columnRanges), not through parseListFile's entries: the kernel must get
 * exactly the ranges the entries gave (networkRanges of parseListFile's networks), for
 * any file: hosts that touch or repeat, networks over hosts, IPv6, mapped IPv4, refused
 * and broken lines, notes, comments, CRs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseListColumns } from '../core/lists/list-columns.js';
import { parseListFile } from '../core/lists/lists.js';
import { columnRanges, networkRanges } from './validate.js';

let seed = 1303;
const rnd = (n: number) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return (seed >>> 8) % n;
};
const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)]!;

/** Addresses crowded into a few small blocks, so that hosts touch, repeat and fall in networks. */
function v4(): string {
  return `${pick(['10.0.0', '192.0.2', '203.0.113'])}.${rnd(24)}`;
}
function line(): string {
  const address = (() => {
    switch (rnd(12)) {
      case 0:
        return `${v4()}/${pick([24, 28, 30, 31, 32])}`;
      case 1:
        return `2001:db8::${rnd(16).toString(16)}${pick(['', '/126', '/128', '/64'])}`;
      case 2:
        return `::ffff:${v4()}`;
      case 3:
        return pick([
          '127.0.0.1',
          '0.0.0.0',
          '224.0.0.5',
          '::1',
          'ff02::1',
          '10.0.0.1/8',
          '300.1.2.3',
          'x',
          '',
        ]);
      case 4:
        return `0${v4()}`;
      default:
        return v4();
    }
  })();
  const note = pick(['', '', ' note', ' two words', '\tx', ' # comment', ' a#b', ' é']);
  return `${rnd(10) === 0 ? ' ' : ''}${address}${note}${pick(['', '', '\r', ' '])}`;
}

describe('a list read for the kernel (parseListColumns, columnRanges)', () => {
  it("gives the ranges parseListFile's networks give (3k random files)", () => {
    for (let f = 0; f < 3000; f++) {
      const text = Array.from({ length: rnd(40) }, line).join('\n') + (rnd(2) ? '\n' : '');
      const want = networkRanges(parseListFile(text).networks ?? []);
      assert.deepEqual(columnRanges(parseListColumns(text)), want, JSON.stringify(text));
    }
  });

  it('reads plain host lines as numbers and nothing else as a host', () => {
    const cols = parseListColumns(
      '192.0.2.1\n192.0.2.1 note\n10.0.0.0/8\n2001:db8::1\n127.0.0.1\nbad\n\n# x\n',
    );
    assert.deepEqual([...cols.v4Hosts], [0xc0000201, 0xc0000201]);
    assert.deepEqual(
      cols.networks.map((n) => n.text),
      ['10.0.0.0/8', '2001:db8::1'],
    );
  });

  it('refuses a host the kernel must never get (columns built elsewhere)', () => {
    for (const h of [0x7f000001, 0, 0xe0000001, -1, 1.5, 2 ** 32])
      assert.throws(() => columnRanges({ v4Hosts: Float64Array.of(h), networks: [] }), {
        code: 'SP_ERR_ADDRESS_INVALID',
      });
  });
});

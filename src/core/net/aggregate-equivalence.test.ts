/**
 * aggregate.ts's IPv4 numeric path against the bigint arithmetic it replaced
 * (aggregate-v1.testkit.ts): the same prefixes, texts and bytes for the edges where number
 * tricks go wrong — 0.0.0.0 and 255.255.255.255, /0 and /32, the 2^31 boundary (where
 * `s & -s` turns negative), adjacent and overlapping networks, merges that cascade up to
 * /0, holes at both ends, IPv6 (still bigint) and v4-mapped IPv6 — plus 2,000 seeded
 * random sets drawn near those edges.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregate, rangeOf, subtractor } from './aggregate.js';
import * as v1 from './aggregate-v1.testkit.js';
import { type Network, parseNetwork } from './ip.js';

const nets = (texts: string[]): Network[] =>
  texts.map((t) => {
    const n = parseNetwork(t);
    assert.ok(n, t);
    return n;
  });
const shape = (ns: Network[]) => ns.map((n) => [n.family, [...n.bytes], n.prefix, n.text]);

function same(include: Network[], exclude: Network[], at: string): Network[] {
  const got = aggregate(include, exclude);
  assert.deepEqual(shape(got), shape(v1.aggregate(include, exclude)), at);
  const minus = subtractor(exclude);
  const old = v1.subtractor(exclude);
  for (const n of include) {
    assert.deepEqual(shape(minus(n)), shape(old(n)), `${at}: ${n.text} minus`);
    const r = rangeOf(n);
    const o = v1.rangeOf(n);
    assert.equal(BigInt(r.start), o.start, `${at}: ${n.text} start`);
    assert.equal(BigInt(r.end), o.end, `${at}: ${n.text} end`);
  }
  return got;
}

const EDGES: Array<[string, string[], string[], string[]]> = [
  ['the whole space', ['0.0.0.0/0'], [], ['0.0.0.0/0']],
  ['/0 minus 0.0.0.0', ['0.0.0.0/0'], ['0.0.0.0'], ['0.0.0.1', '0.0.0.2/31']],
  ['/0 minus 255.255.255.255', ['0.0.0.0/0'], ['255.255.255.255'], ['0.0.0.0/1']],
  ['the first and last address', ['0.0.0.0', '255.255.255.255'], [], ['0.0.0.0', '255.255.255.255']],
  ['across 2^31', ['127.255.255.255', '128.0.0.0'], [], ['127.255.255.255', '128.0.0.0']],
  ['the upper half', ['128.0.0.0/2', '192.0.0.0/2'], [], ['128.0.0.0/1']],
  ['top /32s merge', ['255.255.255.254', '255.255.255.255'], [], ['255.255.255.254/31']],
  ['a cascade up to /0', ['0.0.0.0/1', '128.0.0.0/2', '192.0.0.0/3', '224.0.0.0/3'], [], ['0.0.0.0/0']],
  [
    'a cascade of hosts',
    ['10.0.0.3', '10.0.0.0', '10.0.0.2', '10.0.0.1', '10.0.0.4/30'],
    [],
    ['10.0.0.0/29'],
  ],
  [
    'overlap and containment',
    ['10.0.0.0/8', '10.1.0.0/16', '10.255.255.255', '11.0.0.0/8'],
    [],
    ['10.0.0.0/7'],
  ],
  ['allow everything', ['192.0.2.0/24', '0.0.0.0'], ['0.0.0.0/0'], []],
  [
    'v4-mapped IPv6 is its IPv4 network',
    ['::ffff:10.0.0.0/126', '10.0.0.4/30', '::ffff:10.0.0.9'],
    ['::ffff:10.0.0.2'],
    ['10.0.0.0/31', '10.0.0.3', '10.0.0.4/30', '10.0.0.9'],
  ],
  ['IPv6 ends', ['::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::/0'], ['::1'], ['::', '::2/127']],
];

describe('aggregate (numeric IPv4) against the bigint arithmetic', () => {
  for (const [name, include, exclude, head] of EDGES) {
    it(name, () => {
      const got = same(nets(include), nets(exclude), name);
      assert.deepEqual(
        got.slice(0, head.length).map((n) => n.text),
        head,
      );
    });
  }

  it('gives the same prefixes on 2,000 seeded sets near the edges', () => {
    let s = 99;
    const r = () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s;
    };
    const BASES = [0, 0x7fffff00, 0x80000000, 0xffffff00, 0x0a000000];
    const one = (): string => {
      const k = r() % 10;
      if (k === 9) return r() & 1 ? `2001:db8::${(r() % 64).toString(16)}` : `2001:db8::/${120 + (r() % 9)}`;
      if (k === 8) return `::ffff:10.0.0.${r() % 256}`;
      const prefix = k === 7 ? r() % 33 : 24 + (r() % 9);
      const v = (BASES[r() % BASES.length]! + (r() % 512)) >>> 0;
      const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
      const a = (v & mask) >>> 0;
      return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}/${prefix}`;
    };
    let outputs = 0;
    for (let round = 0; round < 2000; round++) {
      const include = nets(Array.from({ length: r() % 40 }, one));
      const exclude = nets(Array.from({ length: r() % 4 }, one));
      outputs += same(include, exclude, `round ${round}`).length;
    }
    assert.ok(outputs > 10_000, `${outputs} prefixes compared`);
  });
});

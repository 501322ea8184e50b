import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aggregate, subtractor } from './aggregate.js';
import { type Network, parseAddress, parseNetwork } from './ip.js';

const nets = (texts: string[]): Network[] =>
  texts.map((t) => {
    const n = parseNetwork(t);
    assert.ok(n, t);
    return n;
  });
const texts = (ns: Network[]) => ns.map((n) => n.text);

describe('aggregate', () => {
  const cases: Array<[string, string[], string[], string[]]> = [
    ['nothing', [], [], []],
    ['one address stays itself', ['192.0.2.1'], [], ['192.0.2.1']],
    ['two adjacent /25 become a /24', ['10.0.0.0/25', '10.0.0.128/25'], [], ['10.0.0.0/24']],
    ['a contained address vanishes', ['10.0.0.0/24', '10.0.0.7'], [], ['10.0.0.0/24']],
    ['duplicates count once', ['192.0.2.1', '192.0.2.1'], [], ['192.0.2.1']],
    ['order does not matter', ['10.0.0.128/25', '10.0.0.0/25'], [], ['10.0.0.0/24']],
    ['adjacent but unaligned stays two', ['10.0.0.1', '10.0.0.2'], [], ['10.0.0.1', '10.0.0.2']],
    ['four addresses of a /30', ['10.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.0.3'], [], ['10.0.0.0/30']],
    ['three of a /30', ['10.0.0.0', '10.0.0.1', '10.0.0.2'], [], ['10.0.0.0/31', '10.0.0.2']],
    ['across an octet', ['10.0.0.255', '10.0.1.0'], [], ['10.0.0.255', '10.0.1.0']],
    [
      'the allow list cuts an address out of a deny network',
      ['192.168.50.0/24'],
      ['192.168.50.15'],
      [
        '192.168.50.0/29',
        '192.168.50.8/30',
        '192.168.50.12/31',
        '192.168.50.14',
        '192.168.50.16/28',
        '192.168.50.32/27',
        '192.168.50.64/26',
        '192.168.50.128/25',
      ],
    ],
    ['an allowed network swallows a block', ['10.1.2.3'], ['10.0.0.0/8'], []],
    [
      'merging stops at an allowed address',
      ['10.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.0.3'],
      ['10.0.0.2'],
      ['10.0.0.0/31', '10.0.0.3'],
    ],
    ['allow outside changes nothing', ['10.0.0.0/24'], ['10.0.1.1', '2001:db8::1'], ['10.0.0.0/24']],
    ['IPv6 /64 halves', ['2001:db8::/65', '2001:db8:0:0:8000::/65'], [], ['2001:db8::/64']],
    [
      'IPv4 before IPv6, address order',
      ['2001:db8::1', '198.51.100.1', '192.0.2.1'],
      [],
      ['192.0.2.1', '198.51.100.1', '2001:db8::1'],
    ],
    ['families never mix', ['0.0.0.0/1', '::/1'], ['::/1'], ['0.0.0.0/1']],
    ['an IPv4 hole leaves IPv6 alone', ['0.0.0.0/1', '::/1'], ['0.0.0.0/1'], ['::/1']],
    ['the whole IPv4 space', ['0.0.0.0/1', '128.0.0.0/1'], [], ['0.0.0.0/0']],
    ['overlapping networks', ['10.0.0.0/23', '10.0.1.0/24', '10.0.2.0/23'], [], ['10.0.0.0/22']],
  ];
  for (const [name, include, exclude, want] of cases) {
    it(name, () => assert.deepEqual(texts(aggregate(nets(include), nets(exclude))), want));
  }

  it('never covers an allowed address, never loses a blocked one (random sets)', () => {
    // Deterministic pseudo-random addresses within 10.0.0.0/22 (1024 addresses: exhaustive check).
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const addr = (i: number) => `10.0.${i >> 8}.${i & 255}`;
    for (let round = 0; round < 20; round++) {
      const blocked = new Set<number>();
      const include: string[] = [];
      for (let k = 0; k < 40; k++) {
        const prefix = 28 + rnd(5);
        const size = 2 ** (32 - prefix);
        const start = rnd(1024 / size) * size;
        include.push(prefix === 32 ? addr(start) : `${addr(start)}/${prefix}`);
        for (let i = start; i < start + size; i++) blocked.add(i);
      }
      const allowed = new Set<number>();
      const exclude: string[] = [];
      for (let k = 0; k < 10; k++) {
        const a = rnd(1024);
        allowed.add(a);
        exclude.push(addr(a));
      }
      const out = aggregate(nets(include), nets(exclude));
      for (let i = 0; i < 1024; i++) {
        const a = parseAddress(addr(i))!;
        const covered = out.filter((n) => {
          const start = (n.bytes[2]! << 8) | n.bytes[3]!;
          const size = 2 ** (32 - n.prefix);
          const me = (a.bytes[2]! << 8) | a.bytes[3]!;
          return me >= start && me < start + size;
        }).length;
        const want = blocked.has(i) && !allowed.has(i) ? 1 : 0;
        assert.equal(covered, want, `round ${round}, ${addr(i)}`);
      }
      // Fewest prefixes: no two outputs could merge into one aligned block.
      for (let j = 1; j < out.length; j++) {
        const [p, q] = [out[j - 1]!, out[j]!];
        if (p.prefix !== q.prefix || p.prefix === 0) continue;
        const size = 2 ** (32 - p.prefix);
        const ps = (p.bytes[2]! << 8) | p.bytes[3]!;
        const qs = (q.bytes[2]! << 8) | q.bytes[3]!;
        assert.ok(!(qs === ps + size && ps % (2 * size) === 0), `${p.text} + ${q.text} should be one`);
      }
    }
  });

  it('100k consecutive addresses become a handful of prefixes', () => {
    const many: Network[] = [];
    for (let i = 0; i < 100_000; i++)
      many.push(parseNetwork(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`)!);
    const out = aggregate(many, nets(['10.0.0.1']));
    // 0..99999 minus 10.0.0.1: a handful of prefixes.
    assert.ok(out.length < 40, String(out.length));
    assert.equal(out[0]!.text, '10.0.0.0');
  });
});

describe('subtractor', () => {
  const cases: Array<[string, string, string[], string[]]> = [
    ['untouched network comes back whole', '10.0.0.0/24', ['10.0.1.1'], ['10.0.0.0/24']],
    ['an allowed address inside splits it', '10.0.0.0/30', ['10.0.0.1'], ['10.0.0.0', '10.0.0.2/31']],
    ['an allowed container removes it', '10.0.0.5', ['10.0.0.0/24'], []],
    ['the exact network allowed', '2001:db8::/64', ['2001:db8::/64'], []],
    [
      'two holes',
      '10.0.0.0/29',
      ['10.0.0.1', '10.0.0.6'],
      ['10.0.0.0', '10.0.0.2/31', '10.0.0.4/31', '10.0.0.7'],
    ],
    ['other family untouched', '10.0.0.0/8', ['::/0'], ['10.0.0.0/8']],
  ];
  for (const [name, net, exclude, want] of cases) {
    it(name, () => assert.deepEqual(texts(subtractor(nets(exclude))(nets([net])[0]!)), want));
  }
});

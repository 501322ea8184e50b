import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkNetwork } from '../core/net/ip.js';
import { addressToBigint } from '../core/net/ip-range.js';
import {
  type AddressRange,
  canonicalNetworks,
  mergeRanges,
  netmask,
  networkRanges,
  parseHost,
  parseRange,
  rangeToCidrs,
  toRanges,
} from './validate.js';

describe('the dotted-quad fast path (issue 13: 100k+ hosts at start)', () => {
  it('gives what the careful parse gives, at every edge of the refused ranges and for random hosts', () => {
    const quads = [
      '0.0.0.1',
      '1.2.3.4',
      '126.255.255.255',
      '128.0.0.0',
      '223.255.255.255',
      '240.0.0.0',
      '255.255.255.255',
      '10.0.0.0',
      '100.64.1.2',
    ];
    let seed = 12345;
    for (let i = 0; i < 2000; i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      quads.push(`${seed >>> 24}.${(seed >>> 16) & 255}.${(seed >>> 8) & 255}.${seed & 255}`);
    }
    for (const q of quads) {
      const net = checkNetwork(q);
      assert.ok(net.ok, q);
      const first = net.network.bytes[0]!;
      const refused = q === '0.0.0.0' || first === 127 || (first >= 224 && first <= 239);
      if (refused) {
        assert.throws(() => parseHost(q), /never blocks/, q);
        assert.throws(() => parseRange(q), /never blocks/, q);
        continue;
      }
      assert.deepEqual(parseHost(q), { family: 4, text: net.network.text, bytes: net.network.bytes }, q);
      const start = addressToBigint(net.network.bytes);
      assert.deepEqual(parseRange(q), { family: 4, start, end: start }, q);
    }
  });

  it('networks parsed already give the ranges their text gives (merged), and the same refusals', () => {
    const texts = [
      '192.0.2.1',
      '192.0.2.2',
      '192.0.2.0/30',
      '10.0.0.0/8',
      '11.0.0.0/8',
      '198.51.100.7',
      '0.0.0.0/1',
      '2001:db8::1',
      '2001:db8::/126',
      '2001:db8:1::/48',
      '::/1',
      '100.64.0.1/32',
    ];
    const nets = texts.map((t) => {
      const r = checkNetwork(t);
      assert.ok(r.ok, t);
      return r.network;
    });
    assert.deepEqual(networkRanges(nets), toRanges(texts));
    assert.deepEqual(networkRanges([...nets].reverse()), toRanges(texts));
    for (const bad of ['127.0.0.0/8', '127.0.0.1', '224.0.0.0/4', '::1', 'ff02::/16', '0.0.0.0']) {
      const r = checkNetwork(bad);
      assert.ok(r.ok, bad);
      assert.throws(() => networkRanges([r.network]), /never blocks/, bad);
      assert.throws(() => toRanges([bad]), /never blocks/, bad);
    }
  });

  it('leaves every other spelling to the careful parse (same refusals, same messages)', () => {
    for (const bad of ['0.0.0.0', '127.0.0.0', '127.255.255.255', '224.0.0.0', '239.255.255.255']) {
      assert.throws(() => parseHost(bad), /never blocks/, bad);
      assert.throws(() => parseRange(bad), /never blocks/, bad);
    }
    for (const bad of ['256.1.1.1', '1.2.3.04', '1.2.3', '1.2.3.4.5', '1..2.3', '.1.2.3', '1.2.3.']) {
      assert.throws(() => parseHost(bad), { code: 'SP_ERR_ADDRESS_INVALID' }, bad);
      assert.throws(() => parseRange(bad), { code: 'SP_ERR_ADDRESS_INVALID' }, bad);
    }
    assert.deepEqual(parseRange(' 192.0.2.1 '), parseRange('192.0.2.1'));
    assert.deepEqual(parseHost('::ffff:192.0.2.1'), parseHost('192.0.2.1'));
  });
});

describe('parseHost', () => {
  it('canonicalises addresses', () => {
    const v6 = (...groups: number[]) => Uint8Array.from(groups.flatMap((g) => [g >> 8, g & 255]));
    const cases: Array<[string, string, 4 | 6, Uint8Array]> = [
      ['192.0.2.1', '192.0.2.1', 4, Uint8Array.of(192, 0, 2, 1)],
      [' 192.0.2.1 ', '192.0.2.1', 4, Uint8Array.of(192, 0, 2, 1)],
      ['::ffff:192.0.2.1', '192.0.2.1', 4, Uint8Array.of(192, 0, 2, 1)],
      ['2001:DB8::0:1', '2001:db8::1', 6, v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', 6, v6(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1)],
      ['fe80::1', 'fe80::1', 6, v6(0xfe80, 0, 0, 0, 0, 0, 0, 1)],
    ];
    for (const [input, text, family, bytes] of cases)
      assert.deepEqual(parseHost(input), { text, family, bytes }, input);
  });

  it('refuses what must never reach nft, naming the input', () => {
    for (const bad of [
      '127.0.0.1',
      '127.255.0.9',
      '::1',
      '0.0.0.0',
      '::',
      '224.0.0.1',
      '239.255.255.255',
      'ff02::1',
      '::ffff:127.0.0.1',
      '192.0.2.0/24',
      '192.0.2.1/32x',
      'localhost',
      '1.2.3.4 ; flush ruleset',
      '1.2.3.4\nflush ruleset',
      '1.2.3',
      '',
    ]) {
      assert.throws(
        () => parseHost(bad),
        (e: { code: string; message: string }) => e.code === 'SP_ERR_ADDRESS_INVALID' && e.message.length > 0,
        JSON.stringify(bad),
      );
    }
    assert.throws(() => parseHost('127.0.0.1'), /'127.0.0.1' is a loopback address/);
    assert.throws(() => parseHost('10.0.0.0/8'), /a dynamic block is one address/);
  });
});

describe('parseRange', () => {
  it('reads addresses, CIDRs and start-end ranges', () => {
    assert.deepEqual(parseRange('10.0.0.0/8'), { family: 4, start: 0x0a000000n, end: 0x0affffffn });
    assert.deepEqual(parseRange('10.0.0.1-10.0.0.9'), { family: 4, start: 0x0a000001n, end: 0x0a000009n });
    assert.deepEqual(parseRange('::/0'), { family: 6, start: 0n, end: (1n << 128n) - 1n });
    assert.deepEqual(parseRange('0.0.0.0/0'), { family: 4, start: 0n, end: 0xffffffffn });
  });

  it('refuses host bits, reversed and mixed ranges, networks inside loopback or multicast', () => {
    assert.throws(() => parseRange('10.0.0.1/8'), /host bits set/);
    assert.throws(() => parseRange('10.0.0.9-10.0.0.1'), /ends before it starts/);
    assert.throws(() => parseRange('10.0.0.1-2001:db8::1'), /mixes IPv4 and IPv6/);
    assert.throws(() => parseRange('127.0.0.0/8'), /loopback/);
    assert.throws(() => parseRange('232.0.0.0/8'), /multicast/);
    assert.throws(() => parseRange('ff00::/8'), /multicast/);
  });
});

describe('canonicalNetworks', () => {
  it('is the union as the fewest CIDRs, IPv4 first', () => {
    assert.deepEqual(
      canonicalNetworks([
        '2001:db8::/33',
        '10.0.1.0/24',
        '10.0.0.0/24',
        '10.0.0.5',
        '2001:db8:8000::/33',
        '192.0.2.7',
      ]),
      ['10.0.0.0/23', '192.0.2.7', '2001:db8::/32'],
    );
    assert.deepEqual(canonicalNetworks(['10.0.0.1-10.0.0.6']), [
      '10.0.0.1',
      '10.0.0.2/31',
      '10.0.0.4/31',
      '10.0.0.6',
    ]);
    assert.deepEqual(canonicalNetworks([]), []);
  });

  it('names the first bad entry', () => {
    assert.throws(() => canonicalNetworks(['10.0.0.0/8', 'nope', '1.1.1.1']), /'nope'/);
  });

  it('merges 131k adjacent networks (a country list) into the two /8s they make', () => {
    const input = Array.from(
      { length: 131_072 },
      (_, i) => `${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`,
    );
    const out = canonicalNetworks(input);
    assert.deepEqual(out, ['1.0.0.0/8', '2.0.0.0/8']);
  });
});

describe('rangeToCidrs / netmask', () => {
  it('covers ranges exactly', () => {
    assert.deepEqual(rangeToCidrs(parseRange('0.0.0.0/0')), ['0.0.0.0/0']);
    assert.deepEqual(rangeToCidrs(parseRange('10.0.0.3')), ['10.0.0.3']);
    assert.deepEqual(rangeToCidrs(parseRange('2001:db8::1-2001:db8::2')), ['2001:db8::1', '2001:db8::2']);
  });

  it('writes masks for both families', () => {
    assert.equal(netmask(4, 24), '255.255.255.0');
    assert.equal(netmask(4, 0), '0.0.0.0');
    assert.equal(netmask(4, 31), '255.255.255.254');
    assert.equal(netmask(6, 48), 'ffff:ffff:ffff::');
    assert.equal(netmask(6, 128), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  });
});

describe('mergeRanges', () => {
  /** The merge as it was: one sort with the bigint comparison (the oracle). */
  function before(ranges: AddressRange[]): AddressRange[] {
    const sorted = [...ranges].sort((a, b) =>
      a.family !== b.family ? a.family - b.family : a.start < b.start ? -1 : a.start > b.start ? 1 : 0,
    );
    const out: AddressRange[] = [];
    for (const r of sorted) {
      const last = out[out.length - 1];
      if (last && last.family === r.family && r.start <= last.end + 1n) {
        if (r.end > last.end) last.end = r.end;
      } else out.push({ ...r });
    }
    return out;
  }

  it('merges overlapping, adjacent, repeated and nested ranges of both families as the bigint sort did', () => {
    let seed = 5;
    const rnd = (n: number) => {
      seed = (seed * 16807) % 2147483647;
      return seed % n;
    };
    const ranges: AddressRange[] = [];
    for (let i = 0; i < 20_000; i++) {
      const family = rnd(5) === 0 ? 6 : 4;
      const base = family === 4 ? BigInt(rnd(2 ** 31 - 10_000) * 2) : 0x20010db8n << 96n;
      const start = base + BigInt(rnd(3000));
      const end = start + BigInt(rnd(4) === 0 ? rnd(50) : 0);
      ranges.push({ family, start, end });
    }
    ranges.push({ family: 4, start: 0xffffffffn, end: 0xffffffffn }, { family: 4, start: 0n, end: 5n });
    const input = ranges.map((r) => ({ ...r }));
    const got = mergeRanges(ranges);
    assert.deepEqual(got, before(input));
    assert.deepEqual(ranges, input, 'the input ranges are left as they were');
    assert.ok(got.length > 1000 && got.length < ranges.length);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSipprotError } from '../errors.js';
import { parseV4, parseV6 } from './addr.js';
import type { GeoRange } from './csv.js';
import { rangeElement, rangeToCidrs } from './elements.js';
import { flatten } from './flatten.js';
import { NO_COUNTRY } from './segments.js';
import { GeoTable } from './table.js';

const v4 = (a: string, b: string, country: string): GeoRange => ({
  start: BigInt(parseV4(a) as number),
  end: BigInt(parseV4(b) as number),
  country,
});
const v6 = (a: string, b: string, country: string): GeoRange => ({
  start: parseV6(a) as bigint,
  end: parseV6(b) as bigint,
  country,
});

const table = GeoTable.fromRanges(
  flatten([
    v4('1.0.0.0', '1.0.0.255', 'AU'),
    v4('1.0.1.0', '1.0.3.255', 'CN'),
    v4('2.58.196.0', '2.58.197.255', 'DE'),
    v4('2.58.197.15', '2.58.197.15', 'BE'),
    v4('8.8.8.0', '8.8.8.255', 'US'),
    v4('8.8.9.0', '8.8.9.255', 'CA'),
    v4('255.255.255.0', '255.255.255.255', 'US'),
  ]),
  flatten([
    v6('::', '::ff', 'JP'),
    v6('2001:200::', '2001:200:ffff:ffff:ffff:ffff:ffff:ffff', 'JP'),
    v6('2001:4860::', '2001:4860:ffff:ffff:ffff:ffff:ffff:ffff', 'US'),
    v6('2001:4860:4860::8888', '2001:4860:4860::8888', 'DE'),
    v6('ffff::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'FR'),
  ]),
);

describe('GeoTable lookups', () => {
  it('answers IPv4 at the edges of every range and in the gaps', () => {
    const cases: Array<[string, string | null]> = [
      ['0.0.0.0', null],
      ['0.255.255.255', null],
      ['1.0.0.0', 'AU'],
      ['1.0.0.255', 'AU'],
      ['1.0.1.0', 'CN'],
      ['1.0.3.255', 'CN'],
      ['1.0.4.0', null],
      ['2.58.196.0', 'DE'],
      ['2.58.197.14', 'DE'],
      ['2.58.197.15', 'BE'],
      ['2.58.197.16', 'DE'],
      ['2.58.197.255', 'DE'],
      ['2.58.198.0', null],
      ['8.8.7.255', null],
      ['8.8.8.8', 'US'],
      ['8.8.9.0', 'CA'],
      ['8.8.10.0', null],
      ['255.255.254.255', null],
      ['255.255.255.255', 'US'],
    ];
    for (const [ip, cc] of cases) assert.equal(table.country(ip), cc, ip);
  });

  it('answers IPv6, IPv4-mapped addresses and raw bytes', () => {
    const cases: Array<[string, string | null]> = [
      ['::', 'JP'],
      ['::ff', 'JP'],
      ['::100', null],
      ['2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff', null],
      ['2001:200::', 'JP'],
      ['2001:200:ffff:ffff:ffff:ffff:ffff:ffff', 'JP'],
      ['2001:201::', null],
      ['2001:4860:4860::8887', 'US'],
      ['2001:4860:4860::8888', 'DE'],
      ['2001:4860:4860::8889', 'US'],
      ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'FR'],
      ['::ffff:8.8.8.8', 'US'],
      ['::ffff:2.58.197.15', 'BE'],
    ];
    for (const [ip, cc] of cases) assert.equal(table.country(ip), cc, ip);
    assert.equal(table.country(Uint8Array.of(2, 58, 197, 15)), 'BE');
    const b6 = new Uint8Array(16);
    b6.set([0x20, 0x01, 0x48, 0x60, 0x48, 0x60], 0);
    b6.set([0x88, 0x88], 14);
    assert.equal(table.country(b6), 'DE');
  });

  it('returns null for anything that is not an address', () => {
    for (const bad of ['', 'example.com', '1.2.3', '8.8.8.8/24', '2001::1::2', 'fe80::1%eth0', ' 8.8.8.8']) {
      assert.equal(table.country(bad), null, bad);
    }
    assert.equal(table.country(new Uint8Array(5)), null);
  });

  it('counts ranges and memory', () => {
    assert.equal(table.v4Ranges, 8);
    assert.equal(table.v6Ranges, 6);
    // Segments (4+2 bytes IPv4, 16+2 IPv6) plus the two 65537-entry first-level indexes.
    assert.equal(table.byteLength, table.v4Starts.length * 6 + table.v6Country.length * 18 + 2 * 65537 * 4);
  });
});

describe('GeoTable.rangesFor / cidrsFor', () => {
  it('writes each range as one element: an address, a prefix, or a-b', () => {
    assert.deepEqual(table.rangesFor(['be']), { v4: ['2.58.197.15'], v6: [] });
    assert.deepEqual(table.rangesFor(['DE']), {
      v4: ['2.58.196.0-2.58.197.14', '2.58.197.16-2.58.197.255'],
      v6: ['2001:4860:4860::8888'],
    });
    assert.deepEqual(table.rangesFor(['AU', 'CN', 'FR']), { v4: ['1.0.0.0/22'], v6: ['ffff::/16'] });
    // Neighbouring countries merge into one element.
    assert.deepEqual(table.rangesFor(['US', 'CA']).v4, ['8.8.8.0/23', '255.255.255.0/24']);
    assert.deepEqual(table.rangesFor([]), { v4: [], v6: [] });
  });

  it('gives minimal CIDR lists', () => {
    assert.deepEqual(table.cidrsFor(['DE']).v4, [
      '2.58.196.0/24',
      '2.58.197.0/29',
      '2.58.197.8/30',
      '2.58.197.12/31',
      '2.58.197.14/32',
      '2.58.197.16/28',
      '2.58.197.32/27',
      '2.58.197.64/26',
      '2.58.197.128/25',
    ]);
    assert.deepEqual(table.cidrsFor(['JP']).v6, ['::/120', '2001:200::/32']);
    assert.deepEqual(rangeToCidrs(0n, 0xffffffffn, 4), ['0.0.0.0/0']);
    assert.deepEqual(rangeToCidrs(0n, (1n << 128n) - 1n, 6), ['::/0']);
    assert.equal(rangeElement(0n, 0xffffffffn, 4), '0.0.0.0/0');
    assert.equal(rangeElement(1n, 2n, 4), '0.0.0.1-0.0.0.2');
  });

  it('refuses unknown country codes by name', () => {
    assert.throws(
      () => table.rangesFor(['US', 'XX', 'usa']),
      (e: unknown) => isSipprotError(e) && e.code === 'SP_ERR_GEOIP' && /"XX", "usa"/.test(e.message),
    );
  });

  it('covers exactly the addresses of the chosen countries (random tables)', () => {
    let seed = 99;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 4294967296;
    };
    const codes = ['US', 'DE', 'FR'];
    for (let round = 0; round < 50; round++) {
      const raw: GeoRange[] = [];
      for (let i = 0; i < 40; i++) {
        const s = Math.floor(rand() * 4000);
        raw.push({
          start: BigInt(s),
          end: BigInt(s + Math.floor(rand() * 300)),
          country: codes[Math.floor(rand() * 3)] as string,
        });
      }
      const t = GeoTable.fromRanges(flatten(raw), []);
      const pick = ['US', 'FR'];
      const want = new Set<number>();
      for (let a = 0; a < 5000; a++) if (pick.includes(t.countryV4(a) ?? '')) want.add(a);

      const fromElements = new Set<number>();
      for (const el of t.rangesFor(pick).v4) {
        const [a, b] = el.includes('-') ? el.split('-') : [el.split('/')[0], undefined];
        const lo = parseV4(a as string) as number;
        const hi =
          b !== undefined
            ? (parseV4(b) as number)
            : el.includes('/')
              ? lo + 2 ** (32 - Number(el.split('/')[1])) - 1
              : lo;
        for (let x = lo; x <= hi; x++) fromElements.add(x);
      }
      assert.deepEqual(
        [...fromElements].sort((x, y) => x - y),
        [...want].sort((x, y) => x - y),
        `round ${round}`,
      );

      const fromCidrs = new Set<number>();
      for (const c of t.cidrsFor(pick).v4) {
        const [a, len] = c.split('/');
        const lo = parseV4(a as string) as number;
        const size = 2 ** (32 - Number(len));
        assert.equal(lo % size, 0, `${c} is aligned`);
        for (let x = lo; x < lo + size; x++) fromCidrs.add(x);
      }
      assert.deepEqual(fromCidrs, want);
    }
  });
});

describe('GeoTable structure checks', () => {
  const ok = {
    countries: ['DE', 'US'],
    v4Starts: Uint32Array.of(0, 10, 20),
    v4Country: Uint16Array.of(NO_COUNTRY, 0, 1),
    v6Words: new Uint32Array(4),
    v6Country: Uint16Array.of(NO_COUNTRY),
  };
  it('accepts a well-formed table', () => {
    assert.equal(new GeoTable(ok).countryV4(15), 'DE');
  });
  it('refuses corrupt arrays with SP_ERR_GEOIP', () => {
    const broken = [
      { ...ok, v4Starts: Uint32Array.of(0, 20, 10) },
      { ...ok, v4Starts: Uint32Array.of(5, 10, 20) },
      { ...ok, v4Country: Uint16Array.of(NO_COUNTRY, 0, 7) },
      { ...ok, v4Country: Uint16Array.of(0, 1) },
      { ...ok, countries: ['de', 'US'] },
      { ...ok, v6Words: Uint32Array.of(0, 0, 0, 1) },
    ];
    for (const parts of broken) {
      assert.throws(
        () => new GeoTable(parts),
        (e: unknown) => isSipprotError(e) && e.code === 'SP_ERR_GEOIP',
      );
    }
  });
});

describe('GeoTable.toRanges', () => {
  it('gives back the flattened input, neighbours of different countries kept apart', () => {
    const input = flatten([
      v4('8.8.8.0', '8.8.8.255', 'US'),
      v4('8.8.9.0', '8.8.9.255', 'CA'),
      v4('9.0.0.0', '9.0.0.0', 'US'),
    ]);
    const t = GeoTable.fromRanges(input, []);
    assert.deepEqual(t.toRanges(4), input);
    assert.deepEqual(t.toRanges(6), []);
    assert.deepEqual(GeoTable.fromRanges(t.toRanges(4), t.toRanges(6)).v4Starts, t.v4Starts);
  });
});

describe('GeoTable lookups against a linear scan', () => {
  let seed = 5;
  const rand = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed;
  };
  const naive = (ranges: GeoRange[], x: bigint) =>
    ranges.find((r) => r.start <= x && x <= r.end)?.country ?? null;

  it('IPv4: random ranges, many starting and ending on 65536-address bucket edges', () => {
    for (let round = 0; round < 20; round++) {
      const raw: GeoRange[] = [];
      for (let i = 0; i < 300; i++) {
        // Bucket-aligned starts in a small region, so buckets hold 0, 1 or many segments.
        const s = rand() % 4 === 0 ? (rand() % 64) * 65536 + (rand() % 3) - 1 : rand() % (64 * 65536);
        const len = rand() % 3 === 0 ? 65536 : rand() % 5000;
        const start = Math.max(0, s);
        raw.push({
          start: BigInt(start),
          end: BigInt(Math.min(0xffffffff, start + len)),
          country: ['US', 'DE', 'FR'][rand() % 3] as string,
        });
      }
      raw.push({ start: 0xfffffff0n, end: 0xffffffffn, country: 'JP' });
      const flat = flatten(raw);
      const t = GeoTable.fromRanges(flat, []);
      const probes: number[] = [0, 0xffffffff, 0xfffffff0, 0xffffffef];
      for (const r of flat) for (const d of [-1, 0, 1]) probes.push(Number(r.start) + d, Number(r.end) + d);
      for (let i = 0; i < 2000; i++) probes.push(rand() % (70 * 65536), rand());
      for (const x of probes) {
        if (x < 0 || x > 0xffffffff) continue;
        assert.equal(t.countryV4(x), naive(flat, BigInt(x)), `round ${round} address ${x}`);
      }
    }
  });

  it('IPv6: boundaries sharing their top 32 bits, or sitting exactly on a bucket edge', () => {
    for (let round = 0; round < 20; round++) {
      const raw: GeoRange[] = [];
      for (let i = 0; i < 200; i++) {
        const top = BigInt(0x20010000 + (rand() % 8) * 65536 + (rand() % 2 ? 0 : rand() % 4));
        const low = rand() % 3 === 0 ? 0n : (BigInt(rand()) << 64n) | BigInt(rand());
        const start = (top << 96n) | low;
        const len = rand() % 2 ? (1n << 96n) - 1n : BigInt(rand());
        raw.push({ start, end: start + len, country: ['US', 'DE', 'FR'][rand() % 3] as string });
      }
      const flat = flatten(raw);
      const t = GeoTable.fromRanges([], flat);
      const probes: bigint[] = [0n, (1n << 128n) - 1n];
      for (const r of flat) for (const d of [-1n, 0n, 1n]) probes.push(r.start + d, r.end + d);
      for (let i = 0; i < 2000; i++)
        probes.push((BigInt(0x20010000 + (rand() % 10) * 65536) << 96n) | (BigInt(rand()) << 64n));
      const w = new Uint32Array(4);
      for (const x of probes) {
        if (x < 0n || x >= 1n << 128n) continue;
        w[0] = Number(x >> 96n);
        w[1] = Number((x >> 64n) & 0xffffffffn);
        w[2] = Number((x >> 32n) & 0xffffffffn);
        w[3] = Number(x & 0xffffffffn);
        assert.equal(t.countryV6(w), naive(flat, x), `round ${round} address ${x.toString(16)}`);
      }
    }
  });
});

/**
 * Issue 10 item 6: no special-purpose range ever maps to a country — one test per range of
 * the IANA registries (core/net/special.ts), on a table that gives EVERY address a country
 * (the worst upstream data): after the cut, the first, middle and last address of each
 * range have none, while the addresses just outside keep theirs. Then the update path
 * (validate.ts) and the shipped table.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { parseAddress } from '../net/ip.js';
import { addressToBigint, formatBigint } from '../net/ip-range.js';
import { specialRangeOf, specialRanges } from '../net/special.js';
import { decodeGeoBin } from './bin.js';
import { parseGeoCsvAny } from './csv.js';
import { cutReserved, reservedHits, withoutReserved } from './reserved.js';
import { GeoTable } from './table.js';
import { checkGeoUpdate } from './validate.js';

const V4_ALL = { start: 0n, end: (1n << 32n) - 1n, country: 'AU' };
const V6_ALL = { start: 0n, end: (1n << 128n) - 1n, country: 'JP' };
const dirty = GeoTable.fromRanges([V4_ALL], [V6_ALL]);
const clean = withoutReserved(dirty).table;
const isSpecial = (ip: string) => specialRangeOf(parseAddress(ip)!) !== null;

describe('special-purpose ranges never map to a country', () => {
  for (const r of specialRanges()) {
    const n = r.network;
    it(`${n.text} (${r.name}, ${r.rfc})`, () => {
      const family = n.family;
      const bits = BigInt(n.bytes.length * 8 - n.prefix);
      const start = addressToBigint(n.bytes);
      const end = start + (1n << bits) - 1n;
      const firstText = formatBigint(start, family);
      assert.notEqual(dirty.country(firstText), null, 'the dirty table gave it a country');
      for (const v of [start, start + (end - start) / 2n, end]) {
        assert.equal(clean.country(formatBigint(v, family)), null, formatBigint(v, family));
      }
      const max = family === 4 ? (1n << 32n) - 1n : (1n << 128n) - 1n;
      for (const v of [start - 1n, end + 1n]) {
        if (v < 0n || v > max) continue;
        const text = formatBigint(v, family);
        // IPv4-mapped IPv6 neighbours are looked up as IPv4 (no country in 0.0.0.0/8 or 255.x edge cases)
        if (isSpecial(text) || (family === 6 && text.startsWith('::ffff:'))) continue;
        assert.equal(clean.country(text), family === 4 ? 'AU' : 'JP', `neighbour ${text} keeps its country`);
      }
    });
  }

  it('the clean table has no hit left; the cut names what it removed', () => {
    assert.deepEqual(reservedHits(clean), []);
    const r = cutReserved([{ start: 0xc0a80000n, end: 0xc0a900ffn, country: 'AU' }], 4);
    assert.deepEqual(r.ranges, [{ start: 0xc0a90000n, end: 0xc0a900ffn, country: 'AU' }]);
    assert.deepEqual(
      r.hits.map((h) => [h.special.network.text, h.country]),
      [['192.168.0.0/16', 'AU']],
    );
  });

  it('every update is cut, with a warning naming the ranges', () => {
    const csv = '0.0.0.0,255.255.255.255,AU\n::,ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff,JP\n';
    const check = checkGeoUpdate([{ what: 'feed.csv', parsed: parseGeoCsvAny(csv) }], {
      current: { v4Ranges: 0, v6Ranges: 0 },
    });
    assert.ok(check.ok);
    const t = GeoTable.fromRanges(check.v4!, check.v6!);
    for (const ip of [
      '192.168.1.1',
      '172.16.0.1',
      '203.0.113.7',
      '10.1.2.3',
      '100.64.0.1',
      '2001:db8::1',
      'fd00::1',
      'fe80::1',
    ]) {
      assert.equal(t.country(ip), null, ip);
    }
    assert.equal(t.country('8.8.8.8'), 'AU');
    assert.equal(t.country('2a00::1'), 'JP');
    assert.match(
      check.warnings.join('\n'),
      /feed\.csv: special-purpose ranges carry no country; cut 0\.0\.0\.0\/8 \("this network"\) said AU; 10\.0\.0\.0\/8 \(private use\) said AU/,
    );
  });

  it('the shipped table: no special-purpose range has a country, real ones keep theirs', () => {
    const { table } = decodeGeoBin(
      gunzipSync(readFileSync(new URL('../../../data/geoip/geoip.bin.gz', import.meta.url))),
    );
    assert.deepEqual(reservedHits(table), []);
    for (const ip of ['192.168.1.1', '172.16.0.1', '203.0.113.7', '198.51.100.1', '2001:db8::1', '2002::1']) {
      assert.equal(table.country(ip), null, ip);
    }
    assert.equal(table.country('1.0.0.1'), 'AU');
    assert.equal(table.country('8.8.8.8'), 'US');
  });
});

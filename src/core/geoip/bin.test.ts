import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSipprotError } from '../errors.js';
import { decodeGeoBin, encodeGeoBin, type GeoDataMeta, isGeoBin } from './bin.js';
import { GeoTable } from './table.js';

const table = GeoTable.fromRanges(
  [
    { start: 0x01000000n, end: 0x010000ffn, country: 'AU' },
    { start: 0x08080800n, end: 0x080808ffn, country: 'US' },
  ],
  [{ start: 0x20010200n << 96n, end: (0x20010201n << 96n) - 1n, country: 'JP' }],
);
const meta: GeoDataMeta = { source: 'test', date: '2026-01-02', v4Ranges: 2, v6Ranges: 1 };

const isGeoErr = (e: unknown) => isSipprotError(e) && e.code === 'SP_ERR_GEOIP';

describe('geo binary format', () => {
  it('round-trips table and metadata', () => {
    const bin = encodeGeoBin(table, meta);
    assert.ok(isGeoBin(bin));
    assert.equal(bin.length % 8, 0);
    const got = decodeGeoBin(bin);
    assert.deepEqual(got.meta, meta);
    assert.deepEqual(got.table.countries, table.countries);
    assert.deepEqual(got.table.v4Starts, table.v4Starts);
    assert.deepEqual(got.table.v6Words, table.v6Words);
    assert.deepEqual(got.table.v4Country, table.v4Country);
    assert.deepEqual(got.table.v6Country, table.v6Country);
    assert.equal(got.table.country('8.8.8.8'), 'US');
    assert.equal(got.table.country('2001:200::1'), 'JP');
  });

  it('reads a file that sits at an odd offset in its buffer (copies instead of views)', () => {
    const bin = encodeGeoBin(table, meta);
    const shifted = new Uint8Array(bin.length + 1);
    shifted.set(bin, 1);
    assert.equal(decodeGeoBin(shifted.subarray(1)).table.country('1.0.0.7'), 'AU');
  });

  it('refuses truncated, foreign and damaged files', () => {
    const bin = encodeGeoBin(table, meta);
    assert.throws(
      () => decodeGeoBin(bin.subarray(0, bin.length - 8)),
      (e: unknown) => isGeoErr(e) && /truncated/.test((e as Error).message),
    );
    assert.throws(() => decodeGeoBin(bin.subarray(0, 10)), isGeoErr);
    assert.throws(
      () => decodeGeoBin(new TextEncoder().encode('1.0.0.0,1.0.0.255,AU\n'.repeat(3))),
      (e: unknown) => isGeoErr(e) && /magic/.test((e as Error).message),
    );
    const badVersion = bin.slice();
    badVersion[8] = 9;
    assert.throws(() => decodeGeoBin(badVersion), isGeoErr);
    // Scramble the IPv4 starts: the structure check must catch it.
    const scrambled = bin.slice();
    const dv = new DataView(scrambled.buffer);
    const metaLen = dv.getUint32(12, true);
    const v4At = 32 + ((metaLen + 7) & ~7) + 8;
    dv.setUint32(v4At + 4, 0xfffffff0, true);
    assert.throws(() => decodeGeoBin(scrambled), isGeoErr);
  });
});

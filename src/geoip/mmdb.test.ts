/**
 * GEOIP_MMDB (issue 15 item 6) on .mmdb files the tests write themselves
 * (mmdb-writer.testkit.ts; never a real database): the walk gives what mmdb-lib answers
 * address by address, MaxMind's aliases are not counted twice, reserved ranges never get a
 * country, bad files are refused, and GeoDatabase uses the file, re-reads it when it
 * changes and refuses a collapsed one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Reader } from 'mmdb-lib';
import { isSipprotError } from '../core/errors.js';
import { checkGeoUpdate } from '../core/geoip/validate.js';
import { formatBigint } from '../core/net/ip-range.js';
import { GeoDatabase } from './database.js';
import { readMmdb } from './mmdb.js';
import { countryRecord, type MmdbNetwork, writeMmdb } from './mmdb-writer.testkit.js';

const dir = mkdtempSync(join(tmpdir(), 'sipprot-mmdb-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, bytes: Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};

const NETS: MmdbNetwork[] = [
  { network: '45.95.147.0/24', data: countryRecord('RU') },
  { network: '45.95.148.0/22', data: countryRecord('RU') },
  { network: '185.220.101.0/24', data: countryRecord('DE') },
  // MaxMind leaves country out for some networks: registered_country then.
  { network: '194.26.29.0/24', data: { registered_country: { iso_code: 'NL' } } },
  // ip-location-db style flat records.
  { network: '91.240.118.0/24', data: { country_code: 'ua' } },
  // A LAN range with a country: cut, never enforced.
  { network: '192.168.0.0/16', data: countryRecord('AU') },
  // A continent code of old files: dropped (only one row).
  { network: '31.13.64.0/18', data: countryRecord('EU') },
  // No country at all (an ASN-only record): no country.
  { network: '8.8.8.0/24', data: { autonomous_system_number: 15169 } },
  { network: '2001:200::/32', data: countryRecord('JP') },
  { network: '2a0b:4140::/32', data: countryRecord('NL') },
];

describe('.mmdb files (GEOIP_MMDB)', () => {
  it('every network with its country, IPv4 once (the ::ffff:0:0/96 and 2002::/16 aliases skipped)', async () => {
    const r = await readMmdb(file('a.mmdb', writeMmdb(NETS, { databaseType: 'GeoLite2-Country' })));
    assert.equal(r.type, 'GeoLite2-Country');
    assert.equal(r.date, '2026-09-21');
    const show = (x: typeof r.parsed.v4, f: 4 | 6) =>
      x.map((g) => `${formatBigint(g.start, f)}-${formatBigint(g.end, f)} ${g.country}`);
    assert.deepEqual(show(r.parsed.v4, 4), [
      '45.95.147.0-45.95.151.255 RU',
      '91.240.118.0-91.240.118.255 UA',
      '185.220.101.0-185.220.101.255 DE',
      '192.168.0.0-192.168.255.255 AU',
      '194.26.29.0-194.26.29.255 NL',
    ]);
    assert.deepEqual(show(r.parsed.v6, 6), [
      '2001:200::-2001:200:ffff:ffff:ffff:ffff:ffff:ffff JP',
      '2a0b:4140::-2a0b:4140:ffff:ffff:ffff:ffff:ffff:ffff NL',
    ]);
    assert.equal(r.parsed.countryErrors, 1);
    const check = checkGeoUpdate([{ what: 'a.mmdb', parsed: r.parsed }], {
      current: { v4Ranges: 0, v6Ranges: 0 },
    });
    assert.ok(check.ok);
    assert.ok(!check.v4!.some((g) => g.country === 'AU'), 'the LAN range carries no country');
  });

  for (const recordSize of [24, 28, 32] as const) {
    for (const ipVersion of [4, 6] as const) {
      it(`agrees with mmdb-lib address by address (record size ${recordSize}, IPv${ipVersion} tree)`, async () => {
        // 300 random /28 IPv4 networks of random countries in 11-90.x (no special-purpose range).
        let seed = recordSize * 7 + ipVersion;
        const rnd = () => {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          return seed;
        };
        const codes = ['DE', 'FR', 'US', 'CN', 'BR', 'JP'];
        const nets: MmdbNetwork[] = [];
        for (let i = 0; i < 300; i++) {
          const a = 11 + (i % 80);
          nets.push({
            network: `${a}.${i % 256}.${(rnd() % 16) * 16}.0/28`,
            data: countryRecord(codes[rnd() % 6]!),
          });
        }
        const bytes = writeMmdb(ipVersion === 6 ? [...nets, ...NETS.slice(-2)] : nets, {
          recordSize,
          ipVersion,
        });
        const path = file(`r${recordSize}-${ipVersion}.mmdb`, bytes);
        const db = await GeoDatabase.load(null, { mmdb: path });
        assert.equal(db.meta.origin, 'mmdb');
        const lib = new Reader(bytes);
        const libCountry = (ip: string) =>
          (lib.get(ip) as { country?: { iso_code: string } } | null)?.country?.iso_code ?? null;
        for (let i = 0; i < 3000; i++) {
          const ip = `${11 + (rnd() % 80)}.${rnd() % 256}.${rnd() % 256}.${rnd() % 256}`;
          assert.equal(db.country(ip), libCountry(ip), ip);
        }
        let hits = 0;
        for (const n of nets) {
          const ip = n.network.replace(/0\/28$/, '9');
          assert.equal(db.country(ip), libCountry(ip), ip);
          if (db.country(ip) !== null) hits++;
        }
        assert.equal(hits, nets.length, 'every network has its country');
      });
    }
  }

  it('refuses a file that is not a MaxMind DB, a truncated one, and a missing one', async () => {
    const good = writeMmdb(NETS);
    for (const [name, bytes, why] of [
      ['junk.mmdb', Buffer.from('not a database at all'), /not a MaxMind DB/],
      ['cut.mmdb', good.subarray(0, 40), /not a MaxMind DB|do not fit/],
    ] as const) {
      await assert.rejects(readMmdb(file(name, Buffer.from(bytes))), (e: unknown) => {
        assert.ok(isSipprotError(e) && e.code === 'SP_ERR_GEOIP', String(e));
        assert.match(e.message, why);
        return true;
      });
    }
    await assert.rejects(readMmdb(join(dir, 'missing.mmdb')), /cannot read/);
  });

  it('GeoDatabase: an unusable GEOIP_MMDB falls back to sipprot’s own table, with a warning', async () => {
    const db = await GeoDatabase.load(null, { mmdb: file('bad.mmdb', Buffer.from('garbage')) });
    assert.notEqual(db.meta.origin, 'mmdb');
    assert.match(db.warnings.join('\n'), /GEOIP_MMDB is not used: .*not a MaxMind DB/);
  });

  it('GeoDatabase: re-reads the file when it changed, refuses one that collapsed, tells listeners', async () => {
    const many: MmdbNetwork[] = Array.from({ length: 40 }, (_, i) => ({
      network: `${20 + i}.1.0.0/16`,
      data: countryRecord(i % 2 ? 'DE' : 'FR'),
    }));
    const path = file('live.mmdb', writeMmdb([...many, ...NETS.slice(-2)]));
    const db = await GeoDatabase.load(null, { mmdb: path });
    assert.equal(db.country('21.1.2.3'), 'DE');
    let told = 0;
    db.onChange(() => {
      told++;
    });
    assert.equal(await db.refreshMmdb(), null, 'unchanged: not read again');
    // geoipupdate replaced the file: 21.1.0.0/16 moved to PL.
    many[1] = { network: '21.1.0.0/16', data: countryRecord('PL') };
    writeFileSync(path, writeMmdb([...many, ...NETS.slice(-2)]));
    utimesSync(path, new Date(), new Date(Date.now() + 5000));
    const r = await db.refreshMmdb();
    assert.ok(r);
    assert.equal(db.country('21.1.2.3'), 'PL');
    assert.equal(told, 1);
    // A file with a tenth of the ranges is refused; the table in use stays.
    writeFileSync(path, writeMmdb([...many.slice(0, 4), ...NETS.slice(-2)]));
    utimesSync(path, new Date(), new Date(Date.now() + 10000));
    await assert.rejects(db.refreshMmdb(), /GEOIP_MMDB refused: .*would shrink/);
    assert.equal(db.country('38.1.0.1'), 'FR');
    assert.equal(told, 1);
  });
});

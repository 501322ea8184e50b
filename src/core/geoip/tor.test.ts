/** Tor's geoip files (IPFire Location data, Debian tor-geoipdb): the shipped table's source. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTorGeoip } from './tor.js';

describe("Tor's geoip files", () => {
  it('IPv4 as integers, IPv6 as text; codes that are not countries are left out and counted', () => {
    const v4 = parseTorGeoip(
      [
        '# IPFire Location Database export',
        '16777216,16777471,AU',
        '16777472,16778239,cn',
        '16778240,16779263,EU',
        '16779264,16779264,??',
        '16779265,16779265,UK',
        '',
      ].join('\n'),
      4,
    );
    assert.deepEqual(
      v4.parsed.v4.map((r) => [r.start, r.end, r.country]),
      [
        [16777216n, 16777471n, 'AU'],
        [16777472n, 16778239n, 'CN'],
        [16779265n, 16779265n, 'GB'],
      ],
    );
    assert.deepEqual(v4.skipped, { EU: 1, '??': 1 });
    assert.equal(v4.parsed.errorCount, 0);
    const v6 = parseTorGeoip('2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,JP\n', 6);
    assert.equal(v6.parsed.v6[0]!.country, 'JP');
    assert.equal(v6.parsed.v4.length, 0);
  });

  it('a malformed line is a syntax error with its line number', () => {
    const t = parseTorGeoip('1,2,AU\n5,4,AU\n4294967296,4294967297,US\nx,y\n', 4);
    assert.equal(t.parsed.errorCount, 3);
    assert.deepEqual(
      t.parsed.errors.map((e) => e.line),
      [2, 3, 4],
    );
  });
});

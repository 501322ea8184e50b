import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_REPORTED_ERRORS, parseGeoCsv, parseGeoCsvAny } from './csv.js';

describe('parseGeoCsv', () => {
  it('reads upstream rows, CRLF, blank lines, comments and a header', () => {
    const text =
      'ip_range_start,ip_range_end,country_code\r\n1.0.0.0,1.0.0.255,AU\r\n\n# note\n 1.0.1.0 , 1.0.3.255 , cn \n';
    const got = parseGeoCsv(text, 4);
    assert.deepEqual(got.errors, []);
    assert.equal(got.sorted, true);
    assert.deepEqual(got.ranges, [
      { start: 0x01000000n, end: 0x010000ffn, country: 'AU' },
      { start: 0x01000100n, end: 0x010003ffn, country: 'CN' },
    ]);
    const v6 = parseGeoCsv('2001:200::,2001:200:ffff:ffff:ffff:ffff:ffff:ffff,JP\n', 6);
    assert.deepEqual(v6.ranges, [
      { start: 0x20010200n << 96n, end: (0x20010200n << 96n) | ((1n << 96n) - 1n), country: 'JP' },
    ]);
  });

  it('rejects bad rows with their line numbers and keeps the good ones', () => {
    const text = [
      '1.0.0.0,1.0.0.255,AU', // 1
      '1.0.1.0,1.0.3.255', // 2: two fields
      '1.0.4.0,1.0.7.255,AU,extra', // 3
      '1.0.8.300,1.0.15.255,CN', // 4: bad start
      '1.0.16.0,1.0.16,JP', // 5: bad end (truncated)
      '1.0.32.0,1.0.31.0,JP', // 6: end before start
      '1.0.64.0,1.0.64.255,USA', // 7
      '1.0.65.0,1.0.65.255,QQ', // 8: unknown code
      '2001::,2001::ff,JP', // 9: IPv6 in an IPv4 file
      '1.0.66.0,1.0.66.255,DE', // 10
    ].join('\n');
    const got = parseGeoCsv(text, 4);
    assert.deepEqual(
      got.errors.map((e) => [e.line, e.kind]),
      [
        [2, 'syntax'],
        [3, 'syntax'],
        [4, 'syntax'],
        [5, 'syntax'],
        [6, 'syntax'],
        [7, 'syntax'],
        [8, 'country'],
        [9, 'syntax'],
      ],
    );
    assert.match(got.errors[2]?.reason ?? '', /^start is not an IPv4 address$/);
    assert.match(got.errors[3]?.reason ?? '', /^end is not an IPv4 address$/);
    assert.match(got.errors[6]?.reason ?? '', /country QQ is not an ISO 3166-1 alpha-2 code/);
    // Errors never quote a row: a file pointed at by mistake is not echoed back.
    const secret = parseGeoCsv('root:$6$salt$hash:19000:0:99999:7:::\nx,y,z\n', 4);
    for (const e of secret.errors) assert.doesNotMatch(e.reason, /root|salt|\$6|19000/);
    assert.equal(got.errorCount, 8);
    assert.equal(got.countryErrors, 1);
    assert.deepEqual(
      got.ranges.map((r) => r.country),
      ['AU', 'DE'],
    );
  });

  it('caps the reported errors but counts them all, and flags unsorted input', () => {
    const text = `${'garbage,1\n'.repeat(MAX_REPORTED_ERRORS + 10)}2.0.0.0,2.0.0.255,FR\n1.0.0.0,1.0.0.255,FR\n`;
    const got = parseGeoCsv(text, 4);
    assert.equal(got.errors.length, MAX_REPORTED_ERRORS);
    assert.equal(got.errorCount, MAX_REPORTED_ERRORS + 10);
    assert.equal(got.sorted, false);
    assert.equal(got.ranges.length, 2);
  });

  it('splits a mixed file by family', () => {
    const got = parseGeoCsvAny(
      '1.0.0.0,1.0.0.255,AU\n2001:200::,2001:200::ffff,JP\n::ffff:0.0.0.0,::ffff:0.0.0.9,US\n',
    );
    assert.equal(got.v4.length, 1);
    assert.equal(got.v6.length, 2);
    assert.equal(got.sorted, false);
    assert.deepEqual(parseGeoCsvAny('').v4, []);
  });
});

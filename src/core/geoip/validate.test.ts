import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseGeoCsvAny } from './csv.js';
import { checkGeoUpdate } from './validate.js';

const src = (what: string, text: string) => ({ what, parsed: parseGeoCsvAny(text) });
const rows = (n: number, country = 'US') =>
  Array.from(
    { length: n },
    (_, i) => `11.${i >> 8}.${i & 255}.0,11.${i >> 8}.${i & 255}.127,${i % 2 ? country : 'DE'}`,
  ).join('\n');
const none = { current: { v4Ranges: 0, v6Ranges: 0 } };

describe('checkGeoUpdate', () => {
  it('accepts good files, flattens them and merges families from several files', () => {
    const got = checkGeoUpdate(
      [src('v4.csv', rows(10)), src('v6.csv', '2a01:db8::,2a01:db8::ffff,JP\n')],
      none,
    );
    assert.ok(got.ok);
    assert.equal(got.v4?.length, 10);
    assert.equal(got.v6?.length, 1);
    assert.deepEqual(got.warnings, []);
  });

  it('leaves a family absent from the files as null (the current one is kept)', () => {
    const got = checkGeoUpdate([src('v4.csv', rows(4))], none);
    assert.ok(got.ok);
    assert.equal(got.v6, null);
  });

  it('refuses a malformed row, naming the file and line', () => {
    const got = checkGeoUpdate([src('https://x/v4.csv', `${rows(3)}\n10.9.9.0,10.9.9,DE`)], none);
    assert.equal(got.ok, false);
    assert.match(
      !got.ok ? got.reason : '',
      /^https:\/\/x\/v4\.csv: 1 malformed row \(line 4: end is not an IPv4 address\)/,
    );
  });

  it('refuses an empty file', () => {
    for (const text of ['', '\n\n', '# nothing\n']) {
      const got = checkGeoUpdate([src('e.csv', text)], none);
      assert.equal(got.ok, false);
      assert.match(!got.ok ? got.reason : '', /e\.csv: no ranges in the file/);
    }
  });

  it('refuses a collapse of the row count (a truncated file ending on a line break)', () => {
    const current = { v4Ranges: 100, v6Ranges: 0 };
    const shrunk = checkGeoUpdate([src('t.csv', rows(49))], { current });
    assert.equal(shrunk.ok, false);
    assert.match(!shrunk.ok ? shrunk.reason : '', /IPv4 would shrink from 100 to 49 ranges \(below 50%\)/);
    assert.ok(checkGeoUpdate([src('t.csv', rows(50))], { current }).ok);
    assert.ok(!checkGeoUpdate([src('t.csv', rows(80))], { current, minRatio: 0.9 }).ok);
  });

  it('drops a rare unknown country code with a warning but refuses many', () => {
    const one = checkGeoUpdate([src('a.csv', `${rows(2000)}\n11.0.0.0,11.0.0.255,AN`)], none);
    assert.ok(one.ok);
    assert.equal(one.droppedCount, 1);
    assert.match(
      one.warnings[0] ?? '',
      /a\.csv: dropped 1 row\(s\) with unknown country codes \(line 2001: country AN /,
    );
    const many = checkGeoUpdate([src('b.csv', rows(20, 'QQ'))], none);
    assert.equal(many.ok, false);
    assert.match(!many.ok ? many.reason : '', /b\.csv: 10 of 20 rows have unknown country codes/);
  });

  it('sorts unsorted rows and says so', () => {
    const got = checkGeoUpdate([src('u.csv', '2.0.0.0,2.0.0.255,FR\n1.0.0.0,1.0.0.255,AU\n')], none);
    assert.ok(got.ok);
    assert.deepEqual(
      got.v4?.map((r) => r.country),
      ['AU', 'FR'],
    );
    assert.match(got.warnings[0] ?? '', /not in address order/);
  });
});

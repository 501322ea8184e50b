import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COUNTRIES, countryName, isCountryCode, suggestCountryCode } from './countries.js';

describe('countries', () => {
  it('holds all 249 ISO 3166-1 alpha-2 codes, upper-case, sorted, each named', () => {
    const codes = Object.keys(COUNTRIES);
    assert.equal(codes.length, 249);
    assert.deepEqual(codes, [...codes].sort());
    for (const code of codes) {
      assert.match(code, /^[A-Z]{2}$/);
      assert.ok(countryName(code)!.length > 2, code);
    }
  });

  const cases: Array<[string, boolean, string | null]> = [
    ['DE', true, 'Germany'],
    ['GB', true, 'United Kingdom'],
    ['US', true, 'United States'],
    ['XK', true, 'Kosovo'],
    ['UK', false, null],
    ['ZZ', false, null],
    ['de', false, 'Germany'],
    ['', false, null],
    ['toString', false, null],
    ['constructor', false, null],
  ];
  for (const [code, valid, name] of cases) {
    it(`'${code}' → valid=${valid}, name=${name}`, () => {
      assert.equal(isCountryCode(code), valid);
      assert.equal(countryName(code), name);
    });
  }

  it('suggests the right code for common mistakes', () => {
    assert.equal(suggestCountryCode('uk'), 'GB');
    assert.equal(suggestCountryCode('FR'), null);
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isValidEmail, normalizeEmail, normalizeName } from './validate.js';

test('accepts the addresses administrators use', () => {
  for (const e of [
    'ops@example.com',
    'first.last+sipprot@mail.example.co.uk',
    "o'brien@example.ie",
    'root@localhost',
    'x@a-b.example',
  ]) {
    assert.equal(isValidEmail(e), true, e);
  }
});

test('refuses what could break a mail header or is not an address', () => {
  for (const e of [
    'ops@example.com\n',
    'ops@example.com,x@y.z',
    '"a"@b.c',
    'a@b_c.d',
    'a@.b',
    'a@b.',
    'ü@b.c',
  ]) {
    assert.equal(isValidEmail(e), false, JSON.stringify(e));
  }
  assert.throws(() => normalizeEmail(42), /not a valid e-mail address: 42/);
});

test('normalizes: trims addresses, empty names become null', () => {
  assert.equal(normalizeEmail('  ops@example.com\t'), 'ops@example.com');
  assert.equal(normalizeName('  '), null);
  assert.equal(normalizeName(' Night shift '), 'Night shift');
  assert.throws(() => normalizeName('a\tb'), /recipient name/);
});

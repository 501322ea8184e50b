/** Admin password hashing (scrypt) and the rules for a new password. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeStore } from '../store/store.fake.js';
import {
  GENERATED_KEY,
  generatePassword,
  hashPassword,
  PASSWORD_KEY,
  passwordProblem,
  setAdminPassword,
  verifyPassword,
} from './admin-password.js';

describe('password hashing', () => {
  test('scrypt hash verifies the right password only, and is salted', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    assert.match(a, /^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a, b);
    assert.equal(await verifyPassword('correct horse battery', a), true);
    assert.equal(await verifyPassword('correct horse batterY', a), false);
    assert.equal(await verifyPassword('', a), false);
  });

  test('an unreadable or hostile hash never verifies and never throws', async () => {
    for (const h of [
      '',
      'plain',
      'scrypt$1$1$1$x$y',
      'scrypt$99999999$8$1$AAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAA',
      'bcrypt$x',
    ]) {
      assert.equal(await verifyPassword('x', h), false, h);
    }
  });

  test('rules for a new password', () => {
    assert.match(passwordProblem('short')!, /at least 10/);
    assert.match(passwordProblem('long enough\nbut')!, /control/);
    assert.equal(passwordProblem('long enough pass'), null);
    const g = generatePassword();
    assert.equal(g.length, 20);
    assert.match(g, /^[a-km-zA-HJ-NP-Z2-9]+$/);
    assert.notEqual(g, generatePassword());
  });
});

describe('setAdminPassword', () => {
  test('stores only the hash; a chosen password clears the "generated" mark', async () => {
    const store = new FakeStore();
    await setAdminPassword(store, 'one-time password 1', true);
    assert.equal(await store.getSetting(GENERATED_KEY), '1');
    await setAdminPassword(store, 'chosen by the admin');
    const stored = (await store.getSetting(PASSWORD_KEY))!;
    assert.ok(!stored.includes('chosen'));
    assert.equal(await verifyPassword('chosen by the admin', stored), true);
    assert.equal(await store.getSetting(GENERATED_KEY), null);
    await assert.rejects(setAdminPassword(store, 'short'), { code: 'SP_ERR_USAGE' });
  });
});

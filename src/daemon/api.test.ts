/** The daemon's API wiring: the first-start admin password. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GENERATED_KEY, PASSWORD_KEY, setAdminPassword, verifyPassword } from '../platform/admin-password.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import { FakeStore } from '../store/store.fake.js';
import { ensureAdminPassword } from './api.js';

describe('ensureAdminPassword', () => {
  test('first start: generates, stores only the hash, logs the password once', async () => {
    const store = new FakeStore();
    const logs: string[] = [];
    const log: Logger = { ...silentLogger, warn: (_o: object, msg?: string) => void logs.push(msg ?? '') };
    const pw = await ensureAdminPassword(store, log);
    assert.ok(pw);
    const stored = (await store.getSetting(PASSWORD_KEY))!;
    assert.ok(!stored.includes(pw));
    assert.equal(await verifyPassword(pw, stored), true);
    assert.equal(await store.getSetting(GENERATED_KEY), '1');
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, new RegExp(pw));
    assert.match(logs[0]!, /sipprot passwd/);
    // Second start: nothing generated, nothing logged.
    assert.equal(await ensureAdminPassword(store, log), null);
    assert.equal(logs.length, 1);
    // Setting one by hand clears the "generated" mark.
    await setAdminPassword(store, 'chosen by the admin');
    assert.equal(await store.getSetting(GENERATED_KEY), null);
  });
});

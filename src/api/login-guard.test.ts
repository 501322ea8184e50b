/**
 * Issue 10 item 5, login guessing: the limit was per address only (38 loopback addresses
 * got 190 guesses in seconds) and a local user could make the admin's correct password
 * fail for 60 s. Now unknown browsers share a global limit, each source backs off, and a
 * browser that logged in before (device cookie) is counted alone: nobody else's failures
 * make the admin's correct password fail there.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiError, cookiesOf, harness, PASSWORD } from './http.testkit.js';
import { LoginGuard } from './login-guard.js';

describe('login guessing', () => {
  test('many sources buy no more than the global limit of guesses a minute', async () => {
    const h = await harness('tcp');
    try {
      let guesses = 0;
      let limited = 0;
      for (let i = 1; i <= 38; i++) {
        for (let k = 0; k < 5; k++) {
          const r = await h.app.inject({
            method: 'POST',
            url: '/api/login',
            payload: { password: `guess ${i}-${k}` },
            remoteAddress: `127.0.0.${i + 1}`,
          });
          if (r.statusCode === 401) guesses++;
          else if (r.statusCode === 429) limited++;
          else assert.fail(`unexpected ${r.statusCode}`);
        }
      }
      assert.equal(guesses, 30, 'the global limit: 30 checked guesses a minute');
      assert.equal(limited, 38 * 5 - 30);
      h.world.clock.advance(61);
      const again = await h.app.inject({
        method: 'POST',
        url: '/api/login',
        payload: { password: 'next' },
        remoteAddress: '127.0.0.200',
      });
      assert.equal(again.statusCode, 401, 'a minute later guesses are checked again');
    } finally {
      await h.close();
    }
  });

  test("a local attacker hammering the login cannot make the admin's known browser fail", async () => {
    const h = await harness('tcp');
    try {
      // The admin logged in once from this browser (through an SSH tunnel: loopback).
      const first = await h.app.inject({
        method: 'POST',
        url: '/api/login',
        payload: { password: PASSWORD },
        remoteAddress: '127.0.0.1',
      });
      assert.equal(first.statusCode, 200);
      const device = cookiesOf(first).sipprot_device;
      assert.match(device ?? '', /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
      assert.match(
        String(first.headers['set-cookie']),
        /sipprot_device=[^;]+; Path=\/; SameSite=Strict; Max-Age=15552000; HttpOnly/,
      );
      // A local user floods wrong passwords from the same address and from many others.
      for (let i = 0; i < 100; i++) {
        await h.app.inject({
          method: 'POST',
          url: '/api/login',
          payload: { password: 'wrong' },
          remoteAddress: `127.0.${i % 3}.${(i % 200) + 1}`,
        });
      }
      const unknown = await h.app.inject({
        method: 'POST',
        url: '/api/login',
        payload: { password: PASSWORD },
        remoteAddress: '127.0.0.1',
      });
      apiError(unknown, 429, 'SP_ERR_RATE_LIMITED');
      const admin = await h.app.inject({
        method: 'POST',
        url: '/api/login',
        payload: { password: PASSWORD },
        remoteAddress: '127.0.0.1',
        headers: { cookie: `sipprot_device=${device}` },
      });
      assert.equal(admin.statusCode, 200, 'the known browser gets in with the right password');
      // A forged device cookie is no cookie: it counts as an unknown browser.
      const forged = await h.app.inject({
        method: 'POST',
        url: '/api/login',
        payload: { password: PASSWORD },
        remoteAddress: '127.0.0.9',
        headers: { cookie: `sipprot_device=${'A'.repeat(22)}.${'B'.repeat(43)}` },
      });
      apiError(forged, 429, 'SP_ERR_RATE_LIMITED');
    } finally {
      await h.close();
    }
  });

  test('per source: 5 failures, then a backoff that doubles; a known browser backs off alone', () => {
    let now = 1000;
    const g = new LoginGuard(() => now, { perSource: 5, global: 1000 });
    const k = LoginGuard.keyOf('198.51.100.7', null);
    for (let i = 0; i < 5; i++) {
      g.assertAllowed(k);
      g.fail(k);
    }
    assert.throws(() => g.assertAllowed(k), /try again in 60 s/);
    now += 60;
    g.assertAllowed(k);
    g.fail(k);
    assert.throws(() => g.assertAllowed(k), /try again in 120 s/);
    const dev = LoginGuard.keyOf('198.51.100.7', 'abc');
    assert.doesNotThrow(() => g.assertAllowed(dev), "the source's failures are not the browser's");
  });

  test('an IPv6 source is its /64: rotating addresses inside it does not reset the count', () => {
    assert.equal(
      LoginGuard.keyOf('2001:db8:1:2::5', null).key,
      LoginGuard.keyOf('2001:db8:1:2:ffff::9', null).key,
    );
    assert.notEqual(
      LoginGuard.keyOf('2001:db8:1:2::5', null).key,
      LoginGuard.keyOf('2001:db8:1:3::5', null).key,
    );
  });
});

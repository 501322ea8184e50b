/**
 * Issue 10 item 5, DNS rebinding: `Host: evil.example` was accepted on every route, so a
 * page whose name rebinds to 127.0.0.1 could drive the API from the admin's browser. Now
 * every TCP request must name this server (listen address, localhost on loopback, the
 * host's own addresses on a wildcard listener, WEB_HOSTNAMES), public routes included.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setAdminPassword } from '../platform/admin-password.js';
import { type HostPolicy, hostAllowed, hostPart, originAllowed } from './host-check.js';
import { apiError, harness, login, PASSWORD } from './http.testkit.js';
import { buildApi } from './server.js';
import { fakeWorld } from './world.testkit.js';

const loopback: HostPolicy = { listenHost: '127.0.0.1', names: [], ownAddresses: () => [] };
const wildcard: HostPolicy = {
  listenHost: '0.0.0.0',
  names: ['pbx.example.com'],
  ownAddresses: () => ['192.0.2.2', '2001:db8::2'],
};

describe('Host allow-list', () => {
  test('host part of a Host header', () => {
    assert.equal(hostPart('Example.COM.:8040'), 'example.com');
    assert.equal(hostPart('[::1]:8040'), '::1');
    assert.equal(hostPart('127.0.0.1'), '127.0.0.1');
    assert.equal(hostPart('::1'), null, 'an IPv6 literal must be bracketed');
    assert.equal(hostPart('a:b'), null);
    assert.equal(hostPart(''), null);
  });

  test('loopback listener: its address, localhost, nothing else', () => {
    for (const h of ['127.0.0.1:8040', 'localhost:8040', 'LOCALHOST', '127.0.0.1'])
      assert.equal(hostAllowed(h, loopback), true, h);
    for (const h of [
      'evil.example',
      'evil.example:8040',
      '192.0.2.2',
      '[::1]:8040',
      '127.0.0.1.evil.example',
      undefined,
    ])
      assert.equal(hostAllowed(h, loopback), false, String(h));
  });

  test('wildcard listener: own addresses, loopback, configured names', () => {
    for (const h of ['192.0.2.2:8040', '[2001:db8::2]:8040', 'pbx.example.com', 'localhost', '[::1]'])
      assert.equal(hostAllowed(h, wildcard), true, h);
    for (const h of ['198.51.100.1', 'evil.example', 'pbx.example.com.evil.example'])
      assert.equal(hostAllowed(h, wildcard), false, h);
  });

  test('Origin of a change: absent, or one of our hosts', () => {
    assert.equal(originAllowed(undefined, loopback), true);
    assert.equal(originAllowed('http://127.0.0.1:8040', loopback), true);
    assert.equal(originAllowed('http://evil.example', loopback), false);
    assert.equal(originAllowed('null', loopback), false);
  });
});

describe('the rebinding guard on the HTTP API', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  before(async () => {
    h = await harness('tcp');
  });
  after(() => h.close());

  test('a foreign Host is refused on every route, public ones and login included', async () => {
    for (const [method, url] of [
      ['GET', '/api/health'],
      ['GET', '/api/session'],
      ['GET', '/'],
      ['GET', '/api/status'],
    ] as const) {
      const r = await h.app.inject({ method, url, headers: { host: 'evil.example' } });
      apiError(r, 421, 'SP_ERR_BAD_HOST');
    }
    const r = await h.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { password: PASSWORD },
      headers: { host: 'evil.example:8040' },
    });
    apiError(r, 421, 'SP_ERR_BAD_HOST');
    assert.equal(r.headers['set-cookie'], undefined, 'no session for a rebinding page');
  });

  test('a logged-in browser lured to a rebinding page: its cookie does not help', async () => {
    const c = await login(h.app);
    const ok = await c.req({ method: 'GET', url: '/api/status' });
    assert.equal(ok.statusCode, 200);
    apiError(
      await c.req({ method: 'GET', url: '/api/status', headers: { host: 'evil.example' } }),
      421,
      'SP_ERR_BAD_HOST',
    );
    const forged = await c.req({
      method: 'PATCH',
      url: '/api/settings',
      payload: { changes: { HIT_COUNT: '1000' } },
      headers: { origin: 'http://evil.example' },
    });
    apiError(forged, 403, 'SP_ERR_CSRF');
  });

  test('WEB_HOSTNAMES opens a name (a reverse proxy)', async () => {
    const world = fakeWorld();
    await setAdminPassword(world.store, PASSWORD);
    const app = await buildApi(world.deps, {
      transport: 'tcp',
      webRoot: '/nonexistent',
      hosts: { listenHost: '127.0.0.1', names: ['pbx.example.com'], ownAddresses: () => [] },
    });
    try {
      const r = await app.inject({ method: 'GET', url: '/api/health', headers: { host: 'pbx.example.com' } });
      assert.equal(r.statusCode, 200);
    } finally {
      await app.close();
    }
  });
});

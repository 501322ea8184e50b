import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setAdminPassword } from '../platform/admin-password.js';
import { apiError, cookiesOf, type Harness, harness, login, PASSWORD } from './http.testkit.js';

describe('API over TCP: login, sessions, CSRF', () => {
  let h: Harness;
  before(async () => {
    h = await harness('tcp');
  });
  after(() => h.close());

  test('every /api route but login, health and session needs a session', async () => {
    for (const [method, url] of [
      ['GET', '/api/status'],
      ['GET', '/api/lists/deny'],
      ['GET', '/api/settings'],
      ['GET', '/api/openapi.json'],
      ['GET', '/api/dynamic/events'],
      ['POST', '/api/reload'],
      ['GET', '/api/no-such-route'],
    ] as const) {
      const res = await h.app.inject({ method, url });
      apiError(res, 401, 'SP_ERR_AUTH');
    }
    const anon = await h.app.inject({ method: 'GET', url: '/api/session' });
    assert.deepEqual(anon.json(), { authenticated: false }, 'no token handed out without a session');
    const health = await h.app.inject({ method: 'GET', url: '/api/health' });
    assert.equal(health.statusCode, 200);
    assert.equal(health.json().ok, true);
  });

  test('login sets an HttpOnly SameSite=Strict session cookie and a CSRF token', async () => {
    const res = await h.app.inject({ method: 'POST', url: '/api/login', payload: { password: PASSWORD } });
    assert.equal(res.statusCode, 200);
    const raw = res.headers['set-cookie'] as string[];
    const session = raw.find((c) => c.startsWith('sipprot_session='))!;
    assert.match(session, /HttpOnly/);
    assert.match(session, /SameSite=Strict/);
    assert.match(session, /Path=\//);
    assert.doesNotMatch(session, /Secure/, 'plain HTTP on loopback: a Secure cookie would never come back');
    const csrf = raw.find((c) => c.startsWith('sipprot_csrf='))!;
    assert.doesNotMatch(csrf, /HttpOnly/);
    const body = res.json();
    assert.equal(body.authenticated, true);
    assert.equal(body.csrfToken, cookiesOf(res).sipprot_csrf);
    assert.equal(body.transport, 'tcp');
    // The store keeps a hash of the cookie, never the cookie itself.
    const id = cookiesOf(res).sipprot_session!;
    assert.equal(await h.world.store.getSession(id, h.world.clock.now()), null);
  });

  test('wrong or missing password: 401 SP_ERR_AUTH', async () => {
    apiError(
      await h.app.inject({
        method: 'POST',
        url: '/api/login',
        payload: { password: 'nope' },
        remoteAddress: '10.9.9.1',
      }),
      401,
      'SP_ERR_AUTH',
    );
    apiError(
      await h.app.inject({ method: 'POST', url: '/api/login', payload: {}, remoteAddress: '10.9.9.1' }),
      401,
      'SP_ERR_AUTH',
    );
  });

  test('a state change without the CSRF header is refused; with it, it passes', async () => {
    const c = await login(h.app);
    const payload = { entries: [{ network: '203.0.113.7', note: 'x' }] };
    const noToken = await h.app.inject({
      method: 'POST',
      url: '/api/lists/deny',
      payload,
      headers: { cookie: c.cookie },
    });
    apiError(noToken, 403, 'SP_ERR_CSRF');
    const wrong = await c.req({
      method: 'POST',
      url: '/api/lists/deny',
      payload,
      headers: { 'x-csrf-token': 'x' },
    });
    apiError(wrong, 403, 'SP_ERR_CSRF');
    assert.equal(h.world.admin.lists.deny.size, 0, 'nothing changed');
    const good = await c.req({ method: 'POST', url: '/api/lists/deny', payload });
    assert.equal(good.statusCode, 200, good.body);
    assert.equal(h.world.admin.lists.deny.get('203.0.113.7'), 'x');
    // Reads need no token.
    const read = await h.app.inject({ method: 'GET', url: '/api/lists/deny', headers: { cookie: c.cookie } });
    assert.equal(read.statusCode, 200);
  });

  test('GET /api/session returns the token of the session', async () => {
    const c = await login(h.app);
    const res = await c.req({ method: 'GET', url: '/api/session' });
    assert.equal(res.json().csrfToken, c.csrf);
    assert.equal(res.json().mustChangePassword, false);
  });

  test('logout ends the session', async () => {
    const c = await login(h.app);
    const out = await c.req({ method: 'POST', url: '/api/logout' });
    assert.equal(out.statusCode, 200);
    assert.match(String(out.headers['set-cookie']), /Max-Age=0/);
    apiError(await c.req({ method: 'GET', url: '/api/status' }), 401, 'SP_ERR_AUTH');
  });

  test('sessions end after 2 h idle and after 12 h in any case', async () => {
    const c = await login(h.app);
    h.world.clock.advance(2 * 3600 - 10);
    assert.equal((await c.req({ method: 'GET', url: '/api/status' })).statusCode, 200);
    h.world.clock.advance(2 * 3600 - 10);
    assert.equal((await c.req({ method: 'GET', url: '/api/status' })).statusCode, 200, 'activity extends it');
    h.world.clock.advance(2 * 3600 + 1);
    apiError(await c.req({ method: 'GET', url: '/api/status' }), 401, 'SP_ERR_AUTH');

    const d = await login(h.app);
    for (let i = 1; i <= 8; i++) {
      h.world.clock.advance(1800 * 3);
      if (i < 8)
        assert.equal((await d.req({ method: 'GET', url: '/api/status' })).statusCode, 200, `${i * 1.5} h`);
    }
    apiError(await d.req({ method: 'GET', url: '/api/status' }), 401, 'SP_ERR_AUTH');
  });

  test('5 failed logins a minute from one address: 429 with Retry-After; others unaffected', async () => {
    const ip = '198.51.100.77';
    for (let i = 0; i < 5; i++) {
      apiError(
        await h.app.inject({
          method: 'POST',
          url: '/api/login',
          payload: { password: 'bad' },
          remoteAddress: ip,
        }),
        401,
        'SP_ERR_AUTH',
      );
    }
    const limited = await h.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { password: PASSWORD },
      remoteAddress: ip,
    });
    const err = apiError(limited, 429, 'SP_ERR_RATE_LIMITED');
    const retry = Number(limited.headers['retry-after']);
    assert.ok(retry >= 1 && retry <= 60, `Retry-After ${retry}`);
    assert.deepEqual(err.details, { retryAfter: retry });
    // Another address still logs in.
    await login(h.app, '198.51.100.78');
    // After the window, the right password works again and clears the count.
    h.world.clock.advance(61);
    const ok = await h.app.inject({
      method: 'POST',
      url: '/api/login',
      payload: { password: PASSWORD },
      remoteAddress: ip,
    });
    assert.equal(ok.statusCode, 200);
  });

  test('changing the password ends other sessions and keeps this browser logged in', async () => {
    const a = await login(h.app);
    const b = await login(h.app);
    apiError(
      await a.req({
        method: 'POST',
        url: '/api/password',
        payload: { current: 'wrong', password: 'another long one' },
      }),
      403,
      'SP_ERR_PERMISSION',
    );
    apiError(
      await a.req({
        method: 'POST',
        url: '/api/password',
        payload: { current: PASSWORD, password: 'short' },
      }),
      400,
      'SP_ERR_USAGE',
    );
    const res = await a.req({
      method: 'POST',
      url: '/api/password',
      payload: { current: PASSWORD, password: 'another long one' },
    });
    assert.equal(res.statusCode, 200, res.body);
    const fresh = cookiesOf(res).sipprot_session!;
    apiError(await b.req({ method: 'GET', url: '/api/status' }), 401, 'SP_ERR_AUTH');
    apiError(await a.req({ method: 'GET', url: '/api/status' }), 401, 'SP_ERR_AUTH');
    const again = await h.app.inject({
      method: 'GET',
      url: '/api/status',
      headers: { cookie: `sipprot_session=${fresh}` },
    });
    assert.equal(again.statusCode, 200);
    await setAdminPassword(h.world.store, PASSWORD);
  });

  test('a password set outside (sipprot passwd) ends web sessions', async () => {
    const a = await login(h.app);
    await setAdminPassword(h.world.store, PASSWORD);
    apiError(await a.req({ method: 'GET', url: '/api/status' }), 401, 'SP_ERR_AUTH');
  });

  test('no password set: login explains how to set one', async () => {
    const other = await harness('tcp');
    await other.world.store.setSetting('admin.password', null);
    const err = apiError(
      await other.app.inject({ method: 'POST', url: '/api/login', payload: { password: 'x' } }),
      401,
      'SP_ERR_AUTH',
    );
    assert.match(err.message, /sipprot passwd/);
    await other.close();
  });

  test('security headers on API answers and static files', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/health' });
    const csp = String(res.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['referrer-policy'], 'no-referrer');
    assert.equal(res.headers['cache-control'], 'no-store');
    const page = await h.app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 503, 'no UI built at /nonexistent');
    assert.match(page.body, /build-web\.sh/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
  });
});

describe('the UI files', () => {
  test('served without login, with security headers; hashed assets cached, index.html revalidated', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sipprot-webroot-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>ui</title>');
    writeFileSync(join(root, 'assets/index-abc123.js'), 'console.log(1)');
    writeFileSync(join(root, '.secret'), 'x');
    const h = await harness('tcp', root);
    const page = await h.app.inject({ method: 'GET', url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<title>ui<\/title>/);
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    const js = await h.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    assert.equal(js.statusCode, 200);
    assert.match(String(js.headers['cache-control']), /immutable/);
    assert.equal((await h.app.inject({ method: 'GET', url: '/.secret' })).statusCode, 404);
    assert.equal((await h.app.inject({ method: 'GET', url: '/../package.json' })).statusCode, 404);
    await h.close();
    rmSync(root, { recursive: true, force: true });
  });
});

describe('API over the Unix socket', () => {
  test('needs no login and no CSRF token', async () => {
    const h = await harness('socket');
    const res = await h.app.inject({
      method: 'POST',
      url: '/api/lists/allow',
      payload: { entries: [{ network: '192.0.2.1', note: 'office' }] },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/status' })).statusCode, 200);
    const s = await h.app.inject({ method: 'GET', url: '/api/session' });
    assert.equal(s.json().transport, 'socket');
    assert.deepEqual(h.world.admin.calls.at(-1), { method: 'addEntries', requester: null, force: false });
    await h.close();
  });

  test('an unexpected error shows its message on the socket, not over TCP', async () => {
    for (const transport of ['socket', 'tcp'] as const) {
      const h = await harness(transport);
      h.world.deps.reload = async () => {
        throw new Error('disk on fire at /secret/path');
      };
      const app = h.app;
      const c = transport === 'tcp' ? await login(app) : null;
      const res = c
        ? await c.req({ method: 'POST', url: '/api/reload' })
        : await app.inject({ method: 'POST', url: '/api/reload' });
      const err = apiError(res, 500, 'SP_ERR_INTERNAL');
      if (transport === 'socket') assert.match(err.message, /disk on fire/);
      else assert.doesNotMatch(err.message, /secret/);
      await h.close();
    }
  });
});

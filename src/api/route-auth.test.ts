/**
 * Login and CSRF hold on the route the router matched, whatever spelling of its path a
 * client sends. The router decodes `%61pi` to `api` and may fold `//`; a check on the raw
 * URL let `GET /%61pi/status` through without a session (security test, issue 10 item 1).
 * Every registered route is tried with every spelling below, without a cookie and with a
 * forged cross-site POST: none may reach its handler.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Harness, harness, login } from './http.testkit.js';

/** Public on TCP by name; everything else needs a session. */
const PUBLIC = new Set([
  'POST /api/login',
  'GET /api/health',
  'GET /api/session',
  'HEAD /api/health',
  'HEAD /api/session',
]);

/** Spellings of one path that a lax router could take for the same route. */
export function variants(path: string): string[] {
  const encodeFirst = (p: string) => p.replace(/^\/a/, '/%61');
  const upperEnc = (p: string) => p.replace(/^\/a/, '/%41');
  const all = [
    path,
    encodeFirst(path),
    path.replace(/^\/a/, '/%2561'), // double-encoded
    upperEnc(path),
    path.replace('/api/', '/API/'),
    path.replace('/api/', '/Api/'),
    `/${path}`, // leading //
    path.replace('/api/', '/api//'),
    path.replace('/api/', '/./api/'),
    path.replace('/api/', '/api/./'),
    path.replace('/api/', '/x/../api/'),
    `${path}/`,
    `${path}.`,
    `${path}%2e`,
    `${path};x=1`,
    `${path}?`,
    `${path}#frag`,
    encodeFirst(path).replace('/api/', '/api%2f'),
  ];
  return [...new Set(all)];
}

/** A concrete path for a route pattern (`:ip` → an address, `*` → a file name). */
function concrete(url: string): string {
  return url
    .replace(':ip', '203.0.113.9')
    .replace(':list', 'allow')
    .replace(':email', 'a%40example.com')
    .replace('*', 'index.html');
}

async function answerOrHang<T>(p: Promise<T>): Promise<T | 'hang'> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), 1000);
  });
  try {
    return await Promise.race([p, hang]);
  } finally {
    clearTimeout(timer);
  }
}

describe('API over TCP: auth on the matched route (encoded paths)', () => {
  let h: Harness;
  const routes: { method: string; url: string }[] = [];
  before(async () => {
    h = await harness('tcp');
    routes.push(...h.routes);
    assert.ok(routes.length >= 25, `only ${routes.length} routes found`);
  });
  after(() => h.close());

  test('no spelling of a private route answers without a session', async () => {
    const leaks: string[] = [];
    for (const r of routes) {
      if (PUBLIC.has(`${r.method} ${r.url}`) || !r.url.startsWith('/api/')) continue;
      for (const url of variants(concrete(r.url))) {
        const res = await answerOrHang(
          h.app.inject({
            method: r.method as 'GET',
            url,
            headers: { origin: 'https://evil.example', 'content-type': 'text/plain' },
            payload: r.method === 'GET' || r.method === 'HEAD' ? undefined : '203.0.113.9,x\n',
          }),
        );
        // A streaming handler (the live view) never ends: reaching it is a leak too.
        if (res === 'hang' || res.statusCode < 400)
          leaks.push(`${r.method} ${url} → ${res === 'hang' ? 'stream' : res.statusCode}`);
      }
    }
    assert.deepEqual(leaks, []);
  });

  test('a forged cross-site change with a session cookie but no CSRF token is refused in every spelling', async () => {
    const c = await login(h.app);
    const before = (await h.world.deps.admin.listEntries('allow')).length;
    for (const url of variants('/api/lists/allow/import')) {
      const res = await h.app.inject({
        method: 'POST',
        url,
        headers: { cookie: c.cookie, origin: 'https://evil.example', 'content-type': 'text/plain' },
        payload: '203.0.113.9,forged\n',
      });
      assert.ok(res.statusCode >= 400, `${url} → ${res.statusCode}`);
    }
    assert.equal((await h.world.deps.admin.listEntries('allow')).length, before);
  });

  test('the public routes stay public', async () => {
    assert.equal((await h.app.inject({ method: 'GET', url: '/api/health' })).statusCode, 200);
    assert.equal((await h.app.inject({ method: 'GET', url: '/%61pi/health' })).statusCode, 200);
    assert.deepEqual((await h.app.inject({ method: 'GET', url: '/api/session' })).json(), {
      authenticated: false,
    });
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { aDecision, anAttack } from '../core/records.testkit.js';
import { startOfLocalDay } from './dashboard-routes.js';
import { apiError, type Client, type Harness, harness, login } from './http.testkit.js';

describe('recipients, mail, geo-IP, report, reload, dashboard, OpenAPI', () => {
  let h: Harness;
  let c: Client;
  before(async () => {
    h = await harness('tcp');
    c = await login(h.app);
  });
  after(() => h.close());

  test('recipients: add, list, remove; bad address named', async () => {
    const add = await c.req({
      method: 'POST',
      url: '/api/recipients',
      payload: { email: 'ops@example.com', name: 'Ops' },
    });
    assert.equal(add.statusCode, 201, add.body);
    assert.deepEqual(add.json(), { email: 'ops@example.com', name: 'Ops' });
    const list = (await c.req({ method: 'GET', url: '/api/recipients' })).json();
    assert.deepEqual(list, [{ email: 'ops@example.com', name: 'Ops' }]);
    apiError(
      await c.req({ method: 'POST', url: '/api/recipients', payload: { email: 'not an address' } }),
      400,
      'SP_ERR_ADDRESS_INVALID',
    );
    apiError(await c.req({ method: 'POST', url: '/api/recipients', payload: {} }), 400, 'SP_ERR_USAGE');
    const rm = await c.req({
      method: 'DELETE',
      url: `/api/recipients/${encodeURIComponent('OPS@example.com')}`,
    });
    assert.equal(rm.statusCode, 200);
    apiError(
      await c.req({ method: 'DELETE', url: '/api/recipients/ops%40example.com' }),
      404,
      'SP_ERR_NOT_FOUND',
    );
  });

  test('test mail goes to the given address or the recipients', async () => {
    const one = await c.req({ method: 'POST', url: '/api/notify/test', payload: { to: 'me@example.com' } });
    assert.deepEqual(one.json(), { ok: true, message: 'test mail queued for me@example.com' });
    await c.req({ method: 'POST', url: '/api/notify/test', payload: {} });
    assert.deepEqual(h.world.mails, ['me@example.com', undefined]);
  });

  test('geo-IP status and update', async () => {
    assert.equal((await c.req({ method: 'GET', url: '/api/geoip' })).json().origin, 'shipped');
    const up = await c.req({ method: 'POST', url: '/api/geoip/update', payload: {} });
    assert.equal(up.json().origin, 'state');
    assert.equal(up.json().date, '2026-07-01');
  });

  test('report: json, text, html (its own CSP, no script), bad day', async () => {
    const json = await c.req({ method: 'GET', url: '/api/report?day=2026-02-28' });
    assert.equal(json.json().day, '2026-02-28');
    assert.match(json.json().text, /2026-02-28/);
    const text = await c.req({ method: 'GET', url: '/api/report?day=2026-02-28&format=text' });
    assert.match(String(text.headers['content-type']), /^text\/plain/);
    const html = await c.req({ method: 'GET', url: '/api/report?day=2026-02-28&format=html' });
    assert.match(String(html.headers['content-type']), /^text\/html/);
    assert.match(String(html.headers['content-security-policy']), /default-src 'none'/);
    apiError(await c.req({ method: 'GET', url: '/api/report?day=2026-02-30' }), 400, 'SP_ERR_USAGE');
    apiError(await c.req({ method: 'GET', url: '/api/report?format=pdf' }), 400, 'SP_ERR_USAGE');
    const today = await c.req({ method: 'GET', url: '/api/report' });
    assert.match(today.json().day, /^\d{4}-\d{2}-\d{2}$/);
  });

  test('reload', async () => {
    const r = await c.req({ method: 'POST', url: '/api/reload', payload: {} });
    assert.deepEqual(r.json(), { reloaded: true, message: 'config and lists reloaded' });
    assert.equal(h.world.reloads, 1);
  });

  test('dashboard: blocks now, attacks today, top lists, a series of buckets', async () => {
    const now = h.world.clock.now();
    const midnight = startOfLocalDay(now);
    await h.world.store.recordAttack(anAttack('192.0.2.1', now - 60));
    await h.world.store.recordAttack(
      anAttack('192.0.2.2', now - 120, { country: 'RU', userAgent: 'sipcli' }),
    );
    await h.world.store.recordAttack(
      anAttack('192.0.2.2', now - 130, { country: 'RU', userAgent: 'sipcli' }),
    );
    await h.world.store.recordAttack(
      anAttack('192.0.2.4', now - 140, { country: 'RU', userAgent: 'sipcli' }),
    );
    await h.world.store.recordAttack(anAttack('192.0.2.3', midnight - 3600));
    await h.world.store.recordDecision(aDecision('192.0.2.1', now - 50));
    await h.world.block('192.0.2.1');
    await h.world.block('192.0.2.9', { expiresAt: null });
    const d = (await c.req({ method: 'GET', url: '/api/dashboard?range=24h' })).json();
    assert.deepEqual(d.blocks, { permanent: 1, temporary: 1 });
    const expectToday = [now - 60, now - 120, now - 130, now - 140, midnight - 3600].filter(
      (t) => t >= midnight,
    ).length;
    assert.equal(d.today.attacks, expectToday);
    assert.equal(d.range.bucketSeconds, 1800);
    assert.equal(d.series.length, 48);
    assert.equal(
      d.series.reduce((s: number, b: { attacks: number }) => s + b.attacks, 0),
      5,
    );
    assert.deepEqual(d.topCountries[0], { country: 'RU', name: 'Russia', events: 3 });
    assert.deepEqual(d.topUserAgents[0], { userAgent: 'sipcli', events: 3 });
    assert.equal((await c.req({ method: 'GET', url: '/api/dashboard?range=7d' })).json().series.length, 28);
    apiError(await c.req({ method: 'GET', url: '/api/dashboard?range=1y' }), 400, 'SP_ERR_USAGE');
  });

  test('recent attacks and decisions', async () => {
    const attacks = (await c.req({ method: 'GET', url: '/api/attacks?limit=2' })).json();
    assert.equal(attacks.length, 2);
    assert.equal(attacks[0].ip, '192.0.2.1', 'newest first');
    const ds = (await c.req({ method: 'GET', url: '/api/decisions?ip=192.0.2.1' })).json();
    assert.equal(ds.length, 1);
    apiError(await c.req({ method: 'GET', url: '/api/attacks?limit=0' }), 400, 'SP_ERR_USAGE');
  });

  test('OpenAPI is generated from the routes: each one described with its contract, nothing else', async () => {
    const doc = (await c.req({ method: 'GET', url: '/api/openapi.json' })).json();
    assert.equal(doc.openapi, '3.1.0');
    assert.ok(doc.components.schemas.Error.properties.error.properties.code.enum.includes('SP_ERR_LOCKOUT'));
    type Op = {
      summary?: string;
      security?: unknown[];
      parameters?: Array<{ name: string; in: string }>;
      requestBody: { content: Record<string, { schema: { required?: string[] } }> };
      responses: Record<string, { content: Record<string, { schema: unknown }> }>;
    };
    const described = new Map<string, Op>();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Op>>)) {
      for (const [method, op] of Object.entries(ops)) {
        described.set(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`, op);
      }
    }
    // Described → registered: ask the router route by route.
    for (const r of described.keys()) {
      const [method, path] = r.split(' ') as [string, string];
      assert.ok(
        h.app.hasRoute({ method: method as 'GET', url: path }),
        `${r} is described but not registered`,
      );
    }
    // Registered → described: the router's own tree, not the list the document was built from.
    const apiRoutes = collectRoutes(h.app.printRoutes({ commonPrefix: false }));
    assert.ok(apiRoutes.length >= 30, `found ${apiRoutes.length} routes in the tree`);
    for (const r of apiRoutes) assert.ok(described.has(r), `${r} is registered but not described`);
    assert.equal(described.size, apiRoutes.length);
    // Each operation says what it does, what it answers and how it fails; path parameters are declared.
    for (const [r, op] of described) {
      assert.ok(op.summary, `${r} has no summary`);
      assert.ok(
        Object.keys(op.responses).some((s) => /^2\d\d$/.test(s)),
        `${r} has no success answer`,
      );
      assert.deepEqual(op.responses.default, { $ref: '#/components/responses/Error' }, r);
      const pathParams = [...r.matchAll(/:(\w+)/g)].map((m) => m[1]);
      const declared = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      assert.deepEqual(declared, pathParams, `${r} path parameters`);
    }
    // The body the validator checks is the body described; shared records are components.
    const add = described.get('POST /api/lists/:list')!;
    assert.deepEqual(add.requestBody.content['application/json']?.schema.required, ['entries']);
    assert.deepEqual(add.responses['200']?.content['application/json']?.schema, {
      $ref: '#/components/schemas/ChangeResult',
    });
    assert.deepEqual(Object.keys(described.get('POST /api/lists/:list/import')!.requestBody.content), [
      'application/json',
      'text/csv',
      'text/plain',
    ]);
    assert.deepEqual(described.get('POST /api/login')!.security, [], 'public routes need no session');
    assert.equal(described.get('GET /api/status')!.security, undefined);
  });
});

/** "METHOD /path" for every /api route in fastify's printRoutes tree (rebuilt from its indentation). */
function collectRoutes(tree: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(\S+) \(([A-Z, ]+)\)/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    const path = stack.join('').replace(/^\/?/, '/').replace(/\/\/+/g, '/');
    if (!path.startsWith('/api/')) continue;
    for (const method of m[3]!.split(', ')) if (method !== 'HEAD') out.push(`${method} ${path}`);
  }
  return out;
}

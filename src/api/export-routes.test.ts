import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiError, type Client, type Harness, harness, login } from './http.testkit.js';

const TOKEN = 'sbc-pull-token-0123456789';

describe('GET /api/blocks/export', () => {
  let h: Harness;
  let c: Client;
  before(async () => {
    h = await harness('tcp');
    c = await login(h.app);
    await h.world.admin.addEntries('deny', [
      { network: '192.168.50.0/24', note: 'branch' },
      { network: '2001:db8:bad::/48', note: '=cmd()' },
    ]);
    await h.world.admin.addEntries('allow', [{ network: '192.168.50.15', note: 'the branch admin' }]);
    await h.world.block('203.0.113.66');
    await h.world.block('203.0.113.67');
    await h.world.block('192.168.50.15'); // allowed: must never be exported
  });
  after(() => h.close());

  test('text by default: dynamic and deny, the allowed address cut out', async () => {
    const res = await c.req({ method: 'GET', url: '/api/blocks/export' });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const lines = res.body.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.ok(lines.includes('203.0.113.66'));
    assert.ok(lines.includes('192.168.50.0/29'));
    assert.ok(!lines.includes('192.168.50.0/24'));
    assert.ok(!lines.includes('192.168.50.15'));
    assert.ok(lines.includes('2001:db8:bad::/48'));
    assert.match(res.body, /^# sipprot blocklist: \d+ networks \(dynamic, deny\)/);
  });

  test('aggregate: adjacent dynamic blocks merge; include narrows', async () => {
    const res = await c.req({ method: 'GET', url: '/api/blocks/export?include=dynamic&aggregate=true' });
    const lines = res.body.split('\n').filter((l) => l && !l.startsWith('#'));
    assert.deepEqual(lines, ['203.0.113.66/31']);
  });

  test('include=feeds: the shared blocklists, with their feed and expiry; allow still cut out', async () => {
    const now = h.world.clock.now();
    h.world.admin.feeds = [
      { feed: 'voipbl', network: '185.220.101.0/24', since: now - 60, expiresAt: now + 3600 },
      { feed: 'apiban', network: '192.168.50.15', since: now - 60, expiresAt: now + 600 },
      { feed: 'old', network: '45.95.147.10', since: now - 9000, expiresAt: now - 1 },
    ];
    const res = await c.req({ method: 'GET', url: '/api/blocks/export?include=feeds&format=json' });
    assert.equal(res.statusCode, 200, res.body);
    const doc = res.json();
    assert.deepEqual(
      doc.blocks.map((b: { network: string; origins: string[]; note: string }) => [
        b.network,
        b.origins,
        b.note,
      ]),
      [['185.220.101.0/24', ['feeds'], 'feed voipbl']],
    );
    assert.ok(Math.abs(doc.blocks[0].expiresAt - (now + 3600)) < 1);
    const def = await c.req({ method: 'GET', url: '/api/blocks/export' });
    assert.ok(!def.body.includes('185.220.101.0/24'), 'feeds only when asked for');
    h.world.admin.feeds = [];
  });

  test('json: the versioned document, checked against its schema', async () => {
    const res = await c.req({ method: 'GET', url: '/api/blocks/export?format=json' });
    assert.equal(res.statusCode, 200, res.body);
    const doc = res.json();
    assert.equal(doc.version, 1);
    assert.deepEqual(doc.include, ['dynamic', 'deny']);
    assert.equal(doc.cutByAllowList, 2);
    const b = doc.blocks.find((x: { network: string }) => x.network === '203.0.113.66');
    assert.deepEqual(b.origins, ['dynamic']);
    assert.equal(typeof b.expiresAt, 'number');
  });

  test('csv, nft and ipset', async () => {
    const csv = await c.req({ method: 'GET', url: '/api/blocks/export?format=csv' });
    assert.match(String(csv.headers['content-type']), /^text\/csv/);
    assert.match(csv.body, /^network,origins,reason,expires_at,note\r\n/);
    assert.match(csv.body, /2001:db8:bad::\/48,deny,,,'=cmd\(\)\r\n/);
    const nft = await c.req({ method: 'GET', url: '/api/blocks/export?format=nft&name=edge' });
    assert.match(nft.body, /^add table inet edge$/m);
    const ipset = await c.req({ method: 'GET', url: '/api/blocks/export?format=ipset' });
    assert.match(ipset.body, /^swap sipprot-blocked4-new sipprot-blocked4$/m);
  });

  test('bad queries are 400 with the reason', async () => {
    const e1 = apiError(
      await c.req({ method: 'GET', url: '/api/blocks/export?include=countries' }),
      400,
      'SP_ERR_USAGE',
    );
    assert.match(e1.message, /'countries' is not one of dynamic, deny, feeds/);
    apiError(await c.req({ method: 'GET', url: '/api/blocks/export?format=pdf' }), 400, 'SP_ERR_USAGE');
    apiError(await c.req({ method: 'GET', url: '/api/blocks/export?name=a%20b' }), 400, 'SP_ERR_USAGE');
  });

  test('without a session: only the bearer EXPORT_TOKEN opens it, and nothing else', async () => {
    const anon = (headers: Record<string, string> = {}, url = '/api/blocks/export') =>
      h.app.inject({ method: 'GET', url, headers, remoteAddress: '127.0.0.1' });
    apiError(await anon(), 401, 'SP_ERR_AUTH');
    const none = apiError(await anon({ authorization: `Bearer ${TOKEN}` }), 401, 'SP_ERR_AUTH');
    assert.match(none.message, /no EXPORT_TOKEN is set/);
    h.world.tokens = { metrics: null, export: TOKEN };
    try {
      const ok = await anon({ authorization: `Bearer ${TOKEN}` });
      assert.equal(ok.statusCode, 200, ok.body);
      assert.match(ok.body, /203\.0\.113\.66/);
      const wrong = apiError(await anon({ authorization: `Bearer ${TOKEN}x` }), 401, 'SP_ERR_AUTH');
      assert.ok(!wrong.message.includes(TOKEN));
      // The token opens its route only: not the lists, not a change.
      apiError(await anon({ authorization: `Bearer ${TOKEN}` }, '/api/lists/deny'), 401, 'SP_ERR_AUTH');
      const post = await h.app.inject({
        method: 'DELETE',
        url: '/api/dynamic/203.0.113.66',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(post.statusCode, 401);
      // A scraper names the host as it knows it: its token is no ambient credential.
      const named = await anon({ authorization: `Bearer ${TOKEN}`, host: 'pbx.example.com:8040' });
      assert.equal(named.statusCode, 200, named.body);
      apiError(await anon({ host: 'pbx.example.com:8040' }), 421, 'SP_ERR_BAD_HOST');
      // An encoded path reaches the same route and the same check.
      apiError(
        await anon({ authorization: 'Bearer nope-nope-nope-nope' }, '/%61pi/blocks/export'),
        401,
        'SP_ERR_AUTH',
      );
    } finally {
      h.world.tokens = { metrics: null, export: null };
    }
  });
});

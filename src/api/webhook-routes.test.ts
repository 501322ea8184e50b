import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiError, type Client, type Harness, harness, login } from './http.testkit.js';

const SLACK = 'https://hooks.slack.com/services/T000/B000/SECRETSECRET';
const TOKEN = 'prometheus-scrape-token-0123';

describe('webhooks and /metrics over the API', () => {
  let h: Harness;
  let c: Client;
  before(async () => {
    h = await harness('tcp');
    c = await login(h.app);
  });
  after(() => h.close());

  test('add, list (never the secret part), test, remove — written to WEBHOOK_URLS', async () => {
    const add = await c.req({
      method: 'POST',
      url: '/api/webhooks',
      payload: { format: 'slack', url: SLACK },
    });
    assert.equal(add.statusCode, 200, add.body);
    assert.ok(!add.body.includes('SECRET'), 'the URL path never comes back');
    assert.deepEqual(add.json().targets, [
      { index: 0, format: 'slack', where: 'https://hooks.slack.com', lastOk: null, lastError: null },
    ]);
    assert.equal(h.world.settings.values.WEBHOOK_URLS, `slack:${SLACK}`);
    await c.req({
      method: 'POST',
      url: '/api/webhooks',
      payload: { format: 'json', url: 'http://127.0.0.1:9000/in' },
    });
    const again = await c.req({
      method: 'POST',
      url: '/api/webhooks',
      payload: { format: 'slack', url: SLACK },
    });
    assert.equal(again.json().targets.length, 2, 'the same target twice is one');
    const view = (await c.req({ method: 'GET', url: '/api/webhooks' })).json();
    assert.deepEqual(view.events, ['block', 'permanent', 'alert']);
    assert.equal(view.groupSeconds, 30);
    assert.deepEqual(view.formats, ['json', 'slack', 'mattermost', 'teams', 'discord']);

    const t = await c.req({ method: 'POST', url: '/api/webhooks/test', payload: { index: 1 } });
    assert.deepEqual(t.json().results, [
      { index: 1, format: 'json', where: 'http://127.0.0.1:9000', ok: true, message: 'HTTP 200' },
    ]);
    await c.req({ method: 'POST', url: '/api/webhooks/test', payload: {} });
    assert.deepEqual(h.world.webhookTests, [1, undefined]);
    apiError(
      await c.req({ method: 'POST', url: '/api/webhooks/test', payload: { index: 7 } }),
      404,
      'SP_ERR_NOT_FOUND',
    );

    const rm = await c.req({ method: 'DELETE', url: '/api/webhooks/0' });
    assert.equal(rm.statusCode, 200, rm.body);
    assert.equal(h.world.settings.values.WEBHOOK_URLS, 'json:http://127.0.0.1:9000/in');
    apiError(await c.req({ method: 'DELETE', url: '/api/webhooks/5' }), 404, 'SP_ERR_NOT_FOUND');
  });

  test('refused: other schemes, unknown formats, a masked URL pasted back into the settings', async () => {
    apiError(
      await c.req({
        method: 'POST',
        url: '/api/webhooks',
        payload: { format: 'json', url: 'file:///etc/passwd' },
      }),
      400,
      'SP_ERR_USAGE',
    );
    apiError(
      await c.req({
        method: 'POST',
        url: '/api/webhooks',
        payload: { format: 'irc', url: 'https://x.example/' },
      }),
      400,
      'SP_ERR_USAGE',
    );
    const masked = await c.req({
      method: 'PATCH',
      url: '/api/settings',
      payload: { changes: { WEBHOOK_URLS: 'slack:https://hooks.slack.com/********' } },
    });
    const err = apiError(masked, 400, 'SP_ERR_CONFIG_INVALID');
    assert.match(err.message, /retype the whole webhook URLs/);
    const settings = (await c.req({ method: 'GET', url: '/api/settings' })).json();
    const field = settings.fields.find((f: { key: string }) => f.key === 'WEBHOOK_URLS');
    assert.ok(!JSON.stringify(field).includes('SECRET'));
  });

  test('changes need a session and CSRF', async () => {
    const anon = await h.app.inject({
      method: 'POST',
      url: '/api/webhooks',
      payload: { format: 'json', url: 'https://x.example/' },
    });
    apiError(anon, 401, 'SP_ERR_AUTH');
    const noCsrf = await h.app.inject({
      method: 'POST',
      url: '/api/webhooks/test',
      payload: {},
      headers: { cookie: c.cookie },
    });
    assert.equal(noCsrf.statusCode, 403);
  });

  test('/metrics: a session, or the bearer METRICS_TOKEN (which opens nothing else)', async () => {
    const withSession = await c.req({ method: 'GET', url: '/metrics' });
    assert.equal(withSession.statusCode, 200);
    assert.match(String(withSession.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(withSession.body, /^sipprot_fake 1$/m);
    const anon = (headers: Record<string, string> = {}, url = '/metrics') =>
      h.app.inject({ method: 'GET', url, headers });
    apiError(await anon(), 401, 'SP_ERR_AUTH');
    h.world.tokens = { metrics: TOKEN, export: null };
    try {
      assert.equal((await anon({ authorization: `Bearer ${TOKEN}` })).statusCode, 200);
      apiError(await anon({ authorization: 'Bearer wrong-wrong-wrong-wrong' }), 401, 'SP_ERR_AUTH');
      apiError(await anon({ authorization: `Bearer ${TOKEN}` }, '/api/webhooks'), 401, 'SP_ERR_AUTH');
      apiError(await anon({ authorization: `Bearer ${TOKEN}` }, '/api/blocks/export'), 401, 'SP_ERR_AUTH');
    } finally {
      h.world.tokens = { metrics: null, export: null };
    }
  });
});

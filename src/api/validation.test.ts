/**
 * Requests are validated by their route schemas, and a bad one is answered with the code
 * and the words the handlers used to write by hand (issue 11 moved the checks into the
 * schemas; these messages are the ones of before, so clients and scripts see no change).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { apiError, type Client, type Harness, harness, login } from './http.testkit.js';

describe('request validation from the route schemas', () => {
  let h: Harness;
  let c: Client;
  before(async () => {
    h = await harness('tcp');
    c = await login(h.app);
  });
  after(() => h.close());

  const cases: Array<[string, string, unknown, number, string, string]> = [
    [
      'POST',
      '/api/lists/deny',
      { entries: 'x' },
      400,
      'SP_ERR_USAGE',
      'body.entries must be an array of {network, note}',
    ],
    ['POST', '/api/lists/deny', {}, 400, 'SP_ERR_USAGE', 'body.entries must be an array of {network, note}'],
    [
      'POST',
      '/api/lists/deny',
      { entries: [{ network: '192.0.2.1' }, { note: 'x' }] },
      400,
      'SP_ERR_USAGE',
      'body.entries[1] must be {network: string, note?: string}',
    ],
    [
      'POST',
      '/api/lists/deny',
      { entries: [{ network: '192.0.2.1', note: 7 }] },
      400,
      'SP_ERR_USAGE',
      'body.entries[0] must be {network: string, note?: string}',
    ],
    [
      'POST',
      '/api/lists/deny/remove',
      { networks: [1] },
      400,
      'SP_ERR_USAGE',
      'body.networks must be an array of strings',
    ],
    ['POST', '/api/lists/deny/remove', {}, 400, 'SP_ERR_USAGE', 'body.networks must be an array of strings'],
    [
      'POST',
      '/api/lists/deny/import',
      { skipInvalid: true },
      400,
      'SP_ERR_USAGE',
      'body.csv must be the CSV text',
    ],
    ['GET', '/api/lists/grey', undefined, 404, 'SP_ERR_NOT_FOUND', 'no list "grey": use allow or deny'],
    [
      'GET',
      '/api/lists/grey/export',
      undefined,
      404,
      'SP_ERR_NOT_FOUND',
      'no list "grey": use allow or deny',
    ],
    ['GET', '/api/attacks?limit=0', undefined, 400, 'SP_ERR_USAGE', 'limit must be an integer 1-1000'],
    ['GET', '/api/attacks?limit=x', undefined, 400, 'SP_ERR_USAGE', 'limit must be an integer 1-1000'],
    ['GET', '/api/decisions?hours=9000', undefined, 400, 'SP_ERR_USAGE', 'hours must be an integer 1-8784'],
    ['GET', '/api/dashboard?range=1y', undefined, 400, 'SP_ERR_USAGE', 'range must be one of 24h, 7d, 30d'],
    ['GET', '/api/report?format=pdf', undefined, 400, 'SP_ERR_USAGE', 'format must be json, text or html'],
    [
      'GET',
      '/api/report?day=2026-02-30',
      undefined,
      400,
      'SP_ERR_USAGE',
      "day must be a date YYYY-MM-DD, not '2026-02-30'",
    ],
    ['POST', '/api/recipients', {}, 400, 'SP_ERR_USAGE', 'body.email must be an e-mail address'],
    ['POST', '/api/recipients', { email: '  ' }, 400, 'SP_ERR_USAGE', 'body.email must be an e-mail address'],
    [
      'POST',
      '/api/recipients',
      { email: 'a@example.com', name: 5 },
      400,
      'SP_ERR_USAGE',
      'body.name must be text',
    ],
    ['POST', '/api/notify/test', { to: 5 }, 400, 'SP_ERR_USAGE', 'body.to must be an e-mail address'],
    [
      'PATCH',
      '/api/settings',
      { changes: [] },
      400,
      'SP_ERR_USAGE',
      'body.changes must be an object {KEY: "value"}',
    ],
    [
      'POST',
      '/api/settings/validate',
      {},
      400,
      'SP_ERR_USAGE',
      'body.changes must be an object {KEY: "value"}',
    ],
    [
      'POST',
      '/api/password',
      { current: 'x' },
      400,
      'SP_ERR_USAGE',
      'body.password must be the new password',
    ],
  ];

  test('bad input: the code and the words of before', async () => {
    for (const [method, url, payload, status, code, message] of cases) {
      const res = await c.req({
        method: method as 'GET',
        url,
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
      const err = apiError(res, status, code);
      assert.equal(err.message, message, `${method} ${url}`);
    }
  });

  test('a number where text belongs is refused, not coerced', async () => {
    const res = await c.req({ method: 'POST', url: '/api/lists/allow/remove', payload: { networks: [192] } });
    apiError(res, 400, 'SP_ERR_USAGE');
    assert.equal(h.world.admin.calls.length, 0, 'the handler never ran');
  });

  test('the querystring is text: numbers are read, an empty value is the default', async () => {
    for (const url of ['/api/attacks?limit=3', '/api/attacks?limit=', '/api/attacks?limit=&hours=']) {
      const res = await c.req({ method: 'GET', url });
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    }
  });

  test('a login without a password is a wrong password (401), as before', async () => {
    for (const payload of [{}, undefined]) {
      const res = await h.app.inject({ method: 'POST', url: '/api/login', ...(payload ? { payload } : {}) });
      apiError(res, 401, 'SP_ERR_AUTH');
    }
  });

  test('a test mail without a body goes to the recipients', async () => {
    const res = await c.req({ method: 'POST', url: '/api/notify/test' });
    assert.equal(res.statusCode, 200, res.body);
  });
});

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { CSV_TEMPLATE } from '../core/lists/list-csv.js';
import { checkAnswers } from './answers.testkit.js';
import { apiError, type Client, type Harness, harness, login } from './http.testkit.js';
import { buildApi } from './server.js';

describe('lists, dynamic list and lock-out guard', () => {
  let h: Harness;
  let c: Client;
  before(async () => {
    h = await harness('tcp');
    c = await login(h.app, '203.0.113.50');
  });
  after(() => h.close());
  beforeEach(() => {
    h.world.admin.lists.allow.clear();
    h.world.admin.lists.deny.clear();
  });

  const add = (list: string, entries: Array<{ network: string; note?: string }>) =>
    c.req({ method: 'POST', url: `/api/lists/${list}`, payload: { entries } });

  test('add with note, list, remove one/many/all', async () => {
    const r = await add('allow', [
      { network: '192.0.2.10', note: 'office' },
      { network: '198.51.100.0/24', note: 'branch' },
      { network: '2001:db8::/32' },
    ]);
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().added.length, 3);
    const list = (await c.req({ method: 'GET', url: '/api/lists/allow' })).json();
    assert.deepEqual(list[0], { network: '192.0.2.10', note: 'office' });
    assert.equal(list.length, 3);
    const rm = await c.req({
      method: 'POST',
      url: '/api/lists/allow/remove',
      payload: { networks: ['192.0.2.10', '10.0.0.1'] },
    });
    assert.deepEqual(rm.json(), { removed: ['192.0.2.10'], missing: ['10.0.0.1'] });
    const all = await c.req({ method: 'POST', url: '/api/lists/allow/remove', payload: { all: true } });
    assert.equal(all.json().removed.length, 2);
    assert.equal(h.world.admin.lists.allow.size, 0);
  });

  test('the requester address and force reach the Admin; a TCP client cannot name another requester', async () => {
    await add('allow', [{ network: '192.0.2.10' }]);
    assert.deepEqual(h.world.admin.calls.at(-1), {
      method: 'addEntries',
      requester: '203.0.113.50',
      force: false,
    });
    const forced = await c.req({
      method: 'POST',
      url: '/api/lists/deny',
      payload: { entries: [{ network: '192.0.2.11' }], force: true, requester: '198.51.100.1' },
    });
    assert.equal(forced.statusCode, 200, forced.body);
    assert.deepEqual(h.world.admin.calls.at(-1), {
      method: 'addEntries',
      requester: '203.0.113.50',
      force: true,
    });
  });

  test('bad input: one error shape with a stable code', async () => {
    apiError(await add('deny', [{ network: '300.1.1.1' }]), 400, 'SP_ERR_ADDRESS_INVALID');
    apiError(await c.req({ method: 'GET', url: '/api/lists/grey' }), 404, 'SP_ERR_NOT_FOUND');
    apiError(
      await c.req({ method: 'POST', url: '/api/lists/deny', payload: { entries: 'x' } }),
      400,
      'SP_ERR_USAGE',
    );
    apiError(
      await c.req({ method: 'POST', url: '/api/lists/deny/remove', payload: { networks: [1] } }),
      400,
      'SP_ERR_USAGE',
    );
    apiError(
      await c.req({
        method: 'POST',
        url: '/api/lists/deny',
        payload: '{"entries": [',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'SP_ERR_USAGE',
    );
    apiError(await c.req({ method: 'PUT', url: '/api/lists/deny' }), 404, 'SP_ERR_NOT_FOUND');
  });

  test('CSV import: per-line errors, nothing applied; skipInvalid applies the rest', async () => {
    const csv = 'network,note\r\n192.0.2.1,one\r\nnot-an-ip,two\r\n198.51.100.0/24,"three, quoted"\r\n';
    const r = await c.req({ method: 'POST', url: '/api/lists/deny/import', payload: { csv } });
    assert.equal(r.statusCode, 200);
    const body = r.json();
    assert.equal(body.applied, false);
    assert.equal(body.errors.length, 1);
    assert.equal(body.errors[0].line, 3);
    assert.equal(body.errors[0].text, 'not-an-ip,two');
    assert.equal(h.world.admin.lists.deny.size, 0);
    const r2 = await c.req({
      method: 'POST',
      url: '/api/lists/deny/import',
      payload: { csv, skipInvalid: true },
    });
    assert.equal(r2.json().applied, true);
    assert.equal(h.world.admin.lists.deny.get('198.51.100.0/24'), 'three, quoted');
  });

  test('CSV import as a raw text/csv body (curl --data-binary)', async () => {
    const r = await c.req({
      method: 'POST',
      url: '/api/lists/allow/import?skipInvalid=1',
      payload: '192.0.2.5,cli\nbad\n',
      headers: { 'content-type': 'text/csv' },
    });
    assert.equal(r.statusCode, 200, r.body);
    assert.equal(r.json().applied, true);
    assert.equal(h.world.admin.lists.allow.get('192.0.2.5'), 'cli');
  });

  test('CSV export and template round-trip', async () => {
    await add('deny', [{ network: '192.0.2.99', note: '=cmd|calc, a formula' }]);
    const exp = await c.req({ method: 'GET', url: '/api/lists/deny/export' });
    assert.equal(exp.statusCode, 200);
    assert.match(String(exp.headers['content-type']), /^text\/csv/);
    assert.match(String(exp.headers['content-disposition']), /attachment; filename="sipprot-denylist.csv"/);
    h.world.admin.lists.deny.clear();
    const back = await c.req({ method: 'POST', url: '/api/lists/deny/import', payload: { csv: exp.body } });
    assert.equal(back.json().applied, true);
    assert.equal(h.world.admin.lists.deny.get('192.0.2.99'), '=cmd|calc, a formula');
    const tpl = await c.req({ method: 'GET', url: '/api/lists/template.csv' });
    assert.equal(tpl.body, CSV_TEMPLATE);
    assert.match(String(tpl.headers['content-disposition']), /attachment/);
  });

  test('import body limit is above 1 MB (100k-line lists)', async () => {
    const lines = Array.from(
      { length: 100_000 },
      (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255},n`,
    );
    const csv = `network,note\n${lines.join('\n')}\n`;
    assert.ok(csv.length > 1024 * 1024);
    const r = await c.req({ method: 'POST', url: '/api/lists/allow/import', payload: { csv } });
    assert.equal(r.statusCode, 200);
    assert.equal(h.world.admin.lists.allow.size, 100_000);
  });

  test('lock-out: denying the network the browser comes from is refused', async () => {
    const err = apiError(await add('deny', [{ network: '203.0.113.0/24' }]), 409, 'SP_ERR_LOCKOUT');
    assert.match(
      err.message,
      /denying 203\.0\.113\.0\/24 would cut off 203\.0\.113\.50 \(you are connected from it\)/,
    );
    assert.deepEqual(err.details, {
      lockouts: [{ ip: '203.0.113.50', why: 'you are connected from it', cause: 'denying 203.0.113.0/24' }],
    });
    const imp = await c.req({
      method: 'POST',
      url: '/api/lists/deny/import',
      payload: { csv: '192.0.2.1\n203.0.113.50\n' },
    });
    apiError(imp, 409, 'SP_ERR_LOCKOUT');
    assert.equal(h.world.admin.lists.deny.size, 0, 'nothing applied');
    // With the address in the allow list (allow beats deny) the same change is fine.
    await add('allow', [{ network: '203.0.113.50', note: 'me' }]);
    assert.equal((await add('deny', [{ network: '203.0.113.0/24' }])).statusCode, 200);
  });

  test('lock-out: removing the allow entry that keeps the browser in is refused', async () => {
    await add('allow', [{ network: '203.0.113.50', note: 'me' }]);
    await add('deny', [{ network: '203.0.113.0/24' }]);
    const one = await c.req({
      method: 'POST',
      url: '/api/lists/allow/remove',
      payload: { networks: ['203.0.113.50'] },
    });
    assert.match(
      apiError(one, 409, 'SP_ERR_LOCKOUT').message,
      /removing 203\.0\.113\.50 from the allow list \(then the deny list entry 203\.0\.113\.0\/24 drops it\)/,
    );
    const forced = await c.req({
      method: 'POST',
      url: '/api/lists/allow/remove',
      payload: { networks: ['203.0.113.50'], force: true },
    });
    assert.equal(forced.statusCode, 200, 'force overrides the guard');
    await add('allow', [{ network: '203.0.113.50', note: 'me' }]);
    apiError(
      await c.req({ method: 'POST', url: '/api/lists/allow/remove', payload: { all: true } }),
      409,
      'SP_ERR_LOCKOUT',
    );
    // Without a deny entry covering the browser, removing is fine.
    await c.req({ method: 'POST', url: '/api/lists/deny/remove', payload: { all: true } });
    assert.equal(
      (await c.req({ method: 'POST', url: '/api/lists/allow/remove', payload: { all: true } })).statusCode,
      200,
    );
  });

  test('loopback can never be denied, on either listener', async () => {
    for (const network of ['127.0.0.1', '127.0.0.0/8', '::1', '0.0.0.0/0', '::/0']) {
      apiError(await add('deny', [{ network }]), 409, 'SP_ERR_LOCKOUT');
    }
    const sock = await harness('socket');
    const r = await sock.app.inject({
      method: 'POST',
      url: '/api/lists/deny',
      payload: { entries: [{ network: '127.0.0.1' }] },
    });
    apiError(r, 409, 'SP_ERR_LOCKOUT');
    const ok = await sock.app.inject({
      method: 'POST',
      url: '/api/lists/deny',
      payload: { entries: [{ network: '203.0.113.0/24' }] },
    });
    assert.equal(ok.statusCode, 200, 'no requester on the socket: only loopback is protected');
    await sock.close();
  });

  test('dynamic list and unblock', async () => {
    await h.world.block('192.0.2.200', { userAgent: 'friendly-scanner', reason: 'scanner' });
    h.world.clock.advance(100);
    const list = (await c.req({ method: 'GET', url: '/api/dynamic' })).json();
    assert.equal(list.length, 1);
    assert.equal(list[0].ip, '192.0.2.200');
    assert.equal(list[0].timeLeft, 500);
    const un = await c.req({ method: 'DELETE', url: '/api/dynamic/192.0.2.200' });
    assert.deepEqual(un.json(), { ip: '192.0.2.200', wasBlocked: true });
    assert.equal((await c.req({ method: 'GET', url: '/api/dynamic' })).json().length, 0);
    const again = await c.req({ method: 'DELETE', url: '/api/dynamic/192.0.2.200' });
    assert.equal(again.json().wasBlocked, false);
    apiError(await c.req({ method: 'DELETE', url: '/api/dynamic/not-an-ip' }), 400, 'SP_ERR_ADDRESS_INVALID');
  });

  test('dynamic list made off the loop (the daemon: JSON text from a thread): sent as it is, same answer', async () => {
    await h.world.block('192.0.2.201', { userAgent: 'friendly-scanner', reason: 'scanner' });
    let asked = 0;
    const world = h.world;
    const app = await buildApi(
      {
        ...world.deps,
        dynamicJson: async () => {
          asked++;
          return JSON.stringify(await world.deps.admin.dynamicBlocks());
        },
      },
      { transport: 'socket' },
    );
    const strays = checkAnswers(app);
    try {
      const r = await app.inject({ method: 'GET', url: '/api/dynamic' });
      assert.equal(r.statusCode, 200);
      assert.match(String(r.headers['content-type']), /^application\/json; charset=utf-8/);
      assert.equal(asked, 1, 'the text came from dynamicJson');
      assert.deepEqual(r.json(), await world.deps.admin.dynamicBlocks());
      assert.equal(r.json()[0].ip, '192.0.2.201');
    } finally {
      await app.close();
    }
    assert.deepEqual(strays, [], "the answer matches the route's response schema");
  });

  test('status and check', async () => {
    await add('deny', [{ network: '192.0.2.0/24', note: 'bad' }]);
    const s = (await c.req({ method: 'GET', url: '/api/status' })).json();
    assert.equal(s.counts.deny, 1);
    const chk = (await c.req({ method: 'GET', url: '/api/check/192.0.2.7' })).json();
    assert.equal(chk.blocked, true);
    assert.deepEqual(chk.deny, { network: '192.0.2.0/24', note: 'bad' });
  });
});

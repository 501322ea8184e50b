/**
 * The open alerts over HTTP: listed behind the session, acknowledged only with the CSRF
 * token (a page the admin visits cannot acknowledge a breach away), each acknowledgement in
 * the history with the web admin and address; the live view gets the new list.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Alert } from '../core/detect/alerts.js';
import { apiError, type Client, type Harness, harness, login } from './http.testkit.js';
import type { LiveEvent } from './types.js';

const T = 1_750_000_000;
function aBreach(ip: string, over: Partial<Alert> = {}): Alert {
  return {
    at: T,
    kind: 'breach',
    ip,
    user: '1099',
    dialled: null,
    failures: 35,
    sources: [],
    userAgent: 'friendly-scanner',
    transport: 'udp',
    port: 5060,
    text: `possible cracked password: extension 1099, from ${ip}, after 35 failures`,
    ...over,
  };
}

describe('alert routes', () => {
  let h: Harness;
  let c: Client;
  const live: LiveEvent[] = [];
  before(async () => {
    h = await harness('tcp');
    c = await login(h.app, '203.0.113.50');
    h.world.events.subscribe((e) => live.push(e));
  });
  after(() => h.close());

  test('open alerts are listed (same alert counted up), in status too; no session, no alerts', async () => {
    await h.world.admin.board.raise(aBreach('198.51.100.7'), 'NL');
    await h.world.admin.board.raise(aBreach('198.51.100.7', { at: T + 60, failures: 40 }), 'NL');
    await h.world.admin.board.raise(
      aBreach('203.0.113.9', {
        kind: 'distributed',
        user: '200',
        text: 'extension 200 attacked from 12 addresses',
      }),
      null,
    );
    const list = (await c.req({ method: 'GET', url: '/api/alerts' })).json();
    assert.deepEqual(
      list.map((a: { id: number; kind: string; ip: string; count: number; failures: number }) => [
        a.id,
        a.kind,
        a.ip,
        a.count,
        a.failures,
      ]),
      [
        [1, 'breach', '198.51.100.7', 2, 40],
        [2, 'distributed', '203.0.113.9', 1, 35],
      ],
    );
    assert.equal((await c.req({ method: 'GET', url: '/api/status' })).json().alerts.length, 2);
    apiError(await h.app.inject({ method: 'GET', url: '/api/alerts' }), 401, 'SP_ERR_AUTH');
    assert.ok(live.filter((e) => e.type === 'alerts').length >= 3, 'the live view is told of each change');
  });

  test('acknowledging needs the CSRF token, a body naming what, and is audited with the web admin', async () => {
    const noCsrf = await h.app.inject({
      method: 'POST',
      url: '/api/alerts/ack',
      remoteAddress: '203.0.113.50',
      headers: { cookie: c.cookie },
      payload: { all: true },
    });
    apiError(noCsrf, 403, 'SP_ERR_CSRF');
    apiError(await c.req({ method: 'POST', url: '/api/alerts/ack', payload: {} }), 400, 'SP_ERR_USAGE');
    const r = await c.req({ method: 'POST', url: '/api/alerts/ack', payload: { ids: [1, 99] } });
    assert.deepEqual(r.json(), { acknowledged: [1] });
    const left = (await c.req({ method: 'GET', url: '/api/alerts' })).json();
    assert.deepEqual(
      left.map((a: { id: number }) => a.id),
      [2],
    );
    const h1 = (await c.req({ method: 'GET', url: '/api/history?kind=alert-ack' })).json();
    assert.equal(h1.events.length, 1);
    assert.equal(h1.events[0].subject, '198.51.100.7');
    assert.equal(h1.events[0].actor, 'web:admin@203.0.113.50');
    assert.match(
      h1.events[0].note,
      /^breach: possible cracked password: extension 1099.*\(raised 2 times\)$/,
    );
    assert.deepEqual(
      (await c.req({ method: 'POST', url: '/api/alerts/ack', payload: { all: true } })).json(),
      {
        acknowledged: [2],
      },
    );
    assert.deepEqual((await c.req({ method: 'GET', url: '/api/alerts' })).json(), []);
  });
});

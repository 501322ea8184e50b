/**
 * The history routes (issue 16): filters from the query string, keyset pages, the CSV
 * export (formulas neutralised, every page gathered), bad filters as 400s, who made a
 * change (web admin and address on TCP, cli on the socket), check's recent events.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { aHistoryEvent } from '../core/history/history.testkit.js';
import { apiError, type Client, type Harness, harness, login } from './http.testkit.js';

describe('history routes', () => {
  let h: Harness;
  let c: Client;
  const T = 1_750_000_000;
  before(async () => {
    h = await harness('tcp');
    c = await login(h.app, '203.0.113.50');
    await h.world.store.recordHistory(
      Array.from({ length: 30 }, (_, i) =>
        aHistoryEvent(`192.0.2.${i}`, T - 1000 + i, {
          country: i % 3 === 0 ? 'DE' : 'NL',
          userAgent: i === 7 ? '=HYPERLINK("http://x")' : 'friendly-scanner',
          users: [String(100 + (i % 4))],
        }),
      ),
    );
  });
  after(() => h.close());

  const get = (url: string) => c.req({ method: 'GET', url });

  test('a page, newest first, with filters from the query string', async () => {
    const all = (await get('/api/history?limit=5')).json();
    assert.equal(all.events.length, 5);
    assert.equal(all.events[0].subject, '192.0.2.29');
    assert.equal(typeof all.next, 'string');
    const de = (await get('/api/history?country=de&limit=100')).json();
    assert.equal(de.events.length, 10);
    assert.equal(de.next, null, 'a last full page says so (no empty page after it)');
    const net = (await get('/api/history?network=192.0.2.0%2F28&user=101&limit=100')).json();
    assert.deepEqual(
      net.events.map((e: { subject: string }) => e.subject),
      ['192.0.2.13', '192.0.2.9', '192.0.2.5', '192.0.2.1'],
    );
    const since = (await get(`/api/history?since=${T - 975}&until=${T - 972}`)).json();
    assert.deepEqual(
      since.events.map((e: { subject: string }) => e.subject),
      ['192.0.2.27', '192.0.2.26', '192.0.2.25'],
    );
  });

  test('pages follow one another through next', async () => {
    const seen: string[] = [];
    let url = '/api/history?limit=7&kind=block';
    for (let i = 0; i < 10; i++) {
      const p = (await get(url)).json();
      seen.push(...p.events.map((e: { subject: string }) => e.subject));
      if (!p.next) break;
      url = `/api/history?limit=7&kind=block&page=${p.next}`;
    }
    assert.equal(seen.length, 30);
    assert.equal(new Set(seen).size, 30);
  });

  test('the CSV export: every page, formulas neutralised, as a download', async () => {
    const r = await get('/api/history.csv?country=NL');
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /^text\/csv/);
    assert.match(String(r.headers['content-disposition']), /attachment; filename="sipprot-history.csv"/);
    const lines = r.body.trim().split('\r\n');
    assert.match(lines[0]!, /^time,epoch,kind,address,reason,actor/);
    assert.equal(lines.length, 1 + 20);
    assert.ok(
      lines.some((l) => l.includes(`"'=HYPERLINK(""http://x"")"`)),
      'a formula is neutralised',
    );
    const capped = await get('/api/history.csv?max=3');
    assert.equal(capped.body.trim().split('\r\n').length, 1 + 3);
  });

  test('bad filters are 400 with the code of the catalog', async () => {
    apiError(await get('/api/history?network=not-a-net'), 400, 'SP_ERR_USAGE');
    apiError(await get('/api/history?kind=nonsense'), 400, 'SP_ERR_USAGE');
    apiError(await get('/api/history?country=Germany'), 400, 'SP_ERR_USAGE');
    apiError(await get('/api/history?limit=0'), 400, 'SP_ERR_USAGE');
    apiError(await get('/api/history?page=x'), 400, 'SP_ERR_USAGE');
  });

  test('changes made over the web are in the history as the web admin from their address', async () => {
    await h.world.block('198.51.100.4');
    await c.req({ method: 'DELETE', url: '/api/dynamic/198.51.100.4' });
    await c.req({
      method: 'POST',
      url: '/api/lists/allow',
      payload: { entries: [{ network: '198.51.100.4', note: 'desk phone' }] },
    });
    const mine = (await get('/api/history?actor=web:admin@203.0.113.50')).json();
    assert.deepEqual(
      mine.events.map((e: { kind: string; subject: string; note: string | null }) => [
        e.kind,
        e.subject,
        e.note,
      ]),
      [
        ['allow-add', '198.51.100.4', 'desk phone'],
        ['unblock', '198.51.100.4', null],
      ],
    );
    const check = (await get('/api/check/198.51.100.4')).json();
    assert.deepEqual(
      check.recent.map((e: { kind: string }) => e.kind),
      ['allow-add', 'unblock'],
    );
  });

  test('a settings change is in the history with who made it; secrets stay masked', async () => {
    const r = await c.req({
      method: 'PATCH',
      url: '/api/settings',
      payload: { changes: { BLOCKTIME: '900', SMTP_PASSWORD: 'hunter2-secret' } },
    });
    assert.equal(r.statusCode, 200, r.body);
    const p = (await get('/api/history?kind=settings')).json();
    assert.equal(p.events[0].actor, 'web:admin@203.0.113.50');
    assert.match(p.events[0].note, /BLOCKTIME=900/);
    assert.match(p.events[0].note, /SMTP_PASSWORD=\*+/);
    assert.doesNotMatch(JSON.stringify(p), /hunter2/);
  });

  test('on the socket the CLI is the actor', async () => {
    const s = await harness('socket');
    try {
      await s.world.block('198.51.100.5');
      await s.app.inject({ method: 'DELETE', url: '/api/dynamic/198.51.100.5' });
      const p = (await s.app.inject({ method: 'GET', url: '/api/history?ip=198.51.100.5' })).json();
      assert.equal(p.events[0].actor, 'cli');
    } finally {
      await s.close();
    }
  });
});

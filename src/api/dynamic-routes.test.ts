/**
 * GET /api/dynamic/page and POST /api/dynamic/unblock (dynamic-routes.ts): pages in a
 * stable order with no row twice while blocks come and go, counts on the first page, a
 * search over the whole list, the bounds of `limit`, bad input as a 400 naming the field,
 * a session needed, a page read through `pageBlocks` when the daemon gives one, and a bulk
 * unblock that lifts nothing when one address is wrong.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { aBlock } from '../core/records.testkit.js';
import { setAdminPassword } from '../platform/admin-password.js';
import type { BlockPageQuery } from '../ports/store.js';
import { apiError, type Client, type Harness, harness, login, PASSWORD } from './http.testkit.js';
import { buildApi } from './server.js';
import type { DynamicPage } from './wire/dynamic.js';
import { fakeWorld } from './world.testkit.js';

const N = 1234;

describe('the dynamic list a page at a time', () => {
  let h: Harness;
  let c: Client;
  let now: number;
  before(async () => {
    h = await harness();
    c = await login(h.app);
  });
  after(() => h.close());
  beforeEach(async () => {
    now = h.world.clock.now();
    for (const b of await h.world.store.listBlocks()) await h.world.store.deleteBlock(b.ip);
    const blocks = Array.from({ length: N }, (_, i) =>
      aBlock(`10.1.${i >> 8}.${i & 255}`, {
        blockedAt: now - (i % 97),
        expiresAt: i % 50 === 0 ? null : now + 600 + (i % 13),
        country: i % 3 ? 'DE' : 'NL',
        userAgent: i === 1000 ? 'Needle-UA/1.0' : 'friendly-scanner',
        reason: i % 5 === 0 ? 'enumeration' : 'auth-failures',
        users: [`${200 + (i % 7)}`],
        misconfiguredPhone: i % 100 === 7,
      }),
    );
    await h.world.store.commit({ blocks: [...blocks, aBlock('10.2.0.1', { expiresAt: now - 1 })] });
  });

  const page = async (query: string): Promise<DynamicPage> => {
    const res = await c.req({ method: 'GET', url: `/api/dynamic/page?${query}` });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as DynamicPage;
  };

  async function walk(query: string): Promise<{ ips: string[]; pages: number; first: DynamicPage }> {
    const first = await page(query);
    const ips = first.blocks.map((b) => b.ip);
    let next = first.next;
    let pages = 1;
    while (next !== null) {
      const p = await page(`${query}&after=${encodeURIComponent(next)}`);
      assert.equal(p.counts, null, 'counts on the first page only');
      ips.push(...p.blocks.map((b) => b.ip));
      next = p.next;
      pages++;
    }
    return { ips, pages, first };
  }

  test('newest first by default: 100 rows, the counts, and pages to the end with each block once', async () => {
    const { ips, pages, first } = await walk('');
    assert.equal(first.blocks.length, 100);
    assert.deepEqual(first.counts, { inForce: N, matched: N, phones: 13 });
    assert.equal(pages, Math.ceil(N / 100));
    assert.equal(ips.length, N);
    assert.equal(new Set(ips).size, N, 'no row twice');
    assert.ok(!ips.includes('10.2.0.1'), 'an expired block is no row');
    const expected = (await h.world.store.listBlocks({ activeAt: now })).map((b) => b.ip);
    assert.deepEqual(ips, expected, 'the order listBlocks gives: blockedAt newest first, then address');
    assert.equal(first.blocks[0]!.timeLeft, first.blocks[0]!.expiresAt === null ? null : 600 + 0);
  });

  test('every sort and direction pages in a stable order; blocks added and lifted meanwhile change no page', async () => {
    const gone = new Set<string>();
    for (const sort of ['ip', 'country', 'reason', 'attempts', 'expiresAt', 'blockedAt']) {
      for (const dir of ['asc', 'desc']) {
        const first = await page(`sort=${sort}&dir=${dir}&limit=300`);
        // While the admin reads page 1, a flood adds blocks and one on page 1 is lifted.
        await h.world.store.commit({
          blocks: [aBlock(`10.3.0.${sort.length}${dir.length}`, { blockedAt: now, expiresAt: now + 60 })],
        });
        await h.world.store.deleteBlock(first.blocks[5]!.ip);
        gone.add(first.blocks[5]!.ip);
        let next = first.next;
        const ips = first.blocks.map((b) => b.ip);
        while (next !== null) {
          const p = await page(`sort=${sort}&dir=${dir}&limit=300&after=${encodeURIComponent(next)}`);
          ips.push(...p.blocks.map((b) => b.ip));
          next = p.next;
        }
        assert.equal(new Set(ips).size, ips.length, `${sort} ${dir}: no row twice`);
        const seen = new Set(ips);
        const original = Array.from({ length: N }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
        assert.deepEqual(
          original.filter((ip) => !seen.has(ip) && !gone.has(ip)),
          [],
          `${sort} ${dir}: every block there all along is on a page`,
        );
      }
    }
  });

  test('sort=ip: IPv4 by number, then IPv6 by number, both directions, across pages', async () => {
    // Text order would put 10.1.0.10 before 10.1.0.9, 100.0.0.1 before 9.0.0.1, ::10 before ::2.
    const six = ['::2', '::10', '2001:db8::f', '2001:db8::10', '2001:db8::1:0', 'fe80::1'];
    await h.world.store.commit({
      blocks: ['9.0.0.1', '100.0.0.1', ...six].map((ip) => aBlock(ip, { blockedAt: now, expiresAt: null })),
    });
    const v4 = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
    for (const dir of ['asc', 'desc'] as const) {
      const { ips } = await walk(`sort=ip&dir=${dir}&limit=50`);
      assert.equal(new Set(ips).size, N + 8, `${dir}: each block once`);
      const up = dir === 'asc' ? ips : [...ips].reverse();
      const fours = up.slice(0, N + 2).map(v4);
      assert.deepEqual(
        fours,
        [...fours].sort((a, b) => a - b),
        `${dir}: IPv4 first, by number`,
      );
      assert.equal(up[0], '9.0.0.1');
      assert.deepEqual(up.slice(N + 2), six, `${dir}: then IPv6, by number`);
    }
  });

  test('search over the whole list: a block on a later page is found; reasons in words; phones only', async () => {
    const all = await walk('');
    assert.ok(all.ips.indexOf('10.1.3.232') >= 100, 'the needle is not on the first page');
    const found = await page('q=needle-ua');
    assert.deepEqual(
      found.blocks.map((b) => b.ip),
      ['10.1.3.232'],
    );
    assert.deepEqual(found.counts, { inForce: N, matched: 1, phones: 13 });
    const words = await page('q=Extension%20scan&limit=0');
    assert.equal(words.counts?.matched, Math.ceil(N / 5), 'the words of a reason find its blocks');
    assert.deepEqual(words.blocks, []);
    const phones = await walk('phones=true&limit=5');
    assert.equal(phones.ips.length, 13);
    assert.equal(phones.first.counts?.matched, 13);
    const spaced = await page('q=%20NEEDLE-ua%20&limit=0');
    assert.equal(spaced.counts?.matched, 1, 'spaces around a search are dropped; ASCII case ignored');
    const user = await walk('q=206&limit=250');
    const want = (await h.world.store.listBlocks({ activeAt: now })).filter(
      (b) => b.users.includes('206') || b.ip.includes('206'),
    );
    assert.deepEqual(
      user.ips,
      want.map((b) => b.ip),
      'a user name or a part of the address',
    );
  });

  test('limit: 0 to 500; bad input is a 400 naming the field', async () => {
    assert.equal((await page('limit=500')).blocks.length, 500);
    assert.equal((await page('limit=1')).blocks.length, 1);
    for (const [query, field] of [
      ['limit=501', 'limit'],
      ['limit=-1', 'limit'],
      ['limit=ten', 'limit'],
      ['limit=2.5', 'limit'],
      ['sort=users', 'sort'],
      ['dir=up', 'dir'],
      ['phones=maybe', 'phones'],
      [`q=${'x'.repeat(101)}`, 'q'],
      ['after=nocomma', 'after'],
      ['after=abc,10.1.0.1', 'after'],
      ['sort=ip&after=10.1.0.1,not%20an%20ip', 'after'],
    ] as const) {
      const res = await c.req({ method: 'GET', url: `/api/dynamic/page?${query}` });
      const err = apiError(res, 400, 'SP_ERR_USAGE');
      assert.match(err.message, new RegExp(`\\b${field}\\b`), `${query}: ${err.message}`);
    }
  });

  test('without a session: 401', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/api/dynamic/page' });
    apiError(res, 401, 'SP_ERR_AUTH');
    const bulk = await h.app.inject({
      method: 'POST',
      url: '/api/dynamic/unblock',
      payload: { ips: ['10.1.0.1'] },
    });
    assert.ok(bulk.statusCode === 401 || bulk.statusCode === 403, bulk.body);
  });

  test('bulk unblock: each address lifted once; one bad address lifts none; bounds', async () => {
    const ok = await c.req({
      method: 'POST',
      url: '/api/dynamic/unblock',
      payload: { ips: ['10.1.0.1', '10.1.0.2', '10.9.9.9'] },
    });
    assert.equal(ok.statusCode, 200, ok.body);
    assert.deepEqual(ok.json(), { unblocked: 2, notBlocked: ['10.9.9.9'] });
    assert.equal(await h.world.store.getBlock('10.1.0.1'), null);
    const bad = await c.req({
      method: 'POST',
      url: '/api/dynamic/unblock',
      payload: { ips: ['10.1.0.3', 'not-an-address'] },
    });
    assert.match(apiError(bad, 400, 'SP_ERR_USAGE').message, /body\.ips\[1\]/);
    assert.ok(await h.world.store.getBlock('10.1.0.3'), 'nothing was lifted');
    const none = await c.req({ method: 'POST', url: '/api/dynamic/unblock', payload: { ips: [] } });
    assert.match(apiError(none, 400, 'SP_ERR_USAGE').message, /ips/);
    const many = Array.from({ length: 1001 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
    const tooMany = await c.req({ method: 'POST', url: '/api/dynamic/unblock', payload: { ips: many } });
    assert.match(apiError(tooMany, 400, 'SP_ERR_USAGE').message, /ips/);
  });
});

test('a page is read through pageBlocks when the daemon gives one (its thread), not the store', async () => {
  const world = fakeWorld();
  await setAdminPassword(world.store, PASSWORD);
  await world.store.upsertBlock(aBlock('192.0.2.1', { expiresAt: null }));
  const asked: BlockPageQuery[] = [];
  world.store.pageBlocks = async () => assert.fail('read on the event loop');
  const app = await buildApi(
    {
      ...world.deps,
      pageBlocks: async (q) => {
        asked.push(q);
        return { blocks: [aBlock('192.0.2.1', { expiresAt: null })], more: false, counts: null };
      },
    },
    { transport: 'tcp', webRoot: '/nonexistent' },
  );
  try {
    const c = await login(app);
    const res = await c.req({ method: 'GET', url: '/api/dynamic/page?sort=ip&dir=asc&q=Scan&limit=7' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(
      (res.json() as DynamicPage).blocks.map((b) => b.ip),
      ['192.0.2.1'],
    );
    assert.equal(asked.length, 1);
    assert.deepEqual(asked[0], {
      activeAt: world.clock.now(),
      sort: { key: 'ip', dir: 'asc' },
      limit: 7,
      filter: {
        text: 'scan',
        textReasons: ['scanner', 'enumeration'],
        phonesOnly: false,
      },
      count: true,
    });
  } finally {
    await app.close();
  }
});

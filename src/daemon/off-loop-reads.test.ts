/**
 * The answers made on the writer thread (off-loop-reads.ts) are the answers the API makes
 * on the loop: GET /api/blocks/export in every format through the route's maker hook, and
 * the export and the whole dynamic list read on a real thread from SQLite.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { harness, login } from '../api/http.testkit.js';
import { buildApi } from '../api/server.js';
import { isSipprotError } from '../core/errors.js';
import { type ExportOrigin, exportFrom } from '../core/lists/export.js';
import { renderExport } from '../core/lists/export-render.js';
import { aBlock } from '../core/records.testkit.js';
import { ListFiles } from '../lists/list-files.js';
import { dynamicBlock } from '../ports/admin.js';
import type { Logger } from '../ports/logger.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { exportTextOf, feedsHandOver, listEntriesOf } from './off-loop-reads.js';
import { QueueWriter } from './queue-writer.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const log = { error() {}, warn() {}, info() {}, debug() {}, child: () => log } as unknown as Logger;

test('GET /api/blocks/export made by the maker (as the daemon does): the same bodies in every format', async () => {
  const h = await harness('tcp');
  const c = await login(h.app);
  const world = h.world;
  await world.admin.addEntries('deny', [
    { network: '192.168.50.0/24', note: 'branch' },
    { network: '2001:db8:bad::/48', note: '=cmd()' },
  ]);
  await world.admin.addEntries('allow', [{ network: '192.168.50.15', note: 'the branch admin' }]);
  for (const ip of ['203.0.113.66', '203.0.113.67', '192.168.50.15']) await world.block(ip);
  const now = world.clock.now();
  world.admin.feeds = [
    { feed: 'voipbl', network: '185.220.101.0/24', since: now - 60, expiresAt: now + 3600 },
  ];
  let made = 0;
  const app = await buildApi(
    {
      ...world.deps,
      exportText: async (q) => {
        made++;
        const text = await exportTextOf(world.store, {
          ...q,
          lists: {
            entries: {
              deny: await world.admin.listEntries('deny'),
              allow: await world.admin.listEntries('allow'),
            },
          },
          feeds: await world.admin.feedEntries(),
        });
        assert.ok(text !== null, 'feeds handed over: always an answer');
        return text;
      },
    },
    { transport: 'socket' },
  );
  try {
    const queries = [
      '',
      '?format=csv',
      '?format=json',
      '?format=nft&name=edge',
      '?format=ipset',
      '?include=dynamic,deny,feeds&aggregate=true',
      '?include=feeds&format=json',
    ];
    for (const q of queries) {
      const here = await c.req({ method: 'GET', url: `/api/blocks/export${q}` });
      const there = await app.inject({ method: 'GET', url: `/api/blocks/export${q}` });
      assert.equal(here.statusCode, 200, here.body);
      assert.equal(there.statusCode, 200, there.body);
      assert.equal(there.body, here.body, q);
      assert.equal(there.headers['content-type'], here.headers['content-type'], q);
      assert.equal(there.headers['cache-control'], 'no-store');
    }
    assert.equal(made, queries.length, 'every body came from the maker');
    assert.match((await app.inject({ url: '/api/blocks/export' })).body, /203\.0\.113\.66/);
  } finally {
    await app.close();
    await h.close();
  }
});

test('on a real thread from SQLite: the export and the whole dynamic list are what the loop would make', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-off-loop-'));
  dirs.push(dir);
  const store = SqliteStore.open(dir);
  const now = 1_764_900_000;
  await store.commit({
    blocks: [
      aBlock('203.0.113.66', { expiresAt: now + 60, reason: 'scanner', note: 'x' }),
      aBlock('203.0.113.67', { expiresAt: null }),
      aBlock('203.0.113.68', { expiresAt: now - 1 }),
      aBlock('192.168.50.15', { expiresAt: now + 60 }),
    ],
  });
  const deny = [{ network: '192.168.50.0/24', note: 'branch' }];
  const allow = [{ network: '192.168.50.15', note: '' }];
  const options = { include: ['dynamic', 'deny'] as const, aggregate: false, now };
  const queue = new QueueWriter(store, log);
  try {
    const text = await queue.exportText({
      options,
      format: 'text',
      lists: { entries: { deny, allow } },
      feeds: [],
    });
    assert.equal(queue.running, true, 'made on the thread');
    // What the route makes on the loop: the admin port's rows (LocalAdmin.dynamicBlocks).
    const rows = (await store.listBlocks({ activeAt: now })).map((b) => dynamicBlock(b, now));
    const x = await exportFrom(
      {
        dynamicBlocks: async () => rows,
        listEntries: async (n) => (n === 'deny' ? deny : allow),
        feedEntries: async () => [],
      },
      options,
    );
    assert.equal(text, renderExport(x, 'text', {}));
    assert.match(text, /^203\.0\.113\.66$/m);
    assert.doesNotMatch(text, /203\.0\.113\.68|^192\.168\.50\.15$/m, 'expired and allowed never exported');
    assert.deepEqual(JSON.parse(await queue.dynamicJson(now)), rows);
  } finally {
    await queue.close();
    await store.close();
  }
});

test('the list files are read where the export is made, and again only when a file changed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-off-loop-lists-'));
  dirs.push(dir);
  const files = { allow: join(dir, 'allow.list'), deny: join(dir, 'deny.list') };
  const lists = new ListFiles(files);
  assert.deepEqual(listEntriesOf(files, 'deny'), [], 'a missing file is an empty list');
  await lists.add('deny', [{ network: '198.51.100.0/24', note: 'range' }]);
  const first = listEntriesOf(files, 'deny');
  assert.deepEqual(first, lists.read('deny'));
  assert.equal(listEntriesOf(files, 'deny'), first, 'unchanged file: the entries as last read');
  await lists.add('deny', [{ network: '203.0.113.9', note: '' }]);
  const second = listEntriesOf(files, 'deny');
  assert.notEqual(second, first);
  assert.deepEqual(
    second.map((e) => e.network),
    ['198.51.100.0/24', '203.0.113.9'],
  );
  // An edit in place (same inode) is seen too.
  writeFileSync(files.deny, '192.0.2.0/24 edited\n');
  assert.deepEqual(listEntriesOf(files, 'deny'), [{ network: '192.0.2.0/24', note: 'edited' }]);
  // An allow list every user may write is refused again after a chmod, not served from memory.
  await lists.add('allow', [{ network: '192.0.2.7', note: '' }]);
  assert.equal(listEntriesOf(files, 'allow').length, 1);
  chmodSync(files.allow, 0o666);
  assert.throws(() => listEntriesOf(files, 'allow'), /writable by every user/);
  chmodSync(files.allow, 0o644);

  // On a real thread from SQLite: the files named, the export is the one made from the entries.
  const store = SqliteStore.open(dir);
  const now = 1_764_900_000;
  await store.commit({
    blocks: [aBlock('192.0.2.7', { expiresAt: now + 60 }), aBlock('192.0.2.8', { expiresAt: now + 60 })],
  });
  const options = { include: ['dynamic', 'deny'] as const, aggregate: false, now };
  const queue = new QueueWriter(store, log);
  try {
    const fromFiles = String(await queue.exportText({ options, format: 'csv', lists: { files }, feeds: [] }));
    assert.equal(queue.running, true, 'made on the thread');
    const entries = { allow: lists.read('allow'), deny: lists.read('deny') };
    assert.equal(
      fromFiles,
      await exportTextOf(store, { options, format: 'csv', lists: { entries }, feeds: [] }),
    );
    assert.match(
      fromFiles,
      /^192\.0\.2\.6,deny,,,edited\r$/m,
      'the edited deny list, cut around the allowed .7',
    );
    assert.doesNotMatch(fromFiles, /^192\.0\.2\.(7|0\/24),/m, 'the allowed address is not exported');
    await lists.remove('allow', ['192.0.2.7']);
    await lists.add('deny', [{ network: '203.0.113.0/24', note: 'later' }]);
    const after = String(await queue.exportText({ options, format: 'text', lists: { files }, feeds: [] }));
    assert.match(after, /^203\.0\.113\.0\/24$/m, 'a changed deny list is read again on the thread');
    assert.match(after, /^192\.0\.2\.0\/24$/m, 'a changed allow list too: nothing cut any more');
    assert.match(after, /^192\.0\.2\.7$/m);
    // A refusal on the thread keeps its code: the API answers 403 with the reason, not a store failure.
    chmodSync(files.allow, 0o666);
    await assert.rejects(
      queue.exportText({ options, format: 'text', lists: { files }, feeds: [] }),
      (e) => isSipprotError(e) && e.code === 'SP_ERR_PERMISSION' && /writable by every user/.test(e.message),
    );
    chmodSync(files.allow, 0o644);
  } finally {
    await queue.close();
    await store.close();
  }
});

test('feeds go to the export thread only when their generation moved; a changed feed is exported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-offloop-feeds-'));
  dirs.push(dir);
  const store = SqliteStore.open(dir);
  const now = 1_764_900_000;
  await store.commit({ blocks: [aBlock('192.0.2.7', { expiresAt: now + 60 })] });
  const queue = new QueueWriter(store, log);
  let generation = 1;
  let rows = [{ feed: 'voipbl', network: '185.220.101.0/24', expiresAt: now + 3600 }];
  const sent: Array<number | null> = []; // per job: how many entries it carried (null: none)
  let built = 0;
  const exportText = feedsHandOver({
    exportText: (j) => {
      sent.push(j.feeds === null ? null : j.feeds.length);
      return queue.exportText(j);
    },
    threadRunning: () => queue.running,
    generation: () => generation,
    entries: async () => {
      built++;
      return rows;
    },
  });
  const nets = (text: string) => text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  const job = (include: ExportOrigin[]) => ({
    options: { include, aggregate: false, now },
    format: 'text' as const,
    lists: { entries: { allow: [], deny: [] } },
  });
  try {
    assert.deepEqual(nets(await exportText(job(['dynamic', 'feeds']))), ['185.220.101.0/24', '192.0.2.7']);
    assert.deepEqual([built, sent], [1, [1]], 'a new thread gets the entries');
    // Unchanged: the entries are neither built nor sent again, and the thread still exports them.
    assert.deepEqual(nets(await exportText(job(['feeds']))), ['185.220.101.0/24']);
    assert.deepEqual(nets(await exportText(job(['dynamic', 'feeds']))), ['185.220.101.0/24', '192.0.2.7']);
    assert.deepEqual([built, sent], [1, [1, null, null]], 'an unchanged feed is not re-sent');
    // Without feeds nothing of them moves.
    assert.deepEqual(nets(await exportText(job(['dynamic']))), ['192.0.2.7']);
    assert.deepEqual([built, sent.at(-1)], [1, 0]);
    // A feed update moves the generation: the new entries go, and are exported.
    rows = [{ feed: 'voipbl', network: '198.51.100.0/24', expiresAt: now + 3600 }];
    generation = 2;
    assert.deepEqual(nets(await exportText(job(['feeds']))), ['198.51.100.0/24']);
    assert.deepEqual([built, sent.at(-1)], [2, 1], 'a changed feed is sent after the change');
    assert.deepEqual(nets(await exportText(job(['feeds']))), ['198.51.100.0/24']);
    assert.deepEqual([built, sent.at(-1)], [2, null]);
    // The thread ended (idle): the next one holds nothing, so the entries go with the job.
    await queue.close();
    assert.deepEqual(nets(await exportText(job(['feeds']))), ['198.51.100.0/24']);
    assert.deepEqual([built, sent.at(-1)], [3, 1], 'a new thread gets the entries again');
    assert.equal(queue.running, true, 'made on the thread');
    // A thread asked for a generation it does not hold answers null, never stale entries.
    assert.equal(await queue.exportText({ ...job(['feeds']), feeds: null, feedsGeneration: 99 }), null);
  } finally {
    await queue.close();
    await store.close();
  }
});

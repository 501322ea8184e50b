/**
 * The notifiers' queue writes on a thread of their own (queue-writer.ts): while another
 * connection holds the database (the enforcer's commits in a flood), queuing a mail does
 * not hold the event loop; the writes resolve with the store method's answer, in order,
 * and the daemon's connection reads them at once; the thread ends when idle and starts
 * again at the next write; reads and other stores go straight through.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import type { NewMail } from '../core/records.js';
import { aBlock } from '../core/records.testkit.js';
import { type DynamicBlock, dynamicBlock } from '../ports/admin.js';
import { silentLogger } from '../ports/logger.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { FakeStore } from '../store/store.fake.js';
import { QueueWriter } from './queue-writer.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sipprot-queue-writer-'));
  dirs.push(d);
  return d;
}
const log = silentLogger;
const mail = (subject: string): NewMail => ({
  kind: 'alert',
  subject,
  text: 'text',
  html: null,
  to: ['admin@example.org'],
  createdAt: 1000,
});

test('a mail queued while another connection holds the database does not hold the event loop', async () => {
  const dir = stateDir();
  const store = SqliteStore.open(dir);
  const queue = new QueueWriter(store, log);
  await queue.store.enqueueMail(mail('warm')); // the thread is up
  const blocker = new Database(store.file);
  blocker.exec('BEGIN IMMEDIATE');
  // The event loop keeps turning: 20 timers of 10 ms run meanwhile (on the daemon's
  // thread the write would wait up to the 5 s busy timeout, synchronously).
  const started = performance.now();
  const queued = queue.store.enqueueMail(mail('while held'));
  for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 10));
  const turning = performance.now() - started;
  assert.ok(turning < 2000, `the loop was held: 20 timers took ${turning.toFixed(0)} ms`);
  const before = await store.dueMail(2000, 10);
  assert.deepEqual(
    before.map((m) => m.subject),
    ['warm'],
    'not written yet: the other connection holds the database',
  );
  blocker.exec('COMMIT');
  blocker.close();
  const id = await queued;
  assert.equal(typeof id, 'number');
  assert.deepEqual((await store.dueMail(2000, 10)).map((m) => [m.id, m.subject]).slice(-1), [
    [id, 'while held'],
  ]);
  await queue.close();
  await store.close();
});

test('writes keep their order and answer as the store does; the thread ends when idle', async () => {
  const dir = stateDir();
  const store = SqliteStore.open(dir);
  const queue = new QueueWriter(store, log, 100);
  assert.equal(queue.running, false, 'no thread before the first queue write');
  const ids = await Promise.all([queue.store.enqueueMail(mail('a')), queue.store.enqueueMail(mail('b'))]);
  assert.equal(queue.running, true);
  assert.ok(ids[1]! > ids[0]!, 'in the order they were made');
  assert.equal(await queue.store.markMailSent(ids[0]!, 1001), true);
  assert.equal(await queue.store.markMailSent(999_999, 1001), false, 'the store method answer');
  assert.deepEqual(
    (await store.dueMail(2000, 10)).map((m) => m.subject),
    ['b'],
  );
  const [hook] = await queue.store.enqueueWebhooks([
    { target: 'slack:https://hooks.example.org/x', kind: 'alert', body: '{}', createdAt: 1000 },
  ]);
  assert.deepEqual(
    (await store.dueWebhooks(2000, 10)).map((w) => w.id),
    [hook],
  );
  await queue.store.setSetting('webhooks.cursor', '1000');
  assert.equal(await store.getSetting('webhooks.cursor'), '1000');
  assert.equal(await queue.store.getSetting('webhooks.cursor'), '1000', 'reads go to the store');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(queue.running, false, 'idle: the thread ended');
  await queue.store.enqueueMail(mail('c'));
  assert.equal(queue.running, true, 'the next write starts it again');
  await queue.close();
  assert.equal(queue.running, false);
  await store.close();
});

/** A store with four blocks at `now`: one running, one expired, two permanent (one a phone). */
async function fourBlocks(now: number): Promise<SqliteStore> {
  const store = SqliteStore.open(stateDir());
  await store.commit({
    blocks: [
      aBlock('192.0.2.1', { expiresAt: now + 60, blockedAt: now - 5 }),
      aBlock('192.0.2.2', { expiresAt: now - 1 }),
      aBlock('192.0.2.3', { expiresAt: null, blockedAt: now - 9 }),
      aBlock('192.0.2.4', { expiresAt: null, blockedAt: now - 1, misconfiguredPhone: true }),
    ],
  });
  return store;
}

test("the live view's pages are read on the thread: the store's page, as pageBlocks gives it", async () => {
  const now = 1_764_900_000;
  const store = await fourBlocks(now);
  const queue = new QueueWriter(store, log);
  const q = { activeAt: now, sort: { key: 'blockedAt', dir: 'desc' }, limit: 2, count: true } as const;
  const page = await queue.pageBlocks(q);
  assert.equal(queue.running, true, 'read on the thread');
  assert.deepEqual(page, await store.pageBlocks(q));
  assert.deepEqual(
    page.blocks.map((b) => b.ip),
    ['192.0.2.4', '192.0.2.1'],
  );
  assert.deepEqual(page.counts, { inForce: 3, matched: 3, phones: 1 });
  assert.equal(page.more, true);
  await queue.close();
  await store.close();
});

test("the whole dynamic list (GET /api/dynamic) is read and serialized on the thread: the admin port's rows", async () => {
  const now = 1_764_900_000;
  const store = await fourBlocks(now);
  const queue = new QueueWriter(store, log);
  const json = await queue.dynamicJson(now);
  assert.equal(typeof json, 'string', 'the loop gets text, not 1M objects to clone');
  assert.equal(queue.running, true, 'read on the thread');
  const rows = JSON.parse(json) as DynamicBlock[];
  assert.deepEqual(
    rows,
    (await store.listBlocks({ activeAt: now })).map((b) => dynamicBlock(b, now)),
  );
  assert.deepEqual(
    rows.map((r) => [r.ip, r.timeLeft]).sort(),
    [
      ['192.0.2.1', 60],
      ['192.0.2.3', null],
      ['192.0.2.4', null],
    ],
    'in force only, with the time left at `now`',
  );
  await queue.close();
  await store.close();
});

test('another store (a fake) is used as it is', async () => {
  const fake = new FakeStore();
  const queue = new QueueWriter(fake, log);
  assert.equal(queue.store, fake);
  await fake.upsertBlock(aBlock('192.0.2.9', { expiresAt: null }));
  const page = await queue.pageBlocks({ activeAt: 0, sort: { key: 'ip', dir: 'asc' }, limit: 5 });
  assert.deepEqual(
    page.blocks.map((b) => b.ip),
    ['192.0.2.9'],
  );
  assert.equal(queue.running, false, 'its pages are read as they are, no thread');
});

/**
 * The enforcer's commits on the writer thread: durable and in order when `commit`
 * resolves (the daemon's own connection reads them at once), a refused batch rejects
 * with SP_ERR_STORE and later ones still go through, and a writer that cannot open the
 * database falls back to the daemon's connection instead of losing commits.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isSipprotError } from '../core/errors.js';
import { eventOfListChange } from '../core/history/events.js';
import { aBlock, aDecision } from '../core/records.testkit.js';
import type { Logger } from '../ports/logger.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { historyThrough, StoreWriter } from './store-writer.js';
import { mergeBatches } from './store-writer-batches.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sipprot-writer-'));
  dirs.push(d);
  return d;
}
const errors: string[] = [];
const log = {
  error: (_o: unknown, msg: string) => errors.push(msg),
  warn: () => {},
  info: () => {},
  debug: () => {},
  child: () => log,
} as unknown as Logger;

test('commits are durable and in order when they resolve; the main connection reads them', async () => {
  const dir = stateDir();
  const store = SqliteStore.open(dir);
  const writer = new StoreWriter(dir, store, log);
  const ip = '192.0.2.7';
  // The same block written three times: the last commit must win.
  const commits = [600, 700, 800].map((expiresIn) =>
    writer.commit({ blocks: [aBlock(ip, { expiresAt: 1010.5 + expiresIn })] }),
  );
  await Promise.all(commits);
  await writer.commit({ decisions: [aDecision(ip, 1000.25)] });
  assert.equal((await store.listBlocks()).find((b) => b.ip === ip)?.expiresAt, 1810.5);
  assert.equal((await store.decisions({ from: 0, to: 2000 })).length, 1);
  await writer.close();
  await store.close();
});

/** A thread's nice value: field 19 of its task's stat. */
function niceOf(tid: string | number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}
const threadNices = () => readdirSync('/proc/self/task').map(niceOf);

test('the writer thread runs at nice 10 after its first job; the main thread keeps its own', async () => {
  const dir = stateDir();
  const store = SqliteStore.open(dir);
  const writer = new StoreWriter(dir, store, log);
  const base = niceOf(process.pid);
  await writer.commit({});
  const deadline = Date.now() + 5000;
  while (!threadNices().includes(base + 10) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  assert.ok(threadNices().includes(base + 10), `a thread at nice ${base + 10}: ${threadNices()}`);
  assert.equal(niceOf(process.pid), base, 'the main thread');
  await writer.close();
  await store.close();
});

test('a refused batch rejects with SP_ERR_STORE; the next one is committed', async () => {
  const dir = stateDir();
  const store = SqliteStore.open(dir);
  const writer = new StoreWriter(dir, store, log);
  await assert.rejects(writer.commit({ decisions: [aDecision('192.0.2.8', Number.NaN)] }), (e) => {
    assert.ok(isSipprotError(e) && e.code === 'SP_ERR_STORE', String(e));
    return true;
  });
  await writer.commit({ blocks: [aBlock('192.0.2.9')] });
  assert.deepEqual(
    (await store.listBlocks()).map((b) => b.ip),
    ['192.0.2.9'],
  );
  await writer.close();
  await store.close();
});

test('a writer thread that cannot open the database hands commits to the main connection', async () => {
  const dir = stateDir();
  const store = SqliteStore.open(dir);
  const broken = join(dir, 'not-a-dir');
  writeFileSync(broken, 'a file where the worker expects a directory');
  const writer = new StoreWriter(broken, store, log);
  // The first commit may be in flight when the thread fails: it rejects, never vanishes.
  await writer.commit({ blocks: [aBlock('192.0.2.10')] }).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 200));
  await writer.commit({ blocks: [aBlock('192.0.2.11')] });
  assert.ok((await store.listBlocks()).some((b) => b.ip === '192.0.2.11'));
  assert.ok(
    errors.some((m) => m.includes('store writer thread failed')),
    errors.join('\n'),
  );
  await writer.close();
  await store.close();
});

test('historyThrough: the admin use cases’ history goes through the writer thread; everything else is the store', async () => {
  const dir = stateDir();
  const store = SqliteStore.open(dir);
  const writer = new StoreWriter(dir, store, log);
  const sent: number[] = [];
  const admin = historyThrough(store, (b) => {
    sent.push(b.history?.length ?? 0);
    return writer.commit(b);
  });
  const events = Array.from({ length: 2000 }, (_, i) =>
    eventOfListChange('deny', 'add', { network: `198.51.100.${i % 250}`, note: `n${i}` }, 1000 + i, 'cli'),
  );
  await admin.recordHistory(events);
  assert.deepEqual(sent, [2000], 'one batch through the writer');
  const page = await admin.history({ subject: '198.51.100.7', limit: 100 });
  assert.equal(page.events.length, 8, 'read back through the daemon’s own connection');
  assert.deepEqual(await admin.listRecipients(), [], 'other methods are the store’s own');
  await writer.close();
  await store.close();
});

test('setSetting goes through the writer thread in order with the commits; the main connection reads it', async () => {
  const dir = stateDir();
  const store = SqliteStore.open(dir);
  const writer = new StoreWriter(dir, store, log);
  const writes = [
    writer.commit({ blocks: [aBlock('192.0.2.20')] }),
    writer.setSetting('alerts.open', '{"n":1}'),
    writer.setSetting('alerts.open', '{"n":2}'),
  ];
  await Promise.all(writes);
  assert.equal(await store.getSetting('alerts.open'), '{"n":2}');
  await writer.setSetting('alerts.open', null);
  assert.equal(await store.getSetting('alerts.open'), null);
  await writer.close();
  await store.close();
});

test('staged turns: encoded per turn, committed in order in one transaction (a later unblock wins)', async () => {
  const dir = stateDir();
  const store = SqliteStore.open(dir);
  const writer = new StoreWriter(dir, store, log);
  const turns = [
    { blocks: [aBlock('192.0.2.30'), aBlock('192.0.2.31')], decisions: [aDecision('192.0.2.30', 1000.25)] },
    { deleteBlocks: ['192.0.2.30'], decisions: [aDecision('192.0.2.31', 1001.25)] },
    { blocks: [aBlock('192.0.2.32')], deleteBlocks: ['192.0.2.31'] },
    { blocks: [aBlock('192.0.2.31', { expiresAt: 5000.5 })] },
  ];
  const staged = turns.map((t) => writer.stage(t));
  assert.ok(staged.every((s) => s instanceof Uint8Array));
  // In shared memory: the hand-over to the worker passes the bytes, it does not copy them
  // (a copy of a slow writer's 100+ turns held the loop 45–177 ms).
  assert.ok(staged.every((s) => s!.buffer instanceof SharedArrayBuffer));
  await writer.commitStaged(staged as Uint8Array[]);
  // Still readable after the hand-over (a refused commit's turns are read back for the retry).
  assert.deepEqual(writer.unstage(staged[2]!).deleteBlocks, ['192.0.2.31']);
  assert.deepEqual((await store.listBlocks()).map((b) => [b.ip, b.expiresAt]).sort(), [
    ['192.0.2.31', 5000.5],
    ['192.0.2.32', 1610.5],
  ]);
  assert.equal((await store.decisions({ from: 0, to: 2000 })).length, 2);
  await writer.close();
  await store.close();
});

test('malformed staged bytes: the writer thread refuses that commit with SP_ERR_STORE and takes the next', async () => {
  const dir = stateDir();
  const store = SqliteStore.open(dir);
  const writer = new StoreWriter(dir, store, log);
  const logged = errors.length;
  const good = writer.stage({ blocks: [aBlock('192.0.2.50')] })!;
  const cut = new Uint8Array(new SharedArrayBuffer(good.byteLength - 8));
  cut.set(good.subarray(0, cut.byteLength));
  await assert.rejects(
    writer.commitStaged([good, cut]),
    (e: unknown) =>
      isSipprotError(e) && e.code === 'SP_ERR_STORE' && /staged store batch is malformed/.test(e.message),
  );
  assert.deepEqual(await store.listBlocks(), [], 'nothing of the refused commit is written');
  await writer.commitStaged([good]);
  assert.deepEqual(
    (await store.listBlocks()).map((b) => b.ip),
    ['192.0.2.50'],
  );
  assert.deepEqual(errors.slice(logged), [], 'the thread is not lost');
  await writer.close();
  await store.close();
});

test('without a writer thread nothing is staged: the batches go to the main connection', async () => {
  const dir = stateDir();
  const store = SqliteStore.open(dir);
  const broken = join(dir, 'not-a-dir');
  writeFileSync(broken, 'a file where the worker expects a directory');
  const writer = new StoreWriter(broken, store, log);
  await writer.commit({}).catch(() => undefined);
  await new Promise((r) => setTimeout(r, 200));
  const turns = [
    { blocks: [aBlock('192.0.2.40')] },
    { deleteBlocks: ['192.0.2.40'], blocks: [aBlock('192.0.2.41')] },
  ];
  assert.deepEqual(
    turns.map((t) => writer.stage(t)),
    [null, null],
  );
  await writer.commit(mergeBatches(turns));
  assert.deepEqual(
    (await store.listBlocks()).map((b) => b.ip),
    ['192.0.2.41'],
  );
  await writer.close();
  await store.close();
});

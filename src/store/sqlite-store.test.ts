import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { aBlock } from '../core/records.testkit.js';
import { SqliteStore } from './sqlite-store.js';
import { rejectsWith, storeContract } from './store.contract.js';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sipprot-store-'));
}

storeContract(
  'SqliteStore',
  async () => {
    const dir = tempDir();
    let store = SqliteStore.open(dir);
    return {
      store,
      reopen: async () => {
        await store.close();
        store = SqliteStore.open(dir);
        return store;
      },
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
  { persistent: true },
);

test('creates a missing STATE_DIR 0700 and the database 0600, in WAL with synchronous=FULL', async () => {
  const base = tempDir();
  const dir = join(base, 'a', 'state');
  const store = SqliteStore.open(dir);
  try {
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'sipprot.db')).mode & 0o777, 0o600);
    await store.upsertBlock(aBlock('192.0.2.1'));
    const db = new Database(join(dir, 'sipprot.db'), { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
    // synchronous is per connection: read it through the store's own handle.
    const raw = (store as unknown as { db: Database.Database }).db;
    assert.equal(raw.pragma('synchronous', { simple: true }), 2, 'FULL');
    assert.equal(raw.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(raw.pragma('busy_timeout', { simple: true }), 5000);
  } finally {
    await store.close();
    rmSync(base, { recursive: true, force: true });
  }
});

test('a new database has 16 KiB pages; one made with 4 KiB pages keeps them, its rows and its 16 MB WAL', async () => {
  const dir = tempDir();
  const old = tempDir();
  try {
    const store = SqliteStore.open(dir);
    await store.upsertBlock(aBlock('192.0.2.1'));
    const raw = (store as unknown as { db: Database.Database }).db;
    assert.equal(raw.pragma('page_size', { simple: true }), 16384);
    assert.equal(raw.pragma('wal_autocheckpoint', { simple: true }), 1000, '16 MB of 16 KiB pages');
    await store.close();
    // The page size of the file that sipprot made before it chose one.
    const made = new Database(join(old, 'sipprot.db'));
    made.pragma('page_size = 4096');
    made.pragma('journal_mode = WAL');
    made.exec('CREATE TABLE t (x INTEGER) STRICT');
    made.close();
    const again = SqliteStore.open(old);
    await again.upsertBlock(aBlock('192.0.2.2'));
    const r = (again as unknown as { db: Database.Database }).db;
    assert.equal(r.pragma('page_size', { simple: true }), 4096);
    assert.equal(r.pragma('wal_autocheckpoint', { simple: true }), 4000, '16 MB of 4 KiB pages');
    assert.equal((await again.getBlock('192.0.2.2'))?.ip, '192.0.2.2');
    await again.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
});

test('synchronous NORMAL can be chosen', async () => {
  const dir = tempDir();
  const store = SqliteStore.open(dir, { synchronous: 'NORMAL' });
  try {
    const raw = (store as unknown as { db: Database.Database }).db;
    assert.equal(raw.pragma('synchronous', { simple: true }), 1);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file that is not a database gives SP_ERR_STORE naming the file', () => {
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'sipprot.db'), 'this is not sqlite, just text that is long enough '.repeat(100));
    assert.throws(
      () => SqliteStore.open(dir),
      (e: Error & { code?: string }) =>
        e.code === 'SP_ERR_STORE' &&
        e.message.includes(join(dir, 'sipprot.db')) &&
        /move it aside/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a STATE_DIR that is a file gives SP_ERR_STORE', () => {
  const dir = tempDir();
  try {
    const notDir = join(dir, 'file');
    writeFileSync(notDir, 'x');
    assert.throws(
      () => SqliteStore.open(notDir),
      (e: Error & { code?: string }) => e.code === 'SP_ERR_STORE' && e.message.includes(notDir),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('check() rejects SP_ERR_STORE when the database cannot be written', async () => {
  const dir = tempDir();
  const store = SqliteStore.open(dir);
  try {
    await store.check();
    // query_only makes SQLite refuse every write, as a read-only file system would.
    (store as unknown as { db: Database.Database }).db.pragma('query_only = ON');
    await rejectsWith(store.check(), 'SP_ERR_STORE');
    await rejectsWith(store.upsertBlock(aBlock('192.0.2.1')), 'SP_ERR_STORE');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("two stores on one file see each other's commits (CLI beside the daemon)", async () => {
  const dir = tempDir();
  const daemon = SqliteStore.open(dir);
  const cli = SqliteStore.open(dir);
  try {
    await daemon.upsertBlock(aBlock('192.0.2.1'));
    assert.deepEqual(await cli.getBlock('192.0.2.1'), aBlock('192.0.2.1'));
    assert.equal(await cli.deleteBlock('192.0.2.1'), true);
    assert.equal(await daemon.getBlock('192.0.2.1'), null);
  } finally {
    await daemon.close();
    await cli.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('commitEach takes each batch only once the one before is written, and rolls all back when one is refused', async () => {
  const dir = tempDir();
  const store = SqliteStore.open(dir);
  try {
    const ips = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
    // What the connection holds when the next batch is taken: the read runs at once (no await
    // in getBlock before it), inside the open transaction, and sees its rows so far.
    const before: Array<Promise<unknown>> = [];
    function* turns() {
      for (const [k, ip] of ips.entries()) {
        if (k > 0) before.push(store.getBlock(ips[k - 1]!));
        yield { blocks: [aBlock(ip)], deleteBlocks: k === 2 ? [ips[0]!] : [] };
      }
    }
    await store.commitEach(turns());
    const seen = await Promise.all(before);
    assert.deepStrictEqual(
      seen.map((b) => (b as { ip: string } | null)?.ip ?? null),
      ips.slice(0, 2),
      'the batch before was written when the next was taken',
    );
    // The later batch's delete applies after the earlier block, as committed one by one.
    assert.deepStrictEqual((await store.listBlocks()).map((b) => b.ip).sort(), ips.slice(1));

    const bad = aBlock('192.0.2.9', { blockedAt: Number.NaN });
    await rejectsWith(
      store.commitEach([{ blocks: [aBlock('192.0.2.8')] }, { blocks: [bad] }]),
      'SP_ERR_USAGE',
    );
    assert.equal(await store.getBlock('192.0.2.8'), null, 'the first batch rolled back with the refused one');
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import Database from 'better-sqlite3';
import { isSipprotError } from '../core/errors.js';
import { aHistoryEvent } from '../core/history/history.testkit.js';
import { aBlock, aMail } from '../core/records.testkit.js';
import { MIGRATIONS, migrate, SCHEMA_VERSION, schemaVersion } from './migrations.js';
import { openDatabase, SqliteStore } from './sqlite-store.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sipprot-migrate-'));
  file = join(dir, 'sipprot.db');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function tables(f: string): string[] {
  const db = new Database(f, { readonly: true });
  try {
    return db
      .prepare<[], { name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
      )
      .all()
      .map((r) => r.name)
      .sort();
  } finally {
    db.close();
  }
}

function versionOf(f: string): number {
  const db = new Database(f, { readonly: true });
  try {
    return schemaVersion(db);
  } finally {
    db.close();
  }
}

const ALL_TABLES = [
  'attacks',
  'blocks',
  'decisions',
  'history',
  'history_agents',
  'history_users',
  'ip_stats',
  'mail_outbox',
  'recipients',
  'sessions',
  'settings',
  'webhook_outbox',
].sort();

test('migration versions are 1..N in order', () => {
  assert.ok(SCHEMA_VERSION >= 2);
  assert.deepEqual(
    MIGRATIONS.map((m) => m.version),
    MIGRATIONS.map((_, i) => i + 1),
  );
});

test('an empty database migrates to the current schema', async () => {
  const s = SqliteStore.open(dir);
  await s.close();
  assert.equal(versionOf(file), SCHEMA_VERSION);
  assert.deepEqual(tables(file), ALL_TABLES);
});

test('reopening is idempotent: same version, data kept, nothing re-run', async () => {
  let s = SqliteStore.open(dir);
  await s.upsertBlock(aBlock('192.0.2.1'));
  await s.close();
  s = SqliteStore.open(dir);
  await s.close();
  const db = new Database(file);
  assert.deepEqual(migrate(db, file), { from: SCHEMA_VERSION, to: SCHEMA_VERSION });
  db.close();
  s = SqliteStore.open(dir);
  assert.deepEqual(await s.getBlock('192.0.2.1'), aBlock('192.0.2.1'));
  await s.close();
  assert.deepEqual(tables(file), ALL_TABLES);
});

test('a database at version 1 upgrades and keeps its data', async () => {
  const old = openDatabase(dir);
  assert.deepEqual(migrate(old.db, old.file, 1), { from: 0, to: 1 });
  old.db.close();
  assert.equal(versionOf(file), 1);
  assert.ok(!tables(file).includes('mail_outbox'), 'version 1 has no mail outbox yet');
  // Write N-1 data with raw SQL: the store's own statements target the newest schema.
  const db = new Database(file);
  db.prepare("INSERT INTO recipients (email, name) VALUES ('ops@example.com', 'Ops')").run();
  db.prepare("INSERT INTO ip_stats (ip, times_blocked, last_blocked_at) VALUES ('192.0.2.7', 3, 5)").run();
  db.prepare(
    `INSERT INTO blocks (ip, reason, attempts, users, first_seen, last_seen, blocked_at, expires_at, times_blocked,
       misconfigured_phone) VALUES ('192.0.2.8', 'scanner', 1, '[]', 1, 1, 1, NULL, 1, 0)`,
  ).run();
  db.close();

  const s = SqliteStore.open(dir);
  try {
    assert.equal(versionOf(file), SCHEMA_VERSION);
    assert.deepEqual(await s.listRecipients(), [{ email: 'ops@example.com', name: 'Ops' }]);
    assert.equal(await s.timesBlocked('192.0.2.7'), 3);
    const b = await s.getBlock('192.0.2.8');
    assert.equal(b?.reason, 'scanner');
    assert.equal(b && 'host' in b, false, 'a block from before the cluster columns has no host');
    const id = await s.enqueueMail(aMail(1));
    assert.equal((await s.dueMail(1))[0]?.id, id);
    await s.recordHistory([aHistoryEvent('192.0.2.7', 5)]);
    assert.equal((await s.history({ limit: 5, subject: '192.0.2.7' })).events.length, 1);
  } finally {
    await s.close();
  }
});

test('a database from a newer sipprot is refused with SP_ERR_STORE', async () => {
  const s = SqliteStore.open(dir);
  await s.close();
  const db = new Database(file);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(
    () => SqliteStore.open(dir),
    (e: unknown) =>
      isSipprotError(e) &&
      e.code === 'SP_ERR_STORE' &&
      e.message.includes(`schema version ${SCHEMA_VERSION + 1}`) &&
      e.message.includes('Upgrade sipprot'),
  );
  assert.equal(versionOf(file), SCHEMA_VERSION + 1, 'the newer file is left untouched');
});

test('a failing migration rolls back entirely and leaves the previous version', () => {
  const db = new Database(file);
  const list = [
    { version: 1, name: 'ok', sql: 'CREATE TABLE a (x INTEGER) STRICT;' },
    { version: 2, name: 'broken', sql: 'CREATE TABLE b (x INTEGER) STRICT; INSERT INTO nowhere VALUES (1);' },
  ];
  try {
    assert.throws(
      () => migrate(db, file, undefined, list),
      (e: unknown) =>
        isSipprotError(e) && e.code === 'SP_ERR_STORE' && /migration 2 \(broken\)/.test(e.message),
    );
    assert.equal(schemaVersion(db), 1);
    const names = db
      .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((r) => r.name);
    assert.deepEqual(names, ['a']);
  } finally {
    db.close();
  }
});

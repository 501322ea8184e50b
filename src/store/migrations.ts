/**
 * The SQLite schema as an append-only list of migrations (6 so far); PRAGMA user_version
 * counts those applied. A database from a newer sipprot is refused, never downgraded.
 */
import type Database from 'better-sqlite3';
import { SipprotError } from '../core/errors.js';

/**
 * Schema migrations, applied in order. PRAGMA user_version holds how many have run.
 * Never edit a released migration: append a new one, so every existing database walks
 * the same path to the current schema.
 */
interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'blocks, ip_stats, decisions, attacks, recipients',
    sql: `
      CREATE TABLE blocks (
        ip TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        user_agent TEXT,
        country TEXT,
        attempts INTEGER NOT NULL,
        users TEXT NOT NULL,              -- JSON array of strings
        transport TEXT,
        port INTEGER,
        first_seen REAL NOT NULL,
        last_seen REAL NOT NULL,
        blocked_at REAL NOT NULL,
        expires_at REAL,                  -- NULL: permanent
        times_blocked INTEGER NOT NULL,
        misconfigured_phone INTEGER NOT NULL,
        note TEXT
      ) STRICT;
      CREATE INDEX blocks_expires_at ON blocks (expires_at) WHERE expires_at IS NOT NULL;

      -- Outlives blocks: BLOCK_THRESHOLD counts every block an address ever had.
      CREATE TABLE ip_stats (
        ip TEXT PRIMARY KEY,
        times_blocked INTEGER NOT NULL,
        last_blocked_at REAL
      ) STRICT;

      CREATE TABLE decisions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        ip TEXT NOT NULL,
        action TEXT NOT NULL,
        reason TEXT NOT NULL,
        expires_at REAL,
        user_agent TEXT,
        users TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        transport TEXT,
        port INTEGER,
        country TEXT,
        times_blocked INTEGER NOT NULL,
        misconfigured_phone INTEGER NOT NULL,
        note TEXT
      ) STRICT;
      CREATE INDEX decisions_at ON decisions (at);
      CREATE INDEX decisions_ip_at ON decisions (ip, at);

      CREATE TABLE attacks (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        ip TEXT NOT NULL,
        rule TEXT NOT NULL,
        user_agent TEXT,
        attempts INTEGER NOT NULL,
        users TEXT NOT NULL,
        transport TEXT NOT NULL,
        port INTEGER NOT NULL,
        misconfigured_phone INTEGER NOT NULL,
        country TEXT
      ) STRICT;
      CREATE INDEX attacks_at ON attacks (at);

      CREATE TABLE recipients (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        name TEXT
      ) STRICT;
    `,
  },
  {
    version: 2,
    name: 'mail outbox, settings, web sessions',
    sql: `
      CREATE TABLE mail_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        body_text TEXT NOT NULL,
        body_html TEXT,
        recipients TEXT NOT NULL,         -- JSON array of addresses
        created_at REAL NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'abandoned')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL,
        last_attempt_at REAL,
        last_error TEXT,
        sent_at REAL
      ) STRICT;
      CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at, id) WHERE state = 'pending';

      CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        data TEXT NOT NULL,               -- JSON object
        expires_at REAL NOT NULL
      ) STRICT;
      CREATE INDEX sessions_expires_at ON sessions (expires_at);
    `,
  },
  {
    version: 3,
    name: 'history of blocks, lifts and admin changes',
    // Additive: new tables only. Every index ends in `at` (and the rowid), so each filter
    // that has one walks its rows newest first with no sort (core/history/query.ts).
    sql: `
      CREATE TABLE history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at REAL NOT NULL,
        kind TEXT NOT NULL,
        subject TEXT,                     -- address or network; NULL for settings
        subject_key TEXT,                 -- 32 hex digits of its (first) address, IPv4 mapped
        reason TEXT,
        actor TEXT NOT NULL,
        country TEXT,
        user_agent TEXT,
        users TEXT NOT NULL,              -- JSON array of strings
        attempts INTEGER NOT NULL,
        expires_at REAL,
        renewals INTEGER,
        last_seen REAL,
        misconfigured_phone INTEGER NOT NULL,
        note TEXT,
        samples TEXT NOT NULL             -- JSON array of strings
      ) STRICT;
      CREATE INDEX history_at ON history (at);
      CREATE INDEX history_subject ON history (subject_key, at);
      CREATE INDEX history_country ON history (country, at);
      CREATE INDEX history_reason ON history (reason, at);
      CREATE INDEX history_agent ON history (user_agent, at);

      -- The distinct user agents: a user-agent filter finds its few names here, not in 1M rows.
      CREATE TABLE history_agents (agent TEXT PRIMARY KEY) STRICT, WITHOUT ROWID;

      -- One row per user an event names: the extension filter walks (user, at) newest first.
      CREATE TABLE history_users (
        user TEXT NOT NULL,
        at REAL NOT NULL,
        event INTEGER NOT NULL,
        PRIMARY KEY (user, at, event)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX history_users_at ON history_users (at);
    `,
  },
  {
    version: 4,
    name: 'cluster: the host that decided a block or saw an attack',
    sql: `
      ALTER TABLE blocks ADD COLUMN host TEXT;
      ALTER TABLE decisions ADD COLUMN host TEXT;
      ALTER TABLE attacks ADD COLUMN host TEXT;
    `,
  },
  {
    version: 5,
    name: 'webhook outbox',
    // Additive: a new table, the mail outbox's shape with the target and JSON body.
    sql: `
      CREATE TABLE webhook_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        target TEXT NOT NULL,             -- the WEBHOOK_URLS entry, format:url
        kind TEXT NOT NULL,
        body TEXT NOT NULL,               -- the JSON to POST
        created_at REAL NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'abandoned')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL,
        last_attempt_at REAL,
        last_error TEXT,
        sent_at REAL
      ) STRICT;
      CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at, id) WHERE state = 'pending';
    `,
  },
  {
    version: 6,
    name: 'history: country and user-agent indexes without the events that have none',
    // Every block the daemon makes writes a history row, and each index of it is one more
    // b-tree insert on the store writer thread. An event without a country (no GeoIP) or
    // user agent sat in these two indexes under NULL, where no query looks: a country or
    // user-agent filter compares with `=` or IN, which never matches NULL, so the partial
    // index answers every query the full one did (plans: sqlite-history.test.ts). Rebuilt
    // once here (1M events: 0.64 s of CPU, 1.8 s at load 12); rows are not touched.
    sql: `
      DROP INDEX history_country;
      CREATE INDEX history_country ON history (country, at) WHERE country IS NOT NULL;
      DROP INDEX history_agent;
      CREATE INDEX history_agent ON history (user_agent, at) WHERE user_agent IS NOT NULL;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the database to `target` (default: the newest) one migration per transaction.
 * BEGIN IMMEDIATE takes the write lock before reading the version, so two processes
 * opening the same new file never both run a migration. `list` is replaceable for tests.
 * Returns the versions before and after.
 */
export function migrate(
  db: Database.Database,
  file: string,
  target?: number,
  list: readonly Migration[] = MIGRATIONS,
): { from: number; to: number } {
  const newest = list.length;
  const from = schemaVersion(db);
  assertKnown(from, newest, file);
  for (const m of list) {
    if (m.version > (target ?? newest)) break;
    const step = db.transaction(() => {
      const now = schemaVersion(db);
      assertKnown(now, newest, file);
      if (now >= m.version) return;
      if (now !== m.version - 1) {
        throw new SipprotError(
          'SP_ERR_STORE',
          `${file}: schema version ${now} cannot take migration ${m.version}`,
        );
      }
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    });
    try {
      step.immediate();
    } catch (e) {
      if (e instanceof SipprotError) throw e;
      throw new SipprotError(
        'SP_ERR_STORE',
        `${file}: schema migration ${m.version} (${m.name}) failed and was rolled back: ${(e as Error).message}`,
        { cause: e, details: { file, version: m.version } },
      );
    }
  }
  return { from, to: schemaVersion(db) };
}

function assertKnown(version: number, newest: number, file: string): void {
  if (version > newest) {
    throw new SipprotError(
      'SP_ERR_STORE',
      `${file} has schema version ${version}, newer than this sipprot understands (${newest}): ` +
        'a newer sipprot wrote it. Upgrade sipprot, or move the file aside to start with an empty state.',
      { details: { file, version, supported: newest } },
    );
  }
}

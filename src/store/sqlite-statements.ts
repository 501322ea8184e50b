/**
 * Every SQL statement SqliteStore runs, prepared once per connection. Selects name their
 * columns through sqlite-rows.ts so row mapping and schema stay in one place.
 */
import type Database from 'better-sqlite3';
import { ATTACKS, BLOCKS, DECISIONS, RECIPIENTS, type Row } from './sqlite-rows.js';

type Stmt = Database.Statement<unknown[], Row>;

/**
 * A block: a new one inserted; an existing one (a renewal: a flood renews each block ~2.5
 * times) updated in place. INSERT OR REPLACE deleted the row and inserted it again with a
 * new rowid, its address key and expiry index entries too (~6.5 → ~4.9 µs a renewal on the
 * writer thread, bench/RESULTS.md "Rows per block"). The stored row is the same either way.
 */
const PUT_BLOCK = `INSERT INTO blocks (${BLOCKS.columns}) VALUES (${BLOCKS.marks})
  ON CONFLICT (ip) DO UPDATE SET ${BLOCKS.updates}`;

export function prepareStatements(db: Database.Database) {
  const p = (sql: string): Stmt => db.prepare<unknown[], Row>(sql);
  return {
    check: p(
      `INSERT INTO settings (key, value) VALUES ('store.checks', '1')
       ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`,
    ),
    putBlock: p(PUT_BLOCK),
    getBlock: p(`SELECT ${BLOCKS.select} FROM blocks WHERE ip = ?`),
    // Rows as arrays (raw): better-sqlite3 builds a 16-property object per row much more
    // slowly than JavaScript builds the record (100k blocks restored at start: 12% of it).
    listBlocks: p(
      `SELECT ${BLOCKS.columns} FROM blocks
       WHERE (@permanentOnly = 0 OR expires_at IS NULL)
         AND (@activeAt IS NULL OR expires_at IS NULL OR expires_at > @activeAt)
       ORDER BY blocked_at DESC, ip ASC`,
    ).raw(true) as unknown as Database.Statement<unknown[], unknown[]>,
    // blocksInForce and its parts (blocksInForceChunks, 100k-1M rows at start): the next
    // `rows` rowids after one (a part's end), then the rows in force in (after, end]: the
    // addresses as one text, the expiries as one array, in rowid order both (no array a
    // row); the rows one by one only when an address holds a line break.
    chunkEnd: p(
      'SELECT max(r) FROM (SELECT rowid AS r FROM blocks WHERE rowid > ? ORDER BY rowid LIMIT ?)',
    ).pluck(true) as unknown as Database.Statement<unknown[], number | null>,
    chunkIps: p(
      `SELECT count(*), group_concat(ip, char(10) ORDER BY rowid) FROM blocks
       WHERE rowid > ? AND rowid <= ? AND (expires_at IS NULL OR expires_at > ?)`,
    ).raw(true) as unknown as Database.Statement<unknown[], unknown[]>,
    blocksInForceRange: p(
      'SELECT ip, expires_at FROM blocks WHERE rowid > ? AND rowid <= ? AND (expires_at IS NULL OR expires_at > ?)',
    ).raw(true) as unknown as Database.Statement<unknown[], unknown[]>,
    chunkExpiries: p(
      `SELECT expires_at FROM blocks
       WHERE rowid > ? AND rowid <= ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY rowid`,
    ).pluck(true) as unknown as Database.Statement<unknown[], number | null>,
    deleteBlock: p('DELETE FROM blocks WHERE ip = ?'),
    expired: p(
      `SELECT ${BLOCKS.select} FROM blocks WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at, ip`,
    ),
    deleteExpired: p('DELETE FROM blocks WHERE expires_at IS NOT NULL AND expires_at <= ?'),
    // Counted in the indexes, never the rows: `sipprot status` and the dashboard ask for it on
    // the event loop, and a scan of every row (notes, users) held it ~25 ms of CPU at 100k
    // blocks (50–110 ms wall under load); the primary key's index and blocks_expires_at take
    // ~5.5 ms (bench/RESULTS.md, helper lag). Permanent = all − those with an expiry.
    blockCounts: p(
      `SELECT (SELECT count(*) FROM blocks) - (SELECT count(*) FROM blocks WHERE expires_at IS NOT NULL) AS permanent,
              (SELECT count(*) FROM blocks WHERE expires_at > ?) AS temporary`,
    ),
    timesBlocked: p('SELECT times_blocked FROM ip_stats WHERE ip = ?'),
    allTimesBlocked: p('SELECT ip, times_blocked FROM ip_stats'),
    bump: p(
      `INSERT INTO ip_stats (ip, times_blocked, last_blocked_at) VALUES (?, 1, ?)
       ON CONFLICT (ip) DO UPDATE SET times_blocked = times_blocked + 1,
         last_blocked_at = excluded.last_blocked_at
       RETURNING times_blocked`,
    ),
    // The same count in a commit, where nobody reads the new value: without RETURNING
    // (which makes SQLite keep a statement journal for each row it writes).
    count: p(
      `INSERT INTO ip_stats (ip, times_blocked, last_blocked_at) VALUES (?, 1, ?)
       ON CONFLICT (ip) DO UPDATE SET times_blocked = times_blocked + 1,
         last_blocked_at = excluded.last_blocked_at`,
    ),
    putDecision: p(`INSERT INTO decisions (${DECISIONS.columns}) VALUES (${DECISIONS.marks})`),
    decisions: p(
      `SELECT ${DECISIONS.select} FROM decisions WHERE at >= ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?`,
    ),
    decisionsByIp: p(
      `SELECT ${DECISIONS.select} FROM decisions WHERE ip = ? AND at >= ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?`,
    ),
    blockDecisionsAsc: p(
      `SELECT ${DECISIONS.select} FROM decisions WHERE at >= ? AND at < ? AND action IN ('block', 'permanent')
       ORDER BY at, id`,
    ),
    putAttack: p(`INSERT INTO attacks (${ATTACKS.columns}) VALUES (${ATTACKS.marks})`),
    attacks: p(
      `SELECT ${ATTACKS.select} FROM attacks WHERE at >= ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?`,
    ),
    attacksAsc: p(`SELECT ${ATTACKS.select} FROM attacks WHERE at >= ? AND at < ? ORDER BY at, id`),
    recipients: p(`SELECT ${RECIPIENTS.select} FROM recipients ORDER BY id`),
    putRecipient: p(
      `INSERT INTO recipients (email, name) VALUES (?, ?)
       ON CONFLICT (email) DO UPDATE SET name = excluded.name RETURNING ${RECIPIENTS.select}`,
    ),
    deleteRecipient: p('DELETE FROM recipients WHERE email = ?'),
    getSetting: p('SELECT value FROM settings WHERE key = ?'),
    putSetting: p('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)'),
    deleteSetting: p('DELETE FROM settings WHERE key = ?'),
    putSession: p('INSERT OR REPLACE INTO sessions (id, data, expires_at) VALUES (?, ?, ?)'),
    getSession: p('SELECT data FROM sessions WHERE id = ? AND expires_at > ?'),
    deleteSession: p('DELETE FROM sessions WHERE id = ?'),
    pruneDecisions: p('DELETE FROM decisions WHERE at < ?'),
    pruneAttacks: p('DELETE FROM attacks WHERE at < ?'),
    pruneSessions: p('DELETE FROM sessions WHERE expires_at <= ?'),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;

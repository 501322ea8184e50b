import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isSipprotError, SipprotError } from '../core/errors.js';
import type { BlockRecord, Decision } from '../core/types.js';
import { migrate } from './migrations.js';
import {
  ATTACK_COLUMNS,
  attackFromRow,
  attackParams,
  BLOCK_COLUMNS,
  blockFromRow,
  blockParams,
  DECISION_COLUMNS,
  decisionFromRow,
  decisionParams,
  MAIL_COLUMNS,
  mailFromRow,
  mailParams,
  placeholders,
} from './sqlite-rows.js';
import type {
  AttackQuery,
  AttackRecord,
  AttackSummary,
  BlockCounts,
  BlockQuery,
  DecisionQuery,
  NewMail,
  OutboxMail,
  PruneRequest,
  PruneResult,
  Recipient,
  SessionData,
  Store,
  StoreBatch,
  SummaryQuery,
} from './store.js';
import { SummaryBuilder } from './summary.js';
import { assertTime, checkBlock, normalizeEmail, normalizeMail, normalizeName } from './validate.js';

export const DB_FILE = 'sipprot.db';

export interface SqliteStoreOptions {
  /**
   * FULL (default) fsyncs the WAL on every commit: a resolved write survives power loss.
   * NORMAL survives a process crash (kill -9) but may lose the last commits on power loss.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a writer waits for another process's lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
}

type Row = Record<string, unknown>;
type Stmt = Database.Statement<unknown[], Row>;

/**
 * The Store on SQLite (better-sqlite3, WAL) in `${stateDir}/sipprot.db`. Every write is
 * one IMMEDIATE transaction, committed before its Promise resolves.
 */
export class SqliteStore implements Store {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly st: Record<string, Stmt>;

  /** Opens (creating STATE_DIR 0700 and the file 0600 if missing) and migrates to the newest schema. */
  static open(stateDir: string, opts: SqliteStoreOptions = {}): SqliteStore {
    const { db, file } = openDatabase(stateDir, opts);
    try {
      migrate(db, file);
      return new SqliteStore(db, file);
    } catch (e) {
      db.close();
      throw storeError(e, file, 'open');
    }
  }

  private constructor(db: Database.Database, file: string) {
    this.db = db;
    this.file = file;
    const p = (sql: string) => db.prepare<unknown[], Row>(sql);
    this.st = {
      check: p(
        `INSERT INTO settings (key, value) VALUES ('store.checks', '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`,
      ),
      putBlock: p(`INSERT OR REPLACE INTO blocks (${BLOCK_COLUMNS}) VALUES (${placeholders(BLOCK_COLUMNS)})`),
      getBlock: p('SELECT * FROM blocks WHERE ip = ?'),
      listBlocks: p(
        `SELECT * FROM blocks
         WHERE (@permanentOnly = 0 OR expires_at IS NULL)
           AND (@activeAt IS NULL OR expires_at IS NULL OR expires_at > @activeAt)
         ORDER BY blocked_at DESC, ip ASC`,
      ),
      deleteBlock: p('DELETE FROM blocks WHERE ip = ?'),
      expired: p(
        'SELECT * FROM blocks WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at, ip',
      ),
      deleteExpired: p('DELETE FROM blocks WHERE expires_at IS NOT NULL AND expires_at <= ?'),
      blockCounts: p(
        `SELECT COALESCE(SUM(expires_at IS NULL), 0) AS permanent,
                COALESCE(SUM(expires_at > ?), 0) AS temporary FROM blocks`,
      ),
      timesBlocked: p('SELECT times_blocked FROM ip_stats WHERE ip = ?'),
      bump: p(
        `INSERT INTO ip_stats (ip, times_blocked, last_blocked_at) VALUES (?, 1, ?)
         ON CONFLICT (ip) DO UPDATE SET times_blocked = times_blocked + 1,
           last_blocked_at = excluded.last_blocked_at
         RETURNING times_blocked`,
      ),
      putDecision: p(
        `INSERT INTO decisions (${DECISION_COLUMNS}) VALUES (${placeholders(DECISION_COLUMNS)})`,
      ),
      decisions: p('SELECT * FROM decisions WHERE at >= ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?'),
      decisionsByIp: p(
        'SELECT * FROM decisions WHERE ip = ? AND at >= ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?',
      ),
      blockDecisionsAsc: p(
        `SELECT * FROM decisions WHERE at >= ? AND at < ? AND action IN ('block', 'permanent')
         ORDER BY at, id`,
      ),
      putAttack: p(`INSERT INTO attacks (${ATTACK_COLUMNS}) VALUES (${placeholders(ATTACK_COLUMNS)})`),
      attacks: p('SELECT * FROM attacks WHERE at >= ? AND at < ? ORDER BY at DESC, id DESC LIMIT ?'),
      attacksAsc: p('SELECT * FROM attacks WHERE at >= ? AND at < ? ORDER BY at, id'),
      recipients: p('SELECT email, name FROM recipients ORDER BY id'),
      putRecipient: p(
        `INSERT INTO recipients (email, name) VALUES (?, ?)
         ON CONFLICT (email) DO UPDATE SET name = excluded.name RETURNING email, name`,
      ),
      deleteRecipient: p('DELETE FROM recipients WHERE email = ?'),
      putMail: p(
        `INSERT INTO mail_outbox (kind, subject, body_text, body_html, recipients, created_at, state,
           next_attempt_at)
         VALUES (@kind, @subject, @body_text, @body_html, @recipients, @created_at, 'pending', @created_at)
         RETURNING id`,
      ),
      dueMail: p(
        `SELECT ${MAIL_COLUMNS} FROM mail_outbox WHERE state = 'pending' AND next_attempt_at <= ?
         ORDER BY next_attempt_at, id LIMIT ?`,
      ),
      getMail: p(`SELECT ${MAIL_COLUMNS} FROM mail_outbox WHERE id = ?`),
      mailSent: p(
        `UPDATE mail_outbox SET state = 'sent', sent_at = @at, last_attempt_at = @at, next_attempt_at = NULL
         WHERE id = @id AND state = 'pending'`,
      ),
      mailFailed: p(
        `UPDATE mail_outbox SET attempts = attempts + 1, last_attempt_at = @at, last_error = @error,
           next_attempt_at = @next, state = CASE WHEN @next IS NULL THEN 'abandoned' ELSE 'pending' END
         WHERE id = @id AND state = 'pending'`,
      ),
      getSetting: p('SELECT value FROM settings WHERE key = ?'),
      putSetting: p('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)'),
      deleteSetting: p('DELETE FROM settings WHERE key = ?'),
      putSession: p('INSERT OR REPLACE INTO sessions (id, data, expires_at) VALUES (?, ?, ?)'),
      getSession: p('SELECT data FROM sessions WHERE id = ? AND expires_at > ?'),
      deleteSession: p('DELETE FROM sessions WHERE id = ?'),
      pruneDecisions: p('DELETE FROM decisions WHERE at < ?'),
      pruneAttacks: p('DELETE FROM attacks WHERE at < ?'),
      pruneMail: p(
        `DELETE FROM mail_outbox WHERE (state = 'sent' AND sent_at < @before)
           OR (state = 'abandoned' AND last_attempt_at < @before)`,
      ),
      pruneSessions: p('DELETE FROM sessions WHERE expires_at <= ?'),
    };
  }

  async check(): Promise<void> {
    this.write('check that the database is writable', () => {
      this.st.check!.run();
    });
  }

  async upsertBlock(rec: BlockRecord): Promise<void> {
    this.write('save block', () => this.putBlock(rec));
  }

  async getBlock(ip: string): Promise<BlockRecord | null> {
    const r = this.read('read block', () => this.st.getBlock!.get(ip));
    return r ? blockFromRow(r) : null;
  }

  async listBlocks(q: BlockQuery = {}): Promise<BlockRecord[]> {
    const rows = this.read('list blocks', () =>
      this.st.listBlocks!.all({ permanentOnly: q.permanentOnly ? 1 : 0, activeAt: q.activeAt ?? null }),
    );
    return rows.map(blockFromRow);
  }

  async deleteBlock(ip: string): Promise<boolean> {
    return this.write('delete block', () => this.st.deleteBlock!.run(ip).changes > 0);
  }

  async expireBlocks(now: number): Promise<BlockRecord[]> {
    assertTime('now', now);
    return this.write('expire blocks', () => {
      const rows = this.st.expired!.all(now);
      if (rows.length > 0) this.st.deleteExpired!.run(now);
      return rows.map(blockFromRow);
    });
  }

  async blockCounts(at: number): Promise<BlockCounts> {
    const r = this.read('count blocks', () => this.st.blockCounts!.get(at))!;
    return { permanent: Number(r.permanent), temporary: Number(r.temporary) };
  }

  async timesBlocked(ip: string): Promise<number> {
    const r = this.read('read block count', () => this.st.timesBlocked!.get(ip));
    return r ? Number(r.times_blocked) : 0;
  }

  async incrementTimesBlocked(ip: string, at: number): Promise<number> {
    return this.write('count block', () => this.bump(ip, at));
  }

  async recordDecision(d: Decision): Promise<void> {
    assertTime('decision.at', d.at);
    this.write('record decision', () => {
      this.st.putDecision!.run(decisionParams(d));
    });
  }

  async decisions(q: DecisionQuery): Promise<Decision[]> {
    const limit = q.limit === undefined ? -1 : Math.max(0, Math.floor(q.limit));
    const rows = this.read('read decisions', () =>
      q.ip === undefined
        ? this.st.decisions!.all(q.from, q.to, limit)
        : this.st.decisionsByIp!.all(q.ip, q.from, q.to, limit),
    );
    return rows.map(decisionFromRow);
  }

  async recordAttack(a: AttackRecord): Promise<void> {
    assertTime('attack.at', a.at);
    this.write('record attack', () => {
      this.st.putAttack!.run(attackParams(a));
    });
  }

  async attacks(q: AttackQuery): Promise<AttackRecord[]> {
    const limit = q.limit === undefined ? -1 : Math.max(0, Math.floor(q.limit));
    return this.read('read attacks', () => this.st.attacks!.all(q.from, q.to, limit)).map(attackFromRow);
  }

  async attackSummary(q: SummaryQuery): Promise<AttackSummary> {
    return this.read('summarise attacks', () => {
      // One read transaction: attacks and decisions come from the same snapshot.
      const run = this.db.transaction(() => {
        const s = new SummaryBuilder(q);
        for (const r of this.st.attacksAsc!.iterate(q.from, q.to)) s.addAttack(attackFromRow(r));
        for (const r of this.st.blockDecisionsAsc!.iterate(q.from, q.to)) s.addDecision(decisionFromRow(r));
        return s.result();
      });
      return run.deferred();
    });
  }

  async commit(batch: StoreBatch): Promise<void> {
    for (const b of batch.blocks ?? []) checkBlock(b);
    for (const d of batch.decisions ?? []) assertTime('decision.at', d.at);
    for (const a of batch.attacks ?? []) assertTime('attack.at', a.at);
    this.write('commit batch', () => {
      for (const b of batch.blocks ?? []) this.putBlock(b);
      for (const ip of batch.deleteBlocks ?? []) this.st.deleteBlock!.run(ip);
      for (const i of batch.incrementTimesBlocked ?? []) this.bump(i.ip, i.at);
      for (const d of batch.decisions ?? []) this.st.putDecision!.run(decisionParams(d));
      for (const a of batch.attacks ?? []) this.st.putAttack!.run(attackParams(a));
    });
  }

  async listRecipients(): Promise<Recipient[]> {
    return this.read('list recipients', () => this.st.recipients!.all()).map(recipientFromRow);
  }

  async addRecipient(email: string, name?: string | null): Promise<Recipient> {
    const e = normalizeEmail(email);
    const n = normalizeName(name);
    return recipientFromRow(this.write('add recipient', () => this.st.putRecipient!.get(e, n)!));
  }

  async removeRecipient(email: string): Promise<boolean> {
    return this.write(
      'remove recipient',
      () => this.st.deleteRecipient!.run(String(email).trim()).changes > 0,
    );
  }

  async enqueueMail(m: NewMail): Promise<number> {
    const params = mailParams(normalizeMail(m));
    return this.write('queue mail', () => Number(this.st.putMail!.get(params)!.id));
  }

  async dueMail(now: number, limit?: number): Promise<OutboxMail[]> {
    const lim = limit === undefined ? -1 : Math.max(0, Math.floor(limit));
    return this.read('read mail queue', () => this.st.dueMail!.all(now, lim)).map(mailFromRow);
  }

  async getMail(id: number): Promise<OutboxMail | null> {
    const r = this.read('read mail', () => this.st.getMail!.get(id));
    return r ? mailFromRow(r) : null;
  }

  async markMailSent(id: number, at: number): Promise<boolean> {
    return this.write('mark mail sent', () => this.st.mailSent!.run({ id, at }).changes > 0);
  }

  async markMailFailed(
    id: number,
    at: number,
    error: string,
    nextAttemptAt: number | null,
  ): Promise<boolean> {
    return this.write(
      'mark mail failed',
      () => this.st.mailFailed!.run({ id, at, error: String(error), next: nextAttemptAt }).changes > 0,
    );
  }

  async getSetting(key: string): Promise<string | null> {
    const r = this.read('read setting', () => this.st.getSetting!.get(key));
    return r ? String(r.value) : null;
  }

  async setSetting(key: string, value: string | null): Promise<void> {
    this.write('save setting', () => {
      if (value === null) this.st.deleteSetting!.run(key);
      else this.st.putSetting!.run(key, String(value));
    });
  }

  async createSession(id: string, data: SessionData, expiresAt: number): Promise<void> {
    assertTime('expiresAt', expiresAt);
    const json = JSON.stringify(data);
    this.write('save session', () => {
      this.st.putSession!.run(id, json, expiresAt);
    });
  }

  async getSession(id: string, now: number): Promise<SessionData | null> {
    const r = this.read('read session', () => this.st.getSession!.get(id, now));
    if (!r) return null;
    try {
      return JSON.parse(String(r.data)) as SessionData;
    } catch {
      return null;
    }
  }

  async deleteSession(id: string): Promise<boolean> {
    return this.write('delete session', () => this.st.deleteSession!.run(id).changes > 0);
  }

  async prune(req: PruneRequest): Promise<PruneResult> {
    assertTime('historyBefore', req.historyBefore);
    assertTime('now', req.now);
    return this.write('prune history', () => ({
      decisions: this.st.pruneDecisions!.run(req.historyBefore).changes,
      attacks: this.st.pruneAttacks!.run(req.historyBefore).changes,
      mail: this.st.pruneMail!.run({ before: req.historyBefore }).changes,
      sessions: this.st.pruneSessions!.run(req.now).changes,
    }));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private putBlock(rec: BlockRecord): void {
    checkBlock(rec);
    this.st.putBlock!.run(blockParams(rec));
  }

  private bump(ip: string, at: number): number {
    return Number(this.st.bump!.get(ip, at)!.times_blocked);
  }

  private read<T>(what: string, fn: () => T): T {
    this.assertOpen();
    try {
      return fn();
    } catch (e) {
      throw storeError(e, this.file, what);
    }
  }

  /** Runs fn in an IMMEDIATE transaction: the write lock is taken before anything is read. */
  private write<T>(what: string, fn: () => T): T {
    this.assertOpen();
    try {
      return this.db.transaction(fn).immediate();
    } catch (e) {
      throw storeError(e, this.file, what);
    }
  }

  private assertOpen(): void {
    if (!this.db.open) throw new SipprotError('SP_ERR_STORE', `the state store ${this.file} is closed`);
  }
}

/**
 * Creates STATE_DIR (0700) and the database file (0600) if missing, opens it and sets the
 * connection pragmas, without migrating. SqliteStore.open builds on it; upgrade tests use
 * it to make a database at an older schema version.
 */
export function openDatabase(
  stateDir: string,
  opts: SqliteStoreOptions = {},
): { db: Database.Database; file: string } {
  const file = join(stateDir, DB_FILE);
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    // The database holds the admin password hash and sessions: not for other users.
    closeSync(openSync(file, 'a', 0o600));
  } catch (e) {
    throw fsError(e, stateDir, file);
  }
  let db: Database.Database | null = null;
  try {
    const timeout = opts.busyTimeoutMs ?? 5000;
    db = new Database(file, { timeout });
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') {
      throw new SipprotError('SP_ERR_STORE', `${file}: could not switch to WAL journal mode (got ${mode})`);
    }
    db.pragma(`synchronous = ${opts.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(timeout))}`);
    db.pragma('foreign_keys = ON');
    return { db, file };
  } catch (e) {
    db?.close();
    throw storeError(e, file, 'open');
  }
}

function recipientFromRow(r: Row): Recipient {
  return { email: String(r.email), name: r.name === null ? null : String(r.name) };
}

function storeError(e: unknown, file: string, what: string): SipprotError {
  if (isSipprotError(e)) return e;
  const err = e as { code?: string; message?: string };
  const code = err.code ?? 'unknown';
  const hint =
    code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT'
      ? ': the file is damaged or not a sipprot database; move it aside (sipprot starts a new one) or restore a backup'
      : code === 'SQLITE_READONLY' || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL'
        ? `: check that ${file} and its directory are writable and the disk has space`
        : code === 'SQLITE_BUSY'
          ? ': another process holds the database lock'
          : '';
  return new SipprotError(
    'SP_ERR_STORE',
    `state store ${file}: ${what} failed: ${err.message ?? String(e)}${hint}`,
    {
      file,
      code,
    },
  );
}

function fsError(e: unknown, dir: string, file: string): SipprotError {
  const code = (e as { code?: string }).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new SipprotError(
      'SP_ERR_PERMISSION',
      `cannot create or open ${file}: permission denied (STATE_DIR ${dir}; run as root or fix its owner)`,
      { file, code },
    );
  }
  return new SipprotError(
    'SP_ERR_STORE',
    `cannot create or open ${file} (STATE_DIR ${dir}): ${(e as Error).message ?? String(e)}`,
    { file, code },
  );
}

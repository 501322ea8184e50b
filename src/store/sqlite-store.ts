/**
 * The Store port on SQLite (better-sqlite3, WAL, synchronous=FULL): every write one
 * IMMEDIATE transaction committed before its Promise resolves, so kill -9 or a power cut
 * loses nothing acknowledged (test/store-crash.test.ts). Statements live in
 * sqlite-statements.ts, row mapping in sqlite-rows.ts, schema in migrations.ts, a batch's
 * rows (the store writer's commits) in sqlite-batch.ts, the mail and webhook outboxes in
 * sqlite-mail.ts and sqlite-webhooks.ts.
 */
import Database from 'better-sqlite3';
import { SipprotError } from '../core/errors.js';
import type { NewHistoryEvent } from '../core/history/events.js';
import type { HistoryPage, HistoryQuery } from '../core/history/query.js';
import type {
  AttackRecord,
  AttackSummary,
  NewMail,
  NewWebhook,
  OutboxMail,
  OutboxWebhook,
  Recipient,
  SessionData,
} from '../core/records.js';
import type { BlockRecord, Decision } from '../core/types.js';
import type {
  AttackQuery,
  BlockCounts,
  BlockPage,
  BlockPageQuery,
  BlockQuery,
  DecisionQuery,
  PruneRequest,
  PruneResult,
  Store,
  StoreBatch,
  SummaryQuery,
} from '../ports/store.js';
import { migrate } from './migrations.js';
import { SqliteBatches } from './sqlite-batch.js';
import { SqliteBlockPages } from './sqlite-block-page.js';
import { SqliteHistory } from './sqlite-history.js';
import { ALL_ROWIDS, inForceBetween, inForceChunks } from './sqlite-in-force.js';
import { SqliteMail } from './sqlite-mail.js';
import { openDatabase, type SqliteStoreOptions, storeError } from './sqlite-open.js';
import { ATTACKS, BLOCKS, blockFromColumns, DECISIONS, RECIPIENTS, type Row } from './sqlite-rows.js';
import { prepareStatements, type Statements } from './sqlite-statements.js';
import { SqliteWebhooks } from './sqlite-webhooks.js';
import { SummaryBuilder } from './summary.js';
import {
  assertRows,
  assertTime,
  checkBlock,
  checkHistory,
  checkHistoryQuery,
  normalizeEmail,
  normalizeMail,
  normalizeName,
  normalizeWebhook,
} from './validate.js';

export { DB_FILE, openDatabase, type SqliteStoreOptions } from './sqlite-open.js';

/**
 * The Store on SQLite (better-sqlite3, WAL) in `${stateDir}/sipprot.db`. Every write is
 * one IMMEDIATE transaction, committed before its Promise resolves.
 */
export class SqliteStore implements Store {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly st: Statements;
  private readonly hist: SqliteHistory;
  private readonly hooks: SqliteWebhooks;
  private readonly mail: SqliteMail;
  private readonly pages: SqliteBlockPages;
  private readonly batches: SqliteBatches;

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

  /**
   * An empty store in memory, at the newest schema: what a read-only CLI command reads
   * before the daemon ever created STATE_DIR/sipprot.db (nothing written outlives it).
   */
  static openInMemory(): SqliteStore {
    const db = new Database(':memory:');
    migrate(db, ':memory:');
    return new SqliteStore(db, ':memory:');
  }

  private constructor(db: Database.Database, file: string) {
    this.db = db;
    this.file = file;
    this.st = prepareStatements(db);
    this.hist = new SqliteHistory(db);
    this.hooks = new SqliteWebhooks(db);
    this.mail = new SqliteMail(db);
    this.pages = new SqliteBlockPages(db);
    this.batches = new SqliteBatches(this.st, this.hist);
  }

  async check(): Promise<void> {
    this.write('check that the database is writable', () => {
      this.st.check.run();
    });
  }

  async upsertBlock(rec: BlockRecord): Promise<void> {
    this.write('save block', () => this.putBlock(rec));
  }

  async getBlock(ip: string): Promise<BlockRecord | null> {
    const r = this.read('read block', () => this.st.getBlock.get(ip));
    return r ? BLOCKS.fromRow(r) : null;
  }

  async listBlocks(q: BlockQuery = {}): Promise<BlockRecord[]> {
    const rows = this.read('list blocks', () =>
      this.st.listBlocks.all({ permanentOnly: q.permanentOnly ? 1 : 0, activeAt: q.activeAt ?? null }),
    );
    return rows.map(blockFromColumns);
  }

  async blocksInForce(activeAt: number): Promise<Array<Pick<BlockRecord, 'ip' | 'expiresAt'>>> {
    assertTime('activeAt', activeAt);
    // One snapshot for both of the part's reads.
    return this.read('list blocks in force', () =>
      this.db.transaction(() => inForceBetween(this.st, ALL_ROWIDS.after, ALL_ROWIDS.end, activeAt))(),
    );
  }

  blocksInForceChunks(
    activeAt: number,
    rows: number,
  ): AsyncGenerator<Array<Pick<BlockRecord, 'ip' | 'expiresAt'>>> {
    assertTime('activeAt', activeAt);
    assertRows(rows);
    return inForceChunks(this.db, this.st, activeAt, rows, (fn) => this.read('list blocks in force', fn));
  }

  async pageBlocks(q: BlockPageQuery): Promise<BlockPage> {
    assertTime('activeAt', q.activeAt);
    return this.read('page blocks', () => this.pages.page(q));
  }

  async deleteBlock(ip: string): Promise<boolean> {
    return this.write('delete block', () => this.st.deleteBlock.run(ip).changes > 0);
  }

  async expireBlocks(now: number): Promise<BlockRecord[]> {
    assertTime('now', now);
    return this.write('expire blocks', () => {
      const rows = this.st.expired.all(now);
      if (rows.length > 0) this.st.deleteExpired.run(now);
      return rows.map(BLOCKS.fromRow);
    });
  }

  async blockCounts(at: number): Promise<BlockCounts> {
    const r = this.read('count blocks', () => this.st.blockCounts.get(at))!;
    return { permanent: Number(r.permanent), temporary: Number(r.temporary) };
  }

  async timesBlocked(ip: string): Promise<number> {
    const r = this.read('read block count', () => this.st.timesBlocked.get(ip));
    return r ? Number(r.times_blocked) : 0;
  }

  async allTimesBlocked(): Promise<Map<string, number>> {
    const rows = this.read('read block counts', () => this.st.allTimesBlocked.all());
    return new Map(rows.map((r) => [String(r.ip), Number(r.times_blocked)]));
  }

  async incrementTimesBlocked(ip: string, at: number): Promise<number> {
    return this.write('count block', () => this.bump(ip, at));
  }

  async recordDecision(d: Decision): Promise<void> {
    assertTime('decision.at', d.at);
    this.write('record decision', () => {
      this.st.putDecision.run(DECISIONS.values(d));
    });
  }

  async decisions(q: DecisionQuery): Promise<Decision[]> {
    const limit = q.limit === undefined ? -1 : Math.max(0, Math.floor(q.limit));
    const rows = this.read('read decisions', () =>
      q.ip === undefined
        ? this.st.decisions.all(q.from, q.to, limit)
        : this.st.decisionsByIp.all(q.ip, q.from, q.to, limit),
    );
    return rows.map(DECISIONS.fromRow);
  }

  async recordAttack(a: AttackRecord): Promise<void> {
    assertTime('attack.at', a.at);
    this.write('record attack', () => {
      this.st.putAttack.run(ATTACKS.values(a));
    });
  }

  async attacks(q: AttackQuery): Promise<AttackRecord[]> {
    const limit = q.limit === undefined ? -1 : Math.max(0, Math.floor(q.limit));
    return this.read('read attacks', () => this.st.attacks.all(q.from, q.to, limit)).map(ATTACKS.fromRow);
  }

  async attackSummary(q: SummaryQuery): Promise<AttackSummary> {
    return this.read('summarise attacks', () => {
      // One read transaction: attacks and decisions come from the same snapshot.
      const run = this.db.transaction(() => {
        const s = new SummaryBuilder(q);
        for (const r of this.st.attacksAsc.iterate(q.from, q.to)) s.addAttack(ATTACKS.fromRow(r));
        for (const r of this.st.blockDecisionsAsc.iterate(q.from, q.to)) s.addDecision(DECISIONS.fromRow(r));
        return s.result();
      });
      return run.deferred();
    });
  }

  async recordHistory(events: NewHistoryEvent[]): Promise<void> {
    const checked = checkHistory(events);
    this.write('record history', () => this.hist.append(checked));
  }

  async history(q: HistoryQuery): Promise<HistoryPage> {
    const checked = checkHistoryQuery(q);
    // One read transaction: the narrow counts, the page and its cursor see the same rows.
    return this.read('read history', () => this.db.transaction(() => this.hist.page(checked)).deferred());
  }

  async commit(batch: StoreBatch): Promise<void> {
    return this.commitEach([batch]);
  }

  /** Batches in order in one transaction (one fsync); one refused rolls back all (sqlite-batch.ts). */
  async commitEach(batches: Iterable<StoreBatch>): Promise<void> {
    this.write('commit batch', () => this.batches.putEach(batches));
  }

  async listRecipients(): Promise<Recipient[]> {
    return this.read('list recipients', () => this.st.recipients.all()).map(RECIPIENTS.fromRow);
  }

  async addRecipient(email: string, name?: string | null): Promise<Recipient> {
    const e = normalizeEmail(email);
    const n = normalizeName(name);
    return RECIPIENTS.fromRow(this.write('add recipient', () => this.st.putRecipient.get(e, n) as Row));
  }

  async removeRecipient(email: string): Promise<boolean> {
    return this.write(
      'remove recipient',
      () => this.st.deleteRecipient.run(String(email).trim()).changes > 0,
    );
  }

  async enqueueMail(m: NewMail): Promise<number> {
    const mail = normalizeMail(m);
    return this.write('queue mail', () => this.mail.enqueue(mail));
  }

  async dueMail(now: number, limit?: number): Promise<OutboxMail[]> {
    const lim = limit === undefined ? -1 : Math.max(0, Math.floor(limit));
    return this.read('read mail queue', () => this.mail.dueAt(now, lim));
  }

  async getMail(id: number): Promise<OutboxMail | null> {
    return this.read('read mail', () => this.mail.get(id));
  }

  async markMailSent(id: number, at: number): Promise<boolean> {
    return this.write('mark mail sent', () => this.mail.markSent(id, at));
  }

  async markMailFailed(id: number, at: number, error: string, next: number | null): Promise<boolean> {
    return this.write('mark mail failed', () => this.mail.markFailed(id, at, error, next));
  }

  async enqueueWebhooks(items: NewWebhook[]): Promise<number[]> {
    const checked = items.map(normalizeWebhook);
    return this.write('queue webhook messages', () => this.hooks.enqueue(checked));
  }

  async dueWebhooks(now: number, limit?: number): Promise<OutboxWebhook[]> {
    const lim = limit === undefined ? -1 : Math.max(0, Math.floor(limit));
    return this.read('read webhook queue', () => this.hooks.dueAt(now, lim));
  }

  async markWebhookSent(id: number, at: number): Promise<boolean> {
    return this.write('mark webhook sent', () => this.hooks.markSent(id, at));
  }

  async markWebhookFailed(id: number, at: number, error: string, next: number | null): Promise<boolean> {
    return this.write('mark webhook failed', () => this.hooks.markFailed(id, at, error, next));
  }

  async pendingCounts(): Promise<{ mail: number; webhooks: number }> {
    return this.read('count queued notices', () => this.hooks.pending());
  }

  async getSetting(key: string): Promise<string | null> {
    const r = this.read('read setting', () => this.st.getSetting.get(key));
    return r ? String(r.value) : null;
  }

  async setSetting(key: string, value: string | null): Promise<void> {
    this.write('save setting', () => {
      if (value === null) this.st.deleteSetting.run(key);
      else this.st.putSetting.run(key, String(value));
    });
  }

  async createSession(id: string, data: SessionData, expiresAt: number): Promise<void> {
    assertTime('expiresAt', expiresAt);
    const json = JSON.stringify(data);
    this.write('save session', () => {
      this.st.putSession.run(id, json, expiresAt);
    });
  }

  async getSession(id: string, now: number): Promise<SessionData | null> {
    const r = this.read('read session', () => this.st.getSession.get(id, now));
    if (!r) return null;
    try {
      return JSON.parse(String(r.data)) as SessionData;
    } catch {
      return null;
    }
  }

  async deleteSession(id: string): Promise<boolean> {
    return this.write('delete session', () => this.st.deleteSession.run(id).changes > 0);
  }

  async prune(req: PruneRequest): Promise<PruneResult> {
    assertTime('historyBefore', req.historyBefore);
    assertTime('now', req.now);
    return this.write('prune history', () => ({
      decisions: this.st.pruneDecisions.run(req.historyBefore).changes,
      attacks: this.st.pruneAttacks.run(req.historyBefore).changes,
      history: this.hist.prune(req.historyBefore),
      mail: this.mail.pruneBefore(req.historyBefore),
      webhooks: this.hooks.pruneBefore(req.historyBefore),
      sessions: this.st.pruneSessions.run(req.now).changes,
    }));
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }

  private putBlock(rec: BlockRecord): void {
    checkBlock(rec);
    this.st.putBlock.run(BLOCKS.values(rec));
  }

  private bump(ip: string, at: number): number {
    return Number(this.st.bump.get(ip, at)!.times_blocked);
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

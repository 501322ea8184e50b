/**
 * The mail outbox on SQLite (table of migration 2): queued mail is pending from createdAt,
 * retried with the caller's backoff, then sent or abandoned, and pruned with the history.
 * SqliteStore runs these inside its own error handling (SP_ERR_STORE, SP_ERR_PERMISSION)
 * and transactions; the webhook outbox beside it is sqlite-webhooks.ts.
 */
import type Database from 'better-sqlite3';
import type { NewMail, OutboxMail } from '../core/records.js';
import { MAIL, NEW_MAIL, type Row } from './sqlite-rows.js';

type Stmt = Database.Statement<unknown[], Row>;

export class SqliteMail {
  private readonly put: Stmt;
  private readonly due: Stmt;
  private readonly one: Stmt;
  private readonly sent: Stmt;
  private readonly failed: Stmt;
  private readonly prune: Stmt;

  constructor(db: Database.Database) {
    const p = (sql: string): Stmt => db.prepare<unknown[], Row>(sql);
    this.put = p(
      `INSERT INTO mail_outbox (${NEW_MAIL.columns}, state, next_attempt_at)
       VALUES (${NEW_MAIL.marks}, 'pending', ?) RETURNING id`,
    );
    this.due = p(
      `SELECT ${MAIL.select} FROM mail_outbox WHERE state = 'pending' AND next_attempt_at <= ?
       ORDER BY next_attempt_at, id LIMIT ?`,
    );
    this.one = p(`SELECT ${MAIL.select} FROM mail_outbox WHERE id = ?`);
    this.sent = p(
      `UPDATE mail_outbox SET state = 'sent', sent_at = @at, last_attempt_at = @at, next_attempt_at = NULL
       WHERE id = @id AND state = 'pending'`,
    );
    this.failed = p(
      `UPDATE mail_outbox SET attempts = attempts + 1, last_attempt_at = @at, last_error = @error,
         next_attempt_at = @next, state = CASE WHEN @next IS NULL THEN 'abandoned' ELSE 'pending' END
       WHERE id = @id AND state = 'pending'`,
    );
    this.prune = p(
      `DELETE FROM mail_outbox WHERE (state = 'sent' AND sent_at < @before)
         OR (state = 'abandoned' AND last_attempt_at < @before)`,
    );
  }

  /** A mail already checked (validate.ts normalizeMail); its id. */
  enqueue(mail: NewMail): number {
    // The mail's columns, then next_attempt_at: due at once.
    return Number(this.put.get([...NEW_MAIL.values(mail), mail.createdAt])!.id);
  }

  dueAt(now: number, limit: number): OutboxMail[] {
    return this.due.all(now, limit).map(MAIL.fromRow);
  }

  get(id: number): OutboxMail | null {
    const r = this.one.get(id);
    return r ? MAIL.fromRow(r) : null;
  }

  markSent(id: number, at: number): boolean {
    return this.sent.run({ id, at }).changes > 0;
  }

  markFailed(id: number, at: number, error: string, next: number | null): boolean {
    return this.failed.run({ id, at, error: String(error), next }).changes > 0;
  }

  pruneBefore(before: number): number {
    return this.prune.run({ before }).changes;
  }
}

/**
 * The webhook outbox on SQLite (table of migration 5): the mail outbox's life cycle for
 * webhook messages — pending from createdAt, retried with the caller's backoff, sent or
 * abandoned, pruned with the history. SqliteStore runs these inside its own
 * error handling (SP_ERR_STORE, SP_ERR_PERMISSION) and transactions.
 */
import type Database from 'better-sqlite3';
import type { NewWebhook, OutboxWebhook } from '../core/records.js';

interface Row {
  id: number;
  target: string;
  kind: string;
  body: string;
  created_at: number;
  state: OutboxWebhook['state'];
  attempts: number;
  next_attempt_at: number | null;
  last_attempt_at: number | null;
  last_error: string | null;
  sent_at: number | null;
}

const fromRow = (r: Row): OutboxWebhook => ({
  id: r.id,
  target: r.target,
  kind: r.kind,
  body: r.body,
  createdAt: r.created_at,
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.next_attempt_at,
  lastAttemptAt: r.last_attempt_at,
  lastError: r.last_error,
  sentAt: r.sent_at,
});

export class SqliteWebhooks {
  private readonly put: Database.Statement;
  private readonly due: Database.Statement;
  private readonly sent: Database.Statement;
  private readonly failed: Database.Statement;
  private readonly counts: Database.Statement;
  private readonly prune: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.put = db.prepare(
      `INSERT INTO webhook_outbox (target, kind, body, created_at, state, next_attempt_at)
       VALUES (@target, @kind, @body, @createdAt, 'pending', @createdAt) RETURNING id`,
    );
    this.due = db.prepare(
      `SELECT * FROM webhook_outbox WHERE state = 'pending' AND next_attempt_at <= ?
       ORDER BY next_attempt_at, id LIMIT ?`,
    );
    this.sent = db.prepare(
      `UPDATE webhook_outbox SET state = 'sent', sent_at = @at, last_attempt_at = @at, next_attempt_at = NULL
       WHERE id = @id AND state = 'pending'`,
    );
    this.failed = db.prepare(
      `UPDATE webhook_outbox SET attempts = attempts + 1, last_attempt_at = @at, last_error = @error,
         next_attempt_at = @next, state = CASE WHEN @next IS NULL THEN 'abandoned' ELSE 'pending' END
       WHERE id = @id AND state = 'pending'`,
    );
    this.counts = db.prepare(
      `SELECT (SELECT count(*) FROM mail_outbox WHERE state = 'pending') AS mail,
              (SELECT count(*) FROM webhook_outbox WHERE state = 'pending') AS webhooks`,
    );
    this.prune = db.prepare(
      `DELETE FROM webhook_outbox WHERE (state = 'sent' AND sent_at < @before)
         OR (state = 'abandoned' AND last_attempt_at < @before)`,
    );
  }

  enqueue(items: readonly NewWebhook[]): number[] {
    return this.db.transaction(() => items.map((w) => Number((this.put.get(w) as { id: number }).id)))();
  }

  dueAt(now: number, limit: number): OutboxWebhook[] {
    return (this.due.all(now, limit) as Row[]).map(fromRow);
  }

  markSent(id: number, at: number): boolean {
    return this.sent.run({ id, at }).changes > 0;
  }

  markFailed(id: number, at: number, error: string, next: number | null): boolean {
    return this.failed.run({ id, at, error: String(error).slice(0, 2000), next }).changes > 0;
  }

  pending(): { mail: number; webhooks: number } {
    const r = this.counts.get() as { mail: number; webhooks: number };
    return { mail: Number(r.mail), webhooks: Number(r.webhooks) };
  }

  pruneBefore(before: number): number {
    return this.prune.run({ before }).changes;
  }
}

/**
 * Delivers the store's mail queue. A mail is written to the store before anyone tries
 * to send it, so an SMTP outage or a restart delays a notice but never loses it: failed
 * sends are retried with exponential backoff and given up only after days.
 */

import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import { isServerFailure, type MailTransport } from './smtp.js';

export interface BackoffPolicy {
  /** Delay after the first failure, seconds. */
  firstSeconds: number;
  /** Delays double up to this, seconds. */
  maxSeconds: number;
  /** A mail still unsent this long after it was queued is abandoned, seconds. */
  giveUpAfterSeconds: number;
}

const DEFAULT_BACKOFF: BackoffPolicy = {
  firstSeconds: 30,
  maxSeconds: 3600,
  giveUpAfterSeconds: 3 * 86_400,
};

/** Seconds to wait after the `failures`-th failed attempt (1-based): 30, 60, 120 ... 3600. */
export function backoffSeconds(failures: number, p: BackoffPolicy = DEFAULT_BACKOFF): number {
  const n = Math.max(1, Math.floor(failures));
  return Math.min(p.maxSeconds, p.firstSeconds * 2 ** Math.min(n - 1, 30));
}

interface FlushResult {
  sent: number;
  failed: number;
  abandoned: number;
  /** The server is being left alone until this time after a connection-level failure. */
  heldUntil: number | null;
}

interface OutboxOptions {
  store: Store;
  /** The transport to send with; called lazily so a missing SMTP_HOST costs nothing. */
  transport: () => MailTransport;
  logger?: Logger;
  backoff?: BackoffPolicy;
  /** Mails sent per flush at most (the rest wait for the next tick). */
  batch?: number;
}

export class Outbox {
  private readonly backoff: BackoffPolicy;
  private readonly batch: number;
  private heldUntil: number | null = null;
  private running: Promise<FlushResult> | null = null;
  /** The latest delivery error, for the status line; cleared by a successful send. */
  lastError: string | null = null;
  /**
   * The queue's next attempt as of the last flush, epoch seconds: a held server's retry,
   * else the earliest queued mail's (+Infinity: nothing queued; -Infinity: not flushed yet,
   * or the queue could not be read).
   */
  nextDue = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: OutboxOptions) {
    this.backoff = o.backoff ?? DEFAULT_BACKOFF;
    this.batch = o.batch ?? 20;
  }

  /** Sends what is due at `now`. Concurrent calls share one run; never rejects for SMTP errors. */
  flush(now: number): Promise<FlushResult> {
    if (!this.running) {
      this.nextDue = Number.NEGATIVE_INFINITY;
      this.running = this.run(now)
        .then(async (r) => {
          this.nextDue = r.heldUntil ?? (await this.earliest());
          return r;
        })
        .finally(() => {
          this.running = null;
        });
    }
    return this.running;
  }

  /** The earliest attempt of a queued mail (the queue is read in that order). */
  private async earliest(): Promise<number> {
    const [m] = await this.o.store.dueMail(Number.MAX_SAFE_INTEGER, 1);
    return m?.nextAttemptAt ?? Number.POSITIVE_INFINITY;
  }

  private async run(now: number): Promise<FlushResult> {
    const result: FlushResult = { sent: 0, failed: 0, abandoned: 0, heldUntil: null };
    if (this.heldUntil !== null && now < this.heldUntil) {
      result.heldUntil = this.heldUntil;
      return result;
    }
    this.heldUntil = null;
    const due = await this.o.store.dueMail(now, this.batch);
    if (due.length === 0) return result;
    // Oldest queued first, so after an outage a reader sees the digests in the order they were written.
    due.sort((a, b) => a.id - b.id);
    const transport = this.o.transport();
    for (const m of due) {
      try {
        const r = await transport.send({
          to: m.to,
          subject: m.subject,
          text: m.text,
          html: m.html,
          headers: { 'X-Sipprot-Kind': m.kind },
        });
        await this.o.store.markMailSent(m.id, now);
        result.sent++;
        this.lastError = null;
        if (r.rejected.length > 0) {
          this.o.logger?.warn({ id: m.id, rejected: r.rejected }, 'mail server refused some recipients');
        }
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        this.lastError = message;
        const age = now - m.createdAt;
        const next =
          age >= this.backoff.giveUpAfterSeconds ? null : now + backoffSeconds(m.attempts + 1, this.backoff);
        await this.o.store.markMailFailed(m.id, now, message, next);
        if (next === null) {
          result.abandoned++;
          this.o.logger?.error(
            { id: m.id, kind: m.kind, subject: m.subject, attempts: m.attempts + 1, err: message },
            'mail abandoned after repeated failures',
          );
        } else {
          result.failed++;
          this.o.logger?.warn(
            { id: m.id, kind: m.kind, retryAt: next, err: message },
            'mail not sent; will retry',
          );
        }
        // The server itself failed: the other mails would fail the same way, so wait.
        if (isServerFailure(e)) {
          this.heldUntil = next ?? now + this.backoff.firstSeconds;
          result.heldUntil = this.heldUntil;
          break;
        }
      }
    }
    return result;
  }
}

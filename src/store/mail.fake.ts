/**
 * The mail outbox in memory, for FakeStore: the same states and order as SqliteMail
 * (store.contract.ts holds both to it). Values are cloned out, as a database would.
 */
import type { NewMail, OutboxMail } from '../core/records.js';

export class FakeMailOutbox {
  private readonly items = new Map<number, OutboxMail>();
  private seq = 0;

  /** A mail already checked (validate.ts normalizeMail); its id. */
  enqueue(mail: NewMail): number {
    const id = ++this.seq;
    this.items.set(id, {
      ...mail,
      id,
      state: 'pending',
      attempts: 0,
      nextAttemptAt: mail.createdAt,
      lastAttemptAt: null,
      lastError: null,
      sentAt: null,
    });
    return id;
  }

  dueAt(now: number, limit?: number): OutboxMail[] {
    const due = [...this.items.values()].filter(
      (m) => m.state === 'pending' && m.nextAttemptAt !== null && m.nextAttemptAt <= now,
    );
    due.sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0) || a.id - b.id);
    return (limit === undefined ? due : due.slice(0, Math.max(0, limit))).map((m) => structuredClone(m));
  }

  get(id: number): OutboxMail | null {
    const m = this.items.get(id);
    return m ? structuredClone(m) : null;
  }

  markSent(id: number, at: number): boolean {
    const m = this.items.get(id);
    if (m?.state !== 'pending') return false;
    Object.assign(m, { state: 'sent', sentAt: at, lastAttemptAt: at, nextAttemptAt: null });
    return true;
  }

  markFailed(id: number, at: number, error: string, nextAttemptAt: number | null): boolean {
    const m = this.items.get(id);
    if (m?.state !== 'pending') return false;
    Object.assign(m, {
      state: nextAttemptAt === null ? 'abandoned' : 'pending',
      attempts: m.attempts + 1,
      lastAttemptAt: at,
      lastError: String(error),
      nextAttemptAt,
    });
    return true;
  }

  pending(): number {
    let n = 0;
    for (const m of this.items.values()) if (m.state === 'pending') n++;
    return n;
  }

  /** Drops mail sent or abandoned before `before`; returns how many. */
  pruneBefore(before: number): number {
    let n = 0;
    for (const m of [...this.items.values()]) {
      const done = m.state === 'sent' ? m.sentAt : m.state === 'abandoned' ? m.lastAttemptAt : null;
      if (done !== null && done < before) {
        this.items.delete(m.id);
        n++;
      }
    }
    return n;
  }
}

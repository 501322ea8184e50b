/**
 * The webhook outbox in memory, for FakeStore: the same states and order as
 * SqliteWebhooks (store.contract.ts holds both to it).
 */
import type { NewWebhook, OutboxWebhook } from '../core/records.js';

export class FakeWebhookOutbox {
  private readonly items = new Map<number, OutboxWebhook>();
  private seq = 0;

  enqueue(items: readonly NewWebhook[]): number[] {
    return items.map((w) => {
      const id = ++this.seq;
      this.items.set(id, {
        ...w,
        id,
        state: 'pending',
        attempts: 0,
        nextAttemptAt: w.createdAt,
        lastAttemptAt: null,
        lastError: null,
        sentAt: null,
      });
      return id;
    });
  }

  dueAt(now: number, limit?: number): OutboxWebhook[] {
    const due = [...this.items.values()].filter(
      (w) => w.state === 'pending' && w.nextAttemptAt !== null && w.nextAttemptAt <= now,
    );
    due.sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0) || a.id - b.id);
    return (limit === undefined ? due : due.slice(0, Math.max(0, limit))).map((w) => ({ ...w }));
  }

  markSent(id: number, at: number): boolean {
    const w = this.items.get(id);
    if (w?.state !== 'pending') return false;
    Object.assign(w, { state: 'sent', sentAt: at, lastAttemptAt: at, nextAttemptAt: null });
    return true;
  }

  markFailed(id: number, at: number, error: string, next: number | null): boolean {
    const w = this.items.get(id);
    if (w?.state !== 'pending') return false;
    Object.assign(w, {
      state: next === null ? 'abandoned' : 'pending',
      attempts: w.attempts + 1,
      lastAttemptAt: at,
      lastError: String(error).slice(0, 2000),
      nextAttemptAt: next,
    });
    return true;
  }

  pending(): number {
    return [...this.items.values()].filter((w) => w.state === 'pending').length;
  }

  pruneBefore(before: number): number {
    let n = 0;
    for (const w of [...this.items.values()]) {
      const done = w.state === 'sent' ? w.sentAt : w.state === 'abandoned' ? w.lastAttemptAt : null;
      if (done !== null && done < before) {
        this.items.delete(w.id);
        n++;
      }
    }
    return n;
  }
}

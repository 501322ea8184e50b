/**
 * The enforcer's retry of what the store did not take (issue 10 item 13): decisions the
 * kernel already enforces wait in an UnsavedQueue (unsaved.ts, bounded) and are written
 * again with its backoff (1 s doubling to 60 s) until the store takes them; the daemon is
 * told once when saving starts failing and once when it caught up (status, alerts). Split
 * from enforcer-commits.ts, which owns the commit slot: a retry takes that slot like a commit
 * (`exclusive`), so nothing is written beside it.
 */
import type { ListEntry } from '../core/types.js';
import type { Protection } from '../ports/admin.js';
import type { Store, StoreBatch } from '../ports/store.js';
import { UnsavedQueue } from './unsaved.js';

export interface RetryDeps {
  store: Pick<Store, 'commit'>;
  appendDeny(entries: ListEntry[]): Promise<unknown>;
  /** The first failure of a run of them (the daemon reconciles the kernel from the store). */
  failed(what: 'store', e: unknown): void;
  storeAlarm?(state: 'failing' | 'recovered', detail: Protection['store'] & { seconds?: number }): void;
  clock(): number;
  /**
   * Once no commit is in flight, calls `start` and holds the enforcer's commit slot until
   * the promise it returns settles (null: nothing to run, the slot is not taken).
   */
  exclusive(start: () => Promise<void> | null): Promise<void>;
}

export class StoreRetry {
  /** Decisions in force in the kernel that the store did not take yet. */
  readonly unsaved = new UnsavedQueue();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly d: RetryDeps) {}

  get empty(): boolean {
    return this.unsaved.empty;
  }

  /** Batches that could not be written, or must wait behind what could not. */
  add(batches: readonly StoreBatch[], deny: ListEntry[]): void {
    for (const b of batches) this.unsaved.add(b);
    this.unsaved.addDeny(deny);
  }

  state(): Protection['store'] {
    return this.unsaved.state();
  }

  /** A write was refused: counted, told once, and retried after the queue's backoff. */
  failed(e: unknown): void {
    const first = this.unsaved.since === null;
    const wait = this.unsaved.failed(e, this.d.clock());
    if (first) {
      this.d.failed('store', e);
      this.d.storeAlarm?.('failing', this.unsaved.state());
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.retry();
    }, wait);
    this.timer.unref();
  }

  /** Stop: no timer left; then one last try (`retry`) by the caller. */
  stopTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** One try now, in the commit slot. */
  async retry(): Promise<void> {
    await this.d.exclusive(() => (this.unsaved.empty ? null : this.save().then(() => undefined)));
  }

  /** Writes what waits, as one batch; true when nothing waits any more. */
  private async save(): Promise<boolean> {
    const since = this.unsaved.since;
    try {
      if (this.unsaved.size > 0) {
        await this.d.store.commit(this.unsaved.batch());
        this.unsaved.saved();
      }
      const deny = this.unsaved.denyEntries();
      if (deny.length > 0) {
        await this.d.appendDeny(deny);
        this.unsaved.denySaved();
      }
    } catch (e) {
      this.failed(e);
      return false;
    }
    const seconds = since === null ? 0 : Math.round(this.d.clock() - since);
    this.d.storeAlarm?.('recovered', { ...this.unsaved.state(), seconds });
    return true;
  }
}

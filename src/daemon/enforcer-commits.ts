/**
 * The store half of carrying decisions out (enforcer.ts has the kernel half): store writes,
 * deny-list appends and notices are gathered. Decisions wait in `pending` until a commit
 * starts (at most every GATHER_MS) or, in a burst, until STAGE_AT of them have gathered;
 * then they become one batch, staged for the writer thread, and what was staged while a
 * commit was in flight is committed together. So a burst of ten thousand blocks costs one
 * transaction, not ten thousand fsyncs, no packet waits for a disk or a file lock, no turn
 * pays for the thousands before it, and at a light rate (1k msg/s of the issue-13 mix:
 * hundreds of turns a second with a block each) a commit is one batch encoded once, not
 * one per turn. What the store refuses waits in memory and is retried (enforcer-retry.ts).
 */

import type { NewHistoryEvent } from '../core/history/events.js';
import type { AttackRecord } from '../core/records.js';
import type { BlockRecord, Decision, ListEntry } from '../core/types.js';
import type { Protection } from '../ports/admin.js';
import type { Store, StoreBatch } from '../ports/store.js';
import { StoreRetry } from './enforcer-retry.js';
import { batchOf, mergeBatches } from './store-writer-batches.js';

/**
 * Commits start at most every GATHER_MS. A commit is a transaction with its fsync on the
 * writer thread: at 1k msg/s of the issue-13 mix (a block every few messages) one per turn
 * was over a hundred a second, most of the daemon's CPU at that rate (bench/RESULTS.md). A
 * decision after a quiet moment is committed at once; one within GATHER_MS of the last
 * commit waits for the rest of it, with whatever else comes meanwhile. The kernel has every
 * block at once either way; the store (and the log line, the live view) up to GATHER_MS later.
 */
export const GATHER_MS = 100;

/**
 * Decisions and attacks gathered before they are made a batch and staged without waiting for
 * the commit: bounds a turn's share of a burst (~2 µs each to batch and encode,
 * store-writer-codec.ts, so ≤ ~0.5 ms) and keeps what waits for a busy writer as bytes
 * outside the JS heap. Below it, batching waits for the commit: one encoding of ~100
 * decisions instead of one per turn (each a fixed cost on the main thread and again on the
 * writer's to read it back).
 */
export const STAGE_AT = 256;

/**
 * Decisions told to `published` in one turn at most; the rest in the next turns. A commit
 * carries everything decided while the one before it ran, and a slow writer makes that a
 * lot: in the issue-13 flood, commits of 18,000 decisions, whose log, metrics, mail and live
 * view held the loop 38–104 ms in one piece (bench/RESULTS.md). ~1–3 µs each: ≤ ~1 ms a turn.
 */
export const PUBLISH_AT = 512;

export interface CommitDeps {
  /** Where batches are committed (store-writer.ts: on a worker thread in the daemon). */
  store: Pick<Store, 'commit'> & Partial<StagedStore>;
  /** The policy's current record of a block (for extends, which carry only new times). */
  recordOf(ip: string): BlockRecord | undefined;
  /** Appends threshold-permanent addresses to the deny list file, with their notes. */
  appendDeny(entries: ListEntry[]): Promise<unknown>;
  /** Told after the decisions are committed (mail digest, live UI). */
  published(ds: Decision[]): void;
  /** A store failure: the daemon reconciles the kernel from the store. */
  failed(what: 'store', e: unknown): void;
  /**
   * The store refuses decisions the kernel enforces (a full disk): they wait in memory and
   * are retried (unsaved.ts); told once when that starts and once when it caught up.
   */
  storeAlarm?(state: 'failing' | 'recovered', detail: Protection['store'] & { seconds?: number }): void;
  clock(): number;
  /**
   * Milliseconds on a monotonic clock, for the GATHER_MS spacing of commits (default
   * performance.now): tests turn it by hand, so "waits" and "at once" don't depend on how
   * busy the machine is.
   */
  monotonic?(): number;
}

/** A store that takes batches encoded ahead of their commit (store-writer.ts). */
export interface StagedStore {
  /**
   * Readies a batch now (encoded for the writer thread), or null (then the batch itself is
   * kept and committed): a commit of many batches then costs no more, and what waits for the
   * writer is bytes outside the JS heap, not objects the GC must walk and promote.
   */
  stage(batch: StoreBatch): unknown;
  /** The batch back from `stage`'s answer (a refused commit joins the unsaved queue). */
  unstage(staged: unknown): StoreBatch;
  /** Commits staged batches in order in one transaction. */
  commitStaged(staged: readonly unknown[]): Promise<void>;
}

interface Pending {
  ds: Decision[];
  attacks: AttackRecord[];
  /** The decisions' history events, made as each was applied. */
  history: NewHistoryEvent[];
}

/** Decisions made a batch (one turn's or several), ready for the store. */
interface Turn {
  /** The batch, or its staged form (StagedStore). */
  store: StoreBatch | null;
  staged: unknown;
  deny: ListEntry[];
  /** Told once committed (every decision but renewals). */
  published: Decision[];
}

export class Commits {
  private pending: Pending = { ds: [], attacks: [], history: [] };
  /** Batches made and not committed yet (a commit was in flight). */
  private turns: Turn[] = [];
  private flushing: Promise<void> | null = null;
  private scheduled = false;
  /** performance.now() of the last commit's start; the timer of the next one (GATHER_MS). */
  private lastCommit = Number.NEGATIVE_INFINITY;
  private gather: NodeJS.Timeout | null = null;
  /** Decisions in force in the kernel that the store did not take yet (issue 10 item 13). */
  private readonly retry: StoreRetry;
  private readonly now: () => number;

  constructor(private readonly d: CommitDeps) {
    this.now = d.monotonic ?? (() => performance.now());
    this.retry = new StoreRetry({
      store: d.store,
      appendDeny: (entries) => d.appendDeny(entries),
      failed: (what, e) => d.failed(what, e),
      storeAlarm: (state, detail) => d.storeAlarm?.(state, detail),
      clock: () => d.clock(),
      exclusive: (start) => this.exclusive(start),
    });
  }

  /** A decision for the next commit, with its history event (committed in the same transaction). */
  decision(d: Decision, event: NewHistoryEvent | null | undefined): void {
    this.pending.ds.push(d);
    if (event) this.pending.history.push(event);
  }

  /** An attack for the next commit (one a verdict: no array made for it on the packet path). */
  attack(a: AttackRecord): void {
    this.pending.attacks.push(a);
  }

  /** Waits until everything added so far is committed (stop, reload, tests). */
  async flush(): Promise<void> {
    while (this.flushing || this.turns.length > 0 || !this.pendingEmpty()) {
      if (this.flushing) await this.flushing;
      else await this.commit();
    }
  }

  /** What the store has not taken yet (status, metrics). */
  state(): Protection['store'] {
    return this.retry.state();
  }

  /** Stop: one last try for what waits; what still cannot be written is reported, not hidden. */
  async close(): Promise<Protection['store']> {
    this.retry.stopTimer();
    await this.flush();
    if (!this.retry.empty) await this.retry.retry();
    this.retry.stopTimer();
    return this.retry.state();
  }

  /** At the end of this turn: a batch made if STAGE_AT gathered, and a commit now or soon. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.pendingSize() >= STAGE_AT) this.endTurn();
      this.commitSoon();
    });
  }

  private pendingEmpty(): boolean {
    const p = this.pending;
    return p.ds.length === 0 && p.attacks.length === 0 && p.history.length === 0;
  }

  private pendingSize(): number {
    const p = this.pending;
    return p.ds.length + p.attacks.length;
  }

  /** A commit now, or GATHER_MS after the last one started (one in flight: when it ends). */
  private commitSoon(): void {
    if (this.flushing || this.gather || (this.turns.length === 0 && this.pendingEmpty())) return;
    const wait = this.lastCommit + GATHER_MS - this.now();
    if (wait <= 0) {
      void this.commit();
      return;
    }
    this.gather = setTimeout(() => {
      this.gather = null;
      this.commitSoon();
    }, wait);
  }

  /** What is pending becomes a batch, staged (bounded work: ≤ STAGE_AT and one turn's). */
  private endTurn(): void {
    if (this.pendingEmpty()) return;
    const { ds, attacks, history } = this.pending;
    this.pending = { ds: [], attacks: [], history: [] };
    const batch = batchOf(ds, attacks, this.d.recordOf);
    if (history.length > 0) batch.store.history = history;
    const staged = this.d.store.stage?.(batch.store) ?? null;
    this.turns.push({
      store: staged === null ? batch.store : null,
      staged,
      deny: batch.deny,
      published: ds.filter((x) => x.action !== 'extend'),
    });
  }

  private commit(): Promise<void> {
    this.endTurn();
    const turns = this.turns;
    this.turns = [];
    if (turns.length > 0) this.lastCommit = this.now();
    if (this.gather) clearTimeout(this.gather);
    this.gather = null;
    const run = async () => {
      if (turns.length === 0) return;
      const deny = turns.flatMap((t) => t.deny);
      if (!this.retry.empty) {
        // Behind what waits, never around it: an older block must not overwrite a newer unblock.
        this.retry.add(this.batchesOf(turns), deny);
      } else {
        try {
          await this.commitTurns(turns);
        } catch (e) {
          this.retry.add(this.batchesOf(turns), []);
          this.retry.failed(e);
        }
        if (deny.length > 0) {
          try {
            await this.d.appendDeny(deny);
          } catch (e) {
            this.retry.add([], deny);
            this.retry.failed(e);
          }
        }
      }
      const published = turns.length === 1 ? turns[0]!.published : turns.flatMap((t) => t.published);
      for (let i = 0; i < published.length; i += PUBLISH_AT) {
        // A turn of the loop between parts: timers, I/O and the capture's next slice.
        if (i > 0) await new Promise((r) => setImmediate(r));
        this.d.published(published.length <= PUBLISH_AT ? published : published.slice(i, i + PUBLISH_AT));
      }
    };
    this.flushing = run().finally(() => {
      this.flushing = null;
      // Decided meanwhile: committed together, next.
      if (this.turns.length > 0 || !this.pendingEmpty()) this.schedule();
    });
    return this.flushing;
  }

  private commitTurns(turns: readonly Turn[]): Promise<void> {
    const s = this.d.store;
    if (s.commitStaged && turns.every((t) => t.store === null))
      return s.commitStaged(turns.map((t) => t.staged));
    return s.commit(mergeBatches(turns.map((t) => this.batchOfTurn(t))));
  }

  /**
   * The turns' batches for the unsaved queue. A staged turn that cannot be read back (bytes
   * the codec refuses: a bug, SP_ERR_STORE) is reported and left out: thrown from here, it
   * was an unhandled rejection that ended the daemon, with every other turn of the commit.
   */
  private batchesOf(turns: readonly Turn[]): StoreBatch[] {
    const out: StoreBatch[] = [];
    for (const t of turns) {
      try {
        out.push(this.batchOfTurn(t));
      } catch (e) {
        this.d.failed('store', e);
      }
    }
    return out;
  }

  private batchOfTurn(t: Turn): StoreBatch {
    return t.store ?? this.d.store.unstage!(t.staged);
  }

  /** Holds the commit slot for `start`'s promise once no commit is in flight (the retry's). */
  private async exclusive(start: () => Promise<void> | null): Promise<void> {
    while (this.flushing) await this.flushing;
    const run = start();
    if (run === null) return;
    this.flushing = run.finally(() => {
      this.flushing = null;
    });
    await this.flushing;
  }
}

/**
 * Carries decisions out: the kernel first and at once (each call reaches nft in well under
 * a millisecond); store writes, deny-list appends and notices are gathered: decisions wait
 * in `pending` until a commit starts (at most every GATHER_MS) or, in a burst, until
 * STAGE_AT of them have gathered; then they become one batch, staged for the writer thread,
 * and what was staged while a commit was in flight is committed together. So a burst of ten
 * thousand blocks costs one transaction, not ten thousand fsyncs, no packet waits for a disk
 * or a file lock, no turn pays for the thousands before it, and at a light rate (1k msg/s of
 * the issue-13 mix: hundreds of turns a second with a block each) a commit is one batch
 * encoded once, not one per turn. What the kernel must hold in full (reconcile at start,
 * on reload, after an error) is kernel-state.ts.
 */

import { ACTORS, type NewHistoryEvent } from '../core/history/events.js';
import type { AttackRecord } from '../core/records.js';
import type { BlockRecord, Decision, ListEntry, Verdict } from '../core/types.js';
import type { Protection } from '../ports/admin.js';
import type { Firewall } from '../ports/firewall.js';
import type { Store, StoreBatch } from '../ports/store.js';
import { StoreRetry } from './enforcer-retry.js';
import { KERNEL_SLACK_SECONDS } from './kernel-state.js';
import { attackRecordOf, batchOf, mergeBatches } from './store-writer-batches.js';

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

export interface EnforcerDeps {
  firewall: Firewall;
  /** Where batches are committed (store-writer.ts: on a worker thread in the daemon). */
  store: Pick<Store, 'commit'> & Partial<StagedStore>;
  /** The policy's current record of a block (for extends, which carry only new times). */
  recordOf(ip: string): BlockRecord | undefined;
  /** Appends threshold-permanent addresses to the deny list file, with their notes. */
  appendDeny(entries: ListEntry[]): Promise<unknown>;
  /** Told after the decisions are committed (mail digest, live UI). */
  published(ds: Decision[]): void;
  /**
   * Cluster mode: every decision (renewals too) and attack once the kernel holds it, once per
   * event-loop turn, to tell the fleet. Not after the store's commit: a burst's fsyncs would
   * hold the fleet back by hundreds of ms (measured, bench/RESULTS.md); the cluster's outbox
   * is durable on its own, and anti-entropy refills a store that lost its last commit.
   */
  enforced?(ds: Decision[], attacks: AttackRecord[]): void;
  /** Cluster mode: this host's id, stamped on the records it decides (which host saw it). */
  hostId?: string;
  /**
   * The history event of a decision made by `actor` (undefined: the daemon itself), or
   * null (renewals, observe); committed in the same transaction as the decision.
   */
  historyOf?(d: Decision, actor: string | undefined): NewHistoryEvent | null;
  /** A firewall or store failure: the daemon reconciles the kernel from the store. */
  failed(what: 'firewall' | 'store', e: unknown): void;
  /** A new block reached the kernel this many seconds after the packet that decided it. */
  inKernel?(seconds: number): void;
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

export class Enforcer {
  private pending: Pending = { ds: [], attacks: [], history: [] };
  /** Batches made and not committed yet (a commit was in flight). */
  private turns: Turn[] = [];
  private flushing: Promise<void> | null = null;
  private scheduled = false;
  /** performance.now() of the last commit's start; the timer of the next one (GATHER_MS). */
  private lastCommit = Number.NEGATIVE_INFINITY;
  private gather: NodeJS.Timeout | null = null;
  /** What the fleet has not been told yet (cluster mode only). */
  private fleet: { ds: Decision[]; attacks: AttackRecord[] } = { ds: [], attacks: [] };
  private fleetScheduled = false;
  /** Decisions in force in the kernel that the store did not take yet (issue 10 item 13). */
  private readonly retry: StoreRetry;

  private readonly now: () => number;

  constructor(private readonly d: EnforcerDeps) {
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

  /** A new block's time to the kernel, for the metrics. */
  private measured(inKernel: (seconds: number) => void, decidedAt: number): void {
    try {
      inKernel(this.d.clock() - decidedAt);
    } catch {
      // A metric never fails a block.
    }
  }

  /** `actor`: who asked (an admin's unblock, a peer's block); the daemon itself when absent. */
  apply(ds: readonly Decision[], actor?: string): void {
    if (ds.length === 0) return;
    const now = this.d.clock();
    for (const d of ds) {
      const dec = this.d.hostId !== undefined && d.host === undefined ? { ...d, host: this.d.hostId } : d;
      // Never enforce a "would block", whichever way it came.
      if (dec.action === 'observe') {
        this.pending.ds.push(dec);
        continue;
      }
      const op =
        dec.action === 'unblock'
          ? this.d.firewall.unblock(dec.ip)
          : this.d.firewall.block(
              dec.ip,
              dec.expiresAt === null ? null : Math.max(1, dec.expiresAt - now) + KERNEL_SLACK_SECONDS,
              // A new block (not a renewal): the kernel may take it as one element operation.
              dec.action !== 'extend',
            );
      // Metrics: from the packet that decided a new block to the kernel holding it. One
      // reaction for both outcomes: a catch and a then-catch made three promises a block.
      const inKernel = dec.action === 'block' || dec.action === 'permanent' ? this.d.inKernel : undefined;
      op.then(inKernel && (() => this.measured(inKernel, dec.at)), (e) => this.d.failed('firewall', e));
      this.pending.ds.push(dec);
      if (this.d.enforced) this.fleet.ds.push(dec);
      // After the kernel call, before the next event: the evidence is what the address had
      // sent up to this decision. A decision a peer host made (cluster) is that host's.
      const peer = d.host !== undefined && d.host !== this.d.hostId ? ACTORS.peer(d.host) : undefined;
      const event = this.d.historyOf?.(dec, actor ?? peer);
      if (event) this.pending.history.push(event);
    }
    this.schedule();
    this.tellFleet();
  }

  /**
   * A "would block" of a rule in OBSERVE mode: recorded and published like a decision,
   * never in the kernel, never a block record, never counted toward BLOCK_THRESHOLD.
   */
  observe(d: Decision): void {
    if (d.action !== 'observe') return;
    this.pending.ds.push(d);
    this.schedule();
  }

  /** An attack as detection saw it, for reports (kept even when no block follows). */
  attack(v: Verdict, country: string | null): void {
    const a = attackRecordOf(v, country, this.d.hostId);
    this.pending.attacks.push(a);
    if (this.d.enforced) this.fleet.attacks.push(a);
    this.schedule();
    this.tellFleet();
  }

  /**
   * Attacks a peer host saw (cluster mode), kept for the fleet's reports: they join the next
   * commit of this turn (on the store's writer thread), never told to the fleet again. A
   * commit of their own on the main thread held the event loop for up to 1.3 s during a
   * burst (the writer thread held the database lock): peer blocks waited behind it.
   */
  peerAttacks(attacks: readonly AttackRecord[]): void {
    if (attacks.length === 0) return;
    this.pending.attacks.push(...attacks);
    this.schedule();
  }

  /** Waits until everything applied so far is committed (stop, reload, tests). */
  async flush(): Promise<void> {
    this.fleetNow();
    while (this.flushing || this.turns.length > 0 || !this.pendingEmpty()) {
      if (this.flushing) await this.flushing;
      else await this.commit();
    }
  }

  private tellFleet(): void {
    if (!this.d.enforced || this.fleetScheduled) return;
    this.fleetScheduled = true;
    setImmediate(() => this.fleetNow());
  }

  private fleetNow(): void {
    this.fleetScheduled = false;
    const { ds, attacks } = this.fleet;
    if (ds.length === 0 && attacks.length === 0) return;
    this.fleet = { ds: [], attacks: [] };
    try {
      this.d.enforced?.(ds, attacks);
    } catch (e) {
      this.d.failed('store', e);
    }
  }

  /** What the store has not taken yet (status, metrics). */
  storeState(): Protection['store'] {
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

  private pendingEmpty(): boolean {
    const p = this.pending;
    return p.ds.length === 0 && p.attacks.length === 0 && p.history.length === 0;
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.pendingSize() >= STAGE_AT) this.endTurn();
      this.commitSoon();
    });
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

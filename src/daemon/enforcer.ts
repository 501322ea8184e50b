/**
 * Carries decisions out: the kernel first and at once (each call reaches nft in well under
 * a millisecond), then the store, the deny list and the notices, gathered into few commits
 * (enforcer-commits.ts); in cluster mode the fleet is told once a turn. What the kernel must
 * hold in full (reconcile at start, on reload, after an error) is kernel-state.ts.
 */

import { ACTORS, type NewHistoryEvent } from '../core/history/events.js';
import type { AttackRecord } from '../core/records.js';
import type { Decision, Verdict } from '../core/types.js';
import type { Protection } from '../ports/admin.js';
import type { Firewall } from '../ports/firewall.js';
import { type CommitDeps, Commits } from './enforcer-commits.js';
import { KERNEL_SLACK_SECONDS } from './kernel-state.js';
import { attackRecordOf } from './store-writer-batches.js';

export interface EnforcerDeps extends CommitDeps {
  firewall: Firewall;
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
}

export class Enforcer {
  private readonly commits: Commits;
  /** What the fleet has not been told yet (cluster mode only). */
  private fleet: { ds: Decision[]; attacks: AttackRecord[] } = { ds: [], attacks: [] };
  private fleetScheduled = false;

  constructor(private readonly d: EnforcerDeps) {
    this.commits = new Commits(d);
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
        this.commits.decision(dec, null);
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
      if (this.d.enforced) this.fleet.ds.push(dec);
      // After the kernel call, before the next event: the evidence is what the address had
      // sent up to this decision. A decision a peer host made (cluster) is that host's.
      const peer = d.host !== undefined && d.host !== this.d.hostId ? ACTORS.peer(d.host) : undefined;
      this.commits.decision(dec, this.d.historyOf?.(dec, actor ?? peer));
    }
    this.commits.schedule();
    this.tellFleet();
  }

  /**
   * A "would block" of a rule in OBSERVE mode: recorded and published like a decision,
   * never in the kernel, never a block record, never counted toward BLOCK_THRESHOLD.
   */
  observe(d: Decision): void {
    if (d.action !== 'observe') return;
    this.commits.decision(d, null);
    this.commits.schedule();
  }

  /** An attack as detection saw it, for reports (kept even when no block follows). */
  attack(v: Verdict, country: string | null): void {
    const a = attackRecordOf(v, country, this.d.hostId);
    this.commits.attack(a);
    if (this.d.enforced) this.fleet.attacks.push(a);
    this.commits.schedule();
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
    for (const a of attacks) this.commits.attack(a);
    this.commits.schedule();
  }

  /** Waits until everything applied so far is committed (stop, reload, tests). */
  async flush(): Promise<void> {
    this.fleetNow();
    await this.commits.flush();
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
    return this.commits.state();
  }

  /** Stop: one last try for what waits; what still cannot be written is reported, not hidden. */
  close(): Promise<Protection['store']> {
    this.fleetNow();
    return this.commits.close();
  }
}

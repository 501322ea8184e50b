/**
 * The kernel's agreement with the policy: everything the daemon does so that sipprot's
 * nftables table holds what the policy, lists, countries and feeds say, and keeps holding it.
 * - reconcile: one full batch from the desired state; a caller that arrives while one runs
 *   gets the next run, shared by all who arrive meanwhile (reconciler.ts: a reload during
 *   the kernel watch's rebuild must not be handed the rebuild's older desired state);
 * - a failed change: the ReconcilingFirewall reconciles once at once; if that fails too, one
 *   more try 5 s later (the kernel may be busy or nftables.service restarting);
 * - the kernel watch (kernel-guard.ts): rules that vanish behind our back are rebuilt;
 * - the alarm (protection.ts): every loss of protection (kernel rules, firewall sync, and
 *   the store and capture the Daemon reports to it) logged, shown live, mailed, counted;
 * - stop: the watch first (our own removal is no loss), then the table goes, or stays as it
 *   is after a start that failed half-way (the rules of a daemon that died protect better
 *   than none).
 * The Daemon builds one from what it opened and hands out `firewall` to the enforcer.
 */
import type { LiveEvent } from '../api/types.js';
import { isSipprotError } from '../core/errors.js';
import { ReconcilingFirewall } from '../firewall/reconcile.js';
import type { MetricsSources } from '../metrics/metrics-sources.js';
import type { ProtectionNotice } from '../notify/protection-mail.js';
import type { Protection } from '../ports/admin.js';
import type { Firewall, FirewallState } from '../ports/firewall.js';
import type { Logger } from '../ports/logger.js';
import { KernelGuard } from './kernel-guard.js';
import { ProtectionMonitor } from './protection.js';
import { Reconciler } from './reconciler.js';

/** After a reconcile that failed too, the next try (the kernel may be busy or restarting). */
const RETRY_RECONCILE_MS = 5000;

export interface KernelSyncDeps {
  /** The firewall port as opened (nftables, or the fake with --dry-run and in tests). */
  kernel: Firewall;
  log: Logger;
  /** What the kernel should hold now (policy, lists, countries, feeds). */
  desired(): FirewallState;
  /** The kernel watch's network namespace ('' = ours), or false for none (a fake firewall). */
  watch: { netns: string } | false;
  emit(e: LiveEvent): void;
  /** A protection loss or recovery, mailed at once (Notifier.protection). */
  mail(n: ProtectionNotice): Promise<void>;
  clock(): number;
}

export class KernelSync {
  /** The port the enforcer, lists and feeds change: a failed change reconciles once. */
  readonly firewall: ReconcilingFirewall;
  private readonly reconciler = new Reconciler((why, alsoFor) => this.reconcileNow(why, alsoFor));
  private guard: KernelGuard | null = null;
  private stopping = false;
  /** What protection depends on, and what a loss sets off (protection.ts). */
  readonly alarm: ProtectionMonitor;

  constructor(private readonly d: KernelSyncDeps) {
    this.alarm = new ProtectionMonitor({ log: d.log, emit: d.emit, mail: d.mail, clock: d.clock });
    this.firewall = new ReconcilingFirewall(
      d.kernel,
      async () => d.desired(),
      d.log.child({ component: 'reconcile' }),
    );
  }

  /** Makes the kernel match the policy, lists, countries and options in one batch. */
  reconcile(why: string): Promise<void> {
    return this.reconciler.request(why);
  }

  private async reconcileNow(why: string, alsoFor: readonly string[]): Promise<void> {
    const desired = this.d.desired();
    const t0 = performance.now();
    await this.firewall.init(desired);
    this.alarm.restored('firewall', `rebuilt (${why})`);
    this.d.log.info(
      {
        why,
        ...(alsoFor.length > 0 ? { alsoFor: alsoFor.join('; ') } : {}),
        ms: Math.round(performance.now() - t0),
        dynamic: desired.dynamic.length,
        allow: desired.allow.length,
        deny: desired.deny.length,
        countries: desired.countries.length,
      },
      'firewall reconciled',
    );
  }

  /** Starts the kernel watch (after the first reconcile: an empty kernel is no loss). */
  watch(): void {
    if (this.d.watch === false) return;
    this.guard = new KernelGuard({
      netns: this.d.watch.netns,
      log: this.d.log.child({ component: 'kernel-watch' }),
      // The guard logs its own lines; the alarm tells the live view, mails and counts.
      emit: (e) => {
        if (e.type !== 'protection') this.d.emit(e);
        else if (e.state === 'lost') this.alarm.lost('kernel', e.reason, true);
        else this.alarm.restored('kernel', e.reason, true);
      },
      reconcile: (why) => this.reconcile(why),
      failed: (e) => this.failed(e),
      clock: this.d.clock,
    });
    this.guard.start();
  }

  /** Whether protection holds (status, check), with the store's state the Daemon has. */
  protection(store: Protection['store']): Protection {
    const fw = this.alarm.part('firewall');
    const cap = this.alarm.part('capture');
    return {
      kernel: this.guard ? { ...this.guard.state } : null,
      store,
      firewall: { inSync: fw.ok, failures: this.alarm.firewallFailures, lastError: fw.reason },
      capture: { running: cap.ok, lastError: cap.reason },
    };
  }

  /** /metrics: each part's state and the failure counters. */
  metrics(storeFailures: number): ReturnType<NonNullable<MetricsSources['protection']>> {
    const firewallFailures = { change: this.firewall.refused, reconcile: this.alarm.firewallFailures };
    return { up: this.alarm.up(), firewallFailures, storeFailures };
  }

  /** A firewall change failed after the wrapper's own reconcile: log, and try again later. */
  failed(e: unknown): void {
    this.d.log.error({ err: e, code: isSipprotError(e) ? e.code : undefined }, 'firewall operation failed');
    if (this.stopping) return;
    this.alarm.lost('firewall', e instanceof Error ? e.message : String(e), true);
    setTimeout(() => {
      if (!this.stopping)
        this.reconcile('after error').catch((err) => this.d.log.error({ err }, 'reconcile failed'));
    }, RETRY_RECONCILE_MS).unref();
  }

  /** The daemon is stopping: no more retries, and our own removal of the table is no loss. */
  quiet(): void {
    this.stopping = true;
    this.guard?.stop();
  }

  /** Removes sipprot's table, or (`keepRules`: a start that failed half-way) leaves it as it is. */
  async close(keepRules: boolean): Promise<void> {
    this.quiet();
    if (keepRules) {
      this.d.log.warn({}, "start failed: sipprot's nftables table is kept as it is");
      await this.firewall.close().catch(() => undefined);
      return;
    }
    await this.firewall
      .shutdown()
      .catch((e) => this.d.log.error({ err: e }, 'could not remove the nftables table'));
  }
}

/**
 * Protection that must never vanish silently. The daemon's answer to rules vanishing
 * behind its back (issue 10 item 10): the kernel
 * watch (firewall/kernel-watch.ts) says the table or its rules are gone; this logs it as
 * an error, tells the live view (SSE `protection`), marks status and `check` untrue
 * ("NOT in force") and rebuilds the whole table from the store in one transaction. When
 * the rebuild lands, the same surfaces say so. A rebuild that fails is retried by the
 * daemon's error path (5 s later).
 */
import type { LiveEvent } from '../api/types.js';
import { KernelWatch } from '../firewall/kernel-watch.js';
import type { Protection } from '../ports/admin.js';
import type { Logger } from '../ports/logger.js';

export interface KernelGuardDeps {
  /** The network namespace to watch (/run/netns/NAME; '' = the daemon's own). */
  netns: string;
  log: Logger;
  emit(e: LiveEvent): void;
  /** One full reconcile from the store. */
  reconcile(why: string): Promise<void>;
  failed(e: unknown): void;
  clock(): number;
}

export class KernelGuard {
  readonly state: NonNullable<Protection['kernel']> = { inSync: true, losses: 0, lastLoss: null };
  private readonly watch: KernelWatch;
  private rebuilding = false;

  constructor(private readonly d: KernelGuardDeps) {
    this.watch = new KernelWatch({ netns: d.netns, log: d.log, onLost: (why) => this.noticed(why) });
  }

  start(): void {
    this.watch.start();
  }

  /** Before sipprot removes its own table (stop): that is no loss. */
  stop(): void {
    this.watch.stop();
  }

  /**
   * The watch saw our rules gone. One loss until its rebuild settles: on a loaded machine
   * the rebuild can outlast the watch's 150 ms debounce, and the flush's later monitor lines
   * would otherwise count (and mail, and alert) the same loss twice.
   */
  noticed(reason: string): void {
    if (this.rebuilding) return;
    const at = this.d.clock();
    this.rebuilding = true;
    this.state.inSync = false;
    this.state.losses++;
    this.state.lastLoss = { at, reason };
    this.d.log.error(
      { reason },
      `PROTECTION LOST: ${reason} (nft flush ruleset? nftables.service restarted?); rebuilding from the store`,
    );
    this.d.emit({ type: 'protection', part: 'kernel', state: 'lost', reason, at });
    this.d
      .reconcile(`kernel lost sipprot's rules: ${reason}`)
      .then(
        () => {
          this.state.inSync = true;
          const after = Math.round((this.d.clock() - at) * 1000);
          this.d.log.warn(
            { ms: after },
            `protection restored: sipprot's table rebuilt ${after} ms after the loss`,
          );
          this.d.emit({ type: 'protection', part: 'kernel', state: 'restored', reason, at: this.d.clock() });
        },
        (e) => this.d.failed(e),
      )
      .finally(() => {
        this.rebuilding = false;
      });
  }
}

/**
 * The store refusing decisions the kernel enforces (issue 10 item 13: a full STATE_DIR):
 * said once when it starts, once when the store caught up; status and metrics carry the
 * count in between (Pipeline.storeState).
 */
export function storeAlarm(
  log: Logger,
  state: 'failing' | 'recovered',
  d: Protection['store'] & { seconds?: number },
): void {
  if (state === 'failing') {
    log.error(
      { pending: d.pending, err: d.lastError },
      'STORE FAILING (STATE_DIR full?): blocks stay in force in the kernel and wait in memory; retrying with backoff',
    );
  } else {
    log.warn(
      { seconds: d.seconds ?? 0 },
      `store caught up: every waiting decision saved after ${d.seconds ?? 0} s`,
    );
  }
}

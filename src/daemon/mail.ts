/**
 * The mail in force (notify/notifier.ts, issue 4): built from the config at start, stopped
 * and built again when a reload changes SMTP_* or NOTIFY_* (config-diff.ts sameMail; any
 * other reload keeps its queue, throttles and digest as they are). The Daemon's timer ticks it
 * when it says work is due (periodic.ts), woken through watchDue, and hands it every published
 * decision and every alert.
 * Cluster mode: the daily summary goes out once per fleet and the digest is throttled
 * fleet-wide, through a claim on the cluster (CLUSTER_HOST_ID set: claim asked; single
 * host: no claim, every job runs here).
 * Its queue writes (a mail queued, sent, failed) go to a writer thread (queue-writer.ts),
 * not the event loop; the thread lives across reloads.
 */
import type { Config } from '../core/types.js';
import { Notifier } from '../notify/notifier.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import { clusterHostId } from './cluster.js';
import { sameMail } from './config-diff.js';
import { QueueWriter } from './queue-writer.js';

export interface MailDeps {
  config(): Config;
  store: Store;
  clock(): number;
  log: Logger;
  /** Cluster mode: true on the one host of the fleet that runs `job` for `ttl` seconds. */
  claim(job: string, ttl: number): Promise<boolean>;
  /** Cluster mode: the fleet's name in the subjects of its once-per-fleet mails. */
  fleetName?(): Promise<string | null>;
}

export class MailInForce {
  private current: Notifier;
  private readonly queue: QueueWriter;
  private wake: (() => void) | null = null;

  constructor(private readonly d: MailDeps) {
    this.queue = new QueueWriter(d.store, d.log);
    this.current = this.build();
  }

  get notifier(): Notifier {
    return this.current;
  }

  /** `fn` is called when the mail in force may have work sooner than it said (a block, an alert, a new mailer). */
  watchDue(fn: () => void): void {
    this.wake = fn;
  }

  /** A reload: a new mailer only when SMTP_* or NOTIFY_* changed. */
  async reload(previous: Config, next: Config): Promise<void> {
    if (sameMail(previous, next)) return;
    await this.current.stop();
    this.current = this.build();
    this.wake?.();
  }

  private build(): Notifier {
    const config = this.d.config();
    return new Notifier({
      config,
      // OBSERVE changes on reload without a new mailer: read as in force.
      observe: () => this.d.config().detection.observe,
      store: this.queue.store,
      clock: this.d.clock,
      logger: this.d.log.child({ component: 'mail' }),
      wake: () => this.wake?.(),
      ...(clusterHostId(config)
        ? { fleet: { claim: this.d.claim, ...(this.d.fleetName ? { name: this.d.fleetName } : {}) } }
        : {}),
    });
  }
}

/**
 * The notifier the daemon talks to. Detection hands it decisions (a cheap, synchronous
 * call); the daemon's timer calls tick(), which queues the digest and the daily report when
 * due and then delivers the queue. Nothing here can slow or fail detection: tick() never
 * rejects and never runs twice at once.
 *
 * The timer is armed for nextDue() (the digest's interval or settling end, the next daily
 * report, the queue's next retry) and woken (`wake`) when a block or an alert brings work
 * sooner: an idle daemon with SMTP configured is not woken every 5 s for nothing (issue 13,
 * as the webhook queue). A part that failed is tried again after RETRY_SECONDS.
 */
import { hostname as osHostname } from 'node:os';
import type { Alert } from '../core/detect/alerts.js';
import type { Config, Decision } from '../core/types.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import { buildAlertMail } from './alert-mail.js';
import { type Calendar, localCalendar } from './calendar.js';
import { DailySchedule } from './daily.js';
import { Digest, type FleetGate } from './digest.js';
import { type MailStatus, mailStatus } from './mail-status.js';
import { type BackoffPolicy, Outbox } from './outbox.js';
import { buildProtectionMail, type ProtectionNotice } from './protection-mail.js';
import { createSmtpTransport, type MailTransport, type SmtpOptions } from './smtp.js';

interface NotifierOptions {
  config: Pick<Config, 'notify' | 'smtp'> & { detection?: Pick<Config['detection'], 'observe'> };
  store: Store;
  /** Epoch seconds now. */
  clock: () => number;
  logger?: Logger;
  /** Replaces the SMTP transport built from config.smtp (tests). */
  transport?: MailTransport;
  /** Extra transport options (timeouts, a private CA). */
  smtpOptions?: SmtpOptions;
  calendar?: Calendar;
  /** Shown in subjects; default os.hostname(). */
  hostname?: string;
  backoff?: BackoffPolicy;
  /** Cluster mode: once-per-fleet daily summary and fleet-wide digest throttle. */
  fleet?: FleetGate;
  /** OBSERVE as in force now (it changes on reload without a new notifier); default config.detection. */
  observe?: () => readonly string[];
  /** Told when nextDue() may have come sooner (a block noted, an alert's delivery failed). */
  wake?: () => void;
}

/** A part of a run that failed (the store, the fleet) is tried again this much later, seconds. */
const RETRY_SECONDS = 5;

export class Notifier {
  private readonly configured: boolean;
  private readonly digest: Digest;
  private readonly daily: DailySchedule;
  private readonly outbox: Outbox;
  private transport: MailTransport | null;
  private readonly ownsTransport: boolean;
  private running: Promise<void> | null = null;
  private stopped = false;
  private recipients: number | null = null;
  /** When a failed part of the last run is tried again (+Infinity: none failed). */
  private retryAt = Number.POSITIVE_INFINITY;
  private readonly calendar: Calendar;
  private readonly host: string;

  constructor(private readonly o: NotifierOptions) {
    const { config } = o;
    this.configured = Boolean(config.smtp.host);
    const startedAt = o.clock();
    const calendar = o.calendar ?? localCalendar;
    const host = o.hostname ?? osHostname();
    this.calendar = calendar;
    this.host = host;
    this.transport = o.transport ?? null;
    this.ownsTransport = !o.transport;
    this.digest = new Digest({
      store: o.store,
      enabled: config.notify.eachAttack,
      interval: Math.max(1, config.notify.interval),
      startedAt,
      host,
      formatTime: calendar.formatTime,
      observe: () => o.observe?.() ?? config.detection?.observe ?? [],
      logger: o.logger,
      ...(o.fleet ? { fleet: o.fleet } : {}),
    });
    this.daily = new DailySchedule({
      store: o.store,
      calendar,
      enabled: config.notify.daily,
      at: config.notify.dailyAt,
      startedAt,
      host,
      observe: () => o.observe?.() ?? config.detection?.observe ?? [],
      logger: o.logger,
      ...(o.fleet ? { fleet: o.fleet } : {}),
    });
    this.outbox = new Outbox({
      store: o.store,
      transport: () => {
        this.transport ??= createSmtpTransport(config.smtp, o.smtpOptions);
        return this.transport;
      },
      logger: o.logger,
      backoff: o.backoff,
    });
  }

  /** Called by the daemon with every batch of decisions: notes that a digest is due. */
  onDecisions(decisions: readonly Decision[]): void {
    if (this.stopped || !this.configured) return;
    this.digest.note(decisions);
    this.o.wake?.();
  }

  /**
   * An alert is mailed at once, outside the digest's NOTIFY_INTERVAL throttle: queued to
   * every recipient (durable), then the queue is flushed without waiting for the next tick.
   * Never rejects; without SMTP or recipients there is nothing to do.
   */
  async alert(a: Alert, country: string | null): Promise<void> {
    if (this.stopped || !this.configured) return;
    const { store, logger } = this.o;
    try {
      const to = (await store.listRecipients()).map((r) => r.email);
      if (to.length === 0) {
        logger?.warn({ alert: a.kind }, 'alert not mailed: no notification recipients');
        return;
      }
      const now = this.o.clock();
      const mail = buildAlertMail(a, country, this.host, this.calendar.formatTime);
      const id = await store.enqueueMail({ kind: 'alert', ...mail, to, createdAt: now });
      logger?.info({ id, alert: a.kind }, 'alert mail queued');
      await this.outbox.flush(now);
    } catch (e) {
      logger?.error({ err: message(e) }, 'notify: alert mail failed');
    }
    this.o.wake?.(); // a failed delivery's retry is the timer's to keep
  }

  /**
   * Protection lost or restored (daemon/protection.ts): mailed at once like an alert. When
   * the store itself is what failed, the queue cannot take the mail: it is then sent straight
   * through SMTP (not durable, but heard). Never rejects.
   */
  async protection(n: ProtectionNotice): Promise<void> {
    if (this.stopped || !this.configured) return;
    const { store, logger } = this.o;
    let to: string[];
    try {
      to = (await store.listRecipients()).map((r) => r.email);
    } catch (e) {
      logger?.error({ err: message(e) }, 'protection mail: cannot read recipients');
      return;
    }
    if (to.length === 0) {
      logger?.warn({ part: n.part }, 'protection mail not sent: no notification recipients');
      return;
    }
    const mail = buildProtectionMail(n, this.host, this.calendar.formatTime);
    const now = this.o.clock();
    try {
      await store.enqueueMail({ kind: 'protection', ...mail, to, createdAt: now });
      await this.outbox.flush(now);
      this.o.wake?.();
      return;
    } catch (e) {
      logger?.warn({ err: message(e) }, 'protection mail: queue refused it, sending it directly');
    }
    try {
      this.transport ??= createSmtpTransport(this.o.config.smtp, this.o.smtpOptions);
      await this.transport.send({ to, ...mail, headers: { 'X-Sipprot-Kind': 'protection' } });
    } catch (e) {
      logger?.error({ err: message(e) }, 'protection mail failed');
    }
  }

  /**
   * Queues the digest and daily report when due, then sends what is queued. Resolves when
   * done; never rejects. A call while the previous one still runs joins it.
   */
  tick(now: number = this.o.clock()): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (!this.running) {
      this.running = this.run(now).finally(() => {
        this.running = null;
      });
    }
    return this.running;
  }

  /** Whether tick() has anything to do at all: SMTP configured and not stopped (the daemon's timer sleeps otherwise). */
  get active(): boolean {
    return this.configured && !this.stopped;
  }

  /**
   * When tick() next has work, epoch seconds (+Infinity: none until a block, an alert or
   * a reload; -Infinity: now, e.g. before the first tick).
   */
  nextDue(): number {
    if (!this.active) return Number.POSITIVE_INFINITY;
    return Math.min(
      this.digest.nextDue(),
      this.daily.nextDue(this.o.clock()),
      this.outbox.nextDue,
      this.retryAt,
    );
  }

  status(): MailStatus {
    const base = mailStatus(this.o.config);
    if (!base.configured) return base;
    const notes: string[] = [];
    if (this.recipients === 0) notes.push('no recipients (add one: sipprot recipients add EMAIL)');
    if (this.outbox.lastError) notes.push(`last delivery failed, retrying: ${this.outbox.lastError}`);
    return notes.length > 0 ? { configured: true, message: `${base.message}; ${notes.join('; ')}` } : base;
  }

  /** Waits for a running tick, then releases the SMTP connection. Queued mail stays queued. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    if (this.ownsTransport) this.transport?.close();
    this.transport = null;
  }

  private async run(now: number): Promise<void> {
    // No SMTP: nothing is queued, and the schedules stay where they are.
    if (!this.configured) return;
    const { store, logger } = this.o;
    this.retryAt = Number.POSITIVE_INFINITY;
    const failed = (what: string, e: unknown) => {
      logger?.error({ err: message(e) }, what);
      this.retryAt = now + RETRY_SECONDS;
    };
    let recipients: string[] = [];
    try {
      recipients = (await store.listRecipients()).map((r) => r.email);
      this.recipients = recipients.length;
    } catch (e) {
      failed('notify: cannot read recipients', e);
      return;
    }
    try {
      await this.digest.run(now, recipients);
    } catch (e) {
      failed('notify: attack digest failed', e);
    }
    try {
      await this.daily.run(now, recipients);
    } catch (e) {
      failed('notify: daily report failed', e);
    }
    try {
      await this.outbox.flush(now);
    } catch (e) {
      failed('notify: mail queue failed', e);
    }
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * The alerts an admin has not acknowledged yet (breach, distributed guessing, a call to a
 * watched destination, a shielded source): shown by the UI's banner, `sipprot status` and
 * `sipprot alerts` until an admin acknowledges them. Mail, webhooks and the log say an alert
 * once; this is what keeps saying it.
 *
 * Kept in the store's key/value settings (one JSON document, `alerts.open`), so a restart
 * does not make an unread "possible cracked password" vanish. Bounded: the same alert again
 * (kind, address, extension, number) counts up on its entry instead of adding one, and at
 * most MAX_OPEN entries are kept (the oldest go first; `dropped` says how many went).
 * Acknowledging is an admin change: a history event per entry (`alert-ack`, with who).
 *
 * Saves are coalesced: the document is rewritten whole, so alerts raised while a save is
 * in flight are written together by the next one (a raise resolves once a save holding it
 * is done). The issue-13 flood raises 900 distributed alerts in 10 s: one save each held
 * the daemon's event loop for an fsync each (loop late p99 100 ms, bench/RESULTS.md).
 */
import type { Alert } from '../core/detect/alerts.js';
import { boundedEvent, type NewHistoryEvent } from '../core/history/events.js';
import type { OpenAlert } from '../ports/admin.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';

export const ALERTS_KEY = 'alerts.open';
export const MAX_OPEN = 50;

interface Saved {
  nextId: number;
  dropped: number;
  alerts: OpenAlert[];
}

const EMPTY: Saved = { nextId: 1, dropped: 0, alerts: [] };

function parse(json: string | null): Saved {
  if (!json) return { ...EMPTY, alerts: [] };
  try {
    const v = JSON.parse(json) as Saved;
    if (!Array.isArray(v.alerts) || typeof v.nextId !== 'number') return { ...EMPTY, alerts: [] };
    return { nextId: v.nextId, dropped: v.dropped ?? 0, alerts: v.alerts.slice(-MAX_OPEN) };
  } catch {
    return { ...EMPTY, alerts: [] };
  }
}

const sameAlert = (o: OpenAlert, a: Alert) =>
  o.kind === a.kind && o.ip === a.ip && o.user === a.user && o.dialled === a.dialled;

/**
 * The open alerts on a store. The daemon keeps one (every change goes through it, one at a
 * time); the CLI without a daemon makes one per command.
 */
export class AlertBoard {
  private saved: Saved | null = null;
  /** Changes one after another: two alerts at once must not overwrite each other's write. */
  private chain: Promise<unknown> = Promise.resolve();
  /** The save running now (it loops while changes came in meanwhile), or null. */
  private saving: Promise<void> | null = null;
  private dirty = false;

  constructor(
    private readonly store: Store,
    private readonly log?: Logger,
    /** Told after every change (the daemon's live view refetches). */
    private readonly changed?: () => void,
  ) {}

  /** The open alerts, oldest first. */
  list(): Promise<OpenAlert[]> {
    // Behind the changes already asked for: an alert raised a moment ago is in the answer.
    return this.serial(async () => (await this.state()).alerts.map((a) => ({ ...a })));
  }

  /** An alert raised: a new entry, or the same one counted up. Never rejects (the store may be failing). */
  raise(a: Alert, country: string | null): Promise<OpenAlert | null> {
    return this.serial(async () => this.count(await this.state(), a, country))
      .then(async (entry) => {
        await this.persist();
        this.changed?.();
        return entry;
      })
      .catch((e) => {
        this.log?.error({ err: e }, 'alert could not be kept for the banner and status');
        return null;
      });
  }

  /** The entry of `a` on the board: a new one, or the same alert counted up. */
  private count(s: Saved, a: Alert, country: string | null): OpenAlert {
    let entry = s.alerts.find((o) => sameAlert(o, a));
    if (entry) {
      entry.lastAt = a.at;
      entry.count++;
      entry.failures = a.failures;
      entry.text = a.text;
    } else {
      entry = {
        id: s.nextId++,
        kind: a.kind,
        at: a.at,
        lastAt: a.at,
        count: 1,
        ip: a.ip,
        user: a.user,
        dialled: a.dialled,
        failures: a.failures,
        country,
        text: a.text,
      };
      s.alerts.push(entry);
      while (s.alerts.length > MAX_OPEN) {
        s.alerts.shift();
        s.dropped++;
      }
    }
    return { ...entry };
  }

  /**
   * Acknowledges the alerts `ids` (or all): removed, and one history event each (`alert-ack`).
   * Unknown ids are ignored; the answer says how many were open and are no more.
   */
  acknowledge(ids: readonly number[] | 'all', actor: string, at: number): Promise<OpenAlert[]> {
    return this.serial(async () => {
      const s = await this.state();
      const gone = s.alerts.filter((a) => ids === 'all' || ids.includes(a.id));
      if (gone.length === 0) return [];
      s.alerts = s.alerts.filter((a) => !gone.includes(a));
      await this.store.recordHistory(gone.map((a) => ackEvent(a, actor, at)));
      await this.persist();
      this.changed?.();
      return gone;
    });
  }

  private async state(): Promise<Saved> {
    this.saved ??= parse(await this.store.getSetting(ALERTS_KEY));
    return this.saved;
  }

  /** Resolves once a save of the board as it is now is durable; one save for many changes. */
  private persist(): Promise<void> {
    this.dirty = true;
    this.saving ??= this.saveWhileDirty();
    return this.saving;
  }

  private async saveWhileDirty(): Promise<void> {
    // Starts after `saving` is assigned, so the `finally` below always clears it.
    await Promise.resolve();
    try {
      while (this.dirty && this.saved) {
        this.dirty = false;
        await this.store.setSetting(ALERTS_KEY, JSON.stringify(this.saved));
      }
    } finally {
      // Set in the same step as the loop's last look at `dirty`: a change after it starts a new save.
      this.saving = null;
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/** The audit record of an acknowledgement: who, when, which alert. */
function ackEvent(a: OpenAlert, actor: string, at: number): NewHistoryEvent {
  return boundedEvent({
    at,
    kind: 'alert-ack',
    subject: a.ip,
    reason: null,
    actor,
    country: a.country,
    userAgent: null,
    users: a.user ? [a.user] : [],
    attempts: a.failures,
    expiresAt: null,
    renewals: null,
    lastSeen: null,
    misconfiguredPhone: false,
    note: `${a.kind}: ${a.text}${a.count > 1 ? ` (raised ${a.count} times)` : ''}`,
    samples: [],
  });
}

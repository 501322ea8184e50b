/**
 * NOTIFY_EACH_ATTACK: at most one mail per NOTIFY_INTERVAL, carrying every block and
 * permanent decision since the previous one.
 *
 * What survives a restart is one setting, the end of the period the last digest covered;
 * the batch itself is rebuilt from the store's decision history, so blocks that arrived
 * just before a crash are still mailed. Decisions handed in by the daemon are also kept
 * in memory until mailed, in case the store records them a moment later.
 */
import type { Decision } from '../core/types.js';
import { decisionsInPages } from '../platform/paged-decisions.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import { buildDigestMail, digestSummaryMail } from './digest-mail.js';

export const DIGEST_STATE_KEY = 'notify.digest';

/** In-memory backlog bound; beyond it the store's history alone is used. */
const MAX_PENDING = 200_000;
/** A digest never reaches further back than this (e.g. after running without SMTP). */
const MAX_LOOKBACK = 7 * 86_400;
/** After a first block, wait this long (at most the interval) so one burst makes one mail. */
const SETTLE_SECONDS = 60;

/** What is persisted: the end of the period the last digest covered, and when it was queued. */
interface DigestState {
  coveredUntil: number;
  lastMailAt: number | null;
}

interface DigestOptions {
  store: Store;
  enabled: boolean;
  /** NOTIFY_INTERVAL, seconds. */
  interval: number;
  /** The daemon's start time: the first digest ever covers from here. */
  startedAt: number;
  host: string | null;
  formatTime: (t: number) => string;
  /** OBSERVE in force: the digest says which rules did not block. */
  observe?: () => readonly string[];
  logger?: Logger;
  /** Cluster mode: the fleet-wide throttle (one digest per interval for the whole fleet). */
  fleet?: FleetGate;
}

/** Once-per-fleet jobs in cluster mode: `claim` is true for exactly one host per job and ttl. */
export interface FleetGate {
  claim(job: string, ttlSeconds: number): Promise<boolean>;
  /**
   * The fleet's name for the subjects of its once-per-fleet mails (e.g. "the fleet of 3 hosts"):
   * the mail covers every host, not the one that happened to send it. Rejects or null when
   * the fleet cannot be asked now (the sending host's name is used then).
   */
  name?(): Promise<string | null>;
}

/** The fleet's name, or `fallback` when there is no fleet or it cannot be asked now. */
export async function fleetName(
  fleet: FleetGate | undefined,
  fallback: string | null,
): Promise<string | null> {
  if (!fleet?.name) return fallback;
  try {
    return (await fleet.name()) ?? fallback;
  } catch {
    return fallback;
  }
}

function isDigestDecision(d: Decision): boolean {
  return d.action === 'block' || d.action === 'permanent';
}

export class Digest {
  private pending: Decision[] = [];
  /** Something may be waiting; a fresh start must look in the store once. */
  private dirty = true;
  /** Time of the oldest block noted and not yet mailed. */
  private firstNoted: number | null = null;
  private cleared = false;
  /** The last digest's time as the store said at the last run (null: none, or not read yet). */
  private lastMailAt: number | null = null;
  /** When run() next has work, epoch seconds (nextDue). */
  private due = Number.NEGATIVE_INFINITY;

  constructor(private readonly o: DigestOptions) {}

  /**
   * When run() next has work, epoch seconds: the interval's end after the last digest, or a
   * first block's settling time (+Infinity: no block waits; -Infinity: a fresh start, which
   * looks in the store once). The daemon's mail timer sleeps until then.
   */
  nextDue(): number {
    return this.due;
  }

  /** Synchronous and cheap: remembers the blocks; mail is built on a later tick. */
  note(decisions: readonly Decision[]): void {
    if (!this.o.enabled) return;
    for (const d of decisions) {
      if (!isDigestDecision(d)) continue;
      this.dirty = true;
      if (this.firstNoted === null || d.at < this.firstNoted) this.firstNoted = d.at;
      if (this.pending.length < MAX_PENDING) this.pending.push(d);
    }
    if (this.dirty) this.due = Math.min(this.due, this.dueAfter(this.lastMailAt));
  }

  /** When a digest may go out, with blocks waiting: after the interval and the first block's settling. */
  private dueAfter(lastMailAt: number | null): number {
    if (!this.dirty) return Number.POSITIVE_INFINITY;
    const settle = Math.min(SETTLE_SECONDS, this.o.interval);
    return Math.max(
      lastMailAt === null ? Number.NEGATIVE_INFINITY : lastMailAt + this.o.interval,
      this.firstNoted === null ? Number.NEGATIVE_INFINITY : this.firstNoted + settle,
    );
  }

  /**
   * Enqueues the digest when one is due at `now`; returns its outbox id, or null. With no
   * recipients the period is consumed without mail, so a later recipient does not get
   * a flood of old blocks.
   */
  async run(now: number, recipients: string[]): Promise<number | null> {
    const { store } = this.o;
    // Whatever this run leaves undone: a failed store read or write is tried again by the
    // notifier's retry; a burst that is not due yet is due at its time.
    this.due = Number.POSITIVE_INFINITY;
    if (!this.o.enabled) {
      // Forget the cursor, so turning the feature on later starts from then, not from history.
      if (!this.cleared) await store.setSetting(DIGEST_STATE_KEY, null);
      this.cleared = true;
      return null;
    }
    let state = parseState(await store.getSetting(DIGEST_STATE_KEY));
    if (state === null) {
      const first = this.pending.reduce((min, d) => Math.min(min, d.at), this.o.startedAt);
      state = { coveredUntil: first, lastMailAt: null };
      await store.setSetting(DIGEST_STATE_KEY, JSON.stringify(state));
    }
    this.lastMailAt = state.lastMailAt;
    this.due = this.dueAfter(state.lastMailAt);
    if (!this.dirty) return null;
    if (state.lastMailAt !== null && now < state.lastMailAt + this.o.interval) return null;
    const settle = Math.min(SETTLE_SECONDS, this.o.interval);
    if (this.firstNoted !== null && now < this.firstNoted + settle) return null;

    const from = Math.max(state.coveredUntil, now - MAX_LOOKBACK);
    // In pages, the event loop let go between them: after a flood this is 50k+ rows.
    const fromStore = (await decisionsInPages(store, from, now)).filter(isDigestDecision);
    const seen = new Set(fromStore.map(key));
    const memory = this.pending.filter((d) => d.at < now && !seen.has(key(d)));
    const batch = [...fromStore, ...memory].sort((a, b) => a.at - b.at);
    const oldest = batch[0];
    if (!oldest) {
      this.dirty = this.pending.length > 0;
      this.due = this.dueAfter(state.lastMailAt);
      return null;
    }
    // After a restart nothing is in memory: the store says when the burst began.
    if (now < oldest.at + settle) {
      this.due = oldest.at + settle;
      return null;
    }
    this.pending = this.pending.filter((d) => d.at >= now);
    this.firstNoted = this.pending.reduce<number | null>(
      (min, d) => (min === null ? d.at : Math.min(min, d.at)),
      null,
    );
    this.dirty = this.pending.length > 0;
    const cursor = state.coveredUntil;

    let id: number | null = null;
    if (recipients.length > 0 && !(await this.fleetMails())) {
      // Another host of the fleet mailed this interval: its digest covers these blocks too
      // (every host holds the fleet's decisions); this host's period is consumed silently.
      this.o.logger?.info({ blocks: batch.length }, 'attack digest left to another host of the cluster');
      await store.setSetting(DIGEST_STATE_KEY, JSON.stringify({ coveredUntil: now, lastMailAt: now }));
      this.lastMailAt = now;
      this.due = this.dueAfter(now);
      return null;
    }
    if (recipients.length > 0) {
      id = await this.enqueue(batch, { from: cursor, to: now }, recipients, now);
    } else {
      this.o.logger?.warn({ blocks: batch.length }, 'attack digest not sent: no notification recipients');
    }
    // After the enqueue: a crash in between mails the batch twice rather than never.
    const next: DigestState = { coveredUntil: now, lastMailAt: id === null ? state.lastMailAt : now };
    await store.setSetting(DIGEST_STATE_KEY, JSON.stringify(next));
    this.lastMailAt = next.lastMailAt;
    this.due = this.dueAfter(next.lastMailAt);
    return id;
  }

  /**
   * Queues the digest; if it cannot be built or queued, a summary of counts instead, and
   * if even that fails, the period is still consumed: one failing digest never holds the
   * later ones back (it used to retry the same throwing batch until the lookback passed).
   */
  private async enqueue(
    batch: Decision[],
    period: { from: number; to: number },
    recipients: string[],
    now: number,
  ): Promise<number | null> {
    // The fleet's digest (one per interval for every host) names the fleet.
    const host = await fleetName(this.o.fleet, this.o.host);
    const o = { ...period, host, formatTime: this.o.formatTime, observe: this.o.observe?.() ?? [] };
    const queue = (mail: { subject: string; text: string; html: string | null }) =>
      this.o.store.enqueueMail({ kind: 'attack-digest', ...mail, to: recipients, createdAt: now });
    try {
      const id = await queue(buildDigestMail(batch, o));
      this.o.logger?.info({ id, blocks: batch.length }, 'attack digest queued');
      return id;
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      this.o.logger?.error(
        { err: why, blocks: batch.length },
        'attack digest failed; sending a summary instead',
      );
      try {
        return await queue(digestSummaryMail(batch.length, o, why));
      } catch (again) {
        this.o.logger?.error(
          { err: String(again) },
          'attack digest summary failed too; this period is skipped',
        );
        return null;
      }
    }
  }

  /** True when this host sends the digest: single host, or it holds the fleet's throttle. */
  private async fleetMails(): Promise<boolean> {
    if (!this.o.fleet) return true;
    try {
      return await this.o.fleet.claim('digest', Math.max(1, this.o.interval - 1));
    } catch {
      return true; // Redis unreachable: a duplicate digest beats a lost one
    }
  }
}

function key(d: Decision): string {
  return `${d.at}|${d.ip}|${d.action}|${d.reason}`;
}

function parseState(s: string | null): DigestState | null {
  if (s === null) return null;
  try {
    const v = JSON.parse(s) as Partial<DigestState>;
    if (typeof v.coveredUntil !== 'number' || !Number.isFinite(v.coveredUntil)) return null;
    const last = typeof v.lastMailAt === 'number' && Number.isFinite(v.lastMailAt) ? v.lastMailAt : null;
    return { coveredUntil: v.coveredUntil, lastMailAt: last };
  } catch {
    return null;
  }
}

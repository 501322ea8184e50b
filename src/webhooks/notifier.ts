/**
 * Webhooks and chat (issue 15 item 4): decisions gathered into one message per burst,
 * alerts at once, every message through a durable queue (the store's webhook outbox) with
 * retry and backoff, like the mail.
 *
 * - Grouping: the first decision of a burst opens a window of WEBHOOK_GROUP_SECONDS; when
 *   it ends, everything since is one message per target. What was gathered survives a
 *   crash: the cursor (a setting) says up to when decisions were queued, and the next start
 *   picks up the store's decisions after it (at most an hour back).
 * - Alerts (breach, distributed guessing, watched call) are queued and sent at once,
 *   never held by the window.
 * - Cluster mode: each host reports what it decided itself (peer decisions carry their
 *   host), so a fleet sends each block once.
 * - Delivery: oldest due first; success → sent; 3xx and 4xx other than 408/429 → abandoned
 *   (a deleted Slack webhook does not come back); network errors, 408, 429, 5xx → retried
 *   after 10 s, doubling to 15 min (or the receiver's Retry-After), abandoned after a day.
 *   A target that failed is left alone until its retry time. A message whose target was
 *   removed from WEBHOOK_URLS is abandoned, never sent elsewhere.
 * Logs name a target by scheme and host only: the rest of the URL is its secret.
 */
import type { Alert } from '../core/detect/alerts.js';
import type { Decision, WebhookEvent, WebhookFormat, WebhookTarget } from '../core/types.js';
import { decisionsInPages } from '../platform/paged-decisions.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import { renderWebhook } from './formats.js';
import { type PostResult, postJson, whereOf } from './http.js';
import { alertDocument, decisionsDocument, testDocument, type WebhookDocument } from './message.js';

export const CURSOR_KEY = 'webhooks.cursor';
const FIRST_RETRY = 10;
const MAX_RETRY = 900;
const GIVE_UP = 86_400;
const MAX_CATCH_UP = 3600;
const BATCH = 20;
/** Decisions gathered in memory at most; a bigger burst is one message anyway. */
const MAX_PENDING = 100_000;

export interface WebhookSettings {
  targets: WebhookTarget[];
  events: WebhookEvent[];
  groupSeconds: number;
}

export interface WebhookDeps {
  settings(): WebhookSettings;
  store: Pick<
    Store,
    | 'enqueueWebhooks'
    | 'dueWebhooks'
    | 'markWebhookSent'
    | 'markWebhookFailed'
    | 'decisions'
    | 'getSetting'
    | 'setSetting'
  >;
  /** Epoch seconds. */
  clock(): number;
  /** The host name messages show. */
  host: string;
  /** Cluster mode: this host's id; decisions of other hosts are theirs to report. */
  ownHost?: string;
  log: Logger;
  userAgent: string;
  /** Replaces the HTTP client (tests of the queue logic). */
  post?: (url: string, body: string, userAgent: string) => Promise<PostResult>;
  /** Told of every delivery outcome (metrics). */
  delivered?(result: 'sent' | 'failed' | 'abandoned'): void;
}

export interface TargetStatus {
  index: number;
  format: WebhookFormat;
  /** Scheme and host; the rest of the URL is a secret. */
  where: string;
  lastOk: number | null;
  lastError: { at: number; message: string } | null;
}

export interface TestResult {
  index: number;
  format: WebhookFormat;
  where: string;
  ok: boolean;
  message: string;
}

export const targetKey = (t: WebhookTarget) => `${t.format}:${t.url}`;

export function backoff(failures: number): number {
  return Math.min(MAX_RETRY, FIRST_RETRY * 2 ** Math.min(Math.max(0, failures - 1), 20));
}

export class WebhookNotifier {
  private pending: Decision[] = [];
  private windowEnds: number | null = null;
  private restored = false;
  private running: Promise<void> | null = null;
  private stopped = false;
  private readonly heldUntil = new Map<string, number>();
  /** The queue's next attempt a run can make, as of the last run (nextDue). */
  private queuedDue = Number.POSITIVE_INFINITY;
  private readonly state = new Map<
    string,
    { lastOk: number | null; lastError: { at: number; message: string } | null }
  >();

  constructor(private readonly d: WebhookDeps) {}

  /** Cheap and synchronous: notes the decisions webhooks hear of. */
  decisions(ds: readonly Decision[]): void {
    const s = this.d.settings();
    if (this.stopped || s.targets.length === 0) return;
    for (const dec of ds) {
      if (!this.wanted(dec, s.events)) continue;
      if (this.pending.length < MAX_PENDING) this.pending.push(dec);
      this.windowEnds ??= this.d.clock() + s.groupSeconds;
    }
  }

  /** An alert goes out at once: queued (durable), then delivered without waiting for a tick. */
  alert(a: Alert, country: string | null): Promise<void> {
    const s = this.d.settings();
    if (this.stopped || s.targets.length === 0 || !s.events.includes('alert')) return Promise.resolve();
    const now = this.d.clock();
    return this.enqueue(alertDocument(a, country, this.d.host, now), 'alert', now)
      .then(() => this.tick())
      .catch((e) => this.d.log.error({ err: e }, 'webhook alert could not be queued'));
  }

  /** Queues a burst whose window ended, then delivers what is due. Never rejects. */
  tick(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= this.run().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /**
   * When tick() next has work, epoch seconds: the burst window's end or the queue's next
   * attempt (+Infinity: nothing gathered, nothing queued; -Infinity before the first run,
   * which restores). The daemon's timer sleeps until then instead of ticking every second.
   */
  nextDue(): number {
    if (this.stopped) return Number.POSITIVE_INFINITY;
    if (!this.restored) return Number.NEGATIVE_INFINITY;
    return Math.min(this.windowEnds ?? Number.POSITIVE_INFINITY, this.queuedDue);
  }

  /** Sends a test message to one target (by index) or all, now, outside the queue. */
  async test(index?: number): Promise<TestResult[]> {
    const targets = this.d.settings().targets;
    const now = this.d.clock();
    const doc = testDocument(this.d.host, now);
    const out: TestResult[] = [];
    for (const [i, t] of targets.entries()) {
      if (index !== undefined && i !== index) continue;
      const r = await this.post(t.url, renderWebhook(doc, t.format));
      this.note(t, r, now);
      out.push({ index: i, format: t.format, where: whereOf(t.url), ok: r.ok, message: r.message });
    }
    return out;
  }

  status(): TargetStatus[] {
    return this.d.settings().targets.map((t, index) => {
      const st = this.state.get(targetKey(t));
      return {
        index,
        format: t.format,
        where: whereOf(t.url),
        lastOk: st?.lastOk ?? null,
        lastError: st?.lastError ?? null,
      };
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private wanted(d: Decision, events: readonly WebhookEvent[]): boolean {
    if (d.action === 'extend' || !events.includes(d.action)) return false;
    return this.d.ownHost === undefined || d.host === undefined || d.host === this.d.ownHost;
  }

  private async run(): Promise<void> {
    try {
      const now = this.d.clock();
      if (!this.restored) await this.restore(now);
      if (this.windowEnds !== null && now >= this.windowEnds) await this.flushBurst(now);
      await this.deliver(now);
      this.queuedDue = await this.nextQueued();
    } catch (e) {
      this.d.log.error({ err: e }, 'webhooks: queue failed');
      this.queuedDue = this.d.clock(); // tried again at the timer's next chance
    }
  }

  /** The queue's earliest attempt a run can make: a held target's messages wait for its retry. */
  private async nextQueued(): Promise<number> {
    let next = Number.POSITIVE_INFINITY;
    for (const m of await this.d.store.dueWebhooks(Number.MAX_SAFE_INTEGER, BATCH)) {
      const at = m.nextAttemptAt ?? Number.POSITIVE_INFINITY;
      next = Math.min(next, Math.max(at, this.heldUntil.get(m.target) ?? at));
    }
    return next;
  }

  /** After a restart: the decisions after the cursor were gathered but never queued. */
  private async restore(now: number): Promise<void> {
    this.restored = true;
    const s = this.d.settings();
    const raw = await this.d.store.getSetting(CURSOR_KEY);
    const cursor = raw === null ? null : Number(raw);
    if (cursor === null || !Number.isFinite(cursor) || s.targets.length === 0) {
      await this.d.store.setSetting(CURSOR_KEY, String(now));
      return;
    }
    const from = Math.max(cursor, now - MAX_CATCH_UP);
    // In pages (platform/paged-decisions.ts): up to an hour of a flood's decisions.
    const missed = (await decisionsInPages(this.d.store, from + 1e-6, now)).filter((d) =>
      this.wanted(d, s.events),
    );
    if (missed.length === 0) return;
    const seen = new Set(this.pending.map((d) => `${d.at}|${d.ip}|${d.action}`));
    this.pending = [...missed.filter((d) => !seen.has(`${d.at}|${d.ip}|${d.action}`)), ...this.pending];
    this.windowEnds ??= now;
    this.d.log.info(
      { decisions: missed.length },
      'webhooks: decisions gathered before a restart are sent now',
    );
  }

  private async flushBurst(now: number): Promise<void> {
    const burst = this.pending.sort((a, b) => a.at - b.at);
    this.pending = [];
    this.windowEnds = null;
    if (burst.length === 0) return;
    await this.enqueue(decisionsDocument(burst, this.d.host, now), 'decisions', now);
    await this.d.store.setSetting(CURSOR_KEY, String(Math.max(now, burst[burst.length - 1]!.at)));
  }

  private async enqueue(doc: WebhookDocument, kind: string, now: number): Promise<void> {
    const items = this.d.settings().targets.map((t) => ({
      target: targetKey(t),
      kind,
      body: renderWebhook(doc, t.format),
      createdAt: now,
    }));
    if (items.length > 0) await this.d.store.enqueueWebhooks(items);
  }

  private async deliver(now: number): Promise<void> {
    const targets = new Map(this.d.settings().targets.map((t) => [targetKey(t), t]));
    for (const m of await this.d.store.dueWebhooks(now, BATCH)) {
      const t = targets.get(m.target);
      if (!t) {
        await this.d.store.markWebhookFailed(m.id, now, 'the webhook is no longer in WEBHOOK_URLS', null);
        this.d.delivered?.('abandoned');
        continue;
      }
      if ((this.heldUntil.get(m.target) ?? 0) > now) continue;
      const r = await this.post(t.url, m.body);
      this.note(t, r, now);
      if (r.ok) {
        await this.d.store.markWebhookSent(m.id, now);
        this.d.delivered?.('sent');
        continue;
      }
      const age = now - m.createdAt;
      const wait = Math.min(3600, Math.max(backoff(m.attempts + 1), r.retryAfter ?? 0));
      const next = r.retry && age + wait < GIVE_UP ? now + wait : null;
      await this.d.store.markWebhookFailed(m.id, now, r.message, next);
      this.d.delivered?.(next === null ? 'abandoned' : 'failed');
      const where = whereOf(t.url);
      if (next === null)
        this.d.log.error({ target: where, format: t.format, err: r.message }, 'webhook message abandoned');
      else {
        this.heldUntil.set(m.target, next);
        this.d.log.warn(
          { target: where, format: t.format, err: r.message, retryIn: wait },
          'webhook not delivered; will retry',
        );
      }
    }
  }

  private post(url: string, body: string): Promise<PostResult> {
    return (this.d.post ?? postJson)(url, body, this.d.userAgent);
  }

  private note(t: WebhookTarget, r: PostResult, now: number): void {
    const k = targetKey(t);
    const st = this.state.get(k) ?? { lastOk: null, lastError: null };
    if (r.ok) st.lastOk = now;
    else st.lastError = { at: now, message: r.message };
    this.state.set(k, st);
  }
}

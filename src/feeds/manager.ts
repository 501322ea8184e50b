/**
 * The shared blocklists of a running daemon: each enabled feed updated on its interval,
 * one update at a time, its last good copy stored and its entries handed to the kernel
 * (`onChange` → the daemon's firewall.setFeeds with `kernel()`).
 *
 * - Start: the stored copies load at once (their entries keep the time they have left),
 *   so protection does not wait for the first download; a feed is due at its last
 *   success + interval (a few seconds after start when that has passed).
 * - A failed or refused run keeps the entries in force and retries after
 *   min(interval, 10 min); a taken run schedules the next after a full interval.
 * - Reconfigure (reload with a changed feeds file): new feeds load, removed ones are
 *   dropped with their stored copy, changed ones keep their entries and reschedule.
 */
import { SipprotError } from '../core/errors.js';
import type { FeedSpec } from '../core/feeds/spec.js';
import { type FeedData, type Kept, kernelFeeds, liveCount, lookupFeeds } from '../core/feeds/state.js';
import { parseAddress } from '../core/net/ip.js';
import type { FeedMatch, FeedStatus, FeedsView } from '../ports/feeds.js';
import type { FeedBlock } from '../ports/firewall.js';
import type { Logger } from '../ports/logger.js';
import type { FeedStore } from './store.js';
import { type UpdateOptions, updateFeed } from './update.js';

/** After a failure, the next try comes after this at most (seconds). */
const RETRY_SECONDS = 600;
/** First run of a feed whose time has come, after start (seconds); feeds are spread out. */
const START_DELAY_SECONDS = 5;

interface Feed {
  spec: FeedSpec;
  data: FeedData;
  lastAttempt: number | null;
  nextRun: number | null;
  lastError: string | null;
  warning: string | null;
  refused: { count: number; reasons: string[] };
  held: number;
  running: boolean;
  timer: NodeJS.Timeout | null;
}

export interface FeedManagerOptions {
  store: FeedStore;
  configDir: string;
  log: Logger;
  /** Epoch seconds. */
  now: () => number;
  /** The kernel must change: call kernel() and hand the entries to the firewall. */
  onChange: () => void;
  /** Tests: APIBAN pacing, fetch limits. */
  update?: Partial<UpdateOptions>;
  /** Seconds after start before the first due feed runs (default 5; the next ones 5 s apart). */
  startDelay?: number;
}

/** Generations are unique across managers (a reload may build a new one). */
let generations = 0;

export class FeedManager implements FeedsView {
  private feeds = new Map<string, Feed>();
  private gen = ++generations;
  private queue: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly o: FeedManagerOptions) {}

  /** Loads the stored copies of `specs` and schedules them; stored feeds not in `specs` are dropped. */
  async start(specs: readonly FeedSpec[]): Promise<void> {
    await this.reconfigure(specs);
  }

  async reconfigure(specs: readonly FeedSpec[]): Promise<void> {
    const next = new Map<string, Feed>();
    for (const spec of specs) {
      const old = this.feeds.get(spec.name);
      if (old) {
        this.clearTimer(old);
        next.set(spec.name, { ...old, spec });
        continue;
      }
      const { data, warning } = await this.o.store.load(spec.name);
      if (warning) this.o.log.warn({ feed: spec.name }, warning);
      next.set(spec.name, {
        spec,
        data,
        lastAttempt: null,
        nextRun: null,
        lastError: null,
        warning: null,
        refused: { count: 0, reasons: [] },
        held: 0,
        running: false,
        timer: null,
      });
    }
    for (const [name, f] of this.feeds) if (!next.has(name)) this.clearTimer(f);
    this.feeds = next;
    const gone = await this.o.store.prune(new Set(next.keys()));
    if (gone.length > 0)
      this.o.log.info({ feeds: gone }, 'feeds removed from the feeds file: their entries are dropped');
    let i = 0;
    for (const f of this.feeds.values()) {
      if (!f.spec.enabled) continue;
      const due = f.data.lastSuccess === null ? 0 : f.data.lastSuccess + f.spec.interval;
      const delay = this.o.startDelay ?? START_DELAY_SECONDS;
      this.schedule(f, Math.max(due, this.o.now() + delay * (1 + i++)));
    }
    this.gen = ++generations;
    this.o.onChange();
  }

  /** FeedsView.generation: moves on each reconfigure and each update that changed entries. */
  generation(): number {
    return this.gen;
  }

  stop(): Promise<unknown> {
    this.stopped = true;
    for (const f of this.feeds.values()) this.clearTimer(f);
    return this.queue;
  }

  /** What the feed sets must hold now; entries covering a protected address are left out. */
  kernel(keep: readonly Kept[] = []): FeedBlock[] {
    const enabled = [...this.feeds.values()].filter((f) => f.spec.enabled);
    const k = kernelFeeds(
      enabled.map((f) => f.data),
      this.o.now(),
      keep,
    );
    for (const f of enabled) f.held = k.held.filter((h) => h.feed === f.spec.name).length;
    for (const h of k.held.slice(0, 5)) {
      this.o.log.warn(h, 'feed entry not loaded: it would drop a protected address');
    }
    return k.entries;
  }

  lookup(ip: string): FeedMatch[] {
    const addr = parseAddress(ip);
    if (!addr) return [];
    const enabled = [...this.feeds.values()].filter((f) => f.spec.enabled).map((f) => f.data);
    return lookupFeeds(enabled, addr, this.o.now());
  }

  entries(): FeedMatch[] {
    const now = this.o.now();
    return [...this.feeds.values()]
      .filter((f) => f.spec.enabled)
      .flatMap((f) =>
        [...f.data.entries.values()]
          .filter((e) => e.expiresAt > now)
          .map((e) => ({ feed: f.spec.name, network: e.net.text, since: e.since, expiresAt: e.expiresAt })),
      );
  }

  status(): FeedStatus[] {
    const now = this.o.now();
    return [...this.feeds.values()].map((f) => ({
      name: f.spec.name,
      type: f.spec.type,
      source: f.spec.source,
      enabled: f.spec.enabled,
      interval: f.spec.interval,
      ttl: f.spec.ttl,
      max: f.spec.max,
      entries: f.spec.enabled ? liveCount(f.data, now) : 0,
      lastSuccess: f.data.lastSuccess,
      lastAttempt: f.lastAttempt,
      nextRun: f.nextRun,
      lastError: f.lastError,
      warning: f.warning,
      refused: f.refused.count,
      refusedExamples: f.refused.reasons,
      held: f.held,
      running: f.running,
    }));
  }

  async update(name?: string): Promise<FeedStatus[]> {
    const targets =
      name === undefined ? [...this.feeds.values()].filter((f) => f.spec.enabled) : [this.feeds.get(name)];
    if (targets.some((f) => f === undefined)) {
      throw new SipprotError('SP_ERR_NOT_FOUND', `no feed named '${name}' in the feeds file`);
    }
    await Promise.all((targets as Feed[]).map((f) => this.enqueue(f)));
    return this.status();
  }

  private schedule(f: Feed, at: number): void {
    this.clearTimer(f);
    if (this.stopped || !f.spec.enabled) return;
    f.nextRun = at;
    const ms = Math.max(0, (at - this.o.now()) * 1000);
    // setTimeout holds 32-bit milliseconds: intervals are at most 7 days.
    f.timer = setTimeout(() => void this.enqueue(f), Math.min(ms, 2 ** 31 - 1));
    f.timer.unref();
  }

  private clearTimer(f: Feed): void {
    if (f.timer) clearTimeout(f.timer);
    f.timer = null;
    f.nextRun = null;
  }

  private enqueue(f: Feed): Promise<void> {
    const run = this.queue.then(() => this.run(f));
    this.queue = run.catch(() => {});
    return run;
  }

  private async run(f: Feed): Promise<void> {
    if (this.stopped || this.feeds.get(f.spec.name) !== f) return;
    this.clearTimer(f);
    f.running = true;
    f.lastAttempt = this.o.now();
    const before = f.data.entries;
    const r = await updateFeed(f.spec, f.data, {
      ...this.o.update,
      now: this.o.now,
      configDir: this.o.configDir,
    });
    f.running = false;
    f.data = r.data;
    if (r.changed || r.data.entries !== before) this.gen = ++generations;
    f.lastError = r.error;
    f.warning = r.warning;
    f.refused = r.refused;
    const fields = {
      feed: f.spec.name,
      entries: liveCount(r.data, this.o.now()),
      added: r.added,
      removed: r.removed,
    };
    if (r.error)
      this.o.log.warn({ ...fields, err: r.error }, 'feed update not taken; the entries in force stay');
    else this.o.log.info({ ...fields, refused: r.refused.count }, 'feed updated');
    if (r.changed) {
      try {
        await this.o.store.save(r.data);
      } catch (e) {
        this.o.log.error(
          { feed: f.spec.name, err: e },
          'cannot store the feed: a restart loads the older copy',
        );
      }
      this.o.onChange();
    }
    const wait = r.error ? Math.min(f.spec.interval, RETRY_SECONDS) : f.spec.interval;
    this.schedule(f, this.o.now() + wait);
  }
}

/**
 * Operations around the decision path (issue 15): what an admin watches and hears.
 * - every published decision: its log line, the decision counters, the webhooks' burst;
 * - every alert: a warning line, the alert counter, a webhook message and a mail at once,
 *   and an entry on the alert board (admin/alert-board.ts) that the UI's banner, `status`
 *   and the live view show until an admin acknowledges it;
 * - the packet path's meter (capture latency, SIP messages by method and answer class) and
 *   the block latency (packet to kernel);
 * - /metrics: the registry, its scrape-time sources, and METRICS_LISTEN's own listener;
 * - the webhook queue's timer, armed for its next due time (a burst's window end, a retry),
 *   at most once a second: with no webhooks nothing wakes the daemon (it ticked every
 *   second before issue 13's idle pass); its writes on a writer thread (queue-writer.ts).
 * The Daemon builds one, hands its callbacks to the pipeline and the API, and starts,
 * reloads and stops it with itself.
 */
import { hostname } from 'node:os';
import { AlertBoard } from '../admin/alert-board.js';
import type { ApiDeps } from '../api/server.js';
import type { LiveEvent } from '../api/types.js';
import type { Alert } from '../core/detect/alerts.js';
import type { AccessLists } from '../core/lists/lists.js';
import type { Config, Decision } from '../core/types.js';
import type { GeoDatabase } from '../geoip/database.js';
import { MetricsListener } from '../metrics/listener.js';
import type { MetricsSources } from '../metrics/metrics-sources.js';
import { SipprotMetrics } from '../metrics/sipprot-metrics.js';
import type { Notifier } from '../notify/notifier.js';
import type { LiveStats } from '../ports/admin.js';
import type { FeedStatus } from '../ports/feeds.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import { WebhookNotifier } from '../webhooks/notifier.js';
import { clusterHostId } from './cluster.js';
import { DueTimer } from './due-timer.js';
import { throttled } from './events.js';
import { countryRanges } from './geo.js';
import { logAlert, logDecisions } from './ops-log.js';
import type { DetectionCounts, PacketMeter } from './pipeline.js';
import { QueueWriter } from './queue-writer.js';

const WEBHOOK_TICK_MS = 1000;
/** The longest the webhook timer sleeps with nothing due (due times are wall-clock). */
const WEBHOOK_MAX_SLEEP_MS = 60_000;
const ALERTS_EVENT_MS = 250;

export interface OpsDeps {
  config(): Config;
  log: Logger;
  store: Store;
  clock(): number;
  live(): Promise<LiveStats>;
  detection(): DetectionCounts;
  /** Held blocks by kind: permanent, dynamic decided here, dynamic decided by a peer (not `ownHost`). */
  heldCounts(ownHost: string | undefined): { local: number; peer: number; permanent: number };
  access(): AccessLists;
  geo(): GeoDatabase | null;
  notifier(): Notifier;
  userAgent: string;
  /** The shared blocklists' statuses (empty without feeds). */
  feeds?(): FeedStatus[];
  /** The live view (the board's changes). */
  emit(e: LiveEvent): void;
  /** Where the alert board keeps its document (the writer thread in the daemon); else `store`. */
  boardStore?: Store;
  /** Protection's parts and failure counters (daemon/protection.ts), for /metrics. */
  protection?: MetricsSources['protection'];
}

export class Operations {
  readonly metrics: SipprotMetrics;
  readonly webhooks: WebhookNotifier;
  readonly meter: PacketMeter;
  /** Alerts not acknowledged yet: banner, status, live view. */
  readonly alerts: AlertBoard;
  private listener: MetricsListener | null = null;
  private readonly timer: DueTimer;
  private countries: { key: unknown; geo: GeoDatabase | null; networks: number } | null = null;
  private readonly queue: QueueWriter;

  constructor(private readonly d: OpsDeps) {
    // The live view refetches the board on 'alerts': at most every ALERTS_EVENT_MS in a burst.
    const boardChanged = throttled(() => d.emit({ type: 'alerts' }), ALERTS_EVENT_MS);
    this.alerts = new AlertBoard(d.boardStore ?? d.store, d.log.child({ component: 'alerts' }), boardChanged);
    this.metrics = new SipprotMetrics({
      capture: () => this.lastLive?.capture ?? null,
      hep: () => {
        const l = this.lastLive;
        return l && l.hepReceived !== null
          ? { received: l.hepReceived, errors: l.hepErrors?.count ?? 0 }
          : null;
      },
      sipMessages: () => this.lastLive?.sipMessages ?? 0,
      detection: () => d.detection(),
      drops: async () => (await this.refreshLive()).drops,
      blocks: () => this.blockCounts(),
      lists: () => {
        const a = d.access();
        return { allow: a.allowEntries().length, deny: a.denyEntries().length };
      },
      countries: () => this.countryCounts(),
      queues: () => d.store.pendingCounts(),
      loopLag: () => this.lastLive?.loopLag ?? null,
      writer: () => this.lastLive?.writer ?? null,
      ...(d.protection ? { protection: d.protection } : {}),
      observe: () => d.config().detection.observe,
      feeds: () =>
        (d.feeds?.() ?? []).map((f) => ({
          name: f.name,
          entries: f.entries,
          lastSuccess: f.lastSuccess,
          ok: f.lastError === null,
        })),
    });
    this.queue = new QueueWriter(d.store, d.log);
    this.webhooks = new WebhookNotifier({
      settings: () => d.config().ops.webhooks,
      store: this.queue.store,
      clock: d.clock,
      host: clusterHostId(d.config()) ?? hostname(),
      ownHost: clusterHostId(d.config()),
      log: d.log.child({ component: 'webhooks' }),
      userAgent: d.userAgent,
      delivered: (r) => this.metrics.webhook(r),
    });
    const webhooks = this.webhooks;
    this.timer = new DueTimer({
      run: () => webhooks.tick(),
      next: () => webhooks.nextDue(),
      clock: d.clock,
      minGapMs: WEBHOOK_TICK_MS,
      maxSleepMs: WEBHOOK_MAX_SLEEP_MS,
      ref: false,
    });
    const m = this.metrics;
    this.meter = {
      frame: (at, now) => m.frame(at, now),
      sipMessage: (kind, method, status) => m.sipMessage(kind, method, status),
    };
  }

  private lastLive: LiveStats | null = null;

  /** The live stats, read once per scrape (the drops come from nft). */
  private async refreshLive(): Promise<LiveStats> {
    this.lastLive = await this.d.live();
    return this.lastLive;
  }

  published(ds: readonly Decision[]): void {
    logDecisions(this.d.log, ds, this.d.config());
    this.metrics.decided(ds);
    this.webhooks.decisions(ds);
    this.timer.poke(); // a burst's window may have opened
  }

  /** Said at once, whatever the throttles: the log, metrics, webhooks, mail. */
  alerted(a: Alert): void {
    const country = this.d.geo()?.country(a.ip) ?? null;
    logAlert(this.d.log, a, country);
    this.metrics.alert(a.kind);
    // Delivered at once; a failed delivery's retry is the timer's to keep.
    void this.webhooks.alert(a, country).then(() => this.timer.poke());
    void this.d.notifier().alert(a, country);
    void this.alerts.raise(a, country);
  }

  inKernel(seconds: number): void {
    this.metrics.blocked(seconds);
  }

  /** The exposition text (the live stats are read first: capture and drop counters). */
  async render(): Promise<string> {
    await this.refreshLive().catch(() => undefined);
    return this.metrics.render();
  }

  async start(): Promise<void> {
    await this.startListener(this.d.config());
    this.timer.start();
  }

  /** A changed METRICS_LISTEN moves the listener; everything else reads the config live. */
  async reload(previous: Config, next: Config): Promise<void> {
    const a = previous.ops.metricsListen;
    const b = next.ops.metricsListen;
    if (a?.host === b?.host && a?.port === b?.port) return;
    await this.listener?.stop();
    this.listener = null;
    // A port in use must not fail the reload: the rest of the config is applied.
    await this.startListener(next).catch((e) =>
      this.d.log.error({ err: e }, 'metrics listener could not start on the new METRICS_LISTEN'),
    );
  }

  async stop(): Promise<void> {
    this.timer.stop();
    await this.listener?.stop();
    this.listener = null;
    await this.webhooks.stop();
    await this.queue.close();
  }

  private async startListener(config: Config): Promise<void> {
    const l = config.ops.metricsListen;
    if (!l) return;
    const listener = new MetricsListener({
      host: l.host,
      port: l.port,
      token: () => this.d.config().ops.metricsToken,
      render: () => this.render(),
      log: this.d.log.child({ component: 'metrics' }),
    });
    await listener.start();
    this.listener = listener;
    this.d.log.info({ listen: `${l.host}:${listener.port}` }, 'metrics listener started');
  }

  /** What the API serves of it: /metrics and the webhooks section. */
  apiPorts(): Pick<ApiDeps, 'metrics' | 'webhooks'> {
    return {
      metrics: () => this.render(),
      webhooks: {
        status: () => this.webhooks.status(),
        test: (index) => this.webhooks.test(index),
        queued: async () => (await this.d.store.pendingCounts()).webhooks,
      },
    };
  }

  /** The port METRICS_LISTEN bound (0 when off). */
  get metricsPort(): number {
    return this.listener?.port ?? 0;
  }

  private blockCounts(): { local: number; peer: number; permanent: number } {
    return this.d.heldCounts(clusterHostId(this.d.config()));
  }

  /** Blocked countries and their networks, counted once per database and country list. */
  private countryCounts(): { blocked: number; networks: number } {
    const codes = this.d.config().blockedCountries;
    const geo = this.d.geo();
    const key = codes.join(',');
    if (this.countries?.key !== key || this.countries.geo !== geo) {
      const r = countryRanges(geo, codes);
      this.countries = { key, geo, networks: r.v4.length + r.v6.length };
    }
    return { blocked: codes.length, networks: this.countries.networks };
  }
}

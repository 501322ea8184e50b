/**
 * The composition root: builds every part, hands each one the narrow interface it needs,
 * and owns the lifecycle. Nothing else holds the whole: the packet inputs get a PacketSink
 * (the pipeline), the enforcer gets the firewall and store ports and four callbacks, the
 * API gets a RunningDaemon (what is in force and the few things it may ask), settings get
 * `config` and `reload`.
 *
 * Lifecycle (unchanged by issue 11):
 * - start: PID file, store, firewall check, lists, geo-IP, running blocks from the store,
 *   one full reconcile of the kernel, a warm-up of the packet path (warm-up.ts), capture
 *   and HEP, API (Unix socket, then WEB_LISTEN), timers (policy tick 250 ms, mail 5 s,
 *   store pruning 6 h). A failure stops what started.
 * - reload (SIGHUP, API, settings): commit what is pending, new config, lists and geo-IP,
 *   a new engine fed the running blocks again, capture restarted only when what it sees
 *   changed, one reconcile; blocks are kept.
 * - a failed firewall change: the firewall wrapper reconciles once at once; if that fails
 *   too, the daemon reconciles again 5 s later (and on any unhandled rejection).
 * - stop: inputs and API first, then commit what is pending, stop mail, remove sipprot's
 *   nftables table, close the store, remove socket and PID file.
 */
import { rmSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { AdminPresence } from '../api/presence.js';
import { isSipprotError } from '../core/errors.js';
import type { AccessLists } from '../core/lists/lists.js';
import type { PrefixSet } from '../core/net/prefix-set.js';
import type { Config, Decision, ListName } from '../core/types.js';
import { ReconcilingFirewall } from '../firewall/reconcile.js';
import type { GeoDatabase } from '../geoip/database.js';
import type { GeoSchedule } from '../geoip/schedule.js';
import { ListFiles } from '../lists/list-files.js';
import { Notifier } from '../notify/notifier.js';
import type { NetnsLock } from '../platform/netns-lock.js';
import { releasePidFile } from '../platform/pid-file.js';
import type { RuntimePaths } from '../platform/runtime-paths.js';
import { VERSION } from '../platform/version.js';
import type { LiveStats } from '../ports/admin.js';
import type { FirewallState } from '../ports/firewall.js';
import type { Store } from '../ports/store.js';
import { adminOf, type RunningDaemon, startApi } from './api.js';
import { startedFields } from './banner.js';
import { ClusterNode, clusterHostId } from './cluster.js';
import { sameCapture, sameMail } from './config-diff.js';
import { logConfigWarnings } from './config-warnings.js';
import { kernelState } from './enforcer.js';
import { LiveEvents } from './events.js';
import { DaemonFeeds } from './feeds.js';
import { loadGeo, scheduleGeo } from './geo.js';
import { REFRESH_MS as HOST_REFRESH_MS, HostView, protectedPeers, reviewCountries } from './host-view.js';
import { PacketInputs, type PacketSink } from './inputs.js';
import { KernelGuard, storeAlarm } from './kernel-guard.js';
import { readAccessLists } from './lists.js';
import { type DaemonOptions, type Opened, openParts } from './open.js';
import { Operations } from './ops.js';
import { Pipeline } from './pipeline.js';
import { updateSettings } from './settings.js';

const clock = () => Date.now() / 1000;
const TICK_MS = 250;
const NOTIFY_TICK_MS = 5000;
const PRUNE_MS = 6 * 3600_000;
/** After a reconcile that failed too, the next try (the kernel may be busy or restarting). */
const RETRY_RECONCILE_MS = 5000;

export type { DaemonOptions };

export class Daemon {
  /** The config in force (replaced on reload). */
  private conf: Config;
  private access: AccessLists;
  private geo: GeoDatabase | null = null;
  private notifier: Notifier;
  private geoSchedule: GeoSchedule | null = null;
  private readonly startedAt = clock();
  private readonly opts: DaemonOptions;
  private readonly log: PinoLogger;
  private readonly paths: RuntimePaths;
  private readonly store: Store;
  private readonly firewall: ReconcilingFirewall;
  private readonly lists: ListFiles;
  private readonly events = new LiveEvents();
  private readonly pipeline: Pipeline;
  /** Logs, metrics, webhooks and alerts around the decision path (daemon/ops.ts). */
  private readonly ops: Operations;
  private readonly inputs: PacketInputs;
  private servers: FastifyInstance[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private reconciling: Promise<void> | null = null;
  private readonly host: HostView;
  /** Peers of live web admin sessions; PROTECTED_PEERS (rebuilt on reload). */
  private readonly presence = new AdminPresence();
  private peers: PrefixSet<true> | null;
  private stopping = false;
  private readonly netns: NetnsLock | null;
  private kernelGuard: KernelGuard | null = null;
  /** Cluster mode (CLUSTER_REDIS_URL): the fleet's shared memory; null on a single host. */
  private cluster: ClusterNode | null = null;
  private readonly feeds: DaemonFeeds;

  /** Starts a daemon; on failure whatever had started is stopped again and the error thrown. */
  static async start(config: Config, opts: DaemonOptions = {}): Promise<Daemon> {
    const o = await openParts(config, opts);
    let daemon: Daemon;
    try {
      daemon = new Daemon(o);
    } catch (e) {
      await o.abandon();
      throw e;
    }
    try {
      await daemon.begin();
    } catch (e) {
      await daemon.stop({ keepRules: true }).catch(() => undefined);
      throw e;
    }
    return daemon;
  }

  private constructor(o: Opened) {
    this.conf = o.config;
    this.opts = o.opts;
    this.log = o.log;
    this.paths = o.paths;
    this.store = o.store;
    this.netns = o.netns;
    this.host = new HostView(o.opts.hostFacts, () => this.presence.recent(clock()));
    this.peers = protectedPeers(o.config.protectedPeers);
    this.feeds = new DaemonFeeds({
      firewall: { setFeeds: (f) => this.firewall.setFeeds(f) },
      log: o.log.child({ component: 'feeds' }),
      protect: () => this.host.protect(),
      failed: (e) => this.failed('firewall', e),
      clock,
    });
    // A failed change is answered by one full reconcile from the policy's state.
    this.firewall = new ReconcilingFirewall(
      o.kernel,
      async () => this.kernelState(),
      o.log.child({ component: 'reconcile' }),
    );
    this.lists = new ListFiles({ allow: o.config.allowlistFile, deny: o.config.denylistFile });
    this.access = this.readLists();
    this.notifier = this.newNotifier();
    this.ops = new Operations({
      config: () => this.conf,
      log: o.log,
      store: o.store,
      clock,
      live: () => this.liveStats(),
      detection: () => this.pipeline.detectionCounts(),
      held: () => this.pipeline.held(),
      access: () => this.access,
      geo: () => this.geo,
      notifier: () => this.notifier,
      userAgent: `sipprot/${VERSION}`,
      feeds: () => this.feeds?.view()?.status() ?? [],
    });
    this.pipeline = new Pipeline(o.config, {
      lists: () => this.access,
      protectedPeer: (ip) => this.host.isProtected(ip, this.peers),
      country: (ip) => this.geo?.country(ip) ?? null,
      enforce: {
        firewall: this.firewall,
        store: this.store,
        appendDeny: (entries) => this.lists.add('deny', entries),
        published: (ds) => this.published(ds),
        failed: (what, e) => this.failed(what, e),
        enforced: (ds, attacks) => this.cluster?.committed(ds, attacks, clock()),
        inKernel: (seconds) => this.ops.inKernel(seconds),
        hostId: clusterHostId(o.config),
        storeAlarm: (state, d) => storeAlarm(this.log, state, d),
      },
      log: o.log,
      alerted: (a) => this.ops.alerted(a),
      meter: this.ops.meter,
      clock,
    });
    this.inputs = new PacketInputs(this.pipeline, o.opts.capture !== false, o.log);
  }

  private async begin(): Promise<void> {
    const config = this.conf;
    logConfigWarnings(this.log, config.source, this.opts.configWarnings ?? [], 'start');
    this.geo = await loadGeo(config, this.log);
    await this.reviewCountries(config, []);
    await this.pipeline.restore(this.store);
    await this.reconcile('start');
    await this.feeds.apply(config);
    this.startKernelGuard();
    await this.pipeline.warmUp(config);
    this.cluster = this.startCluster();
    this.cluster?.watchGeo(this.geo);
    // The protected set is ready before the first packet (never built on the packet path).
    this.host.refresh();
    await this.inputs.start(config);
    await this.ops.start();
    this.rescheduleGeo();
    // A socket left by a daemon that died would make listen() fail; we hold the PID file.
    rmSync(this.paths.socket, { force: true });
    this.servers = await startApi(
      {
        running: this.running(),
        presence: this.presence,
        store: this.cluster ? this.cluster.watchRecipients(this.store) : this.store,
        lists: this.lists,
        events: this.events,
        log: this.log,
        configPath: this.opts.configPath,
        ops: this.ops.apiPorts(),
      },
      this.paths.socket,
    );
    this.timers.push(setInterval(() => this.pipeline.tick(), TICK_MS));
    this.timers.push(setInterval(() => this.host.refresh(), HOST_REFRESH_MS));
    this.timers.push(setInterval(() => void this.notifier.tick(), NOTIFY_TICK_MS));
    this.timers.push(setInterval(() => void this.prune(), PRUNE_MS));
    this.log.info(startedFields(config), 'sipprotd started');
  }

  /**
   * Stops capture and API, commits what is pending, removes sipprot's nftables table.
   * `keepRules` (a start that failed half-way): the table stays, protecting as loaded;
   * `sipprotd stop` removes it later.
   */
  async stop(opts: { keepRules?: boolean } = {}): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers.splice(0)) clearInterval(t);
    // Our own removal of the table below is no loss to rebuild from.
    this.kernelGuard?.stop();
    this.inputs.stop();
    await this.ops.stop().catch(() => undefined);
    this.geoSchedule?.stop();
    await this.feeds.stop();
    for (const s of this.servers.splice(0)) await s.close().catch(() => undefined);
    const left = await this.pipeline.close().catch(() => null);
    if (left && left.pending > 0) {
      this.log.error(
        { pending: left.pending, err: left.lastError },
        `${left.pending} decisions could not be saved (STATE_DIR full?): the kernel enforces them until their timeouts, the next start will not know them`,
      );
    }
    await this.cluster?.stop().catch((e) => this.log.error({ err: e }, 'cluster stop failed'));
    await this.notifier.stop();
    if (opts.keepRules) {
      this.log.warn({}, "start failed: sipprot's nftables table is kept as it is");
      await this.firewall.close().catch(() => undefined);
    } else
      await this.firewall
        .shutdown()
        .catch((e) => this.log.error({ err: e }, 'could not remove the nftables table'));
    await this.store.close().catch(() => undefined);
    rmSync(this.paths.socket, { force: true });
    releasePidFile(this.paths.pidFile);
    await this.netns?.release();
    this.log.info('sipprotd stopped');
  }

  /** Re-reads config, lists and geo data and reconciles; keeps blocks. */
  async reload(config: Config): Promise<string> {
    await this.pipeline.flush();
    const previous = this.conf;
    // Lists first: an unreadable or unsafe list refuses the reload before anything changes.
    this.access = this.readLists();
    this.conf = config;
    this.peers = protectedPeers(config.protectedPeers);
    this.geo = (await loadGeo(config, this.log)) ?? this.geo;
    this.cluster?.watchGeo(this.geo);
    const countries = await this.reviewCountries(config, previous.blockedCountries);
    const captureChanged = !sameCapture(previous, config);
    this.pipeline.reconfigure(config, captureChanged);
    await this.pipeline.restore(this.store);
    await this.inputs.apply(previous, config);
    await this.feeds.apply(config);
    await this.ops.reload(previous, config);
    await this.reconcile('reload');
    this.rescheduleGeo();
    if (!sameMail(previous, config)) {
      await this.notifier.stop();
      this.notifier = this.newNotifier();
    }
    this.events.emit({ type: 'settings' });
    // A hand-edited config or list file, reloaded here, is a change the fleet must hear of.
    this.cluster?.settingsChanged(clock());
    for (const name of ['allow', 'deny'] as const) this.cluster?.listChanged(name, clock());
    this.log.info({ source: config.source }, 'configuration reloaded');
    const said = countries.map((w) => `\nwarning: BLOCKED_COUNTRIES: ${w}`).join('');
    return `reloaded ${config.source ?? 'defaults'}${captureChanged ? '; capture restarted' : ''}${said}`;
  }

  /** Makes the kernel match the policy, lists, countries and options in one batch. */
  reconcile(why: string): Promise<void> {
    if (this.reconciling) return this.reconciling;
    this.reconciling = (async () => {
      const desired = this.kernelState();
      const t0 = performance.now();
      await this.firewall.init(desired);
      this.log.info(
        {
          why,
          ms: Math.round(performance.now() - t0),
          dynamic: desired.dynamic.length,
          allow: desired.allow.length,
          deny: desired.deny.length,
          countries: desired.countries.length,
        },
        'firewall reconciled',
      );
    })().finally(() => {
      this.reconciling = null;
    });
    return this.reconciling;
  }

  /** The config in force (it changes on reload). */
  get config(): Config {
    return this.conf;
  }

  /** Where packets go in; tests hand frames in here instead of libpcap. */
  get packets(): PacketSink {
    return this.pipeline;
  }

  /** Waits until every decision so far is committed to the store and the deny list. */
  settle(): Promise<void> {
    return this.pipeline.flush();
  }

  /** The logger of the daemon (main.ts logs signals and unhandled failures through it). */
  get logger(): PinoLogger {
    return this.log;
  }

  /** Frames seen, dropped by the kernel before we read them, and sipprot's drops. */
  async liveStats(): Promise<LiveStats> {
    const drops = await this.firewall.counters().catch(() => null);
    return {
      ...this.inputs.stats(),
      sipMessages: this.pipeline.sipMessages,
      drops: drops ? { ...drops } : null,
      protection: {
        kernel: this.kernelGuard ? { ...this.kernelGuard.state } : null,
        store: this.pipeline.storeState(),
      },
    };
  }

  private startKernelGuard(): void {
    const command = this.opts.kernelWatch ?? (this.opts.firewall ? false : ['nft']);
    if (command === false) return;
    this.kernelGuard = new KernelGuard({
      command,
      log: this.log.child({ component: 'kernel-watch' }),
      emit: (e) => this.events.emit(e),
      reconcile: (why) => this.reconcile(why),
      failed: (e) => this.failed('firewall', e),
      clock,
    });
    this.kernelGuard.start();
  }

  /** What the API may see and ask of the running daemon: nothing more. */
  private running(): RunningDaemon {
    return {
      config: () => this.conf,
      access: () => this.access,
      geo: () => this.geo,
      mailStatus: () => this.notifier.status(),
      live: {
        listsChanged: (name) => this.listsChanged(name),
        unblock: async (ip, actor) => this.pipeline.unblock(ip, { actor }),
        daemon: () => ({ pid: process.pid, startedAt: this.startedAt }),
        stats: () => this.liveStats(),
        protection: () => ({
          kernel: this.kernelGuard ? { ...this.kernelGuard.state } : null,
          store: this.pipeline.storeState(),
        }),
        cluster: () => this.cluster?.summary() ?? null,
      },
      cluster: () => this.cluster?.status() ?? Promise.resolve(null),
      reload: (next) => this.reload(next),
      reconcile: (why) => this.reconcile(why),
      protect: () => this.host.protect(),
      lans: () => this.host.lans(),
      feeds: () => this.feeds.view(),
    };
  }

  /** Cluster mode: the sync gets the pipeline's policy path, the lists, settings and store. */
  private startCluster(): ClusterNode | null {
    const running = this.running();
    const guard = adminOf(running, this.store, this.lists);
    return ClusterNode.start({
      config: () => this.conf,
      pipeline: this.pipeline,
      access: () => this.access,
      lists: this.lists,
      listsChanged: (name) => this.listsChanged(name),
      guard,
      applySettings: (values) =>
        updateSettings({ ...running, guardCountries: (c) => guard.guardCountries(c) }, values),
      store: this.store,
      log: this.log.child({ component: 'cluster' }),
      clock,
      geoInstalled: async () => {
        this.geo = (await loadGeo(this.conf, this.log)) ?? this.geo;
        this.cluster?.watchGeo(this.geo);
        await this.reconcile('geo-ip table from the cluster');
      },
      bus: this.opts.clusterBus,
    });
  }

  /** The lists changed (CLI or UI): the engine and the kernel follow at once. */
  private async listsChanged(name: ListName): Promise<void> {
    this.access = this.readLists();
    const networks = name === 'allow' ? this.access.allowEntries() : this.access.denyEntries();
    this.pipeline.liftExempt();
    try {
      await this.firewall.setList(
        name,
        networks.map((e) => e.network),
      );
    } catch (e) {
      this.failed('firewall', e);
    }
    this.events.emit({ type: 'lists', list: name });
    this.cluster?.listChanged(name, clock());
  }

  private reviewCountries(next: Config, previous: readonly string[]): Promise<string[]> {
    return reviewCountries(adminOf(this.running(), this.store, this.lists), next, previous, this.log);
  }

  private kernelState(): FirewallState {
    const { conf: config, geo } = this;
    return kernelState({
      held: this.pipeline.held(),
      lists: this.access,
      countries:
        geo && config.blockedCountries.length > 0
          ? geo.table.rangesFor(config.blockedCountries)
          : { v4: [], v6: [] },
      feeds: this.feeds.entries(),
      config,
      now: clock(),
    });
  }

  private newNotifier(): Notifier {
    // Cluster mode: the daily summary once per fleet, the digest throttled fleet-wide.
    const fleet = clusterHostId(this.conf) && {
      claim: (job: string, ttl: number) =>
        this.cluster ? this.cluster.claim(job, ttl) : Promise.reject(new Error('cluster not started')),
    };
    return new Notifier({
      config: this.conf,
      store: this.store,
      clock,
      logger: this.log.child({ component: 'mail' }),
      ...(fleet ? { fleet } : {}),
    });
  }

  private rescheduleGeo(): void {
    this.geoSchedule?.stop();
    this.geoSchedule = scheduleGeo(
      this.geo,
      this.conf,
      this.log,
      () => this.reconcile('geo-ip update').catch((e) => this.failed('firewall', e)),
      // Cluster mode: one host of the fleet updates per interval; the others load its table.
      this.cluster && ((sec) => this.cluster!.claim('geoip-update', sec).catch(() => true)),
    );
  }

  private readLists(): AccessLists {
    return readAccessLists(this.lists, this.log);
  }

  private published(ds: Decision[]): void {
    this.notifier.onDecisions(ds);
    for (const d of ds) this.events.emit({ type: 'decision', decision: d });
    this.ops.published(ds);
  }

  private failed(what: 'firewall' | 'store', e: unknown): void {
    this.log.error({ err: e, code: isSipprotError(e) ? e.code : undefined }, `${what} operation failed`);
    // The firewall already tried one reconcile; try again a little later.
    if (what === 'firewall' && !this.stopping) {
      setTimeout(() => {
        if (!this.stopping)
          this.reconcile('after error').catch((err) => this.log.error({ err }, 'reconcile failed'));
      }, RETRY_RECONCILE_MS).unref();
    }
  }

  private async prune(): Promise<void> {
    const now = clock();
    try {
      await this.store.prune({ historyBefore: now - this.conf.historyDays * 86400, now });
    } catch (e) {
      this.failed('store', e);
    }
  }
}

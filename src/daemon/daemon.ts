/**
 * The composition root: builds every part, hands each one the narrow interface it needs,
 * and owns the lifecycle. Nothing else holds the whole: the packet inputs get a PacketSink
 * (the pipeline), the enforcer gets the firewall and store ports and four callbacks, the
 * API gets a RunningDaemon (what is in force and the few things it may ask), settings get
 * `config` and `reload`. Parts with a concern of their own sit next to it: the lists in force
 * (lists-in-force.ts), what the API and the fleet see (running.ts), the timers (periodic.ts).
 *
 * Lifecycle (unchanged by issue 11):
 * - start: PID file, store, firewall check, lists, geo-IP, running blocks from the store,
 *   one full reconcile of the kernel, a warm-up of the packet path (warm-up.ts), the API
 *   built (its boot off the packet path), capture and HEP, the API listening (Unix socket,
 *   then WEB_LISTEN), timers (periodic.ts: policy tick 250 ms, mail 5 s, store pruning
 *   6 h). A failure stops what started.
 * - reload (SIGHUP, API, settings): commit what is pending, new config, lists and geo-IP,
 *   a new engine fed the running blocks again, capture restarted only when what it sees
 *   changed, one reconcile; blocks are kept.
 * - a failed firewall change: the firewall wrapper reconciles once at once; if that fails
 *   too, the daemon reconciles again 5 s later (and on any unhandled rejection): kernel-sync.ts.
 * - stop: inputs and API first, then commit what is pending, stop mail, remove sipprot's
 *   nftables table, close the store, remove socket and PID file.
 */
import { rmSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger as PinoLogger } from 'pino';
import { AdminPresence } from '../api/presence.js';
import { isSipprotError } from '../core/errors.js';
import type { PrefixSet } from '../core/net/prefix-set.js';
import type { Config, Decision } from '../core/types.js';
import type { RuntimePaths } from '../platform/runtime-paths.js';
import { VERSION } from '../platform/version.js';
import type { LiveStats } from '../ports/admin.js';
import type { FirewallState } from '../ports/firewall.js';
import type { Store } from '../ports/store.js';
import { adminOf, prepareApi, type RunningDaemon } from './api.js';
import { startedFields } from './banner.js';
import { type ClusterNode, clusterHostId } from './cluster.js';
import { sameCapture } from './config-diff.js';
import { logConfigWarnings } from './config-warnings.js';
import { LiveEvents } from './events.js';
import { DaemonFeeds } from './feeds.js';
import { countryRanges, GeoInForce } from './geo.js';
import { HostView, protectedPeers, reviewCountries } from './host-view.js';
import { PacketInputs, type PacketSink } from './inputs.js';
import { loadKernelFirst } from './kernel-first.js';
import { kernelState } from './kernel-state.js';
import { KernelSync } from './kernel-sync.js';
import { ListsInForce } from './lists-in-force.js';
import { MailInForce } from './mail.js';
import { type DaemonOptions, type EarlyKernel, type Opened, openParts } from './open.js';
import { Operations } from './ops.js';
import { Periodic } from './periodic.js';
import { Pipeline } from './pipeline.js';
import { storeAlarmTo } from './protection.js';
import { liveStats, type RunningParts, runningDaemon, startFleet } from './running.js';
import { storeWith } from './store-with.js';

const clock = () => Date.now() / 1000;

export type { DaemonOptions };

export class Daemon {
  /** The config in force (replaced on reload). */
  private conf: Config;
  /** The geo-IP database in use and its refresh (geo.ts); the mail in force (mail.ts). */
  private readonly geo: GeoInForce;
  private readonly mail: MailInForce;
  private readonly startedAt = clock();
  private readonly opts: DaemonOptions;
  private readonly log: PinoLogger;
  private readonly paths: RuntimePaths;
  private readonly store: Store;
  /** The store the admin use cases get: history off the event loop (pipeline.adminStore). */
  private readonly adminStore: Store;
  /** The kernel's agreement with the policy: reconcile, retry, watch, remove (kernel-sync.ts). */
  private readonly kernel: KernelSync;
  /** The allow and deny lists in force and their files (lists-in-force.ts). */
  private readonly lists: ListsInForce;
  private readonly events = new LiveEvents();
  private readonly pipeline: Pipeline;
  /** Logs, metrics, webhooks and alerts around the decision path (daemon/ops.ts). */
  private readonly ops: Operations;
  private readonly inputs: PacketInputs;
  private servers: FastifyInstance[] = [];
  /** Policy tick, host refresh, mail, store pruning (periodic.ts). */
  private readonly periodic = new Periodic();
  private readonly host: HostView;
  /** Peers of live web admin sessions; PROTECTED_PEERS (rebuilt on reload). */
  private readonly presence = new AdminPresence();
  private peers: PrefixSet<true> | null;
  private stopping = false;
  /** Removes the socket, the PID file and the namespace lock (open.ts). */
  private readonly release: () => Promise<void>;
  /** Cluster mode (CLUSTER_REDIS_URL): the fleet's shared memory; null on a single host. */
  private cluster: ClusterNode | null = null;
  private readonly feeds: DaemonFeeds;
  /** The geo database came with the kernel's first load (countries are blocked). */
  private readonly geoEarly: boolean;

  /** Starts a daemon; on failure whatever had started is stopped again and the error thrown. */
  static async start(config: Config, opts: DaemonOptions = {}, opened?: Opened): Promise<Daemon> {
    // `opened`: parts `sipprotd run` opened, and (o.early) loaded into the kernel, already.
    const o = opened ?? (await openParts(config, opts));
    let daemon: Daemon;
    try {
      // The kernel first (issue 13 target 5), the one way `sipprotd run` loads it.
      const early = o.early ?? (await loadKernelFirst(o));
      daemon = new Daemon(o, early);
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

  private constructor(o: Opened, early: EarlyKernel) {
    this.conf = o.config;
    this.opts = o.opts;
    this.log = o.log;
    this.paths = o.paths;
    this.store = o.store;
    this.release = o.release;
    this.host = new HostView(o.opts.hostFacts, () => this.presence.recent(clock()));
    this.peers = protectedPeers(o.config.protectedPeers);
    this.feeds = new DaemonFeeds({
      firewall: { setFeeds: (f) => this.kernel.firewall.setFeeds(f) },
      log: o.log.child({ component: 'feeds' }),
      protect: () => this.host.protect(),
      failed: (e) => this.failed('firewall', e),
      clock,
    });
    this.kernel = new KernelSync({
      kernel: o.kernel,
      log: o.log,
      desired: () => this.kernelState(),
      // The kernel watch runs its own nft: off with a fake firewall unless a test names one.
      watch: o.opts.kernelWatch ?? (o.opts.firewall ? false : { netns: '' }),
      emit: (e) => this.events.emit(e),
      mail: (n) => this.mail.notifier.protection(n),
      clock,
    });
    this.lists = new ListsInForce({
      files: early.lists,
      access: early.access,
      log: o.log,
      firewall: this.kernel.firewall,
      liftExempt: () => this.pipeline.liftExempt(),
      failed: (e) => this.failed('firewall', e),
      emit: (e) => this.events.emit(e),
    });
    this.geo = new GeoInForce(o.log, (db) => this.cluster?.watchGeo(db));
    this.geoEarly = early.geo !== undefined;
    if (early.geo !== undefined) this.geo.db = early.geo;
    this.mail = new MailInForce({
      config: () => this.conf,
      store: o.store,
      clock,
      log: o.log,
      claim: (job, ttl) =>
        this.cluster ? this.cluster.claim(job, ttl) : Promise.reject(new Error('cluster not started')),
      fleetName: () => (this.cluster ? this.cluster.fleetName() : Promise.resolve(null)),
    });
    this.ops = this.operations(o);
    this.pipeline = new Pipeline(o.config, {
      lists: () => this.lists.access,
      protectedPeer: (ip) => this.host.isProtected(ip, this.peers),
      country: (ip) => this.geo.db?.country(ip) ?? null,
      enforce: {
        firewall: this.kernel.firewall,
        store: this.store,
        appendDeny: (entries) => this.lists.files.add('deny', entries),
        published: (ds) => this.published(ds),
        failed: (what, e) => this.failed(what, e),
        enforced: (ds, attacks) => this.cluster?.committed(ds, attacks, clock()),
        inKernel: (seconds) => this.ops.inKernel(seconds),
        hostId: clusterHostId(o.config),
        storeAlarm: storeAlarmTo(this.log, this.kernel.alarm),
      },
      log: o.log,
      alerted: (a) => this.ops.alerted(a),
      meter: this.ops.meter,
      clock,
    });
    this.adminStore = this.pipeline.adminStore(this.store);
    this.inputs = new PacketInputs(
      this.pipeline.packets,
      o.opts.capture !== false,
      o.log,
      this.kernel.alarm.capture,
    );
  }

  /** Logs, metrics, webhooks and alerts: what they read of the daemon (ops.ts). */
  private operations(o: Opened): Operations {
    return new Operations({
      config: () => this.conf,
      log: o.log,
      store: o.store,
      clock,
      live: () => this.liveStats(),
      detection: () => this.pipeline.detectionCounts(),
      heldCounts: (own) => this.pipeline.heldCounts(own),
      access: () => this.lists.access,
      geo: () => this.geo.db,
      notifier: () => this.mail.notifier,
      userAgent: `sipprot/${VERSION}`,
      feeds: () => this.feeds?.view()?.status() ?? [],
      protection: () => this.kernel.metrics(this.pipeline.storeState().failures),
      emit: (e) => this.events.emit(e),
      boardStore: storeWith(o.store, { setSetting: (k, v) => this.pipeline.saveSetting(k, v) }),
    });
  }

  private async begin(): Promise<void> {
    const config = this.conf;
    logConfigWarnings(this.log, config.source, this.opts.configWarnings ?? [], 'start');
    // The table is in the kernel already (Daemon.start, kernel-first.ts): from the store's
    // running blocks; the policy's full records (100k: ~0.6 s) are restored now.
    if (!this.geoEarly) await this.geo.load(config);
    await this.reviewCountries(config, []);
    await this.pipeline.restore(this.store);
    // Cluster mode: the fleet's state (a new host: its 100k-entry deny list) is fetched and
    // applied while the rest starts, not after the warm-up (issue 14: the join ≤ 5 s).
    this.cluster = startFleet(this.parts(), this.store, this.log, this.opts.clusterBus);
    this.cluster?.watchGeo(this.geo.db);
    await this.feeds.apply(config);
    this.kernel.watch();
    await this.pipeline.warmUp(config);
    // The protected set is ready before the first packet (never built on the packet path).
    this.host.refresh();
    // The API is built before the capture opens (its boot held the loop 340 ms: api.ts).
    const api = await prepareApi({
      running: this.running(),
      presence: this.presence,
      store: this.cluster ? this.cluster.watchRecipients(this.adminStore) : this.adminStore,
      lists: this.lists.files,
      events: this.events,
      log: this.log,
      configPath: this.opts.configPath,
      ops: this.ops.apiPorts(),
    });
    this.servers = api.servers;
    await this.inputs.start(config);
    await this.ops.start();
    this.rescheduleGeo();
    // A socket left by a daemon that died would make listen() fail; we hold the PID file.
    rmSync(this.paths.socket, { force: true });
    await api.listen(this.paths.socket);
    this.periodic.start(this.parts(), this.store, (e) => this.failed('store', e));
    this.log.info(startedFields(config), 'sipprotd started');
    this.inputs.started();
  }

  /**
   * Stops capture and API, commits what is pending, removes sipprot's nftables table.
   * `keepRules` (a start that failed half-way): the table stays, protecting as loaded;
   * `sipprotd stop` removes it later.
   */
  async stop(opts: { keepRules?: boolean } = {}): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.periodic.stop();
    // Our own removal of the table below is no loss to rebuild from.
    this.kernel.quiet();
    this.inputs.stop();
    await this.ops.stop().catch(() => undefined);
    this.geo.stop();
    await this.feeds.stop();
    for (const s of this.servers.splice(0)) await s.close().catch(() => undefined);
    await this.pipeline.close().catch(() => null);
    await this.cluster?.stop().catch((e) => this.log.error({ err: e }, 'cluster stop failed'));
    await this.mail.notifier.stop();
    await this.kernel.close(opts.keepRules === true);
    await this.store.close().catch(() => undefined);
    await this.release();
    this.log.info('sipprotd stopped');
  }

  /** Re-reads config, lists and geo data and reconciles; keeps blocks. */
  async reload(config: Config): Promise<string> {
    await this.pipeline.flush();
    const previous = this.conf;
    // Lists first: an unreadable or unsafe list refuses the reload before anything changes.
    await this.lists.reload();
    this.conf = config;
    this.peers = protectedPeers(config.protectedPeers);
    await this.geo.load(config);
    const countries = await this.reviewCountries(config, previous.blockedCountries);
    const captureChanged = !sameCapture(previous, config);
    this.pipeline.reconfigure(config, captureChanged);
    await this.pipeline.restore(this.store);
    await this.inputs.apply(previous, config);
    await this.feeds.apply(config);
    await this.ops.reload(previous, config);
    await this.reconcile('reload');
    this.rescheduleGeo();
    await this.mail.reload(previous, config);
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
    return this.kernel.reconcile(why);
  }

  /** The config in force (it changes on reload). */
  get config(): Config {
    return this.conf;
  }

  /** Where packets go in; tests hand frames in here instead of libpcap. */
  get packets(): PacketSink {
    return this.pipeline.packets;
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
  liveStats(): Promise<LiveStats> {
    return liveStats(this.parts());
  }

  /** What the API may see and ask of the running daemon: nothing more (running.ts). */
  private running(): RunningDaemon {
    return runningDaemon(this.parts());
  }

  /** The parts the API's and the fleet's views read (running.ts). */
  private parts(): RunningParts {
    return {
      ...{ lists: this.lists, geo: this.geo, mail: this.mail, pipeline: this.pipeline, ops: this.ops },
      ...{ kernel: this.kernel, inputs: this.inputs, host: this.host, feeds: this.feeds },
      startedAt: this.startedAt,
      clock,
      config: () => this.conf,
      cluster: () => this.cluster,
      reload: (next) => this.reload(next),
      reconcile: (why) => this.reconcile(why),
    };
  }

  private reviewCountries(next: Config, previous: readonly string[]): Promise<string[]> {
    const admin = adminOf(this.running(), this.adminStore, this.lists.files);
    return reviewCountries(admin, next, previous, this.log);
  }

  /** What the kernel must hold: the policy's blocks (the first load is kernel-first.ts's). */
  private kernelState(): FirewallState {
    return kernelState({
      held: this.pipeline.held(),
      lists: this.lists.access,
      countries: countryRanges(this.geo.db, this.conf.blockedCountries),
      feeds: this.feeds.entries(),
      config: this.conf,
      now: clock(),
    });
  }

  private rescheduleGeo(): void {
    this.geo.reschedule(
      this.conf,
      () => this.reconcile('geo-ip update').catch((e) => this.failed('firewall', e)),
      // Cluster mode: one host of the fleet updates per interval; the others load its table.
      this.cluster && ((sec) => this.cluster!.claim('geoip-update', sec).catch(() => true)),
    );
  }

  private published(ds: Decision[]): void {
    this.mail.notifier.onDecisions(ds);
    for (const d of ds) this.events.emit({ type: 'decision', decision: d });
    this.ops.published(ds);
  }

  private failed(what: 'firewall' | 'store', e: unknown): void {
    if (what === 'firewall') this.kernel.failed(e);
    else this.log.error({ err: e, code: isSipprotError(e) ? e.code : undefined }, 'store operation failed');
  }
}

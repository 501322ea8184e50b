import { mkdirSync, rmSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import { buildBpfFilter } from '../capture/bpf.js';
import { Engine } from '../core/engine.js';
import { isSipprotError } from '../core/errors.js';
import { AccessLists } from '../core/lists/lists.js';
import { Decoder } from '../core/packet/decoder.js';
import type { Config, Decision, ListName } from '../core/types.js';
import { NftablesFirewall } from '../firewall/nftables.js';
import { desiredState, ReconcilingFirewall } from '../firewall/reconcile.js';
import type { GeoDatabase } from '../geoip/database.js';
import type { GeoSchedule } from '../geoip/schedule.js';
import { ListFiles } from '../lists/list-files.js';
import { Notifier } from '../notify/notifier.js';
import type { LiveStats } from '../ports/admin.js';
import type { Firewall, FirewallState } from '../ports/firewall.js';
import type { Store } from '../ports/store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { startApi } from './api.js';
import { Enforcer, KERNEL_SLACK_SECONDS } from './enforcer.js';
import { LiveEvents } from './events.js';
import { loadGeo, scheduleGeo } from './geo.js';
import { PacketInputs } from './inputs.js';
import { runtimePaths } from './paths.js';
import { claimPidFile, releasePidFile } from './pidfile.js';

const clock = () => Date.now() / 1000;
const TICK_MS = 250;
const NOTIFY_TICK_MS = 5000;
const RETENTION_DAYS = 400;

export interface DaemonOptions {
  /** --config as given, so reload reads the same file. */
  configPath?: string;
  logger?: Logger;
  /** Replaces nftables (tests without root use the fake). */
  firewall?: Firewall;
  /** Capture interfaces override (tests); default config.interfaces. */
  capture?: boolean;
}

/**
 * The composition root: builds every adapter, restores state, reconciles the kernel
 * from the store, then runs capture → decoder → engine → enforcer until stopped.
 */
export class Daemon {
  readonly log: Logger;
  readonly events = new LiveEvents();
  readonly startedAt = clock();
  config: Config;
  store!: Store;
  firewall!: Firewall;
  lists!: ListFiles;
  access!: AccessLists;
  geo: GeoDatabase | null = null;
  engine!: Engine;
  enforcer!: Enforcer;
  notifier!: Notifier;
  private decoder!: Decoder;
  private readonly inputs: PacketInputs;
  private geoSchedule: GeoSchedule | null = null;
  private servers: FastifyInstance[] = [];
  private timers: NodeJS.Timeout[] = [];
  private reconciling: Promise<void> | null = null;
  private stopping = false;

  constructor(
    config: Config,
    private readonly opts: DaemonOptions = {},
  ) {
    this.config = config;
    this.log = opts.logger ?? pino({ name: 'sipprotd' });
    this.inputs = new PacketInputs(this, opts.capture !== false);
  }

  async start(): Promise<void> {
    const { config } = this;
    const paths = runtimePaths(config);
    mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
    claimPidFile(paths.pidFile);
    try {
      this.store = await SqliteStore.open(config.stateDir);
      await this.store.check();
      const kernel =
        this.opts.firewall ?? new NftablesFirewall({ logger: this.log.child({ component: 'nft' }) });
      // A failed change is answered by one full reconcile from the engine's state.
      this.firewall = new ReconcilingFirewall(
        kernel,
        async () => this.desired(),
        this.log.child({ component: 'reconcile' }),
      );
      await this.firewall.check();
      this.lists = new ListFiles({ allow: config.allowlistFile, deny: config.denylistFile });
      this.access = this.readLists();
      this.geo = await loadGeo(this.config.stateDir, this.log);
      this.engine = this.newEngine();
      this.notifier = this.newNotifier();
      this.enforcer = new Enforcer({
        firewall: this.firewall,
        store: this.store,
        recordOf: (ip) => this.engine.policy.recordOf(ip),
        appendDeny: (entries) => {
          this.lists.add('deny', entries);
        },
        published: (ds) => this.published(ds),
        failed: (what, e) => this.failed(what, e),
        clock,
      });
      await this.restore();
      await this.reconcile('start');
      this.decoder = new Decoder({ sipPorts: config.sipPorts, protocols: config.protocols });
      await this.inputs.start(config);
      this.geoSchedule = scheduleGeo(this.geo, this.config, this.log, () =>
        this.reconcile('geo-ip update').catch((e) => this.failed('firewall', e)),
      );
      // A socket left by a daemon that died would make listen() fail; we hold the PID file.
      rmSync(paths.socket, { force: true });
      this.servers = await startApi(this, paths.socket, this.opts.configPath);
      this.timers.push(setInterval(() => this.tick(), TICK_MS));
      this.timers.push(setInterval(() => void this.notifier.tick(), NOTIFY_TICK_MS));
      this.timers.push(setInterval(() => void this.prune(), 6 * 3600_000));
      this.log.info(
        { interfaces: config.interfaces, filter: buildBpfFilter(config), pid: process.pid },
        'sipprotd started',
      );
    } catch (e) {
      await this.stop().catch(() => undefined);
      throw e;
    }
  }

  /** Stops capture and API, commits what is pending, removes sipprot's nftables table. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers.splice(0)) clearInterval(t);
    this.inputs.stop();
    this.geoSchedule?.stop();
    for (const s of this.servers.splice(0)) await s.close().catch(() => undefined);
    await this.enforcer?.flush().catch(() => undefined);
    await this.notifier?.stop();
    await this.firewall
      ?.shutdown()
      .catch((e) => this.log.error({ err: e }, 'could not remove the nftables table'));
    await this.store?.close().catch(() => undefined);
    const paths = runtimePaths(this.config);
    rmSync(paths.socket, { force: true });
    releasePidFile(paths.pidFile);
    this.log.info('sipprotd stopped');
  }

  /** A decoded frame from live capture (or a test): the hot path. */
  onFrame(linkType: number, at: number, frame: Uint8Array): void {
    let events: ReturnType<Decoder['push']>;
    try {
      events = this.decoder.push(linkType, at, frame);
    } catch (e) {
      this.log.error({ err: e }, 'decoder failed on a frame; frame skipped');
      return;
    }
    for (const ev of events) this.enforcer.apply(this.engine.onEvent(ev));
  }

  /** A HEPv3 packet from the SIP server (SIP over TLS included). */
  onHep(buf: Uint8Array): void {
    let events: ReturnType<Decoder['pushHep']>;
    try {
      events = this.decoder.pushHep(buf, { at: clock() });
    } catch (e) {
      this.log.error({ err: e }, 'decoder failed on a HEP packet; packet skipped');
      return;
    }
    for (const ev of events) this.enforcer.apply(this.engine.onEvent(ev));
  }

  tick(now = clock()): void {
    this.enforcer.apply(this.engine.tick(now));
  }

  /** Re-reads config, lists and geo data and reconciles; keeps blocks. */
  async reload(config: Config): Promise<string> {
    await this.enforcer.flush();
    const previous = this.config;
    this.config = config;
    this.access = this.readLists();
    this.geo = (await loadGeo(this.config.stateDir, this.log)) ?? this.geo;
    this.engine = this.newEngine();
    await this.restore();
    const captureChanged = await this.inputs.apply(previous, config);
    if (captureChanged)
      this.decoder = new Decoder({ sipPorts: config.sipPorts, protocols: config.protocols });
    await this.reconcile('reload');
    this.geoSchedule?.stop();
    this.geoSchedule = scheduleGeo(this.geo, this.config, this.log, () =>
      this.reconcile('geo-ip update').catch((e) => this.failed('firewall', e)),
    );
    if (JSON.stringify([config.smtp, config.notify]) !== JSON.stringify([previous.smtp, previous.notify])) {
      await this.notifier.stop();
      this.notifier = this.newNotifier();
    }
    this.events.emit({ type: 'settings' });
    this.log.info({ source: config.source }, 'configuration reloaded');
    return `reloaded ${config.source ?? 'defaults'}${captureChanged ? '; capture restarted' : ''}`;
  }

  /** The lists changed (CLI or UI): the engine and the kernel follow at once. */
  async listsChanged(name: ListName): Promise<void> {
    this.access = this.readLists();
    const networks = name === 'allow' ? this.access.allowEntries() : this.access.denyEntries();
    this.liftWhatListsNowExempt();
    try {
      await this.firewall.setList(
        name,
        networks.map((e) => e.network),
      );
    } catch (e) {
      this.failed('firewall', e);
    }
    this.events.emit({ type: 'lists', list: name });
  }

  unblock(ip: string): boolean {
    const ds = this.engine.unblock(ip, clock());
    this.enforcer.apply(ds);
    return ds.some((d) => d.action === 'unblock');
  }

  private newNotifier(): Notifier {
    return new Notifier({
      config: this.config,
      store: this.store,
      clock,
      logger: this.log.child({ component: 'mail' }),
    });
  }

  private newEngine(): Engine {
    return new Engine(this.config, {
      lists: { check: (ip) => this.access.check(ip) },
      country: (ip) => this.geo?.country(ip) ?? null,
      localAddresses: localAddresses(),
      onVerdict: (v) => {
        if (this.access.check(v.ip).status !== 'allowed')
          this.enforcer.attack(v, this.geo?.country(v.ip) ?? null);
      },
    });
  }

  private readLists(): AccessLists {
    const allow = this.lists.readDetailed('allow');
    const deny = this.lists.readDetailed('deny');
    for (const [name, r] of [
      ['allow', allow],
      ['deny', deny],
    ] as const) {
      for (const e of r.errors) {
        this.log.warn(
          { file: this.lists.path(name), line: e.line, text: e.text },
          `skipped list line: ${e.message}`,
        );
      }
    }
    return new AccessLists(allow.entries, deny.entries);
  }

  /** Blocks from the store (expired ones lifted), escalation counts, into the engine. */
  private async restore(): Promise<void> {
    const now = clock();
    const expired = await this.store.expireBlocks(now);
    if (expired.length > 0)
      this.log.info({ count: expired.length }, 'blocks expired while sipprotd was down');
    const blocks = await this.store.listBlocks({ activeAt: now });
    this.engine.restore(blocks, await this.store.allTimesBlocked());
  }

  /** Makes the kernel match the store, lists, countries and options in one batch. */
  reconcile(why: string): Promise<void> {
    if (this.reconciling) return this.reconciling;
    this.reconciling = (async () => {
      const desired = this.desired();
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

  /** What the kernel must hold now: the policy's blocks, the lists, the countries. */
  private desired(): FirewallState {
    const countries =
      this.geo && this.config.blockedCountries.length > 0
        ? this.geo.table.rangesFor(this.config.blockedCountries)
        : { v4: [], v6: [] };
    return desiredState({
      allow: this.access.allowEntries(),
      deny: this.access.denyEntries(),
      countries: [...countries.v4, ...countries.v6],
      blocks: [...this.engine.policy.blocks(), ...this.engine.policy.permanents()].map((b) => ({
        ip: b.ip,
        expiresAt: b.expiresAt === null ? null : b.expiresAt + KERNEL_SLACK_SECONDS,
      })),
      config: this.config,
      now: clock(),
    });
  }

  /** Frames seen, dropped by the kernel before we read them, and sipprot's drops. */
  async liveStats(): Promise<LiveStats> {
    const drops = await this.firewall.counters().catch(() => null);
    return {
      ...this.inputs.stats(),
      sipMessages: this.decoder.stats.sip,
      drops: drops ? { ...drops } : null,
    };
  }

  private published(ds: Decision[]): void {
    this.notifier.onDecisions(ds);
    for (const d of ds) {
      this.events.emit({ type: 'decision', decision: d });
      if (d.action !== 'extend') {
        this.log.info(
          {
            ip: d.ip,
            action: d.action,
            reason: d.reason,
            country: d.country,
            userAgent: d.userAgent,
            note: d.note,
          },
          d.action,
        );
      }
    }
  }

  private failed(what: 'firewall' | 'store', e: unknown): void {
    this.log.error({ err: e, code: isSipprotError(e) ? e.code : undefined }, `${what} operation failed`);
    // The firewall already tried one reconcile; try again a little later.
    if (what === 'firewall' && !this.stopping) {
      setTimeout(() => {
        if (!this.stopping)
          this.reconcile('after error').catch((err) => this.log.error({ err }, 'reconcile failed'));
      }, 5000).unref();
    }
  }

  /** A permanent block lives only while its address is in the deny list. */
  /**
   * The allow list beats every block, so a newly allowed address is unblocked at once;
   * a threshold-permanent block lives only while its address is in the deny list.
   */
  private liftWhatListsNowExempt(): void {
    const now = clock();
    const policy = this.engine.policy;
    const lift = [
      ...[...policy.blocks()].filter((r) => this.access.check(r.ip).status === 'allowed'),
      ...[...policy.permanents()].filter((r) => this.access.check(r.ip).status !== 'denied'),
    ];
    for (const rec of lift) this.enforcer.apply(this.engine.unblock(rec.ip, now));
  }

  private async prune(): Promise<void> {
    const now = clock();
    try {
      await this.store.prune({ historyBefore: now - RETENTION_DAYS * 86400, now });
    } catch (e) {
      this.failed('store', e);
    }
  }
}

function localAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) out.push(a.address.split('%')[0]!);
  }
  return out;
}

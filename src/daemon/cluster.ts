/**
 * Cluster wiring (issue 14): with CLUSTER_REDIS_URL set, the daemon builds the Redis bus, the
 * journal (STATE_DIR/cluster.db) and the sync (src/cluster/sync.ts), and hands the sync a
 * ClusterHost made of its own parts: peer blocks and unblocks go through the pipeline's
 * policy (one decision path: kernel first, then store, live view, history, mail digest),
 * list changes through the list files and the daemon's listsChanged, settings through the
 * same validated write-and-reload as the web UI, recipients and attacks into the store.
 *
 * Per host (never from a peer): what the host captures and where it listens and keeps its
 * files (core/config/scope.ts). A peer can never lock this host's admin out: its deny
 * entries, allow removals and country changes pass this host's lock-out guard first.
 * Nothing here is on the packet path: the enforcer tells the sync after its local commit.
 */

import { hostname } from 'node:os';
import { ClusterJournal } from '../cluster/journal.js';
import { RedisBus } from '../cluster/redis-bus.js';
import { ClusterSync } from '../cluster/sync.js';
import type { EventBody } from '../core/cluster/events.js';
import type { HostBlock } from '../core/cluster/merge.js';
import { findConfigKey } from '../core/config/keys.js';
import { fleetWideKeys } from '../core/config/scope.js';
import type { AccessLists } from '../core/lists/lists.js';
import type { GuardedChange, Lockout } from '../core/lists/lockout.js';
import { extendInterval } from '../core/policy/held.js';
import type { AttackRecord } from '../core/records.js';
import type { Config, Decision, ListEntry, ListName } from '../core/types.js';
import type { GeoDatabase } from '../geoip/database.js';
import { VERSION } from '../platform/version.js';
import type { ClusterSummary } from '../ports/admin.js';
import type { ClusterBus, ClusterHost, ClusterStatus } from '../ports/cluster.js';
import type { ListStorage } from '../ports/lists.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import { adminOf, type RunningDaemon } from './api.js';
import { installTable, stateTable } from './cluster-geo.js';
import type { Pipeline } from './pipeline.js';
import { updateSettings } from './settings.js';
import { storeWith } from './store-with.js';

/** A host counts in the fleet's mail subjects when heard from within this many seconds. */
const FLEET_MAIL_HOST_WINDOW = 86_400;

/** This host's id in the cluster, or undefined on a single host. */
export function clusterHostId(config: Config): string | undefined {
  if (!config.clusterRedisUrl) return undefined;
  return (
    config.clusterHostId ??
    hostname()
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 63)
  );
}

export interface ClusterParts {
  config(): Config;
  pipeline: Pipeline;
  access(): AccessLists;
  lists: ListStorage;
  /** A fleet change of a list: in force at once (lists, kernel), then in the list file. */
  fleetList(name: ListName, set: ListEntry[], remove: string[]): Promise<void>;
  /** A validated settings change written to sipprot.conf and reloaded (the web UI's path, its
   * country lock-out guard included: SP_ERR_LOCKOUT when it would cut off a protected address). */
  applySettings(values: Record<string, string>): Promise<unknown>;
  /** The lock-out guard of the admin use cases (protected: loopback, this host's addresses,
   * resolvers, gateways, SSH peers, live web sessions). */
  guard: { lockouts(change: GuardedChange): Promise<Lockout[]> };
  store: Store;
  log: Logger;
  clock(): number;
  /** STATE_DIR's geo-IP table was replaced by the fleet's: load it and refill the kernel. */
  geoInstalled(): Promise<void>;
  /** Replaces the Redis bus (tests). */
  bus?: ClusterBus;
}

/** What a daemon hands over for cluster mode: the API's view of it and the parts it built. */
export interface DaemonClusterParts {
  running: RunningDaemon;
  pipeline: Pipeline;
  store: Store;
  lists: ListStorage;
  fleetList: ClusterParts['fleetList'];
  log: Logger;
  clock(): number;
  geoInstalled(): Promise<void>;
  bus?: ClusterBus | undefined;
}

/**
 * Cluster mode for a daemon (null on a single host): the sync gets the pipeline's policy
 * path, the lists, settings through the web UI's validated path (its country lock-out guard
 * included) and the store.
 */
export function startCluster(p: DaemonClusterParts): ClusterNode | null {
  const { running } = p;
  const guard = adminOf(running, p.store, p.lists);
  return ClusterNode.start({
    config: running.config,
    pipeline: p.pipeline,
    access: running.access,
    lists: p.lists,
    fleetList: p.fleetList,
    guard,
    applySettings: (values) =>
      updateSettings({ ...running, guardCountries: (c) => guard.guardCountries(c) }, values),
    store: p.store,
    log: p.log,
    clock: p.clock,
    geoInstalled: p.geoInstalled,
    bus: p.bus,
  });
}

export class ClusterNode {
  readonly sync: ClusterSync;
  private readonly host: ClusterHost;
  private readonly clock: () => number;
  private constructor(
    readonly self: string,
    private readonly bus: ClusterBus,
    private readonly journal: ClusterJournal,
    p: ClusterParts,
  ) {
    const config = p.config();
    this.clock = p.clock;
    this.host = clusterHost(self, p, bus, {
      fromPeer: (ds) => this.sync.out.fromPeer(ds),
      send: (bodies) => this.sync.out.send(bodies, p.clock()),
    });
    this.sync = new ClusterSync({
      self,
      bus,
      journal,
      host: this.host,
      log: p.log,
      clock: p.clock,
      version: VERSION,
      extendStep: extendInterval(config.blockTime),
    });
  }

  /** Starts syncing in the background; never waits for Redis (a host starts with Redis down). */
  static start(p: ClusterParts): ClusterNode | null {
    const config = p.config();
    const self = clusterHostId(config);
    if (!config.clusterRedisUrl || self === undefined) return null;
    const bus = p.bus ?? new RedisBus({ url: config.clusterRedisUrl });
    const node = new ClusterNode(self, bus, ClusterJournal.open(config.stateDir), p);
    node.sync.start();
    p.log.info({ host: self, redis: redacted(config.clusterRedisUrl) }, 'cluster mode');
    return node;
  }

  /** After the enforcer's commit: tell the fleet (outbox, then Redis). */
  committed(ds: Decision[], attacks: AttackRecord[], now: number): void {
    this.sync.out.committed(ds, attacks, now);
  }

  listChanged(name: ListName, now: number): void {
    this.sync.out.listChanged(name, now);
  }

  settingsChanged(now: number): void {
    this.sync.out.settingsChanged(now);
  }

  recipientsChanged(now: number): Promise<void> {
    return this.sync.out.recipientsChanged(now);
  }

  /** Publishes each table this database is updated to (the fleet loads the same bytes). */
  watchGeo(db: GeoDatabase | null): void {
    // A table read from the host's own GEOIP_MMDB (its licence, its file) stays on this host.
    db?.onChange((d) => (d.meta.origin === 'mmdb' ? undefined : this.host.publishGeo()));
  }

  /** The store as the API sees it: a recipient added or removed there is told to the fleet. */
  watchRecipients(store: Store): Store {
    const changed = () => void this.recipientsChanged(Date.now() / 1000).catch(() => undefined);
    return storeWith(store, {
      addRecipient: async (email, name) => {
        const r = await store.addRecipient(email, name);
        changed();
        return r;
      },
      removeRecipient: async (email) => {
        const r = await store.removeRecipient(email);
        changed();
        return r;
      },
    });
  }

  /** Once-per-fleet jobs (daily summary, mail throttle): true for exactly one host. */
  claim(job: string, ttlSeconds: number): Promise<boolean> {
    return this.bus.claim(job, this.self, ttlSeconds);
  }

  /**
   * The fleet's name in its once-per-fleet mails (daily summary, digest): "the fleet of N
   * hosts", counting the hosts heard from in the last day (FLEET_MAIL_HOST_WINDOW).
   */
  async fleetName(): Promise<string> {
    const now = this.clock();
    const n = Math.max(1, (await this.bus.hosts()).filter((h) => now - h.at < FLEET_MAIL_HOST_WINDOW).length);
    return `the fleet of ${n} host${n === 1 ? '' : 's'}`;
  }

  summary(): ClusterSummary {
    return { host: this.self, redis: this.bus.state(), outbox: this.journal.outboxSize() };
  }

  status(): Promise<ClusterStatus> {
    return this.sync.status();
  }

  stop(): Promise<void> {
    return this.sync.stop();
  }
}

/** The password of a redis URL is never logged. */
export function redacted(url: string): string {
  return url.replace(/^(rediss?:\/\/)([^@/]*)@/i, (_m, s: string, auth: string) =>
    auth.includes(':') ? `${s}${auth.split(':')[0]}:***@` : `${s}***@`,
  );
}

function clusterHost(
  self: string,
  p: ClusterParts,
  bus: ClusterBus,
  out: { fromPeer(ds: Decision[]): void; send(bodies: EventBody[]): void },
): ClusterHost {
  const { fromPeer } = out;
  const stateDir = p.config().stateDir;
  return {
    adopt: (blocks) => fromPeer(p.pipeline.adopt(blocks)),
    unblock: (ip, forgetHistory, from) => fromPeer(p.pipeline.unblockFrom(from, ip, forgetHistory)),
    raiseEscalation: (ip, n) => p.pipeline.raiseEscalation(ip, n),
    blocks: () => p.pipeline.held().map((b): HostBlock => ({ ...b, host: b.host ?? self })),
    record: (ip) => p.pipeline.recordOf(ip),
    listEntries: (name) => (name === 'allow' ? p.access().allowEntries() : p.access().denyEntries()),
    applyList: async (name, set, remove) => {
      // This host's lock-out guard first: a peer never cuts its admin off.
      const add =
        name === 'deny'
          ? await safe(
              p,
              'deny-add',
              set.map((e) => e.network),
            )
          : null;
      const drop = name === 'allow' ? await safe(p, 'allow-remove', remove) : null;
      const entries = add ? set.filter((e) => add.has(e.network)) : set;
      const networks = drop ? remove.filter((n) => drop.has(n)) : remove;
      const refused = [
        ...(add ? set.filter((e) => !add.has(e.network)).map((e) => e.network) : []),
        ...(drop ? remove.filter((n) => !drop.has(n)) : []),
      ];
      const kept = refused.length > 0 ? noteOf(p.access(), name) : null;
      if (entries.length + networks.length > 0) await p.fleetList(name, entries, networks);
      return { refused: refused.map((n) => [n, kept?.get(n) ?? null] as [string, string | null]) };
    },
    settings: () => {
      const config = p.config();
      return new Map(fleetWideKeys().map((k) => [k, findConfigKey(k)!.format(config)] as const));
    },
    applySettings: async (values) => void (await p.applySettings(values)),
    refusedSettings: async (values) => {
      const v = values.BLOCKED_COUNTRIES;
      if (v === undefined) return [];
      const countries = v
        .toUpperCase()
        .split(/[\s,]+/)
        .filter((c) => c !== '');
      const found = await p.guard.lockouts({ kind: 'countries', countries });
      if (found.length === 0) return [];
      // The fleet's countries would cut this host's protected addresses off: refused here.
      p.log.warn({ countries: v, lockout: found[0] }, 'cluster: refused a peer country change');
      return ['BLOCKED_COUNTRIES'];
    },
    recipients: async () =>
      new Map((await p.store.listRecipients()).map((r) => [r.email.toLowerCase(), r.name ?? ''] as const)),
    applyRecipients: async (set, remove) => {
      for (const [email, name] of set) await p.store.addRecipient(email, name || null);
      for (const email of remove) await p.store.removeRecipient(email);
    },
    // Into the pipeline's commit of this turn (writer thread): never a main-thread transaction.
    recordAttacks: async (attacks) => p.pipeline.recordPeerAttacks(attacks),
    geoDigest: async () => (await stateTable(stateDir))?.sha256 ?? null,
    applyGeo: async (digest) => {
      const bytes = await bus.getGeoTable(digest);
      if (bytes === null) throw new Error(`the fleet's geo-IP table ${digest} is no longer in Redis`);
      await installTable(stateDir, digest, bytes);
      await p.geoInstalled();
      p.log.info({ sha256: digest }, "cluster: loaded the fleet's geo-IP table");
    },
    publishGeo: async () => {
      const t = await stateTable(stateDir);
      if (t === null) return;
      await bus.putGeoTable(t.sha256, t.bytes);
      out.send([{ type: 'geoip', sha256: t.sha256, bytes: t.bytes.length }]);
      p.log.info({ sha256: t.sha256 }, 'cluster: published this host’s geo-IP table');
    },
  };
}

/**
 * The networks of a peer's deny-add or allow-remove that lock nothing out here (loopback,
 * this host's addresses, resolvers, gateways, SSH peers, web sessions): a peer can never cut
 * this host's admin off. One guard call for the whole change; per network only when it fails.
 */
async function safe(
  p: ClusterParts,
  kind: 'deny-add' | 'allow-remove',
  networks: string[],
): Promise<Set<string>> {
  const ok = new Set(networks);
  if (networks.length === 0 || (await p.guard.lockouts({ kind, networks })).length === 0) return ok;
  for (const n of networks) {
    const found = await p.guard.lockouts({ kind, networks: [n] });
    if (found.length === 0) continue;
    ok.delete(n);
    p.log.warn(
      { network: n, kind, lockout: found[0] },
      'cluster: refused a peer list change that locks this host out',
    );
  }
  return ok;
}

function noteOf(access: AccessLists, name: ListName): Map<string, string> {
  return new Map(
    (name === 'allow' ? access.allowEntries() : access.denyEntries()).map((e) => [e.network, e.note]),
  );
}

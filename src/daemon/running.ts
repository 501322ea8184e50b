/**
 * What the API (api.ts RunningDaemon) and the cluster may see and ask of the running daemon
 * (split out of daemon.ts, issue 11): what is in force now (config, lists, geo-IP, mail),
 * the live hooks (a list change reaches the engine and the kernel at once, then the fleet;
 * an unblock; the live counters), and the few requests the daemon answers (reload,
 * reconcile, the protected addresses). Nothing more: the parts themselves stay the
 * daemon's. Every getter reads the part in force at call time (a reload replaces config
 * and lists; the cluster starts after this view is built).
 */
import type { Config } from '../core/types.js';
import type { LiveStats } from '../ports/admin.js';
import type { ClusterBus } from '../ports/cluster.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import type { RunningDaemon } from './api.js';
import { type ClusterNode, startCluster } from './cluster.js';
import type { DaemonFeeds } from './feeds.js';
import type { GeoInForce } from './geo.js';
import type { HostView } from './host-view.js';
import type { PacketInputs } from './inputs.js';
import type { KernelSync } from './kernel-sync.js';
import type { ListsInForce } from './lists-in-force.js';
import type { MailInForce } from './mail.js';
import type { Operations } from './ops.js';
import type { Pipeline } from './pipeline.js';

export interface RunningParts {
  config(): Config;
  lists: ListsInForce;
  geo: GeoInForce;
  mail: MailInForce;
  pipeline: Pipeline;
  kernel: KernelSync;
  inputs: PacketInputs;
  ops: Operations;
  host: HostView;
  feeds: DaemonFeeds;
  /** Cluster mode: null on a single host and until the cluster started. */
  cluster(): ClusterNode | null;
  startedAt: number;
  clock(): number;
  reload(next: Config): Promise<string>;
  reconcile(why: string): Promise<void>;
}

export function runningDaemon(p: RunningParts): RunningDaemon {
  return {
    config: p.config,
    access: () => p.lists.access,
    geo: () => p.geo.db,
    mailStatus: () => p.mail.notifier.status(),
    live: {
      // The lists changed (CLI or UI): the engine and the kernel follow at once, then the fleet.
      listsChanged: async (name) => {
        await p.lists.changed(name);
        p.cluster()?.listChanged(name, p.clock());
      },
      unblock: async (ip, actor) => p.pipeline.unblock(ip, { actor }),
      daemon: () => ({ pid: process.pid, startedAt: p.startedAt }),
      stats: () => liveStats(p),
      protection: () => p.kernel.protection(p.pipeline.storeState()),
      cluster: () => p.cluster()?.summary() ?? null,
      alerts: p.ops.alerts,
    },
    cluster: () => p.cluster()?.status() ?? Promise.resolve(null),
    reload: p.reload,
    reconcile: p.reconcile,
    protect: () => p.host.protect(),
    lans: () => p.host.lans(),
    feeds: () => p.feeds.view(),
  };
}

/** Frames seen, dropped by the kernel before we read them, and sipprot's drops. */
export async function liveStats(p: RunningParts): Promise<LiveStats> {
  const drops = await p.kernel.firewall.counters().catch(() => null);
  return {
    ...p.inputs.stats(),
    sipMessages: p.pipeline.sipMessages,
    drops: drops ? { ...drops } : null,
    protection: p.kernel.protection(p.pipeline.storeState()),
    writer: p.pipeline.writerState(),
  };
}

/** Cluster mode (CLUSTER_REDIS_URL; cluster.ts): the fleet's view of this daemon; null on a single host. */
export function startFleet(p: RunningParts, store: Store, log: Logger, bus?: ClusterBus): ClusterNode | null {
  return startCluster({
    running: runningDaemon(p),
    pipeline: p.pipeline,
    store,
    lists: p.lists.files,
    fleetList: (name, set, remove) => p.lists.fleetChanged(name, set, remove),
    log: log.child({ component: 'cluster' }),
    clock: p.clock,
    // STATE_DIR's geo-IP table was replaced by the fleet's: load it and refill the kernel.
    geoInstalled: async () => {
      await p.geo.load(p.config());
      await p.reconcile('geo-ip table from the cluster');
    },
    bus,
  });
}

/**
 * What a daemon opens before it can be built, in this order, each with its own check:
 * the one-daemon-per-network-namespace lock (issue 10 item 12: first, so a second daemon
 * never touches the first one's table or files), STATE_DIR and the PID file, the firewall
 * (nft and its rights: checked while the store is opened), the store (a real write). A
 * failure undoes what was opened and leaves sipprot's table as it was: the rules of a
 * daemon that died protect better than none (issue 10 item 9).
 */
import { mkdirSync, rmSync } from 'node:fs';
import type { Logger as PinoLogger } from 'pino';
import type { ConfigWarning } from '../core/config/parse.js';
import type { AccessLists } from '../core/lists/lists.js';
import type { Config } from '../core/types.js';
import { NftablesFirewall } from '../firewall/nftables.js';
import type { GeoDatabase } from '../geoip/database.js';
import type { ListFiles } from '../lists/list-files.js';
import type { HostFacts } from '../platform/host-facts.js';
import { createLogger } from '../platform/logging.js';
import { claimNetnsLock, NETNS_LOCK } from '../platform/netns-lock.js';
import { claimPidFile, releasePidFile } from '../platform/pid-file.js';
import { type RuntimePaths, runtimePaths } from '../platform/runtime-paths.js';
import type { ClusterBus } from '../ports/cluster.js';
import type { Firewall } from '../ports/firewall.js';
import type { Store } from '../ports/store.js';
import { SqliteStore } from '../store/sqlite-store.js';

export interface DaemonOptions {
  /** --config as given, so reload reads the same file. */
  configPath?: string;
  logger?: PinoLogger;
  /** Replaces nftables (tests without root use the fake). */
  firewall?: Firewall;
  /** False in tests that hand frames in themselves (no libpcap). */
  capture?: boolean;
  /** What the loader warned about (unknown keys, keys set twice): logged at start. */
  configWarnings?: readonly ConfigWarning[];
  /** The host's addresses, resolvers, gateways, SSH peers (default: read from the host; tests fix them). */
  hostFacts?: () => HostFacts;
  /**
   * The one-daemon-per-network-namespace lock (platform/netns-lock.ts): taken by default
   * with the real nftables firewall; a fake firewall (tests) takes it only when named here.
   */
  netnsLock?: string;
  /**
   * Watch the kernel for sipprot's rules vanishing (firewall/kernel-watch.ts) in this
   * network namespace ('' = the daemon's own). Default '' with the real firewall, off
   * with a fake one.
   */
  kernelWatch?: { netns: string } | false;
  /** Replaces the Redis bus in cluster mode (tests). */
  clusterBus?: ClusterBus;
}

/**
 * What `sipprotd run` loaded into the kernel before the rest of the daemon (kernel-first.ts),
 * for the Daemon to take as its own instead of reading it again.
 */
export interface EarlyKernel {
  lists: ListFiles;
  /** The lists as parsed for that load. */
  access: AccessLists;
  /** The geo database, when blocked countries needed it for the load (absent: not loaded yet). */
  geo?: GeoDatabase | null;
}

/** What start opens before the daemon can be built (each with its own check). */
export interface Opened {
  config: Config;
  opts: DaemonOptions;
  log: PinoLogger;
  paths: RuntimePaths;
  store: Store;
  kernel: Firewall;
  /**
   * The firewall's check (nft present, rights, features: three nft runs), started by
   * openParts before the store is opened and awaited by the first load. Rejects with the
   * check's error; the first load then fails with it.
   */
  kernelChecked: Promise<void>;
  /**
   * When openParts began, ms since the process started (node and the module graph up to
   * it), and the CPU the process had used by then: the start's phases (kernel-first.ts).
   */
  startedAt?: { ms: number; cpuMs: number };
  /** Set once the table is in the kernel from the lists and the store (kernel-first.ts). */
  early?: EarlyKernel;
  /** Undoes what was opened (a constructor that threw): store, socket, PID file, lock. */
  abandon(): Promise<void>;
  /** The last step of every stop: the control socket, the PID file, the namespace lock. */
  release(): Promise<void>;
}

export async function openParts(config: Config, opts: DaemonOptions): Promise<Opened> {
  const cpu = process.cpuUsage();
  const startedAt = { ms: performance.now(), cpuMs: (cpu.user + cpu.system) / 1000 };
  const log = opts.logger ?? createLogger(config.ops.log);
  const paths = runtimePaths(config);
  const lockName = opts.netnsLock ?? (opts.firewall ? null : NETNS_LOCK);
  const netns = lockName
    ? await claimNetnsLock({ pid: process.pid, stateDir: config.stateDir, config: config.source }, lockName)
    : null;
  let store: Store | null = null;
  let kernel: Firewall | null = null;
  let pidClaimed = false;
  const release = async () => {
    rmSync(paths.socket, { force: true });
    if (pidClaimed) releasePidFile(paths.pidFile);
    await netns?.release();
  };
  const abandon = async () => {
    await kernel?.close?.().catch(() => undefined);
    await store?.close().catch(() => undefined);
    await release();
    log.info('sipprotd stopped; nftables rules left as they were');
  };
  try {
    mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
    claimPidFile(paths.pidFile);
    pidClaimed = true;
    // The firewall's check (three nft runs) goes on while the store is opened.
    kernel = opts.firewall ?? new NftablesFirewall({ logger: log.child({ component: 'nft' }) });
    const kernelChecked = kernel.check();
    // Awaited by the first load; a failure is that load's (and the start's) error.
    kernelChecked.catch(() => undefined);
    store = await SqliteStore.open(config.stateDir);
    await store.check();
    return { config, opts, log, paths, store, kernel, kernelChecked, startedAt, abandon, release };
  } catch (e) {
    await abandon();
    throw e;
  }
}

/**
 * What /metrics reads at scrape time (SipprotMetrics, sipprot-metrics.ts): each source is
 * a part of the daemon that already counts; the daemon's composition (daemon/ops.ts) hands
 * them in, tests hand in their own (sources.testkit.ts).
 */
import type { LiveStats, StoreBacklog } from '../ports/admin.js';

/** What the collector reads at scrape time; every part may be missing (null). */
export interface MetricsSources {
  /** Capture counters and the capture thread's priority, as status has them. */
  capture(): LiveStats['capture'];
  hep(): { received: number; errors: number } | null;
  sipMessages(): number;
  /** Detection counters since start (carried over engine rebuilds on reload). */
  detection(): DetectionCounts;
  /** nft's named counters per set (dynamic, deny, country, tftp, dns, feed). */
  drops(): Promise<Record<string, { packets: number; bytes: number }> | null>;
  /** Blocks held by the policy: temporary ones decided here or on a peer host, threshold-permanent. */
  blocks(): { local: number; peer: number; permanent: number };
  lists(): { allow: number; deny: number };
  countries(): { blocked: number; networks: number };
  queues(): Promise<{ mail: number; webhooks: number }>;
  /** Event-loop delay in ms: the last 10 s window and the worst since start. */
  loopLag(): { p50: number; p99: number; max: number; maxSinceStart: number } | null;
  /**
   * Whether each part protection depends on works (kernel rules, firewall sync, store,
   * capture), and the failures since start: firewall changes the kernel refused (each
   * answered by a rebuild) and rebuilds that failed too; store writes that failed.
   */
  protection?(): {
    up: Record<string, boolean>;
    firewallFailures: { change: number; reconcile: number };
    storeFailures: number;
  };
  /** OBSERVE: the rules whose verdicts are only reported ('all' = every rule). */
  observe?(): readonly string[];
  /** What waits for the store writer thread and the rows it shed over budget (null: no writer thread). */
  writer?(): StoreBacklog | null;
  /** Shared blocklists (issue 15 item 5): live entries, last download taken, whether the last run was. */
  feeds?(): Array<{ name: string; entries: number; lastSuccess: number | null; ok: boolean }>;
}

/** Detection's counters since the daemon started (the daemon's pipeline keeps them across reloads). */
export interface DetectionCounts {
  failures: number;
  challenges: number;
  probes: number;
  blockedPackets: number;
  renewals: number;
  trackedAddresses: number;
  verdicts: Record<string, number>;
}

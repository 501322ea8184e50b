/**
 * The Admin port: everything an administrator can do, with the records its answers carry
 * (status, check, dynamic blocks). Implemented by admin/local-admin.ts (files and store,
 * with the daemon's live hooks when it runs) and admin/http-admin.ts (over the socket).
 */

import type { Alert } from '../core/detect/alerts.js';
import type { HistoryEvent } from '../core/history/events.js';
import type { HistoryFilter } from '../core/history/query.js';
import type { ChangeResult, ImportResult, RemoveResult } from '../core/lists/lists.js';
import type { BlockRecord, ListEntry, ListName } from '../core/types.js';
import type { FeedMatch } from './feeds.js';

export type { ChangeResult, ImportResult, RemoveResult };

/**
 * Everything an administrator can do, whoever asks: the CLI (directly on files and
 * store when the daemon is down, over the daemon's Unix socket when it runs) and the
 * web UI (over HTTP). One interface, so the three paths cannot drift apart.
 */
export interface Admin {
  status(): Promise<StatusReport>;
  check(ip: string): Promise<CheckResult>;
  listEntries(name: ListName): Promise<ListEntry[]>;
  addEntries(name: ListName, entries: ListEntry[], opts?: ChangeOptions): Promise<ChangeResult>;
  removeEntries(name: ListName, networks: string[], opts?: ChangeOptions): Promise<RemoveResult>;
  removeAll(name: ListName, opts?: ChangeOptions): Promise<RemoveResult>;
  importCsv(
    name: ListName,
    csv: string,
    opts: { skipInvalid: boolean } & ChangeOptions,
  ): Promise<ImportResult>;
  exportCsv(name: ListName): Promise<string>;
  dynamicBlocks(): Promise<DynamicBlock[]>;
  /** Every live entry of the shared blocklists (empty without feeds). */
  feedEntries(): Promise<FeedMatch[]>;
  unblock(ip: string, opts?: ChangeOptions): Promise<{ ip: string; wasBlocked: boolean }>;
  /** A page of the history (newest first); `page` is the previous answer's `next`. */
  history(q: HistoryRequest): Promise<HistoryAnswer>;
  /** Alerts not acknowledged yet (breach, distributed guessing, ...), oldest first. */
  alerts(): Promise<OpenAlert[]>;
  /** Acknowledges alerts by id, or all: gone from banner and status, one history event each. */
  acknowledgeAlerts(ids: number[] | 'all', opts?: ChangeOptions): Promise<{ acknowledged: number[] }>;
}

/**
 * An alert an admin has not acknowledged (admin/alert-board.ts): the same alert raised again
 * counts up on its entry.
 */
export interface OpenAlert {
  id: number;
  kind: Alert['kind'];
  /** First raised, last raised (epoch seconds), and how often in between. */
  at: number;
  lastAt: number;
  count: number;
  ip: string;
  user: string | null;
  dialled: string | null;
  failures: number;
  country: string | null;
  /** The sentence (from the network in part: escape where it goes). */
  text: string;
}

export interface HistoryRequest extends HistoryFilter {
  /** Events a page holds at most (1-1000). */
  limit: number;
  /** Where to go on: the `next` of the previous page (text, as URLs and the CLI carry it). */
  page?: string;
}

export interface HistoryAnswer {
  events: HistoryEvent[];
  /** The page after this one, or null at the end. A page may be short and still have one. */
  next: string | null;
}

/**
 * Every change that could cut someone off passes the one lock-out guard
 * (core/lists/lockout.ts): denying, removing allow entries, importing, countries.
 */
export interface ChangeOptions {
  /**
   * The address the change comes from (the web session's peer; the SSH client of a CLI
   * user), so a change cannot lock its admin out.
   */
  requester?: string | null;
  /** Go ahead despite the lock-out guard and the near-total-range check (CLI --force). */
  force?: boolean;
  /** Who makes the change, for the history (core/history/events.ts ACTORS); default `cli`. */
  actor?: string;
}

export interface StatusReport {
  counts: { allow: number; deny: number; dynamicPermanent: number; dynamicTemporary: number };
  daemon: { running: boolean; pid: number | null; startedAt: number | null };
  countries: { blocked: string[]; ranges: number; database: string | null };
  mail: { configured: boolean; message: string };
  configSource: string | null;
  /** Cluster mode: this host's id, the Redis state and the events waiting for it; null = single host. */
  cluster: ClusterSummary | null;
  /** Present while the daemon runs. */
  live?: LiveStats;
  /** Alerts not acknowledged yet (absent from older daemons). */
  alerts?: OpenAlert[];
  /**
   * OBSERVE: rules whose verdicts are reported ("would block") and never enforced; ['all']
   * = sipprot blocks nothing it detects. Empty: every rule enforced. Absent from older daemons.
   */
  observe?: string[];
}

export interface ClusterSummary {
  host: string;
  redis: 'connecting' | 'up' | 'down' | 'closed';
  outbox: number;
}

export interface LiveStats {
  /**
   * libpcap: frames received, dropped by the kernel before sipprot read them, and dropped
   * because sipprot's own capture ring was full (the decoder fell behind for too long).
   */
  capture: {
    received: number;
    dropped: number;
    ifDropped: number;
    ringDrops: number;
    /**
     * The capture thread's priority: the nice it has, the nice it asked for (-10), and why
     * the kernel refused (null: granted; no CAP_SYS_NICE and no RLIMIT_NICE allowing it).
     * Null until the thread has tried; absent from older daemons.
     */
    priority?: { nice: number; wanted: number; error: string | null } | null;
  } | null;
  hepReceived: number | null;
  /** HEP socket errors since the start and the last one's message (also logged); null without HEP_LISTEN. */
  hepErrors: { count: number; last: string | null } | null;
  sipMessages: number;
  /** Packets dropped by sipprot's nftables rules, by cause. */
  drops: Record<string, { packets: number; bytes: number }> | null;
  /**
   * How late the daemon's event loop ran (ms): p50, p99 and max of the last 10-second
   * window, and p99 and max over every sample since start. Packets wait in the capture
   * ring at most this long.
   */
  loopLag: LoopLagStats | null;
  /** Whether protection holds (issue 10 items 10, 13); absent from older daemons. */
  protection?: Protection;
  /** What waits for the store writer thread (null: commits on the event loop); absent from older daemons. */
  writer?: StoreBacklog | null;
}

/**
 * The store writer's backlog (daemon/store-writer-backlog.ts): staged turns the writer
 * thread has not committed yet, and the rows left out to keep them within the budget
 * (history first, then attacks and decisions; never a block).
 */
export interface StoreBacklog {
  /** Staged bytes not committed yet (waiting, or in the commit in flight). */
  bytes: number;
  /** The most that waited at once since start. */
  peakBytes: number;
  /** Turns staged and not committed yet. */
  turns: number;
  budgetBytes: number;
  /** Rows shed since start, by kind. */
  shed: { history: number; attacks: number; decisions: number };
  /** Whether new turns shed rows now. */
  shedding: boolean;
}

/** What would make a "BLOCKED" answer untrue: the kernel or the store not holding what sipprot decided. */
export interface Protection {
  /** The kernel's copy of sipprot's rules (null: not watched, e.g. a fake firewall). */
  kernel: {
    inSync: boolean;
    /** Times the rules vanished behind sipprot's back (nft flush ruleset, ...), and the last one. */
    losses: number;
    lastLoss: { at: number; reason: string } | null;
  } | null;
  /** Decisions in force in the kernel that the store has not taken yet (a full disk): retried. */
  store: { pending: number; failures: number; lastError: string | null; since: number | null };
  /** Whether the last firewall change or rebuild succeeded; failures since start (absent from older daemons). */
  firewall?: { inSync: boolean; failures: number; lastError: string | null };
  /** Whether packet capture runs; the error that stopped it (absent from older daemons). */
  capture?: { running: boolean; lastError: string | null };
}

export interface CheckResult {
  ip: string;
  /** Final word: is traffic from this address dropped by sipprot? */
  blocked: boolean;
  allow: ListEntry | null;
  deny: ListEntry | null;
  dynamic: DynamicBlock | null;
  country: string | null;
  countryBlocked: boolean;
  /** Shared blocklist entries holding the address: which feed, since when, until when. */
  feeds: FeedMatch[];
  /** One sentence per fact, in priority order (allow list first). */
  explanation: string[];
  /** The address's newest history events (at most 5), newest first: when and why it was blocked. */
  recent: HistoryEvent[];
}

export interface DynamicBlock extends BlockRecord {
  /** Seconds until the block lifts; null when permanent. */
  timeLeft: number | null;
}

/** A block as the admin views show it: with the whole seconds left (null = permanent). */
export function dynamicBlock(rec: BlockRecord, now: number): DynamicBlock {
  return { ...rec, timeLeft: rec.expiresAt === null ? null : Math.max(0, Math.ceil(rec.expiresAt - now)) };
}

/** How late the event loop ran (ms), as status shows it (daemon/loop-lag.ts measures it). */
export interface LoopLagStats {
  windowSeconds: number;
  p50: number;
  p99: number;
  max: number;
  /** p99 and max over every sample since the daemon started ("sipprotd started"). */
  p99SinceStart: number;
  maxSinceStart: number;
  /**
   * The most the loop was late while the daemon was starting (from the capture's start to
   * "sipprotd started"; also in the first window). Absent from older daemons.
   */
  startMax?: number;
}

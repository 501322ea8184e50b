/**
 * The cluster bus port (issue 14): the shared memory of a fleet of sipprot hosts. The Redis
 * adapter (src/cluster/redis-bus.ts) implements it for production, FakeClusterBus
 * (src/cluster/cluster.fake.ts) in memory for tests; cluster.contract.ts runs one suite
 * against both.
 *
 * Contract:
 * - `publish` appends events to one totally ordered stream and folds each into the snapshot
 *   with the merge rules of core/cluster/merge.ts, atomically per event: a reader never sees
 *   an entry the snapshot does not cover, nor the reverse. Publishing an event id again
 *   appends nothing and changes nothing (idempotent: an outbox re-sent after a lost
 *   acknowledgement is harmless); its result says `duplicate`. A block event of an episode
 *   that started before the fleet's manual unblock of that address is refused the same way
 *   (`stale`): a host that was away while the admin unblocked cannot bring the block back.
 * - The snapshot carries the manual-unblock tombstones and the horizon before which
 *   tombstones were pruned (`pruneTombstones`); heartbeats of hosts silent since a time go
 *   with `pruneHosts`. Both keep what Redis holds bounded by age.
 * - Stream ids are Redis ids (`<ms>-<seq>`), increasing; compare them with compareIds.
 *   `read(after)` returns entries with ids strictly greater, oldest first, waiting up to
 *   `blockMs` when there is none. Entries the bus cannot decode are returned with
 *   `event: null` and the reason (the caller counts and skips them).
 * - The stream is trimmed (approximately, to a few times the configured length): `missed(after)`
 *   is true when entries after `after` were trimmed away, and the reader must reload the
 *   snapshot (whose `covers` is the id of the last entry folded into it).
 * - `claim(job, holder, ttl)` is a lease: true for exactly one holder until ttl seconds pass
 *   (once-per-fleet jobs: the daily summary, the per-attack mail throttle, pruning).
 * - Times are passed in (heartbeats carry their own); the bus reads no clock except the
 *   lease TTLs and stream ids, which Redis owns.
 * - Failures (Redis down, refused, timed out) reject promptly (within a few seconds, never
 *   queued for later): the caller keeps its outbox and retries. `state()` says whether the
 *   bus is connected now, without I/O.
 */
import type { ClusterEvent } from '../core/cluster/events.js';
import type { FleetState, HostBlock } from '../core/cluster/merge.js';
import type { AttackRecord } from '../core/records.js';
import type { BlockRecord, ListEntry, ListName } from '../core/types.js';

export interface PublishResult {
  /** The stream id of the event (its first publish's id when a duplicate). */
  id: string;
  duplicate: boolean;
  /** A block of an episode the fleet lifted by hand after it started (core/cluster/merge.ts
   * isStale): refused, nothing appended or changed; `id` is the stream's last id. */
  stale: boolean;
  /** Block events: the fleet's escalation count of the address after this event. */
  escalation: number | null;
}

export interface StreamEntry {
  id: string;
  /** null when the entry failed validation (see reason). */
  event: ClusterEvent | null;
  reason?: string;
  /** Block events: the fleet escalation count after this event. */
  escalation: number | null;
}

export interface Snapshot {
  /** The id of the last stream entry folded in ('0-0' when none). */
  covers: string;
  fleet: FleetState;
  /** Snapshot entries that failed validation (skipped). */
  rejected: number;
}

/** What a host reports of itself every few seconds. */
export interface HostInfo {
  host: string;
  /** Epoch seconds of this report. */
  at: number;
  startedAt: number;
  version: string;
  /** The last stream id this host applied. */
  lastId: string;
  /** Events waiting in its outbox (not yet in Redis). */
  outbox: number;
  /** Entries it refused as malformed since it started. */
  rejected: number;
}

export interface StreamInfo {
  length: number;
  lastId: string;
}

export type BusState = 'connecting' | 'up' | 'down' | 'closed';

export interface ClusterBus {
  publish(events: readonly ClusterEvent[]): Promise<PublishResult[]>;
  read(after: string, opts: { count: number; blockMs: number }): Promise<StreamEntry[]>;
  missed(after: string): Promise<boolean>;
  snapshot(): Promise<Snapshot>;
  heartbeat(info: HostInfo): Promise<void>;
  hosts(): Promise<HostInfo[]>;
  streamInfo(): Promise<StreamInfo>;
  claim(job: string, holder: string, ttlSeconds: number): Promise<boolean>;
  /** Removes blocks expired by `now` from the snapshot; returns how many. */
  pruneExpired(now: number): Promise<number>;
  /** Removes tombstones (manual unblocks, removed list entries and recipients) written at or
   * before `before`, and raises the snapshot's `forgotBefore` to it; returns how many. */
  pruneTombstones(before: number): Promise<number>;
  /** Removes the heartbeats of hosts last heard at or before `before`; returns how many. */
  pruneHosts(before: number): Promise<number>;
  putGeoTable(sha256: string, bytes: Uint8Array): Promise<void>;
  getGeoTable(sha256: string): Promise<Uint8Array | null>;
  state(): BusState;
  /** Resolves true once connected (at once when up), false after `timeoutMs` without. */
  ready(timeoutMs: number): Promise<boolean>;
  /** Told on every change of state (up, down) with the reason. */
  onState(cb: (s: BusState, why: string) => void): void;
  close(): Promise<void>;
}

/** Orders two stream ids (`ms-seq`): negative, 0 or positive. */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

export interface ListApplied {
  refused: Array<[network: string, kept: string | null]>;
}

/**
 * What the cluster sync needs of the host it runs on (the daemon implements it). Contract:
 * - `adopt` and `unblock` go through the policy, exactly as a CLI or UI action does (one
 *   decision path): the kernel first, then the store, the live view and the history, with the
 *   decisions carrying the origin host. The allow list here still wins. Never awaits Redis.
 * - `applyList`, `applySettings`, `applyRecipients` write this host's files and store and
 *   apply the change at once; they never publish it again (the sync agrees on the version in
 *   memory first, and records it on disk once the change is durable here).
 * - Reads (`blocks`, `listEntries`, `settings`) are synchronous views of what is in force now.
 */
export interface ClusterHost {
  adopt(blocks: HostBlock[]): void;
  /** Lifts a block by hand on behalf of `from` (the peer host where the admin acted). */
  unblock(ip: string, forgetHistory: boolean, from: string): void;
  /** Raises this host's count toward BLOCK_THRESHOLD to the fleet's (never lowers it). */
  raiseEscalation(ip: string, n: number): void;
  /** Blocks in force here (dynamic and permanent), each with the host that decided it. */
  blocks(): HostBlock[];
  /** The policy's record of a block held here (for a block event's facts). */
  record(ip: string): BlockRecord | undefined;
  listEntries(name: ListName): ListEntry[];
  /**
   * A fleet change of a list: in force here (lists, kernel) before it is written to the list
   * file; resolves once the file holds it. What this host refused (its lock-out guard) comes
   * back with what it keeps instead: its note, or null when the network is not listed here.
   */
  applyList(name: ListName, set: ListEntry[], remove: string[]): Promise<ListApplied>;
  /** Fleet-wide settings in force, KEY → value as the config file writes it. */
  settings(): Map<string, string>;
  applySettings(values: Record<string, string>): Promise<void>;
  /** The keys of a peer's settings this host refuses (countries that would lock its admin out). */
  refusedSettings(values: Record<string, string>): Promise<string[]>;
  /** Lower-cased address → name ('' when none). */
  recipients(): Promise<Map<string, string>>;
  applyRecipients(set: Array<[string, string]>, remove: string[]): Promise<void>;
  /** Keeps a peer's attacks for the fleet's reports; must not hold the caller (a store commit
   * of its own on the event loop stalled the stream reader for seconds under a burst). */
  recordAttacks(attacks: AttackRecord[]): Promise<void>;
  /** The digest of this host's geo-IP table (null: the shipped one). */
  geoDigest(): Promise<string | null>;
  /** Loads the fleet's geo-IP table with this digest (fetched from Redis, checked, validated). */
  applyGeo(sha256: string): Promise<void>;
  /** Puts this host's updated geo-IP table into Redis and tells the fleet (nothing when shipped). */
  publishGeo(): Promise<void>;
}

/** One host's view of the cluster (`sipprot cluster status`, the API, the web UI). */
export interface ClusterStatus {
  host: string;
  redis: BusState;
  lastError: string | null;
  /** The stream id this host applied last, and the newest in Redis (null when unknown). */
  lastId: string;
  streamLastId: string | null;
  /** Milliseconds of stream time this host is behind (null when Redis is unreachable). */
  lagMs: number | null;
  outbox: number;
  rejected: number;
  applied: number;
  published: number;
  hosts: Array<HostInfo & { ageSeconds: number }>;
}

/**
 * The state store port: everything sipprot must remember across restarts. SQLite is the
 * default adapter; a Redis-backed cluster store implements the same interface later, so
 * every method is async even where SQLite answers synchronously.
 *
 * Shared guarantees (checked by store.contract.ts for every adapter):
 * - A write whose Promise resolved is committed: a kill -9 right after it loses nothing.
 * - Each method (and each `commit` batch) is atomic: after a crash either all of it or
 *   none of it is visible.
 * - Records handed in and out are copies; mutating them never changes the store.
 * - Times are epoch seconds (floats allowed), always passed in: the store never reads
 *   a clock, so tests and replays are deterministic.
 * - Time ranges are half-open: `from <= at < to`.
 * - Expected outcomes (nothing found, nothing to delete) are values (`null`, `false`,
 *   empty arrays). Failures someone must act on reject with a SipprotError:
 *   SP_ERR_STORE (database unusable, closed, newer schema), SP_ERR_PERMISSION
 *   (STATE_DIR not accessible), SP_ERR_ADDRESS_INVALID (bad e-mail address),
 *   SP_ERR_USAGE (a request the store cannot honour, e.g. mail without recipients).
 */

import type { BlockFilter, BlockKeyset, BlockSort } from '../core/block-view.js';
import type { NewHistoryEvent } from '../core/history/events.js';
import type { HistoryPage, HistoryQuery } from '../core/history/query.js';
import type {
  AttackRecord,
  AttackSummary,
  NewMail,
  NewWebhook,
  OutboxMail,
  OutboxWebhook,
  Recipient,
  SessionData,
  TimeRange,
} from '../core/records.js';
import type { BlockRecord, Decision } from '../core/types.js';

export interface BlockQuery {
  /** Only blocks in force at this time: permanent, or expiring strictly after it. */
  activeAt?: number;
  /** Only permanent blocks (expiresAt null). */
  permanentOnly?: boolean;
}

/** A page of the blocks in force (core/block-view.ts says the order and the match). */
export interface BlockPageQuery {
  /** Blocks in force at this time (as listBlocks' activeAt). */
  activeAt: number;
  sort: BlockSort;
  /** Rows strictly after this one in the order (the previous page's last row); absent: from the start. */
  after?: BlockKeyset;
  filter?: BlockFilter;
  /** At most this many rows (0: none, only the counts). */
  limit: number;
  /** Whether to count (a scan of every block in force: asked for on a first page only). */
  count?: boolean;
}

export interface BlockPage {
  blocks: BlockRecord[];
  /** Whether more rows match after the last one given. */
  more: boolean;
  /** With `count`: blocks in force, those matching the filter, those that look like a phone. */
  counts: { inForce: number; matched: number; phones: number } | null;
}

export interface BlockCounts {
  /** Blocks with expiresAt null. */
  permanent: number;
  /** Blocks that expire strictly after the time asked about. */
  temporary: number;
}

export interface DecisionQuery extends TimeRange {
  /** Only decisions about this address (exact text match). */
  ip?: string;
  /** At most this many, the newest ones. */
  limit?: number;
}

export interface AttackQuery extends TimeRange {
  /** At most this many, the newest ones. */
  limit?: number;
}

export interface SummaryQuery extends TimeRange {
  /** Length of the top-N lists (addresses, users, countries, user agents). Default 10. */
  top?: number;
  /** When set, `series` counts attacks per bucket of this many seconds from `from`. */
  bucketSeconds?: number;
}

/**
 * Several writes applied in one transaction (one fsync): the policy commits a block, its
 * decision, the attack and the escalation count together, and a burst of blocks can be
 * written as one batch. Applied in the order of the fields below.
 */
export interface StoreBatch {
  blocks?: BlockRecord[];
  deleteBlocks?: string[];
  incrementTimesBlocked?: Array<{ ip: string; at: number }>;
  decisions?: Decision[];
  attacks?: AttackRecord[];
  history?: NewHistoryEvent[];
}

export interface PruneRequest {
  /** Decisions, attacks, history, sent or abandoned mail and webhooks older than this are deleted (HISTORY_DAYS). */
  historyBefore: number;
  /** Sessions expired at this time are deleted. */
  now: number;
}

export interface PruneResult {
  decisions: number;
  attacks: number;
  history: number;
  mail: number;
  webhooks: number;
  sessions: number;
}

export interface Store {
  /**
   * Proves the store can be written now (for the daemon's start-up errors): performs a
   * real committed write. Rejects with SP_ERR_STORE / SP_ERR_PERMISSION naming the cause.
   */
  check(): Promise<void>;

  /** Inserts or replaces the dynamic block for `rec.ip`. */
  upsertBlock(rec: BlockRecord): Promise<void>;
  /** The block for this exact address text, or null (expired ones too, until expireBlocks). */
  getBlock(ip: string): Promise<BlockRecord | null>;
  /** Blocks matching every given filter, newest blockedAt first, then by address. */
  listBlocks(q?: BlockQuery): Promise<BlockRecord[]>;
  /**
   * The address and expiry of every block in force at `activeAt` (as listBlocks with
   * activeAt), in no set order: all the kernel needs, read first at start so the table is
   * loaded before the full records are (100k blocks: ~70 ms instead of ~300 ms).
   */
  blocksInForce(activeAt: number): Promise<Array<Pick<BlockRecord, 'ip' | 'expiresAt'>>>;
  /**
   * blocksInForce in chunks of at most `rows` (one snapshot for them all; each address
   * text at most once in all of them): a start hands each chunk to the kernel while it
   * reads the next (daemon/kernel-first.ts). The caller iterates to the end or stops
   * the iteration (break, return, a throw); until then the store does nothing else.
   */
  blocksInForceChunks(
    activeAt: number,
    rows: number,
  ): AsyncIterable<Array<Pick<BlockRecord, 'ip' | 'expiresAt'>>>;
  /**
   * One page of the blocks in force at `activeAt` that match the filter, in the order of
   * `sort` (ties by address), starting strictly after `after`: paging never gives a row
   * twice, and a row in force all along is given once. The live view's list (a flood's
   * 100k+ blocks are never read whole for it).
   */
  pageBlocks(q: BlockPageQuery): Promise<BlockPage>;
  /** Removes the block; false when there was none. Block counts (ip_stats) are kept. */
  deleteBlock(ip: string): Promise<boolean>;
  /**
   * Removes and returns every temporary block with expiresAt <= now (oldest expiry
   * first). Permanent blocks never expire. Atomic: a block is returned exactly once.
   */
  expireBlocks(now: number): Promise<BlockRecord[]>;
  /** Permanent blocks and temporary blocks still in force at `at`. */
  blockCounts(at: number): Promise<BlockCounts>;

  /** How many dynamic blocks this address has had; survives unblock and expiry. 0 if never. */
  timesBlocked(ip: string): Promise<number>;
  /** Every address's block count (the policy loads them at start for BLOCK_THRESHOLD). */
  allTimesBlocked(): Promise<Map<string, number>>;
  /** Adds one to the address's block count and returns the new count. */
  incrementTimesBlocked(ip: string, at: number): Promise<number>;

  /** Appends to the decision history (append-only). */
  recordDecision(d: Decision): Promise<void>;
  /** Decisions in the range, newest first (ties: last recorded first). */
  decisions(q: DecisionQuery): Promise<Decision[]>;

  /** Appends an attack event for reports. */
  recordAttack(a: AttackRecord): Promise<void>;
  /** Attack events in the range, newest first (ties: last recorded first). */
  attacks(q: AttackQuery): Promise<AttackRecord[]>;
  /** Aggregates attacks and decisions in the range (see AttackSummary). */
  attackSummary(q: SummaryQuery): Promise<AttackSummary>;

  /**
   * Appends to the history (append-only). Each event gets the next id; texts are bounded
   * (core/history/events.ts boundedEvent). Rejects SP_ERR_USAGE for an unknown kind or a
   * time that is not finite.
   */
  recordHistory(events: NewHistoryEvent[]): Promise<void>;
  /**
   * One page of the history, newest first, by the rules of core/history/query.ts: pages
   * follow one another through `next` and together give exactly the filtered history; a
   * page may be short (its walk reached `scan` rows) with a `next`; `next` is null only at
   * the end. Rejects SP_ERR_USAGE for a bad filter (address, network) or page size.
   */
  history(q: HistoryQuery): Promise<HistoryPage>;

  /** All atomically, in one transaction. */
  commit(batch: StoreBatch): Promise<void>;

  /** Recipients in the order they were added. */
  listRecipients(): Promise<Recipient[]>;
  /**
   * Adds a recipient, or updates the name of an existing one (matched ignoring case).
   * Rejects SP_ERR_ADDRESS_INVALID for a malformed address or a name with control chars.
   */
  addRecipient(email: string, name?: string | null): Promise<Recipient>;
  /** False when the address was not a recipient (matched ignoring case). */
  removeRecipient(email: string): Promise<boolean>;

  /**
   * Queues a mail (pending, due at createdAt) and returns its id. Ids increase. Rejects
   * SP_ERR_USAGE without recipients, SP_ERR_ADDRESS_INVALID for a bad one.
   */
  enqueueMail(m: NewMail): Promise<number>;
  /** Pending mail with nextAttemptAt <= now, oldest due first (then by id). */
  dueMail(now: number, limit?: number): Promise<OutboxMail[]>;
  getMail(id: number): Promise<OutboxMail | null>;
  /** Pending → sent. False when the id is unknown or not pending. */
  markMailSent(id: number, at: number): Promise<boolean>;
  /**
   * Records a failed attempt (attempts + 1, lastError). With nextAttemptAt the mail stays
   * pending and is due again then; with null it is abandoned and never due again.
   * False when the id is unknown or not pending.
   */
  markMailFailed(id: number, at: number, error: string, nextAttemptAt: number | null): Promise<boolean>;

  /**
   * Queues webhook messages (pending, due at createdAt) in one transaction; returns their
   * ids, increasing. Rejects SP_ERR_USAGE for a missing target, a body over 512 KiB or a
   * time that is not finite.
   */
  enqueueWebhooks(items: NewWebhook[]): Promise<number[]>;
  /** Pending webhook messages with nextAttemptAt <= now, oldest due first (then by id). */
  dueWebhooks(now: number, limit?: number): Promise<OutboxWebhook[]>;
  /** Pending → sent. False when the id is unknown or not pending. */
  markWebhookSent(id: number, at: number): Promise<boolean>;
  /** As markMailFailed: due again at nextAttemptAt, or abandoned with null. */
  markWebhookFailed(id: number, at: number, error: string, nextAttemptAt: number | null): Promise<boolean>;
  /** Mail and webhook messages still pending (due now or later), for status and metrics. */
  pendingCounts(): Promise<{ mail: number; webhooks: number }>;

  /** Small key/value state (admin password hash, geo-ip meta, last report date); null if unset. */
  getSetting(key: string): Promise<string | null>;
  /** Sets the value; null deletes the key. */
  setSetting(key: string, value: string | null): Promise<void>;

  /** Creates or replaces the session `id`. */
  createSession(id: string, data: SessionData, expiresAt: number): Promise<void>;
  /** The session's data while now < expiresAt; null when unknown or expired. */
  getSession(id: string, now: number): Promise<SessionData | null>;
  /** False when there was no such session. */
  deleteSession(id: string): Promise<boolean>;

  /** Retention: drops old history and expired sessions; returns what was deleted. */
  prune(req: PruneRequest): Promise<PruneResult>;

  /** Releases the store. Idempotent. Any other call afterwards rejects SP_ERR_STORE. */
  close(): Promise<void>;
}

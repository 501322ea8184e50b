/**
 * What the admin side (check, status, the API and web UI, metrics) may ask of the shared
 * blocklists (issue 15 item 5). Implemented by feeds/manager.ts in the daemon and by the
 * stored copies (feeds/store.ts) when the CLI runs without a daemon.
 *
 * Contract: answers are about live entries only (expired ones are gone); `lookup` walks
 * every entry (an admin question, never per packet); `update` runs the named feed (or all
 * enabled ones) now, one at a time, and resolves with the statuses afterwards: a failed
 * download is a status (`lastError`), never a rejection.
 */
import type { FeedType } from '../core/feeds/spec.js';
import type { FeedMatch } from '../core/feeds/state.js';

export type { FeedMatch };

export interface FeedStatus {
  name: string;
  type: FeedType;
  /** The URL or file (APIBAN's base URL: the key is never shown). */
  source: string;
  enabled: boolean;
  /** Seconds. */
  interval: number;
  ttl: number;
  max: number;
  /** Live entries. */
  entries: number;
  /** Epoch seconds; null = never. */
  lastSuccess: number | null;
  lastAttempt: number | null;
  nextRun: number | null;
  /** Why the last run was not taken (the entries in force stay), or null. */
  lastError: string | null;
  /** A remark on the last run that was taken (more entries than max), or null. */
  warning: string | null;
  /** Entries refused in the last run (special-purpose, too large), with a few reasons. */
  refused: number;
  refusedExamples: string[];
  /** Entries kept out of the kernel because they would drop a protected address. */
  held: number;
  running: boolean;
}

export interface FeedsView {
  status(): FeedStatus[];
  lookup(ip: string): FeedMatch[];
  /** Every live entry of every enabled feed (the blocklist export). */
  entries(): FeedMatch[];
  /**
   * A number that changes whenever entries() may answer otherwise than by expiry (a feed
   * updated, added, removed, enabled, disabled), unique in the process: the export hands
   * the entries to its thread only when it changed (expired ones it drops itself).
   * Optional: without it the entries are handed over on every export that includes feeds.
   */
  generation?(): number;
  /** Runs now; SP_ERR_NOT_FOUND for an unknown name. */
  update(name?: string): Promise<FeedStatus[]>;
}

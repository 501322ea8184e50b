/**
 * The list storage port: where the allow and deny lists live (today the two list files;
 * `src/lists/list-files.ts` implements it). The admin use cases (LocalAdmin) change lists
 * through it, the daemon reads them at start, on reload and after every change, and the
 * enforcer appends threshold-permanent addresses to the deny list.
 *
 * Contract:
 * - Reads are synchronous and never wait for a writer: a missing list is an empty list;
 *   lines that cannot be parsed are skipped by `read` and reported by `readDetailed`.
 * - Changes are asynchronous and serialised per list across processes (daemon, CLI): two
 *   concurrent changes never lose each other, and none stalls the caller's event loop.
 *   Every address is checked before anything is written (SP_ERR_ADDRESS_INVALID, nothing
 *   changed). A change lands whole or not at all (atomic replace): a crash leaves the old
 *   list or the new one.
 * - A change that finds nothing to do writes nothing (the file keeps its bytes and mtime).
 * - Failures: SP_ERR_LIST_IO (another writer held the list for 5 s, disk errors) or
 *   SP_ERR_PERMISSION; the list is then unchanged.
 */
import type { ChangeResult, ImportResult, ListParseResult, RemoveResult } from '../core/lists/lists.js';
import type { ListEntry, ListName } from '../core/types.js';

export type { ChangeResult, ImportResult, ListParseResult, RemoveResult };

export interface ListStorage {
  /** Where the list lives, for messages (a file path). */
  path(name: ListName): string;
  read(name: ListName): ListEntry[];
  /** The entries and every line that is not valid, with its number. */
  readDetailed(name: ListName): ListParseResult;
  /** The file's text as it is (null: no file); readDetailed parses the same. */
  readText(name: ListName): string | null;
  /** Adds entries; one already listed gets the new note (when that is not empty). */
  add(name: ListName, entries: ListEntry[]): Promise<ChangeResult>;
  remove(name: ListName, networks: string[]): Promise<RemoveResult>;
  /** Removes every entry; comments stay. */
  removeAll(name: ListName): Promise<RemoveResult>;
  /**
   * `network,note` CSV. With errors and without skipInvalid nothing is applied
   * (applied: false) and every bad line is reported; with skipInvalid the valid rows are
   * added and the bad ones still reported.
   */
  importCsv(name: ListName, csv: string, opts?: { skipInvalid?: boolean }): Promise<ImportResult>;
  exportCsv(name: ListName): string;
}

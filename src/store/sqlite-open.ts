/**
 * Opening the SQLite file: STATE_DIR 0700 and sipprot.db 0600 created if missing (16 KiB
 * pages), WAL and synchronous pragmas, a busy timeout for the CLI writing while the daemon
 * runs, and errors that name the file and say what to do (SP_ERR_STORE, SP_ERR_PERMISSION).
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isSipprotError, SipprotError } from '../core/errors.js';

export const DB_FILE = 'sipprot.db';

/**
 * The page size of a new database. 16 KiB instead of SQLite's 4 KiB: the store writer's
 * rows land at random keys in five b-trees (address keys, the history's address key and
 * users), and a commit writes every page it touched to the WAL; with 4x larger pages the
 * same rows touch fewer pages, with fewer WAL frames, checksums and b-tree levels (a flood
 * block's five rows in commits of 5,000: 43 -> 35 us of CPU; bench/RESULTS.md, helper
 * store5). A database made before keeps its 4 KiB: SQLite changes the page size of a WAL
 * database only by rewriting the whole file (VACUUM), which no start should do unasked.
 */
export const PAGE_SIZE = 16384;

/** The WAL is checkpointed when it holds this many bytes of pages (~16 MB of WAL file). */
export const WAL_CHECKPOINT_BYTES = 4000 * 4096;

export interface SqliteStoreOptions {
  /**
   * FULL (default) fsyncs the WAL on every commit: a resolved write survives power loss.
   * NORMAL survives a process crash (kill -9) but may lose the last commits on power loss.
   * Measured here (ext4 on a VM, Node 20): one-row commit 0.05 ms NORMAL vs 0.21 ms FULL;
   * 100-row batches 5 vs 10 us a row. Blocks are rare next to packets, so FULL costs
   * nothing that matters, and bursts go through Store.commit as one batch.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a writer waits for another process's lock before failing. Default 5000 ms. */
  busyTimeoutMs?: number;
}

/**
 * Creates STATE_DIR (0700) and the database file (0600) if missing, opens it and sets the
 * connection pragmas, without migrating. SqliteStore.open builds on it; upgrade tests use
 * it to make a database at an older schema version.
 */
export function openDatabase(
  stateDir: string,
  opts: SqliteStoreOptions = {},
): { db: Database.Database; file: string } {
  const file = join(stateDir, DB_FILE);
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    // The database holds the admin password hash and sessions: not for other users.
    closeSync(openSync(file, 'a', 0o600));
  } catch (e) {
    throw fsError(e, stateDir, file);
  }
  let db: Database.Database | null = null;
  try {
    const timeout = opts.busyTimeoutMs ?? 5000;
    db = new Database(file, { timeout });
    // Taken only by a file with no page yet (a new one); an existing file keeps its own.
    db.pragma(`page_size = ${PAGE_SIZE}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal') {
      throw new SipprotError('SP_ERR_STORE', `${file}: could not switch to WAL journal mode (got ${mode})`);
    }
    db.pragma(`synchronous = ${opts.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(timeout))}`);
    // The WAL is copied into the database every WAL_CHECKPOINT_BYTES (4,000 pages of 4 KiB,
    // 1,000 of 16 KiB) instead of SQLite's 1,000 pages: a page the live blocks touch in every
    // commit (the random leaves of the address indexes) is copied once per checkpoint, so
    // fewer checkpoints are fewer copies (bench/RESULTS.md, issue 13 "the cost of a block").
    // What a commit syncs is unchanged.
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.pragma(`wal_autocheckpoint = ${Math.max(1, Math.round(WAL_CHECKPOINT_BYTES / pageSize))}`);
    db.pragma('foreign_keys = ON');
    return { db, file };
  } catch (e) {
    db?.close();
    throw storeError(e, file, 'open');
  }
}

export function storeError(e: unknown, file: string, what: string): SipprotError {
  if (isSipprotError(e)) return e;
  const err = e as { code?: string; message?: string };
  const code = err.code ?? 'unknown';
  const hint =
    code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT'
      ? ': the file is damaged or not a sipprot database; move it aside (sipprot starts a new one) or restore a backup'
      : code === 'SQLITE_READONLY' || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_FULL'
        ? `: check that ${file} and its directory are writable and the disk has space`
        : code === 'SQLITE_BUSY'
          ? ': another process holds the database lock'
          : '';
  return new SipprotError(
    'SP_ERR_STORE',
    `state store ${file}: ${what} failed: ${err.message ?? String(e)}${hint}`,
    { cause: e, details: { file, code } },
  );
}

function fsError(e: unknown, dir: string, file: string): SipprotError {
  const code = (e as { code?: string }).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new SipprotError(
      'SP_ERR_PERMISSION',
      `cannot create or open ${file}: permission denied (STATE_DIR ${dir}; run as root or fix its owner)`,
      { cause: e, details: { file, code } },
    );
  }
  return new SipprotError(
    'SP_ERR_STORE',
    `cannot create or open ${file} (STATE_DIR ${dir}): ${(e as Error).message ?? String(e)}`,
    { cause: e, details: { file, code } },
  );
}

/**
 * Serialises the writers of one file (the daemon, the CLI, the web UI through the daemon)
 * so that two concurrent read-modify-write changes cannot lose each other.
 *
 * - Across processes: a lock file `<file>.lock` that holds its owner's PID. It is created
 *   whole (PID written to a temp file, then hard-linked to the lock name, which fails if
 *   the lock exists), so a lock file without a PID is never a live lock: it was left by a
 *   crash or a power loss and is taken over at once (issue 10 item 13: an empty leftover
 *   made every change fail for 30 s with "being changed by process 0").
 * - A lock whose owner is gone is taken over; one whose owner lives is waited for, up to
 *   `waitMs` (5 s), then SP_ERR_* "being changed by process N; try again". A lock older than
 *   `staleMs` (30 s: a change takes milliseconds) is taken over too: its PID was reused.
 * - Within this process: one queue a lock, so the daemon's own writers (the enforcer's
 *   deny-list appends, API changes) wait their turn without polling.
 * - Asynchronous throughout (a 20 ms timer between tries): a lock held by another process
 *   never stalls this one's event loop, where capture and decisions run.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { SipprotError, type SipprotErrorCode } from '../core/errors.js';
import { resolveTarget } from './atomic-write.js';
import { fileError } from './io-error.js';
import { isAlive } from './pid-file.js';

export interface FileLockOptions {
  /** The error code of the caller's domain (SP_ERR_LIST_IO for list files). */
  code: SipprotErrorCode;
  /** How long to wait for a live owner (default 5000 ms). */
  waitMs?: number;
  /** Age after which a lock is taken over whoever holds it (default 30000 ms). */
  staleMs?: number;
}

const WAIT_MS = 5000;
const STALE_MS = 30_000;
const POLL_MS = 20;

/** The tail of each lock's in-process queue. */
const queues = new Map<string, Promise<unknown>>();

/** Runs `fn` while holding the lock of `path`; the lock is released however `fn` ends. */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, opts: FileLockOptions): Promise<T> {
  const lock = `${await resolveTarget(path)}.lock`;
  const previous = queues.get(lock) ?? Promise.resolve();
  const run = previous.then(async () => {
    await acquire(lock, path, opts);
    try {
      return await fn();
    } finally {
      await unlink(lock).catch(() => undefined); // already gone
    }
  });
  const tail = run.catch(() => undefined);
  queues.set(lock, tail);
  void tail.then(() => {
    if (queues.get(lock) === tail) queues.delete(lock);
  });
  return run;
}

interface Holder {
  /** The PID written in the lock, or null when it holds none. */
  pid: number | null;
  ino: number;
  ageMs: number;
}

async function acquire(lock: string, path: string, opts: FileLockOptions): Promise<void> {
  const deadline = Date.now() + (opts.waitMs ?? WAIT_MS);
  for (;;) {
    if (await tryCreate(lock, path, opts.code)) return;
    const holder = await inspect(lock);
    if (holder === null) continue; // released between our try and our look
    if (isStale(holder, opts.staleMs ?? STALE_MS)) {
      await takeOver(lock, holder);
      continue;
    }
    if (Date.now() > deadline) {
      throw new SipprotError(opts.code, `${path} is being changed by process ${holder.pid}; try again`);
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** Creates the lock with our PID in it, whole; false when another lock is there. */
async function tryCreate(lock: string, path: string, code: SipprotErrorCode): Promise<boolean> {
  const tmp = `${lock}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(dirname(lock), { recursive: true });
    await writeFile(tmp, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
    await link(tmp, lock);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw fileError(code, 'lock', path, e);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

async function inspect(lock: string): Promise<Holder | null> {
  try {
    const [text, st] = await Promise.all([readFile(lock, 'utf8'), stat(lock)]);
    const pid = Number(text.trim());
    return {
      pid: Number.isInteger(pid) && pid > 1 ? pid : null,
      ino: st.ino,
      ageMs: Date.now() - st.mtimeMs,
    };
  } catch {
    return null;
  }
}

function isStale(h: Holder, staleMs: number): boolean {
  // Our own PID: the in-process queue means we do not hold it, so it is a leftover.
  return h.pid === null || h.pid === process.pid || !isAlive(h.pid) || h.ageMs > staleMs;
}

/**
 * Moves the stale lock aside by rename (atomic: of two processes taking over the same
 * lock, one gets it, the other finds nothing to move). Should the rename have caught a
 * fresh lock that replaced the stale one meanwhile (another inode), it is put back.
 */
async function takeOver(lock: string, stale: Holder): Promise<void> {
  const aside = `${lock}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await rename(lock, aside);
  } catch {
    return; // someone else moved or released it
  }
  try {
    if ((await stat(aside)).ino !== stale.ino) await link(aside, lock).catch(() => undefined);
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}

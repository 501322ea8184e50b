/**
 * The daemon's PID file (STATE_DIR/sipprotd.pid): one running sipprotd per state
 * directory. `sipprotd start|stop|status` and the CLI read it to find the daemon; the file
 * lock reads the same liveness test for the owner of a list lock. A PID file whose process
 * is gone (a crash, a reboot) is stale and is taken over, never an error.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { SipprotError } from '../core/errors.js';

/**
 * How long a daemon may take from claiming its PID file to serving its socket: it opens the
 * store, checks nft, reads lists and geo-IP, restores its blocks into the kernel (1M + 1M:
 * ~6.5 s on 2 quiet cores, more on a loaded host) and warms up. `sipprotd start` waits this
 * long, and so does a command issued meanwhile: both give a starting daemon the same time.
 */
export const START_BUDGET_MS = 30_000;

/** Whether a process with this PID exists (EPERM: it exists but belongs to another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running daemon's PID, or null when the file is missing, stale or unreadable. */
export function readPid(path: string): number | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
  const pid = Number(text);
  if (!Number.isInteger(pid) || pid <= 1) return null;
  return isAlive(pid) ? pid : null;
}

/**
 * Claims the PID file for this process. A live owner means "already running" (an error
 * the admin must see); a stale file left by a crash is taken over.
 */
export function claimPidFile(path: string): void {
  const owner = readPid(path);
  if (owner !== null && owner !== process.pid) {
    throw new SipprotError('SP_ERR_DAEMON_RUNNING', `sipprotd is already running (pid ${owner}, ${path})`);
  }
  try {
    unlinkSync(path);
  } catch {
    // nothing to remove
  }
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o644);
  } catch (e) {
    throw new SipprotError(
      'SP_ERR_DAEMON_RUNNING',
      `cannot create ${path}: ${(e as Error).message} (another sipprotd starting at the same time?)`,
      { cause: e },
    );
  }
  writeSync(fd, `${process.pid}\n`);
  closeSync(fd);
}

/** Removes the PID file if this process owns it (a successor's file is left alone). */
export function releasePidFile(path: string): void {
  if (readPid(path) === process.pid) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
}

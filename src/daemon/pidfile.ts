import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { SipprotError } from '../core/errors.js';

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

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
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
    );
  }
  writeSync(fd, `${process.pid}\n`);
  closeSync(fd);
}

export function releasePidFile(path: string): void {
  if (readPid(path) === process.pid) {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  }
}

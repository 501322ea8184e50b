/**
 * Files sipprot trusts as the admin's word (sipprot.conf, the allow and deny lists) must
 * be writable by the admin only: a line in the allow list exempts an address from every
 * drop, a config line can point the daemon (root) anywhere. So a file that anyone may
 * write, or that sits in a directory where anyone may replace it, is refused with a
 * message saying what to run, instead of being trusted silently (issue 10 item 15).
 *
 * The rules, on the file and on the directory that holds it (what `ls -ld` shows):
 * - the file is world-writable (o+w)                       → refused
 * - the directory is world-writable without the sticky bit → refused (anyone may
 *   rename another file over it)
 * - the directory is world-writable with the sticky bit (/tmp) and the file belongs to
 *   neither root nor the user running sipprot             → refused (anyone could have
 *   planted it before the admin wrote it)
 * A missing file is no problem here (a missing list is an empty list; the config loader
 * reports a missing config itself).
 */
import { type Stats, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SipprotError } from '../core/errors.js';

const WORLD_WRITE = 0o002;
const STICKY = 0o1000;

function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Why `path` must not be trusted, or null when it is safe (or missing). */
export function unsafeFileReason(path: string): string | null {
  const file = statOrNull(path);
  if (file === null) return null;
  const full = resolve(path);
  if (file.mode & WORLD_WRITE) {
    return `${full} is writable by every user (mode ${octal(file.mode)}): run chmod o-w ${full}`;
  }
  const dir = dirname(full);
  const d = statOrNull(dir);
  if (d === null || !(d.mode & WORLD_WRITE)) return null;
  if (!(d.mode & STICKY)) {
    return (
      `${full} is in ${dir}, a directory every user may write (mode ${octal(d.mode)}): ` +
      `anyone could replace the file; move it, or run chmod o-w ${dir}`
    );
  }
  const me = typeof process.getuid === 'function' ? process.getuid() : 0;
  if (file.uid !== 0 && file.uid !== me) {
    return (
      `${full} belongs to uid ${file.uid} and is in ${dir}, a directory every user may write: ` +
      'anyone could have planted it; move it to a directory only root can write'
    );
  }
  return null;
}

/** Throws SP_ERR_PERMISSION naming the file and what to run when `path` is unsafe. */
export function assertSafeFile(path: string, what: string): void {
  const why = unsafeFileReason(path);
  if (why) throw new SipprotError('SP_ERR_PERMISSION', `refusing to trust ${what}: ${why}`);
}

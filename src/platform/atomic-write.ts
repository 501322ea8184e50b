/**
 * Atomic replace of a whole file (list files, sipprot.conf): temp file in the same
 * directory, fsync, rename over the target, fsync of the directory. A crash or power
 * loss leaves either the old file or the new one, never a torn or empty one (the list
 * test kills a writer of a 20,000-line file with SIGKILL mid-write to prove it).
 * Asynchronous, so a slow disk never stalls the daemon's event loop (capture runs there).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { SipprotErrorCode } from '../core/errors.js';
import { fileError } from './io-error.js';

/** The file a path finally names (lists may be symlinks into config management). */
export async function resolveTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    return path;
  }
}

export interface AtomicWriteOptions {
  /** Mode of a new file (default 0644); an existing file keeps its mode and owner. */
  mode?: number;
  /** The error code of the caller's domain when the write fails (not a permission problem). */
  code: SipprotErrorCode;
}

/**
 * Replaces `path` (through symlinks) with `data`. Keeps an existing file's mode (and, when
 * run as root, its owner); a new file gets `opts.mode`. Throws SipprotError `opts.code` or
 * SP_ERR_PERMISSION; the old file is then untouched and no temp file is left.
 */
export async function writeFileAtomic(path: string, data: string, opts: AtomicWriteOptions): Promise<void> {
  const target = await resolveTarget(path);
  const dir = dirname(target);
  let mode = opts.mode ?? 0o644;
  let owner: { uid: number; gid: number } | null = null;
  try {
    const st = await stat(target);
    mode = st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
  } catch {
    // A new file.
  }
  const tmp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    const fh = await open(tmp, 'wx', mode);
    try {
      await fh.writeFile(data, 'utf8');
      if (owner && process.getuid?.() === 0) await fh.chown(owner.uid, owner.gid);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => undefined); // nothing was created
    throw fileError(opts.code, 'write', target, e);
  }
  try {
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself has happened.
  }
}

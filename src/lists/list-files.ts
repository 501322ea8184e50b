/**
 * The allow and deny list files on disk. Every change is read-modify-write under a lock
 * file and lands with an atomic replace (temp file in the same directory, fsync, rename,
 * fsync of the directory): a crash or power loss leaves either the old list or the new
 * one, never a torn or empty file. Comments, blank lines and lines sipprot cannot parse
 * are kept as they are when the file is rewritten.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fchownSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SipprotError } from '../core/errors.js';
import {
  type ChangeResult,
  cleanNote,
  formatListLine,
  type ImportResult,
  type ListParseResult,
  parseCsv,
  parseListFile,
  parseListLine,
  type RemoveResult,
  toCsv,
} from '../core/lists/lists.js';
import { checkNetwork } from '../core/net/ip.js';
import type { ListEntry, ListName } from '../core/types.js';

export type { ChangeResult, ImportResult, RemoveResult };

export interface ListPaths {
  allow: string;
  deny: string;
}

const HEADERS: Record<ListName, string> = {
  allow: 'sipprot allow list: these addresses are never blocked (the allow list beats every other list).',
  deny: 'sipprot deny list: these addresses are always blocked.',
};
const FORMAT_HELP = '# One address or CIDR network a line, then an optional note. # starts a comment.';

function ioError(what: string, path: string, e: unknown): SipprotError {
  const err = e as NodeJS.ErrnoException;
  const code = err?.code ?? '';
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new SipprotError('SP_ERR_PERMISSION', `cannot ${what} ${path}: ${err.message} (run as root?)`);
  }
  return new SipprotError('SP_ERR_LIST_IO', `cannot ${what} ${path}: ${err?.message ?? String(e)}`);
}

/** The file a path finally names (lists may be symlinks into config management). */
function resolveTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Replaces `path` with `data` atomically. Keeps an existing file's mode (and, when run as
 * root, its owner); a new file gets `mode`.
 */
export function writeFileAtomic(path: string, data: string, opts: { mode?: number } = {}): void {
  const target = resolveTarget(path);
  const dir = dirname(target);
  let mode = opts.mode ?? 0o644;
  let owner: { uid: number; gid: number } | null = null;
  try {
    const st = statSync(target);
    mode = st.mode & 0o7777;
    owner = { uid: st.uid, gid: st.gid };
  } catch {
    // A new file.
  }
  const tmp = join(dir, `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(tmp, 'wx', mode);
    try {
      const buf = Buffer.from(data, 'utf8');
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      if (owner && process.getuid?.() === 0) fchownSync(fd, owner.uid, owner.gid);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing was created.
    }
    throw ioError('write', target, e);
  }
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself has happened.
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const LOCK_WAIT_MS = 5000;
const LOCK_STALE_MS = 30000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Serialises writers (daemon, CLI, UI) of one list file with an O_EXCL lock file, so two
 * concurrent changes cannot lose each other. A lock left by a dead process is taken over.
 */
function withLock<T>(path: string, waitMs: number, fn: () => T): T {
  const lock = `${resolveTarget(path)}.lock`;
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      mkdirSync(dirname(lock), { recursive: true });
      const fd = openSync(lock, 'wx', 0o644);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError('lock', path, e);
      let holder = 0;
      try {
        holder = Number(readFileSync(lock, 'utf8').trim()) || 0;
        const age = Date.now() - statSync(lock).mtimeMs;
        if ((holder && !pidAlive(holder)) || age > LOCK_STALE_MS) {
          unlinkSync(lock);
          continue;
        }
      } catch {
        continue; // The holder just released it.
      }
      if (Date.now() > deadline) {
        throw new SipprotError('SP_ERR_LIST_IO', `${path} is being changed by process ${holder}; try again`);
      }
      Atomics.wait(sleeper, 0, 0, 20);
    }
  }
  try {
    return fn();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // Already gone.
    }
  }
}

function validate(networks: string[]): string[] {
  const out: string[] = [];
  const bad: string[] = [];
  for (const n of networks) {
    const r = checkNetwork(String(n));
    if (r.ok) out.push(r.network.text);
    else bad.push(r.reason);
  }
  if (bad.length) {
    throw new SipprotError('SP_ERR_ADDRESS_INVALID', `not an address or network: ${bad.join('; ')}`, bad);
  }
  return out;
}

export class ListFiles {
  private readonly lockWaitMs: number;

  constructor(
    private readonly paths: ListPaths,
    opts: { lockWaitMs?: number } = {},
  ) {
    this.lockWaitMs = opts.lockWaitMs ?? LOCK_WAIT_MS;
  }

  path(name: ListName): string {
    return name === 'allow' ? this.paths.allow : this.paths.deny;
  }

  /** The list's entries (a missing file is an empty list); lines it cannot parse are skipped. */
  read(name: ListName): ListEntry[] {
    return this.readDetailed(name).entries;
  }

  /** The entries and every line that is not valid, with its number. */
  readDetailed(name: ListName): ListParseResult {
    return parseListFile(this.readText(name) ?? '');
  }

  /**
   * Adds entries; an entry for a network already listed updates its note (when the new
   * note is not empty). Every address is checked before anything is written.
   */
  add(name: ListName, entries: ListEntry[]): ChangeResult {
    const networks = validate(entries.map((e) => e.network));
    const wanted = entries.map((e, i) => ({ network: networks[i]!, note: cleanNote(String(e.note ?? '')) }));
    return withLock(this.path(name), this.lockWaitMs, () => this.apply(name, wanted));
  }

  remove(name: ListName, networks: string[]): RemoveResult {
    const wanted = validate(networks);
    return withLock(this.path(name), this.lockWaitMs, () => {
      const lines = this.lines(name);
      const drop = new Set(wanted);
      const present = new Set<string>();
      const kept = lines.filter((line) => {
        const p = parseListLine(line);
        if (p.kind !== 'entry' || !drop.has(p.entry.network)) return true;
        present.add(p.entry.network);
        return false;
      });
      const unique = [...new Set(wanted)];
      if (present.size) this.write(name, kept);
      return {
        removed: unique.filter((n) => present.has(n)),
        missing: unique.filter((n) => !present.has(n)),
      };
    });
  }

  /** Removes every entry; comments stay. */
  removeAll(name: ListName): RemoveResult {
    return withLock(this.path(name), this.lockWaitMs, () => {
      const lines = this.lines(name);
      const removed: string[] = [];
      const kept = lines.filter((line) => {
        const p = parseListLine(line);
        if (p.kind === 'entry') removed.push(p.entry.network);
        return p.kind !== 'entry';
      });
      if (removed.length) this.write(name, kept);
      return { removed: [...new Set(removed)], missing: [] };
    });
  }

  /**
   * Imports `network,note` CSV. With errors and without skipInvalid nothing is applied
   * (applied: false) and every bad line is reported; with skipInvalid the valid rows are
   * added and the bad ones still reported.
   */
  importCsv(name: ListName, text: string, opts: { skipInvalid?: boolean } = {}): ImportResult {
    const parsed = parseCsv(text);
    if (parsed.errors.length && !opts.skipInvalid) {
      return { added: [], updated: [], errors: parsed.errors, applied: false };
    }
    const r = parsed.entries.length
      ? withLock(this.path(name), this.lockWaitMs, () => this.apply(name, parsed.entries))
      : { added: [], updated: [] };
    return { ...r, errors: parsed.errors, applied: true };
  }

  exportCsv(name: ListName): string {
    return toCsv(this.read(name));
  }

  private apply(name: ListName, wanted: ListEntry[]): ChangeResult {
    const lines = this.lines(name);
    const at = new Map<string, { index: number; entry: ListEntry; comment: string }>();
    lines.forEach((line, index) => {
      const p = parseListLine(line);
      if (p.kind === 'entry' && !at.has(p.entry.network)) at.set(p.entry.network, { index, ...p });
    });
    const added: ListEntry[] = [];
    const updated: ListEntry[] = [];
    for (const e of wanted) {
      const cur = at.get(e.network);
      if (!cur) {
        const entry = { network: e.network, note: e.note };
        at.set(e.network, { index: lines.length, entry, comment: '' });
        lines.push(formatListLine(entry));
        added.push(entry);
      } else if (e.note && e.note !== cur.entry.note) {
        cur.entry = { network: e.network, note: e.note };
        lines[cur.index] = formatListLine(cur.entry, cur.comment);
        const prevAdded = added.findIndex((a) => a.network === e.network);
        if (prevAdded >= 0) added[prevAdded] = cur.entry;
        else updated.push(cur.entry);
      }
    }
    if (added.length || updated.length) this.write(name, lines);
    return { added, updated };
  }

  private readText(name: ListName): string | null {
    const path = this.path(name);
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw ioError('read', path, e);
    }
  }

  /** The file's lines; a new file starts with a header explaining the format. */
  private lines(name: ListName): string[] {
    const text = this.readText(name);
    if (text === null) return [`# ${HEADERS[name]}`, FORMAT_HELP];
    const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
    if (lines.at(-1) === '') lines.pop();
    return lines;
  }

  private write(name: ListName, lines: string[]): void {
    writeFileAtomic(this.path(name), lines.length ? `${lines.join('\n')}\n` : '');
  }
}

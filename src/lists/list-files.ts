/**
 * The allow and deny list files on disk (the ListStorage port, ports/lists.ts). Every
 * change is read-modify-write under the list's file lock and lands with an atomic replace
 * (platform/): a crash or power loss leaves either the old list or the new one, never a
 * torn or empty file. Comments, blank lines and lines sipprot cannot parse are kept as
 * they are when the file is rewritten. Changes are asynchronous: waiting up to 5 s for
 * another process's lock never blocks the daemon's event loop.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { SipprotError } from '../core/errors.js';
import { entryRefusal } from '../core/lists/entries.js';
import { parseCsv, toCsv } from '../core/lists/list-csv.js';
import {
  type ChangeResult,
  cleanNote,
  formatListLine,
  type ImportResult,
  type ListParseResult,
  parseListFile,
  parseListLine,
  type RemoveResult,
} from '../core/lists/lists.js';
import { checkNetwork } from '../core/net/ip.js';
import type { ListEntry, ListName } from '../core/types.js';
import { writeFileAtomic } from '../platform/atomic-write.js';
import { withFileLock } from '../platform/file-lock.js';
import { assertSafeFile } from '../platform/file-safety.js';
import { fileError } from '../platform/io-error.js';
import type { ListStorage } from '../ports/lists.js';

export interface ListPaths {
  allow: string;
  deny: string;
}

const HEADERS: Record<ListName, string> = {
  allow: 'sipprot allow list: these addresses are never blocked (the allow list beats every other list).',
  deny: 'sipprot deny list: these addresses are always blocked.',
};
const FORMAT_HELP = '# One address or CIDR network a line, then an optional note. # starts a comment.';

/** Canonical networks to add; a non-network or a never-a-source entry throws, naming each. */
function validate(networks: string[]): string[] {
  const out: string[] = [];
  const bad: string[] = [];
  for (const n of networks) {
    const r = checkNetwork(String(n));
    const refused = r.ok ? entryRefusal(r.network) : null;
    if (r.ok && !refused) out.push(r.network.text);
    else bad.push(r.ok ? `refused: ${refused!}` : `not an address or network: ${r.reason}`);
  }
  if (bad.length) {
    throw new SipprotError('SP_ERR_ADDRESS_INVALID', bad.join('; '), {
      details: bad,
    });
  }
  return out;
}

function canonical(networks: string[]): string[] {
  return networks.map((n) => {
    const r = checkNetwork(String(n));
    if (!r.ok) throw new SipprotError('SP_ERR_ADDRESS_INVALID', `not an address or network: ${r.reason}`);
    return r.network.text;
  });
}

export class ListFiles implements ListStorage {
  constructor(
    private readonly paths: ListPaths,
    /** How long a change waits for another process's lock (default 5000 ms). */
    private readonly opts: { lockWaitMs?: number } = {},
  ) {}

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
  async add(name: ListName, entries: ListEntry[]): Promise<ChangeResult> {
    const networks = validate(entries.map((e) => e.network));
    const wanted = entries.map((e, i) => ({ network: networks[i]!, note: cleanNote(String(e.note ?? '')) }));
    return this.locked(name, () => this.apply(name, wanted));
  }

  async remove(name: ListName, networks: string[]): Promise<RemoveResult> {
    // Removing takes any network, so an entry refused today (0.0.0.0 in an old file) can go.
    const wanted = canonical(networks);
    return this.locked(name, async () => {
      const lines = await this.lines(name);
      const drop = new Set(wanted);
      const present = new Set<string>();
      const kept = lines.filter((line) => {
        const p = parseListLine(line);
        if (p.kind !== 'entry' || !drop.has(p.entry.network)) return true;
        present.add(p.entry.network);
        return false;
      });
      const unique = [...new Set(wanted)];
      if (present.size) await this.write(name, kept);
      return {
        removed: unique.filter((n) => present.has(n)),
        missing: unique.filter((n) => !present.has(n)),
      };
    });
  }

  /** Removes every entry; comments stay. */
  removeAll(name: ListName): Promise<RemoveResult> {
    return this.locked(name, async () => {
      const lines = await this.lines(name);
      const removed: string[] = [];
      const kept = lines.filter((line) => {
        const p = parseListLine(line);
        if (p.kind === 'entry') removed.push(p.entry.network);
        return p.kind !== 'entry';
      });
      if (removed.length) await this.write(name, kept);
      return { removed: [...new Set(removed)], missing: [] };
    });
  }

  /**
   * Imports `network,note` CSV. With errors and without skipInvalid nothing is applied
   * (applied: false) and every bad line is reported; with skipInvalid the valid rows are
   * added and the bad ones still reported.
   */
  async importCsv(name: ListName, text: string, opts: { skipInvalid?: boolean } = {}): Promise<ImportResult> {
    const parsed = parseCsv(text);
    if (parsed.errors.length && !opts.skipInvalid) {
      return { added: [], updated: [], errors: parsed.errors, applied: false };
    }
    const r = parsed.entries.length
      ? await this.locked(name, () => this.apply(name, parsed.entries))
      : { added: [], updated: [] };
    return { ...r, errors: parsed.errors, applied: true };
  }

  exportCsv(name: ListName): string {
    return toCsv(this.read(name));
  }

  private locked<T>(name: ListName, fn: () => Promise<T>): Promise<T> {
    const waitMs = this.opts.lockWaitMs;
    return withFileLock(this.path(name), fn, { code: 'SP_ERR_LIST_IO', ...(waitMs ? { waitMs } : {}) });
  }

  private async apply(name: ListName, wanted: ListEntry[]): Promise<ChangeResult> {
    const lines = await this.lines(name);
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
    if (added.length || updated.length) await this.write(name, lines);
    return { added, updated };
  }

  /** The file's text as it is (null: no file); a safe file only. */
  readText(name: ListName): string | null {
    const path = this.path(name);
    // An allow list anyone may write exempts anyone: refused, with what to run (issue 10 item 15).
    assertSafeFile(path, `the ${name} list`);
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw fileError('SP_ERR_LIST_IO', 'read', path, e);
    }
  }

  /** The file's lines, read under the lock; a new file starts with a header explaining the format. */
  private async lines(name: ListName): Promise<string[]> {
    const path = this.path(name);
    assertSafeFile(path, `the ${name} list`);
    let text: string | null;
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw fileError('SP_ERR_LIST_IO', 'read', path, e);
      text = null;
    }
    if (text === null) return [`# ${HEADERS[name]}`, FORMAT_HELP];
    const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
    if (lines.at(-1) === '') lines.pop();
    return lines;
  }

  private write(name: ListName, lines: string[]): Promise<void> {
    const text = lines.length ? `${lines.join('\n')}\n` : '';
    return writeFileAtomic(this.path(name), text, { code: 'SP_ERR_LIST_IO' });
  }
}

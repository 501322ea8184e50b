/**
 * Allow and deny lists: the list-file format and the lookup that
 * decides whether an address is allowed, denied or neither. Pure: files are read and
 * written by src/lists/list-files.ts; CSV import/export is list-csv.ts.
 *
 * List file: one address or CIDR a line, then an optional note after whitespace.
 * `#` starts a comment at the start of a line or after whitespace (so `ticket#12` in a
 * note is text); a note that needs ` #` is written with `\#`.
 */
import { SipprotError } from '../errors.js';
import { u32be } from '../net/bytes.js';
import { type Address, canonicalV4Number, checkNetwork, type Network, parseAddress } from '../net/ip.js';
import { PrefixSet } from '../net/prefix-set.js';
import type { ListEntry } from '../types.js';
import { entryRefusal } from './entries.js';
import { hostLine } from './host-line.js';

export interface ListLineError {
  /** 1-based line number in the file. */
  line: number;
  text: string;
  message: string;
}

/** What adding entries changed. */
export interface ChangeResult {
  /** Entries that were not in the list before. */
  added: ListEntry[];
  /** Entries that were there already and got a new note. */
  updated: ListEntry[];
}

export interface RemoveResult {
  removed: string[];
  missing: string[];
}

export interface ImportResult extends ChangeResult {
  errors: ListLineError[];
  /** False when the CSV had errors and nothing was applied (skipInvalid not set). */
  applied: boolean;
}

export interface ListParseResult {
  entries: ListEntry[];
  errors: ListLineError[];
  /**
   * Each entry's network as parsed (same order as `entries`), when the parser kept it:
   * the lookup sets and the kernel load take them as they are instead of parsing 100k
   * entries again (issue 13: every entry was parsed five times at start).
   */
  networks?: Network[];
}

type ListLine =
  | { kind: 'blank' }
  | { kind: 'entry'; entry: ListEntry; comment: string; net: Network }
  | { kind: 'error'; message: string };

const MAX_NOTE = 500;

/**
 * Notes are one line of plain text: control characters (C0, DEL, C1), bidi overrides and Unicode line and
 * paragraph separators become spaces, so a note can never start a new line in the list
 * file or move a terminal's cursor; length is bounded.
 */
export function cleanNote(note: string): string {
  if (plainNote(note)) return note;
  return note
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]+/g, ' ')
    .trim()
    .slice(0, MAX_NOTE)
    .trim();
}

/**
 * A note cleanNote leaves as it is: printable ASCII, no space at either end, not too long
 * (a 1M-line list's notes: no regular expression over each).
 */
function plainNote(note: string): boolean {
  const n = note.length;
  if (n > MAX_NOTE || note.charCodeAt(0) === 32 || note.charCodeAt(n - 1) === 32) return false;
  for (let i = 0; i < n; i++) {
    const c = note.charCodeAt(i);
    if (c < 32 || c > 126) return false;
  }
  return true;
}

/** Index of the `#` that starts a comment, or -1. */
function commentStart(line: string): number {
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '#' && (i === 0 || /\s/.test(line[i - 1]!))) return i;
  }
  return -1;
}

/** One line of a list file. */
export function parseListLine(raw: string): ListLine {
  const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
  const cut = commentStart(line);
  const content = (cut < 0 ? line : line.slice(0, cut)).trim();
  if (content === '') return { kind: 'blank' };
  const comment = cut < 0 ? '' : line.slice(cut).trimEnd();
  const space = content.search(/\s/);
  const networkText = space < 0 ? content : content.slice(0, space);
  const note = space < 0 ? '' : content.slice(space).trim().replace(/\\#/g, '#');
  const r = fastHost(networkText) ?? checkNetwork(networkText);
  if (!r.ok) return { kind: 'error', message: r.reason };
  // Most lines carry no note: no regex work for them (100k lines at start).
  const clean = note === '' ? '' : cleanNote(note);
  return { kind: 'entry', entry: { network: r.network.text, note: clean }, comment, net: r.network };
}

/**
 * A canonical dotted quad (most of a big list) is its own canonical network text: its
 * number is read in one pass (canonicalV4Number), not through checkNetwork's general
 * parse, mask and formatting (~1 µs a line of the ~3 µs a 100k-line file took at start).
 * Anything else: null, and checkNetwork decides.
 */
function fastHost(text: string): { ok: true; network: Network } | null {
  const n = canonicalV4Number(text);
  if (n < 0) return null;
  const bytes = Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  return { ok: true, network: { family: 4, bytes, prefix: 32, text } };
}

/**
 * Merges entries for the same canonical network: the first position is kept, and the
 * latest non-empty note wins (adding an address again with a new note updates it).
 * `nets` (parallel to `entries`, when given) is merged the same way.
 */
export function mergeEntries(
  entries: ListEntry[],
  nets?: Network[],
): { entries: ListEntry[]; networks?: Network[] } {
  const byNetwork = new Map<string, number>();
  // An IPv4 host (most entries of a big list) by its number: a Map keyed by numbers costs
  // a third of one keyed by text (1M entries: ~0.17 s against ~0.55 s of CPU here).
  const byHost = new Map<number, number>();
  const out: ListEntry[] = [];
  const outNets: Network[] = [];
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const n = nets?.[i];
    const host = n && n.family === 4 && n.prefix === 32 ? u32be(n.bytes) : -1;
    const prev = host >= 0 ? byHost.get(host) : byNetwork.get(e.network);
    if (prev === undefined) {
      if (host >= 0) byHost.set(host, out.length);
      else byNetwork.set(e.network, out.length);
      out.push({ network: e.network, note: e.note });
      if (nets) outNets.push(nets[i]!);
    } else if (e.note) out[prev]!.note = e.note;
  }
  return nets ? { entries: out, networks: outNets } : { entries: out };
}

export function parseListFile(text: string): ListParseResult {
  const entries: ListEntry[] = [];
  const nets: Network[] = [];
  const errors: ListLineError[] = [];
  // Line by line in the text (no array of lines); a plain IPv4 host line (most of a big
  // list) through hostLine, every other line through parseListLine.
  let line = 0;
  for (let at = 0; at < text.length; ) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    line++;
    const host = hostLine(text, at, end);
    if (host) {
      entries.push(host.entry);
      nets.push(host.net);
    } else {
      const raw = text.slice(at, end);
      const parsed = parseListLine(raw);
      if (parsed.kind !== 'blank') {
        // A never-a-source entry (0.0.0.0, loopback, multicast) stays in the file, named and skipped.
        const message = parsed.kind === 'error' ? parsed.message : entryRefusal(parsed.net);
        if (message === null && parsed.kind === 'entry') {
          entries.push(parsed.entry);
          nets.push(parsed.net);
        } else if (message !== null) errors.push({ line, text: raw.replace(/\r$/, ''), message });
      }
    }
    at = end + 1;
  }
  // A list without repeats (the usual case) is its entries as read: no map, no copies.
  if (!hasRepeats(nets)) return { entries, networks: nets, errors };
  return { ...mergeEntries(entries, nets), errors };
}

/**
 * Whether two of `nets` are the same network (what mergeEntries would merge): IPv4 hosts
 * by number, sorted natively; the rest by canonical text.
 */
function hasRepeats(nets: readonly Network[]): boolean {
  const hosts = new Float64Array(nets.length);
  let count = 0;
  let others: Set<string> | null = null;
  for (const n of nets) {
    if (n.family === 4 && n.prefix === 32) hosts[count++] = u32be(n.bytes);
    else {
      others ??= new Set();
      if (others.has(n.text)) return true;
      others.add(n.text);
    }
  }
  const sorted = hosts.subarray(0, count).sort();
  for (let i = 1; i < count; i++) if (sorted[i] === sorted[i - 1]) return true;
  return false;
}

/** One entry as a list-file line (with an optional trailing comment, kept on rewrite). */
export function formatListLine(entry: ListEntry, comment = ''): string {
  const note = cleanNote(entry.note).replace(/(^|\s)#/g, '$1\\#');
  const line = note ? `${entry.network} ${note}` : entry.network;
  return comment ? `${line} ${comment}` : line;
}

export function formatListFile(entries: Iterable<ListEntry>, header?: string): string {
  const out: string[] = [];
  if (header) {
    for (const h of header.split('\n')) out.push(h.trim() ? `# ${h.trim()}` : '#');
  }
  for (const e of entries) out.push(formatListLine(e));
  return out.length ? `${out.join('\n')}\n` : '';
}

// ---- Lookup ----

type AccessStatus = 'allowed' | 'denied' | 'none';

interface AccessCheck {
  status: AccessStatus;
  /** The most specific allow entry containing the address. */
  allow?: ListEntry;
  /** The most specific deny entry containing the address (reported even when allowed). */
  deny?: ListEntry;
}

function buildSet(
  entries: Iterable<ListEntry>,
  which: string,
  nets?: readonly Network[],
): PrefixSet<ListEntry> {
  const set = new PrefixSet<ListEntry>();
  let i = 0;
  for (const e of entries) {
    // Parsed already (parseListFile keeps each entry's network): no second parse.
    let net = nets?.[i++];
    if (!net) {
      const r = checkNetwork(e.network);
      if (!r.ok) throw new SipprotError('SP_ERR_ADDRESS_INVALID', `${which} list: ${r.reason}`);
      net = r.network;
    }
    const prev = set.get(net);
    set.add(net, { network: net.text, note: e.note || prev?.note || '' });
  }
  return set;
}

/** A list as the parser returns it: entries, and each one's network when it kept them. */
export type ParsedEntries = Pick<ListParseResult, 'entries' | 'networks'>;

type Sets = { allow: PrefixSet<ListEntry>; deny: PrefixSet<ListEntry> };

/** The allow and deny lists together. The allow list beats the deny list. */
export class AccessLists {
  private built: Sets | null = null;
  /**
   * Parsed lists whose lookup sets are built at the first lookup: at start the kernel is
   * loaded from the networks alone, before anything looks an address up (100k entries:
   * the trie is ~0.1–0.2 s the table need not wait for).
   */
  private pending: { allow: Required<ParsedEntries>; deny: Required<ParsedEntries> } | null = null;

  /** `parsed`: each list's networks as the parser kept them, parallel to its entries. */
  constructor(
    allow: Iterable<ListEntry>,
    deny: Iterable<ListEntry>,
    parsed: { allow?: readonly Network[]; deny?: readonly Network[] } = {},
  ) {
    this.built = { allow: buildSet(allow, 'allow', parsed.allow), deny: buildSet(deny, 'deny', parsed.deny) };
  }

  /**
   * From parsed list files (each entry's network kept, entries merged by network): no
   * entry is parsed again, and the lookup sets wait for the first lookup.
   */
  static parsed(allow: ParsedEntries, deny: ParsedEntries): AccessLists {
    if (!allow.networks || !deny.networks) {
      return new AccessLists(allow.entries, deny.entries, { allow: allow.networks, deny: deny.networks });
    }
    const lists = new AccessLists([], []);
    lists.built = null;
    lists.pending = {
      allow: { entries: allow.entries, networks: allow.networks },
      deny: { entries: deny.entries, networks: deny.networks },
    };
    return lists;
  }

  private sets(): Sets {
    if (!this.built) {
      const p = this.pending!;
      this.built = {
        allow: buildSet(p.allow.entries, 'allow', p.allow.networks),
        deny: buildSet(p.deny.entries, 'deny', p.deny.networks),
      };
      this.pending = null;
    }
    return this.built;
  }

  get allowSize(): number {
    return this.pending ? this.pending.allow.entries.length : this.sets().allow.size;
  }

  get denySize(): number {
    return this.pending ? this.pending.deny.entries.length : this.sets().deny.size;
  }

  allowEntries(): ListEntry[] {
    return [...this.sets().allow.entries()].map((m) => m.value);
  }

  denyEntries(): ListEntry[] {
    return [...this.sets().deny.entries()].map((m) => m.value);
  }

  /** Each list's networks as parsed, in no set order (the kernel load takes them as they are). */
  networks(name: 'allow' | 'deny'): readonly Network[] {
    if (this.pending) return this.pending[name].networks;
    return [...this.sets()[name].entries()].map((m) => m.network);
  }

  /** Throws SP_ERR_ADDRESS_INVALID for text that is not a single IP address. */
  check(ip: string | Address): AccessCheck {
    // A canonical dotted quad (what the packet path hands in) is looked up by its number.
    const v4 = typeof ip === 'string' ? canonicalV4Number(ip) : -1;
    if (v4 >= 0) {
      const sets = this.sets();
      return checkOf(sets.allow.lookupV4(v4)?.value, sets.deny.lookupV4(v4)?.value);
    }
    const addr = typeof ip === 'string' ? parseAddress(ip) : ip;
    if (!addr) throw new SipprotError('SP_ERR_ADDRESS_INVALID', `'${ip}' is not an IPv4 or IPv6 address`);
    const sets = this.sets();
    return checkOf(sets.allow.lookup(addr)?.value, sets.deny.lookup(addr)?.value);
  }
}

function checkOf(allow: ListEntry | undefined, deny: ListEntry | undefined): AccessCheck {
  const status: AccessStatus = allow ? 'allowed' : deny ? 'denied' : 'none';
  const out: AccessCheck = { status };
  if (allow) out.allow = allow;
  if (deny) out.deny = deny;
  return out;
}

/**
 * Asking the history: filters, the page cursor, and the rules every store follows so that
 * a page costs the same at ten rows or a million (bench/history.bench.ts).
 *
 * - Order: newest first, by (at, id) descending. A cursor is the (at, id) of the last row
 *   a page looked at; the next page starts strictly older (keyset paging: no OFFSET).
 * - One filter drives the walk (driverOf: the first of DRIVERS the query has; `at` when
 *   none), the others are checked per row. A network or user-agent filter drives only
 *   when it is narrow (at most NARROW_MAX events in the whole history match it: a /24
 *   seen a few times, a rare phone model), because its rows come out of their index in
 *   address or name order and must be sorted; a wide one is checked per row instead.
 * - A page looks at no more than `scan` candidate rows: when a filter that does not drive
 *   finds fewer than `limit` events in them, the page comes back short with a cursor, and
 *   the caller asks again. So no page walks a million rows, and concatenating the pages
 *   gives exactly the filtered history.
 */
import { type Network, parseAddress, parseNetwork } from '../net/ip.js';
import type { DecisionReason } from '../types.js';
import type { HistoryEvent, HistoryKind } from './events.js';

export interface HistoryFilter {
  /** Events about exactly this address or network text (canonical). */
  subject?: string;
  /** Events whose address (or network's first address) lies in this network. */
  network?: string;
  kinds?: HistoryKind[];
  reason?: DecisionReason;
  /** ISO 3166 code, upper case. */
  country?: string;
  /** Case-insensitive part of the user agent. */
  userAgent?: string;
  /** One user/extension among the event's users. */
  user?: string;
  actor?: string;
  /** Inclusive, epoch seconds. */
  since?: number;
  /** Exclusive, epoch seconds. */
  until?: number;
}

export interface HistoryCursor {
  at: number;
  id: number;
}

export interface HistoryQuery extends HistoryFilter {
  /** Events a page holds at most (1-1000). */
  limit: number;
  /** Start strictly older than this (the previous page's `next`). */
  before?: HistoryCursor;
  /** Candidate rows a page looks at, at most (default DEFAULT_SCAN). */
  scan?: number;
}

export interface HistoryPage {
  events: HistoryEvent[];
  /** Where the next page starts; null at the end of the history. */
  next: HistoryCursor | null;
}

export const MAX_PAGE = 1000;
export const DEFAULT_SCAN = 20_000;

/** A network or user-agent filter matching at most this many events drives the walk. */
export const NARROW_MAX = 5000;

/** The filters an index serves, in the order a store prefers them to drive the walk. */
export const DRIVERS = ['subject', 'network', 'userAgent', 'user', 'country', 'reason', 'at'] as const;
export type HistoryDriver = (typeof DRIVERS)[number];

/**
 * How many events of the whole history match the network and user-agent filters, each
 * counted up to NARROW_MAX + 1 (the store counts them on their indexes before the page).
 */
export interface NarrowCounts {
  network?: number;
  userAgent?: number;
}

/** The filter that drives the walk for a query (every store picks the same). */
export function driverOf(q: HistoryFilter, counts: NarrowCounts = {}): HistoryDriver {
  for (const d of DRIVERS) {
    if (d === 'at') return d;
    if (q[d] === undefined) continue;
    if (d === 'network' || d === 'userAgent') {
      if ((counts[d] ?? Number.POSITIVE_INFINITY) <= NARROW_MAX) return d;
      continue;
    }
    return d;
  }
  return 'at';
}

/**
 * Where a walk starts: strictly older than both the cursor and `until` (`(until, 0)` is
 * "older than until": ids start at 1), so one (at, id) bound serves both.
 */
export function walkStart(q: Pick<HistoryQuery, 'before' | 'until'>): HistoryCursor {
  const end: HistoryCursor = { at: q.until ?? Number.MAX_VALUE, id: 0 };
  if (q.until === undefined) end.id = Number.MAX_SAFE_INTEGER;
  return q.before && olderThan(q.before, end) ? q.before : end;
}

/** The cursor as text for a URL or the command line: `AT_ID`. */
export function cursorText(c: HistoryCursor): string {
  return `${c.at}_${c.id}`;
}

export function parseCursor(text: string): HistoryCursor | null {
  const m = /^(\d{1,12}(?:\.\d{1,9})?)_(\d{1,15})$/.exec(text);
  return m ? { at: Number(m[1]), id: Number(m[2]) } : null;
}

/**
 * The 16-byte key of an address or of a network's first address, as 32 hex digits (IPv4
 * as ::ffff:a.b.c.d), so a network filter is one range on a sortable text. Null for
 * anything else (a settings event has no subject).
 */
export function subjectKey(subject: string | null): string | null {
  if (subject === null) return null;
  const net = parseNetwork(subject);
  return net ? hex16(net.bytes) : null;
}

/** The keys a network's addresses (and sub-networks) fall between, inclusive. */
export function networkKeys(text: string): { lo: string; hi: string } | null {
  const net = parseNetwork(text);
  if (!net) return null;
  const last = net.bytes.slice();
  for (let bit = net.prefix; bit < net.bytes.length * 8; bit++) last[bit >> 3]! |= 0x80 >> (bit & 7);
  return { lo: hex16(net.bytes), hi: hex16(last) };
}

function hex16(bytes: Uint8Array): string {
  const full = bytes.length === 4 ? Uint8Array.of(...new Array(10).fill(0), 0xff, 0xff, ...bytes) : bytes;
  return Array.from(full, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** The filter with its texts canonical (addresses, networks, country case), or why not. */
export function normalizeFilter<Q extends HistoryFilter>(
  q: Q,
): { ok: true; q: Q } | { ok: false; reason: string } {
  const out = { ...q };
  if (q.subject !== undefined) {
    const n = parseNetwork(q.subject);
    if (!n) return { ok: false, reason: `"${q.subject}" is not an address or network` };
    out.subject = n.text;
  }
  if (q.network !== undefined) {
    const n: Network | null = parseNetwork(q.network);
    if (!n) return { ok: false, reason: `"${q.network}" is not a network (e.g. 198.51.100.0/24)` };
    out.network = n.text;
  }
  if (q.country !== undefined) out.country = q.country.toUpperCase();
  return { ok: true, q: out };
}

/** Does the event pass every filter? (The stores' per-row check, written once for the fake.) */
export function matchesFilter(q: HistoryFilter, e: HistoryEvent): boolean {
  if (q.subject !== undefined && e.subject !== q.subject) return false;
  if (q.network !== undefined) {
    const range = networkKeys(q.network);
    const key = subjectKey(e.subject);
    if (!range || key === null || key < range.lo || key > range.hi) return false;
  }
  if (q.kinds !== undefined && !q.kinds.includes(e.kind)) return false;
  if (q.reason !== undefined && e.reason !== q.reason) return false;
  if (q.country !== undefined && e.country !== q.country) return false;
  if (q.userAgent !== undefined && !asciiLower(e.userAgent ?? '').includes(asciiLower(q.userAgent)))
    return false;
  if (q.user !== undefined && !e.users.includes(q.user)) return false;
  if (q.actor !== undefined && e.actor !== q.actor) return false;
  if (q.since !== undefined && e.at < q.since) return false;
  if (q.until !== undefined && e.at >= q.until) return false;
  return true;
}

/** A-Z → a-z only, as SQLite's lower(): the user-agent filter means the same in every store. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** Newest first: (at, id) descending. */
export function newerFirst(a: HistoryCursor, b: HistoryCursor): number {
  return b.at - a.at || b.id - a.id;
}

/** Is `e` strictly older than the cursor? */
export function olderThan(e: HistoryCursor, c: HistoryCursor | undefined): boolean {
  return c === undefined || e.at < c.at || (e.at === c.at && e.id < c.id);
}

/** An address for `sipprot history IP` (exact) or a network (CIDR): which filter it is. */
export function addressFilter(text: string): Pick<HistoryFilter, 'subject' | 'network'> | null {
  if (parseAddress(text)) return { subject: parseAddress(text)!.text };
  const n = parseNetwork(text);
  return n ? { network: n.text } : null;
}

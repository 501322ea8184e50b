/**
 * The Dynamic Denylist as the tab shows it: a window of the list — the first page in the
 * order and search asked (GET /api/dynamic/page), more pages on "Show more" — with the
 * counts of the whole list, kept current by the live `changes` (live.ts).
 *
 * Why a window: a flood's list is 52k–1M blocks; read whole it was a 19 MB event for 52k
 * and a table the browser choked on. The window holds what was asked for (100 rows a
 * page); a live block is a row only where it belongs in it (its place in the order is
 * before the window's last row, core/block-view.ts's order, the server's) and matches the
 * search; elsewhere it only counts. The counts move with each change at once and are
 * read again from the server a few seconds after a burst (what a change cannot tell: did
 * a lifted block not shown match the search?).
 *
 * Selection is by address, across pages: "all shown" selects the rows in the window;
 * "all matching" asks the server for every matching address (at most MAX_SELECT).
 */

import type { DynamicBlock, StreamEvent } from '../../src/api/types.js';
import {
  asciiLower,
  type BlockSortKey,
  blockMatches,
  compareBlocks,
  type DynamicPage,
  keysetOf,
  MAX_PAGE_ROWS,
  MAX_UNBLOCK,
  reasonsWorded,
  type SortDir,
  type Unblocks,
} from '../../src/api/wire/dynamic.js';
import { get, messageOf, post } from './api.js';
import { type LiveRow, live, liveRow } from './live.js';

export const PAGE = 100;
/** "Select all matching" takes at most this many addresses (the server's pages of 500). */
export const MAX_SELECT = 20_000;
/** Counts read again this long after the last change of a burst, at most once per COUNTS_EVERY_MS. */
const COUNTS_AFTER_MS = 1500;
const COUNTS_EVERY_MS = 5000;

export interface Query {
  sort: BlockSortKey;
  dir: SortDir;
  text: string;
  phones: boolean;
}
export type Counts = NonNullable<DynamicPage['counts']>;
/** The top of the list as read: its rows, where the next page starts, the counts. */
type Window = { blocks: DynamicBlock[]; next: string | null; counts: Counts | null };

function params(q: Query, extra: Record<string, string>): string {
  const p = new URLSearchParams({ sort: q.sort, dir: q.dir, ...extra });
  if (q.text.trim()) p.set('q', q.text.trim());
  if (q.phones) p.set('phones', 'true');
  return p.toString();
}

/** The search as the server reads it (core/block-view.ts): the same rows match here. */
function filterOf(q: Query) {
  const text = asciiLower(q.text.trim());
  return { text, textReasons: reasonsWorded(text), phonesOnly: q.phones };
}

export class DynamicList {
  query: Query = { sort: 'blockedAt', dir: 'desc', text: '', phones: false };
  rows: LiveRow[] = [];
  counts: Counts | null = null;
  next: string | null = null;
  loading: 'first' | 'more' | null = null;
  error: string | null = null;
  selected = new Set<string>();
  private byIp = new Map<string, LiveRow>();
  /** The rows the window may hold: pages asked × PAGE (live rows push the last ones out). */
  private room = PAGE;
  private asked = 0;
  private held: StreamEvent['changes'][] = [];
  /** Lifted here (the answer came first): their `unblocks` are no news to the counts. */
  private dropped = new Set<string>();
  private countsTimer: ReturnType<typeof setTimeout> | null = null;
  private lastCounts = 0;
  private readonly listeners = new Set<() => void>();
  private readonly offs: Array<() => void> = [];

  /**
   * Follows the live connection: reads the window at every `ready`. After a reconnect that
   * is the window as large as it was, in the order, search and filter asked: the stream
   * dropping (a proxy's idle timeout, a daemon restart) must not put an admin deep in a
   * flood's list back on its first page; what changed meanwhile is in what is read.
   */
  start(): void {
    this.offs.push(live.onReady(() => void this.reload(this.room)));
    this.offs.push(live.onChanges((c) => this.heard(c)));
    if (live.state === 'open') void this.reload();
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
    if (this.countsTimer) clearTimeout(this.countsTimer);
    this.asked++;
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get(ip: string): LiveRow | undefined {
    return this.byIp.get(ip);
  }

  private emit(): void {
    for (const fn of this.listeners) fn();
  }

  setQuery(change: Partial<Query>): void {
    this.query = { ...this.query, ...change };
    void this.reload();
  }

  /**
   * The window read again from the top: the first page (a new order or search), or `rows`
   * of them in pages the server allows (a reconnect). Only the last one asked fills.
   */
  async reload(rows = PAGE): Promise<void> {
    const ask = ++this.asked;
    this.loading = 'first';
    this.held = [];
    this.emit();
    try {
      const read = await this.readTop(rows, ask);
      if (read === null) return;
      this.room = Math.max(PAGE, rows);
      this.rows = read.blocks.map((b) => liveRow(b, false));
      this.byIp = new Map(this.rows.map((r) => [r.ip, r]));
      this.next = read.next;
      this.counts = read.counts;
      this.error = null;
      this.lastCounts = performance.now();
    } catch (e) {
      if (ask !== this.asked) return;
      this.error = messageOf(e);
    }
    this.loading = null;
    for (const c of this.held.splice(0)) this.apply(c);
    this.emit();
  }

  /** The first `rows` of the list (pages of at most MAX_PAGE_ROWS), or null once another read was asked. */
  private async readTop(rows: number, ask: number): Promise<Window | null> {
    const blocks: DynamicBlock[] = [];
    let counts: Counts | null = null;
    let next: string | null = null;
    do {
      const extra: Record<string, string> = { limit: String(Math.min(MAX_PAGE_ROWS, rows - blocks.length)) };
      if (next !== null) extra.after = next;
      const page: DynamicPage = await get<DynamicPage>(`/api/dynamic/page?${params(this.query, extra)}`);
      if (ask !== this.asked) return null;
      // The counts come with the first page only.
      counts ??= page.counts ?? null;
      blocks.push(...page.blocks);
      next = page.next;
    } while (next !== null && blocks.length < rows);
    return { blocks, next, counts };
  }

  /** The next page after the window's last row. */
  async more(): Promise<void> {
    if (this.next === null || this.loading !== null) return;
    const ask = this.asked;
    this.loading = 'more';
    this.emit();
    try {
      const page = await get<DynamicPage>(
        `/api/dynamic/page?${params(this.query, { limit: String(PAGE), after: this.next })}`,
      );
      if (ask !== this.asked) return;
      this.room += PAGE;
      for (const b of page.blocks) {
        if (this.byIp.has(b.ip)) continue; // arrived live meanwhile
        const r = liveRow(b, false);
        this.rows.push(r);
        this.byIp.set(r.ip, r);
      }
      this.next = page.next;
      this.error = null;
    } catch (e) {
      if (ask === this.asked) this.error = messageOf(e);
    }
    if (ask === this.asked) this.loading = null;
    this.emit();
  }

  private heard(c: StreamEvent['changes']): void {
    if (this.loading === 'first') this.held.push(c);
    else this.apply(c);
    this.emit();
  }

  /** One batch of live changes: rows in the window change, the rest only counts. */
  private apply({ blocks, added, unblocks }: StreamEvent['changes']): void {
    const fresh = new Set(added);
    const filter = filterOf(this.query);
    for (const b of blocks) {
      const old = this.byIp.get(b.ip);
      if (old) {
        this.replace(old, renewed(old, b));
        continue;
      }
      if (!fresh.has(b.ip)) continue; // a renewal of a row not shown
      const matches = blockMatches(b, filter);
      if (this.counts) {
        this.counts.inForce++;
        if (b.misconfiguredPhone) this.counts.phones++;
        if (matches) this.counts.matched++;
      }
      if (matches) this.insert(liveRow(b, true));
    }
    for (const { ip } of unblocks) this.lifted(ip);
    this.countsSoon();
  }

  private replace(old: LiveRow, row: LiveRow): void {
    const i = this.rows.indexOf(old);
    if (i >= 0) this.rows[i] = row;
    this.byIp.set(row.ip, row);
  }

  /** A new block where it belongs in the window (none when it sorts after the window's end). */
  private insert(row: LiveRow): void {
    const sort = { key: this.query.sort, dir: this.query.dir };
    const last = this.rows.at(-1);
    if (this.next !== null && (!last || compareBlocks(row, last, sort) > 0)) return;
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareBlocks(this.rows[mid]!, row, sort) < 0) lo = mid + 1;
      else hi = mid;
    }
    this.rows.splice(lo, 0, row);
    this.byIp.set(row.ip, row);
    // The window keeps its size: the last row goes, and the next page starts after the new last.
    while (this.rows.length > this.room) {
      const gone = this.rows.pop()!;
      this.byIp.delete(gone.ip);
      this.next = keysetOf(this.rows.at(-1)!, sort.key);
    }
  }

  private lifted(ip: string): void {
    this.selected.delete(ip);
    if (this.dropped.delete(ip)) return;
    const row = this.byIp.get(ip);
    if (this.counts) {
      this.counts.inForce = Math.max(0, this.counts.inForce - 1);
      if (row) {
        this.counts.matched = Math.max(0, this.counts.matched - 1);
        if (row.misconfiguredPhone) this.counts.phones = Math.max(0, this.counts.phones - 1);
      }
    }
    if (row) this.remove(row);
  }

  private remove(row: LiveRow): void {
    this.byIp.delete(row.ip);
    const i = this.rows.indexOf(row);
    if (i >= 0) this.rows.splice(i, 1);
  }

  /** The UI lifted these itself (its answer came); their live `unblocks` follow. */
  drop(ips: readonly string[]): void {
    for (const ip of ips) {
      this.lifted(ip);
      this.dropped.add(ip);
    }
    this.emit();
  }

  /** The counts read again, a moment after a burst (a change cannot tell everything). */
  private countsSoon(): void {
    if (this.countsTimer) clearTimeout(this.countsTimer);
    const wait = Math.max(COUNTS_AFTER_MS, this.lastCounts + COUNTS_EVERY_MS - performance.now());
    this.countsTimer = setTimeout(() => void this.readCounts(), wait);
  }

  private async readCounts(): Promise<void> {
    this.countsTimer = null;
    const ask = this.asked;
    this.lastCounts = performance.now();
    try {
      const page = await get<DynamicPage>(`/api/dynamic/page?${params(this.query, { limit: '0' })}`);
      if (ask !== this.asked || this.loading === 'first') return;
      this.counts = page.counts;
      this.emit();
    } catch {
      // The next change asks again; the counts shown stay.
    }
  }

  toggle(ip: string): void {
    if (!this.selected.delete(ip)) this.selected.add(ip);
    this.emit();
  }

  /** Every row shown selected, or (all of them already) none. */
  toggleShown(): void {
    const all = this.rows.length > 0 && this.rows.every((r) => this.selected.has(r.ip));
    this.selected = all ? new Set() : new Set(this.rows.map((r) => r.ip));
    this.emit();
  }

  clearSelection(): void {
    this.selected = new Set();
    this.emit();
  }

  /** Every address matching the search, from the server (at most MAX_SELECT). */
  async selectMatching(progress: (n: number) => void): Promise<number> {
    const ips: string[] = [];
    let after: string | null = null;
    do {
      const extra: Record<string, string> = { limit: String(MAX_PAGE_ROWS) };
      if (after !== null) extra.after = after;
      const page: DynamicPage = await get<DynamicPage>(`/api/dynamic/page?${params(this.query, extra)}`);
      ips.push(...page.blocks.map((b) => b.ip));
      after = page.next;
      progress(ips.length);
    } while (after !== null && ips.length < MAX_SELECT);
    this.selected = new Set(ips.slice(0, MAX_SELECT));
    this.emit();
    return this.selected.size;
  }

  /** Lifts the addresses in parts of MAX_UNBLOCK; returns how many were lifted. */
  async unblock(ips: readonly string[], progress: (done: number) => void): Promise<number> {
    let lifted = 0;
    for (let i = 0; i < ips.length; i += MAX_UNBLOCK) {
      const part = ips.slice(i, i + MAX_UNBLOCK);
      const r = await post<Unblocks>('/api/dynamic/unblock', { ips: part });
      lifted += r.unblocked;
      this.drop(part);
      progress(Math.min(ips.length, i + MAX_UNBLOCK));
    }
    return lifted;
  }
}

/**
 * A row that is still running, changed (renewed, made permanent): a row a burst built
 * from the decision says the renewal's time, so the block's start and note stay.
 */
function renewed(old: LiveRow, b: DynamicBlock): LiveRow {
  const running = old.deadline === null || old.deadline > Date.now();
  const row = { ...liveRow(b, false), arrivedAt: old.arrivedAt };
  if (!running) return row;
  return {
    ...row,
    blockedAt: Math.min(old.blockedAt, b.blockedAt),
    firstSeen: Math.min(old.firstSeen, b.firstSeen),
    note: b.note ?? old.note,
  };
}

/**
 * The per-extension view: which sources failed on one extension within an hour. A
 * botnet guessing one password from many addresses, each far below HIT_COUNT, shows
 * here and nowhere else. DISTRIBUTED_SOURCES distinct sources (prefix keys, so one
 * rotating /64 is one source) → one alert per extension per hour, and with
 * DISTRIBUTED_BLOCK a verdict for every one of them and for each new one while the
 * attack lasts.
 *
 * Trusted sources (trust.ts: their phones authenticate) are never counted: the office
 * whose own phone for that extension has a stale password is the victim's office, not
 * one of the attackers. Hence DISTRIBUTED_BLOCK is on by default: what it blocks are
 * addresses that failed on an attacked extension and never authenticated anything.
 *
 * Bounded: at most 100k extensions (a password spray across more is caught per
 * source), 64 sources each; two generations of an hour, O(1) per failure.
 */

import { hashOne } from '../sip/match-hash.js';

export const EXTENSION_WINDOW = 3600;
const MAX_EXTENSIONS = 100_000;
const MAX_SOURCES = 64;

export interface ExtSource {
  key: string;
  ip: string;
  at: number;
  transport: string;
  port: number;
  /**
   * hashOne(key), set by the table: a failure scans up to 64 sources, and comparing the
   * keys as strings cost ~70 ns each (same-length address texts compared byte by byte):
   * 6.4 µs a failure, 9% of the daemon's main thread in the issue-13 flood. The number
   * is compared first; the strings only when it matches.
   */
  h: number;
}

export class ExtState {
  /** Sources that failed on it within the window, most recent last. Change it through the table only. */
  sources: ExtSource[] = [];
  /**
   * Each source's key hash and time, in the same order as `sources`: a failure scans them
   * all (up to 64), and reading them from two packed arrays instead of 64 objects spread
   * over the heap took the scan from ~1.8 µs to ~0.2 µs a failure in the issue-13 flood
   * (900 attacked extensions × 64 sources: the objects miss the cache one by one).
   */
  hs: number[] = [];
  ats: number[] = [];
  failures = 0;
  /** When the alert was raised (the attack is "on" for an hour after). */
  alertedAt = Number.NEGATIVE_INFINITY;
}

export class ExtensionTable {
  private cur = new Map<string, ExtState>();
  private prev = new Map<string, ExtState>();
  private genStart = Number.NEGATIVE_INFINITY;
  /** Failures not tracked because the table was full. */
  dropped = 0;

  get size(): number {
    return this.cur.size + this.prev.size;
  }

  get(user: string): ExtState | undefined {
    const s = this.cur.get(user);
    if (s !== undefined) return s;
    const old = this.prev.get(user);
    if (old !== undefined) {
      this.prev.delete(user);
      this.cur.set(user, old);
    }
    return old;
  }

  /**
   * A failure on `user` from source `src`: returns the state, with the source added (or
   * refreshed) and sources older than the window dropped; null when the table is full.
   */
  failure(user: string, src: ExtSource): ExtState | null {
    let st = this.get(user);
    if (st === undefined) {
      if (this.size >= MAX_EXTENSIONS) {
        this.dropped++;
        return null;
      }
      st = new ExtState();
      this.cur.set(user, st);
    }
    st.failures++;
    const h = hashOne(src.key);
    src.h = h;
    const { sources: list, hs, ats } = st;
    const n = list.length;
    const key = src.key;
    const at = src.at;
    // Nothing to drop is the common case (a new source): read the list, write nothing.
    let r = 0;
    while (r < n && !((hs[r] === h && list[r]!.key === key) || at - ats[r]! >= EXTENSION_WINDOW)) r++;
    if (r < n) {
      let w = r;
      for (r++; r < n; r++) {
        if ((hs[r] === h && list[r]!.key === key) || at - ats[r]! >= EXTENSION_WINDOW) continue;
        list[w] = list[r]!;
        hs[w] = hs[r]!;
        ats[w] = ats[r]!;
        w++;
      }
      list.length = w;
      hs.length = w;
      ats.length = w;
    }
    // The oldest leaves first when the list is full (as a push then a shift would).
    if (list.length >= MAX_SOURCES) {
      list.shift();
      hs.shift();
      ats.shift();
    }
    list.push(src);
    hs.push(h);
    ats.push(at);
    return st;
  }

  /** Drops `key` from an extension's sources (a breach: the source got in, breach.ts). */
  dropSource(st: ExtState, key: string): void {
    const { sources: list, hs, ats } = st;
    let w = 0;
    for (let r = 0; r < list.length; r++) {
      if (list[r]!.key === key) continue;
      list[w] = list[r]!;
      hs[w] = hs[r]!;
      ats[w] = ats[r]!;
      w++;
    }
    list.length = w;
    hs.length = w;
    ats.length = w;
  }

  /** Whether `key` failed on `user` within the window before `at`. */
  hasSource(user: string, key: string, at: number): boolean {
    const st = this.get(user);
    if (st === undefined) return false;
    return st.sources.some((s) => s.key === key && at - s.at < EXTENSION_WINDOW);
  }

  rotate(now: number): void {
    if (now < this.genStart + EXTENSION_WINDOW) return;
    this.prev = this.cur;
    this.cur = new Map();
    this.genStart = now;
  }
}

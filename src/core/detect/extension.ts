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

export class ExtState {
  /**
   * The sources that failed on it within the window, most recent last, as columns (change
   * them through the table only): prefix key, address, time, transport, port, and
   * hashOne(key). Columns, not an object a source: in the issue-13 flood every attacker is a
   * new source kept for an hour (900 extensions × 64), and an object with its boxed time
   * was 88 bytes that every scavenge copied and promoted; here a source is six array slots.
   * The scan of a failure reads `hs` and `ats` only (packed: ~0.2 µs for 64 sources, where
   * comparing key strings cost ~70 ns each and objects missed the cache one by one).
   */
  keys: string[] = [];
  ips: string[] = [];
  ats: number[] = [];
  transports: string[] = [];
  ports: number[] = [];
  hs: number[] = [];
  failures = 0;
  /**
   * Whether `ats` is in time order (packet time can step back a little): then the first
   * source is the oldest, and when it is inside the window no source is older.
   */
  ordered = true;
  /** When the alert was raised (the attack is "on" for an hour after). */
  alertedAt = Number.NEGATIVE_INFINITY;

  /** Sources kept. */
  get size(): number {
    return this.keys.length;
  }

  /** Keeps the sources at `r` for which `keep` holds, in order, from index `from` on. */
  compact(from: number, keep: (r: number) => boolean): void {
    const { keys, ips, ats, transports, ports, hs } = this;
    const n = keys.length;
    let w = from;
    let ordered = true;
    for (let i = 1; i < from; i++) if (ats[i]! < ats[i - 1]!) ordered = false;
    for (let r = from; r < n; r++) {
      if (!keep(r)) continue;
      if (w > 0 && ats[r]! < ats[w - 1]!) ordered = false;
      keys[w] = keys[r]!;
      ips[w] = ips[r]!;
      ats[w] = ats[r]!;
      transports[w] = transports[r]!;
      ports[w] = ports[r]!;
      hs[w] = hs[r]!;
      w++;
    }
    keys.length = w;
    ips.length = w;
    ats.length = w;
    transports.length = w;
    ports.length = w;
    hs.length = w;
    this.ordered = ordered;
  }

  /** Drops the oldest (a subset of sources in order stays in order). */
  shift(): void {
    this.keys.shift();
    this.ips.shift();
    this.ats.shift();
    this.transports.shift();
    this.ports.shift();
    this.hs.shift();
  }

  push(key: string, ip: string, at: number, transport: string, port: number, h: number): void {
    const n = this.ats.length;
    if (n > 0 && at < this.ats[n - 1]!) this.ordered = false;
    this.keys.push(key);
    this.ips.push(ip);
    this.ats.push(at);
    this.transports.push(transport);
    this.ports.push(port);
    this.hs.push(h);
  }
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
   * A failure on `user` from source `key` (address `ip`, at `at`): returns the state, with
   * the source added (or refreshed) and sources older than the window dropped; null when
   * the table is full.
   */
  failure(
    user: string,
    key: string,
    ip: string,
    at: number,
    transport: string,
    port: number,
  ): ExtState | null {
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
    const h = hashOne(key);
    const { keys, hs, ats } = st;
    const n = keys.length;
    const stale = (r: number) => (hs[r] === h && keys[r] === key) || at - ats[r]! >= EXTENSION_WINDOW;
    // Nothing to drop is the common case (a new source): read the list, write nothing.
    let r = 0;
    if (st.ordered && (n === 0 || at - ats[0]! < EXTENSION_WINDOW)) {
      // No source is older than the window: only this key's own entry can go, found by a
      // native search of the hashes (the scan of both columns a source was 2.8% of a flood
      // replay's CPU, half of it on the compare).
      r = hs.indexOf(h);
      while (r >= 0 && keys[r] !== key) r = hs.indexOf(h, r + 1);
      if (r < 0) r = n;
    } else {
      while (r < n && !stale(r)) r++;
    }
    if (r < n) st.compact(r, (i) => !stale(i));
    // The oldest leaves first when the list is full (as a push then a shift would).
    if (st.size >= MAX_SOURCES) st.shift();
    st.push(key, ip, at, transport, port, h);
    return st;
  }

  /** Drops `key` from an extension's sources (a breach: the source got in, breach.ts). */
  dropSource(st: ExtState, key: string): void {
    const keys = st.keys;
    st.compact(0, (r) => keys[r] !== key);
  }

  /** Whether `key` failed on `user` within the window before `at`. */
  hasSource(user: string, key: string, at: number): boolean {
    const st = this.get(user);
    if (st === undefined) return false;
    for (let i = 0; i < st.keys.length; i++)
      if (st.keys[i] === key && at - st.ats[i]! < EXTENSION_WINDOW) return true;
    return false;
  }

  /** When rotate next starts a generation (-Infinity before the first call). */
  nextRotation(): number {
    return this.genStart + EXTENSION_WINDOW;
  }

  rotate(now: number): void {
    if (now < this.genStart + EXTENSION_WINDOW) return;
    this.prev = this.cur;
    this.cur = new Map();
    this.genStart = now;
  }
}

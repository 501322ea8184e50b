/**
 * Per-source detection state, kept compact because it must scale to a million
 * sources (≤ 512 MB in all): plain fields, arrays allocated only when a rule first
 * needs them, users capped, strings hashed where only identity matters. A source is a
 * prefix key (detect/prefix.ts: the address itself for IPv4, its /64 for IPv6).
 *
 * Idle sources are dropped by generations (Kamailio pike's rotation, applied to
 * whole tables): states live in `cur`; every `period` seconds of packet time `cur`
 * becomes `prev` and the old `prev` is dropped. A state found in `prev` moves back to
 * `cur`. A dropped state was last touched more than `period` ago. The period is the
 * longest window a rule needs exactly (MONIT_PERIOD, or 3 h when the slow-attack rule
 * is on: its hour window is then never cut short, and its day count survives as long
 * as the source fails at least every 3 hours — a source quieter than that is far below
 * any SLOW_DAY_COUNT worth setting). O(1) amortised, no sweep.
 */

import { within } from './window.js';

export class IpState {
  /** Ring of the last HIT_COUNT failure times (null until the first failure). */
  fails: number[] | null = null;
  failHead = 0;
  /** The current run of failures from one user, one Call-ID, rising CSeq (hashes). */
  phoneUser = 0;
  phoneCall = 0;
  phoneCseq = -1;
  phoneRun = 0;
  /**
   * Users seen in failures and probes: one as a plain string (the common case, no
   * array), several as an array, most recent first, capped.
   */
  users: string | string[] | null = null;
  /** Distinct users probed without success, as [hash, time, hash, time, ...], in the window. */
  probes: number[] | null = null;
  /** Ring of the last ENUM_CHALLENGES unanswered-challenge times. */
  unanswered: number[] | null = null;
  unansweredHead = 0;
  /** Failed attempts seen from this source (for alerts: "after 35 failures"). */
  failTotal = 0;
  /** Of those, the ones that opened a new failing dialog (what a password guess does). */
  freshFails = 0;
  /**
   * Earlier failing dialogs as [dialog hash, last CSeq, ...] (at most 8; the current one
   * is the phone run above): a failure that continues one with a rising CSeq (a phone
   * retrying) is not a new failed attempt for the long windows and the breach alert.
   */
  dialogs: number[] | null = null;
  /** Slow-attack windows: failed dialogs this hour/day (bucket index, count) and the previous. */
  hourIdx = -1;
  hourCur = 0;
  hourPrev = 0;
  dayIdx = -1;
  dayCur = 0;
  dayPrev = 0;
  /** Toll-fraud probes in the window as [Call-ID hash, time, ...]. */
  toll: number[] | null = null;
  /** Outside numbers dialled, most recent first (at most 8). */
  dialled: string[] | null = null;
}

export class IpTable {
  private cur = new Map<string, IpState>();
  private prev = new Map<string, IpState>();
  private genStart = Number.NEGATIVE_INFINITY;

  constructor(readonly period: number) {}

  get size(): number {
    return this.cur.size + this.prev.size;
  }

  get(ip: string): IpState | undefined {
    const s = this.cur.get(ip);
    if (s !== undefined) return s;
    const old = this.prev.get(ip);
    if (old !== undefined) {
      this.prev.delete(ip);
      this.cur.set(ip, old);
    }
    return old;
  }

  getOrCreate(ip: string): IpState {
    let s = this.get(ip);
    if (s === undefined) {
      s = new IpState();
      this.cur.set(ip, s);
    }
    return s;
  }

  delete(ip: string): void {
    this.cur.delete(ip);
    this.prev.delete(ip);
  }

  /** Starts a new generation once `period` has passed since the last one. */
  rotate(now: number): void {
    if (now < this.genStart + this.period) return;
    this.prev = this.cur;
    this.cur = new Map();
    this.genStart = now;
  }
}

/** Records `user` as most recent, keeping at most `cap` distinct users. */
export function addUser(st: IpState, user: string | null, cap: number): void {
  if (user === null) return;
  const u = st.users;
  if (u === null) {
    st.users = user;
  } else if (typeof u === 'string') {
    if (u !== user) st.users = cap > 1 ? [user, u] : user;
  } else {
    const i = u.indexOf(user);
    if (i === 0) return;
    if (i > 0) u.splice(i, 1);
    u.unshift(user);
    if (u.length > cap) u.pop();
  }
}

/** The users recorded for an address, most recent first. */
export function usersOf(st: IpState): string[] {
  const u = st.users;
  if (u === null) return [];
  return typeof u === 'string' ? [u] : u.slice();
}

/**
 * Adds a probed user (by hash) at `at`, dropping probes older than the window first.
 * Returns the number of distinct users probed within the window (at most `cap`).
 */
export function addProbe(st: IpState, h: number, at: number, period: number, cap: number): number {
  const p = st.probes;
  if (p === null) {
    st.probes = [h, at];
    return 1;
  }
  let w = 0;
  let found = false;
  for (let r = 0; r < p.length; r += 2) {
    if (!within(at, p[r + 1]!, period)) continue;
    const same = p[r] === h;
    p[w] = p[r]!;
    p[w + 1] = same ? at : p[r + 1]!;
    if (same) found = true;
    w += 2;
  }
  p.length = w;
  if (!found) {
    if (w >= 2 * cap) p.splice(0, 2);
    p.push(h, at);
  }
  return p.length / 2;
}

/** Forgets a probed user (it succeeded). */
export function removeProbe(st: IpState, h: number): void {
  const p = st.probes;
  if (p === null) return;
  for (let r = 0; r < p.length; r += 2) {
    if (p[r] === h) {
      p.splice(r, 2);
      return;
    }
  }
}

/**
 * `arr` with the pair (a, b) appended, at most `cap` pairs (the oldest pair dropped).
 * Arrays here are sized exactly: a push past an array literal would grow V8's backing
 * store to 16+ slots (~150 bytes), and a million tracked sources each hold two of them.
 */
export function withPair(arr: number[] | null, a: number, b: number, cap: number): number[] {
  if (arr === null) return [a, b];
  if (arr.length >= 2 * cap) {
    arr.copyWithin(0, 2);
    arr[arr.length - 2] = a;
    arr[arr.length - 1] = b;
    return arr;
  }
  const out = new Array<number>(arr.length + 2);
  for (let i = 0; i < arr.length; i++) out[i] = arr[i]!;
  out[arr.length] = a;
  out[arr.length + 1] = b;
  return out;
}

/** Whether `user` is among the users recorded for the source. */
export function hasUser(st: IpState, user: string): boolean {
  const u = st.users;
  return u === user || (Array.isArray(u) && u.includes(user));
}

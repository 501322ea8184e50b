/**
 * Per-address detection state, kept compact because it must scale to a million
 * addresses (≤ 512 MB in all): plain fields, rings allocated only when a rule first
 * needs them, users capped, strings hashed where only identity matters.
 *
 * Idle addresses are dropped by generations (Kamailio pike's rotation, applied to
 * whole tables): states live in `cur`; every `period` seconds of packet time `cur`
 * becomes `prev` and the old `prev` is dropped. A state found in `prev` moves back to
 * `cur`. A dropped state was last touched more than `period` ago, so every window it
 * held had already emptied: nothing is lost, and the sweep is O(1) amortised.
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
  /** Users seen in failures and probes, most recent first, capped; with their times. */
  users: string[] | null = null;
  usersAt: number[] | null = null;
  /** Distinct users probed without success (hash, time), within the window. */
  probeHash: number[] | null = null;
  probeAt: number[] | null = null;
  /** Ring of the last ENUM_CHALLENGES unanswered-challenge times. */
  unanswered: number[] | null = null;
  unansweredHead = 0;
}

export class IpTable {
  private cur = new Map<string, IpState>();
  private prev = new Map<string, IpState>();
  private genStart = Number.NEGATIVE_INFINITY;

  constructor(private readonly period: number) {}

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
export function addUser(st: IpState, user: string | null, at: number, cap: number): void {
  if (user === null) return;
  if (st.users === null || st.usersAt === null) {
    st.users = [user];
    st.usersAt = [at];
    return;
  }
  const i = st.users.indexOf(user);
  if (i >= 0) {
    st.users.splice(i, 1);
    st.usersAt.splice(i, 1);
  }
  st.users.unshift(user);
  st.usersAt.unshift(at);
  if (st.users.length > cap) {
    st.users.pop();
    st.usersAt.pop();
  }
}

/** The users seen within (now - period, now], most recent first. */
export function recentUsers(st: IpState, now: number, period: number): string[] {
  const out: string[] = [];
  if (st.users === null || st.usersAt === null) return out;
  for (let i = 0; i < st.users.length; i++) {
    if (within(now, st.usersAt[i]!, period)) out.push(st.users[i]!);
  }
  return out;
}

/**
 * Adds a probed user (by hash) at `at`, dropping probes older than the window first.
 * Returns the number of distinct users probed within the window (at most `cap`).
 */
export function addProbe(st: IpState, h: number, at: number, period: number, cap: number): number {
  if (st.probeHash === null || st.probeAt === null) {
    st.probeHash = [h];
    st.probeAt = [at];
    return 1;
  }
  const hs = st.probeHash;
  const ts = st.probeAt;
  let w = 0;
  let found = false;
  for (let r = 0; r < hs.length; r++) {
    if (!within(at, ts[r]!, period)) continue;
    hs[w] = hs[r]!;
    ts[w] = hs[w] === h ? at : ts[r]!;
    if (hs[w] === h) found = true;
    w++;
  }
  hs.length = w;
  ts.length = w;
  if (!found) {
    if (hs.length >= cap) {
      hs.shift();
      ts.shift();
    }
    hs.push(h);
    ts.push(at);
  }
  return hs.length;
}

/** Forgets a probed user (it succeeded). */
export function removeProbe(st: IpState, h: number): void {
  if (st.probeHash === null || st.probeAt === null) return;
  const i = st.probeHash.indexOf(h);
  if (i >= 0) {
    st.probeHash.splice(i, 1);
    st.probeAt.splice(i, 1);
  }
}

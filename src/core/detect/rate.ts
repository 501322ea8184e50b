/**
 * Per-source request rate (floods) and spread over local targets (sweeps), for every
 * request, in fixed memory: Kamailio pike's idea of a hashed counter table, with an exact
 * second stage so a hash collision never blames an innocent source.
 *
 * - Flood: each source key hashes to one of 2^18 slots; a slot counts requests in 5 s
 *   buckets (this one and the previous, pike's estimate: cur + prev × the part of the
 *   previous bucket still inside the window). A slot past half the limit (FLOOD_RATE × 5
 *   within 5 s) puts the sources that hash to it under an exact count of their own; the
 *   exact count reaching the limit is the verdict. A slot remembers which source filled
 *   each bucket (a second hash) and whether another one shared it: the exact count starts
 *   from the slot's counts when the source had the bucket to itself (the usual case: a
 *   flood is blocked at FLOOD_RATE × 5 requests, not later), from zero when it did not (a
 *   colliding source never inherits another's requests).
 * - Sweep: each slot remembers the last local target (address and port) it saw; a
 *   request to another target within MONIT_PERIOD puts its source under an exact set of
 *   targets; SWEEP_TARGETS distinct ones is a scan (svmap across a host's addresses
 *   and SIP ports). A phone talks to one target, or two for a failover.
 *
 * Memory: 2^18 slots × 32 bytes = 8 MB whatever the number of sources; exact states
 * only for sources in hot or shared slots, cleared every minute of packet time.
 */
import { HASH, hashEnd, hashStartWith } from '../sip/match-hash.js';

export const FLOOD_WINDOW = 5;
const SLOTS = 1 << 18;
const MASK = SLOTS - 1;
const EXACT_MAX = 50_000;
/** A slot: 8 words, the last two the time of the last target (a double). */
const SLOT_BYTES = 32;
const IDX = 0;
const CUR = 1;
const PREV = 2;
const OWNER = 3;
const OWNER_PREV = 4;
/** The last target (id × 65536 + port, < 2^29) | shared bits << SHARED_SHIFT. */
const TS = 5;
const TARGET_AT = 3; // in doubles
const SHARED_SHIFT = 29;
const TARGET_MASK = (1 << SHARED_SHIFT) - 1;
const EXACT_TTL = 60;

interface Exact {
  idx: number;
  cur: number;
  prev: number;
  /** Distinct targets as [target, time, ...] (sweeps only). */
  targets: number[] | null;
}

export interface RateResult {
  /** Requests estimated within the flood window, when a verdict is due; else 0. */
  flood: number;
  /** Distinct local targets within MONIT_PERIOD, when the sweep threshold is reached; else 0. */
  sweep: number;
}

function estimate(idx: number, cur: number, prev: number, at: number): number {
  const into = (at - idx * FLOOD_WINDOW) / FLOOD_WINDOW;
  return cur + prev * Math.max(0, 1 - into);
}

export class RateTable {
  /**
   * A slot's fields side by side in 32 bytes (one cache line; they were eight columns, and
   * a request read five of them: 68% of countFlood's self time was that slot's first
   * touch), as three views of one buffer: int32 words IDX, OWNER, OWNER_PREV, TS (the
   * last target, with the shared bits above it), uint32 words CUR, PREV, and the last
   * target's time as the slot's fourth double.
   */
  private readonly buf = new ArrayBuffer(SLOTS * SLOT_BYTES);
  private readonly i32 = new Int32Array(this.buf);
  private readonly u32 = new Uint32Array(this.buf);
  private readonly f64 = new Float64Array(this.buf);
  private exact = new Map<string, Exact>();
  private exactSince = Number.NEGATIVE_INFINITY;
  private readonly targets = new Map<string, number>();
  private lastDst = '';
  private lastId = 0;
  private readonly result: RateResult = { flood: 0, sweep: 0 };
  /** Peak exact flood estimate per source since the last read (near-miss reporting). */
  peak = 0;

  constructor(
    /** Requests within FLOOD_WINDOW that flood (FLOOD_RATE × 5); 0 = off. */
    readonly floodLimit: number,
    /** Distinct local targets that make a sweep; 0 = off. */
    private readonly sweepLimit: number,
    private readonly period: number,
  ) {
    for (let i = 0; i < SLOTS; i++) {
      this.i32[8 * i + IDX] = -1;
      this.f64[4 * i + TARGET_AT] = Number.NEGATIVE_INFINITY;
    }
  }

  /**
   * One request from source `key` to local `dst`:`dport` at `at`. The result view is
   * reused by the next call: read it first.
   */
  request(key: string, dst: string, dport: number, at: number, sweepable: boolean): RateResult {
    const r = this.result;
    r.flood = 0;
    r.sweep = 0;
    this.peak = 0;
    if (at >= this.exactSince + EXACT_TTL) {
      this.exact = new Map();
      this.exactSince = at;
    }
    hashStartWith(key);
    hashEnd();
    const slot = HASH.h1 & MASK;
    let ex: Exact | undefined;
    if (this.floodLimit > 0) ex = this.countFlood(slot, HASH.h2, key, at);
    if (this.sweepLimit > 0 && sweepable) this.countSweep(slot, key, dst, dport, at, ex);
    return r;
  }

  private countFlood(slot: number, who: number, key: string, at: number): Exact | undefined {
    const bucket = Math.floor(at / FLOOD_WINDOW);
    const i32 = this.i32;
    const u32 = this.u32;
    const o = 8 * slot;
    const old = i32[o + IDX]!;
    let ts = i32[o + TS]!;
    if (old !== bucket) {
      const next = old === bucket - 1;
      u32[o + PREV] = next ? u32[o + CUR]! : 0;
      i32[o + OWNER_PREV] = next ? i32[o + OWNER]! : 0;
      ts = (ts & TARGET_MASK) | (next ? ((ts >>> SHARED_SHIFT) & 1) << (SHARED_SHIFT + 1) : 0);
      u32[o + CUR] = 0;
      i32[o + IDX] = bucket;
    }
    if (u32[o + CUR] === 0) i32[o + OWNER] = who;
    else if (i32[o + OWNER] !== who) ts |= 1 << SHARED_SHIFT;
    i32[o + TS] = ts;
    const cur = ++u32[o + CUR]!;
    const prev = u32[o + PREV]!;
    // A cold slot holds no flood (a source's count never exceeds its slot's): the common
    // case costs no Map lookup, and no estimate while even cur + prev is far from it.
    if ((cur + prev) * 2 < this.floodLimit || estimate(bucket, cur, prev, at) * 2 < this.floodLimit) {
      return undefined;
    }
    let ex = this.exact.get(key);
    if (ex === undefined) {
      ex = this.newExact();
      if (ex === undefined) return undefined;
      // What the slot counted is this source's own when it had the bucket to itself.
      const sh = ts >>> SHARED_SHIFT;
      ex.idx = bucket;
      ex.cur = (sh & 1) === 0 && i32[o + OWNER] === who ? cur - 1 : 0;
      ex.prev = (sh & 2) === 0 && i32[o + OWNER_PREV] === who ? prev : 0;
      this.exact.set(key, ex);
    }
    if (ex.idx !== bucket) {
      ex.prev = ex.idx === bucket - 1 ? ex.cur : 0;
      ex.cur = 0;
      ex.idx = bucket;
    }
    ex.cur++;
    const n = estimate(bucket, ex.cur, ex.prev, at);
    this.peak = n;
    if (n >= this.floodLimit) this.result.flood = Math.round(n);
    return ex;
  }

  private countSweep(slot: number, key: string, dst: string, dport: number, at: number, ex?: Exact): void {
    // Nearly every request goes to the same local address: compare before hashing.
    let id = dst === this.lastDst ? this.lastId : this.targets.get(dst);
    if (id === undefined) {
      if (this.targets.size >= 4096) this.targets.clear();
      id = this.targets.size + 1;
      this.targets.set(dst, id);
    }
    this.lastDst = dst;
    this.lastId = id;
    const t = id * 65536 + dport;
    const ts = this.i32[8 * slot + TS]!;
    const before = ts & TARGET_MASK;
    const beforeAt = this.f64[4 * slot + TARGET_AT]!;
    const seenOther = before !== t && at - beforeAt < this.period;
    this.i32[8 * slot + TS] = (ts & ~TARGET_MASK) | t;
    this.f64[4 * slot + TARGET_AT] = at;
    // The same target as the slot's last one adds nothing: no Map lookup then.
    if (!seenOther) return;
    let e = ex ?? this.exact.get(key);
    if (e === undefined || e.targets === null) {
      if (e === undefined) {
        e = this.newExact();
        if (e === undefined) return;
        this.exact.set(key, e);
      }
      // The slot's previous target was most likely this source's own first one (a
      // colliding source adds at most one target to an innocent source's count).
      e.targets = [before, beforeAt];
    }
    const list = e.targets!;
    let w = 0;
    let found = false;
    for (let i = 0; i < list.length; i += 2) {
      if (at - list[i + 1]! >= this.period) continue;
      if (list[i] === t) found = true;
      list[w] = list[i]!;
      list[w + 1] = list[i] === t ? at : list[i + 1]!;
      w += 2;
    }
    list.length = w;
    if (!found) list.push(t, at);
    if (list.length / 2 >= this.sweepLimit) this.result.sweep = list.length / 2;
  }

  private newExact(): Exact | undefined {
    if (this.exact.size >= EXACT_MAX) return undefined;
    return { idx: -1, cur: 0, prev: 0, targets: null };
  }

  /** Forgets a source's exact state (after a verdict about it). */
  forget(key: string): void {
    this.exact.delete(key);
  }
}

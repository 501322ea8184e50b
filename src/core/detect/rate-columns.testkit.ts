/**
 * The flood and sweep table as it was before its slot's eight columns became one 32-byte
 * group (rate.ts): kept as the model that rate-layout.test.ts holds the new layout to,
 * request by request. Test support only.
 */
import { HASH, hashEnd, hashStartWith } from '../sip/match-hash.js';
import { FLOOD_WINDOW } from './rate.js';

const SLOTS = 1 << 18;
const MASK = SLOTS - 1;
const EXACT_MAX = 50_000;
const EXACT_TTL = 60;

interface Exact {
  idx: number;
  cur: number;
  prev: number;
  /** Distinct targets as [target, time, ...] (sweeps only). */
  targets: number[] | null;
}

interface RateResultModel {
  /** Requests estimated within the flood window, when a verdict is due; else 0. */
  flood: number;
  /** Distinct local targets within MONIT_PERIOD, when the sweep threshold is reached; else 0. */
  sweep: number;
}

function estimate(idx: number, cur: number, prev: number, at: number): number {
  const into = (at - idx * FLOOD_WINDOW) / FLOOD_WINDOW;
  return cur + prev * Math.max(0, 1 - into);
}

export class RateColumns {
  private readonly idx = new Int32Array(SLOTS).fill(-1);
  private readonly cur = new Uint32Array(SLOTS);
  private readonly prev = new Uint32Array(SLOTS);
  /** Second hash of the source that filled the current / previous bucket. */
  private readonly owner = new Int32Array(SLOTS);
  private readonly ownerPrev = new Int32Array(SLOTS);
  /** Bit 1: another source shared the current bucket; bit 2: the previous one. */
  private readonly shared = new Uint8Array(SLOTS);
  private readonly target = new Int32Array(SLOTS);
  private readonly targetAt = new Float64Array(SLOTS).fill(Number.NEGATIVE_INFINITY);
  private exact = new Map<string, Exact>();
  private exactSince = Number.NEGATIVE_INFINITY;
  private readonly targets = new Map<string, number>();
  private lastDst = '';
  private lastId = 0;
  private readonly result: RateResultModel = { flood: 0, sweep: 0 };
  /** Peak exact flood estimate per source since the last read (near-miss reporting). */
  peak = 0;

  constructor(
    /** Requests within FLOOD_WINDOW that flood (FLOOD_RATE × 5); 0 = off. */
    readonly floodLimit: number,
    /** Distinct local targets that make a sweep; 0 = off. */
    private readonly sweepLimit: number,
    private readonly period: number,
  ) {}

  /**
   * One request from source `key` to local `dst`:`dport` at `at`. The result view is
   * reused by the next call: read it first.
   */
  request(key: string, dst: string, dport: number, at: number, sweepable: boolean): RateResultModel {
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
    const old = this.idx[slot]!;
    if (old !== bucket) {
      const next = old === bucket - 1;
      this.prev[slot] = next ? this.cur[slot]! : 0;
      this.ownerPrev[slot] = next ? this.owner[slot]! : 0;
      this.shared[slot] = next ? (this.shared[slot]! & 1) << 1 : 0;
      this.cur[slot] = 0;
      this.idx[slot] = bucket;
    }
    if (this.cur[slot] === 0) this.owner[slot] = who;
    else if (this.owner[slot] !== who) this.shared[slot]! |= 1;
    const cur = ++this.cur[slot]!;
    const prev = this.prev[slot]!;
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
      const sh = this.shared[slot]!;
      ex.idx = bucket;
      ex.cur = (sh & 1) === 0 && this.owner[slot] === who ? cur - 1 : 0;
      ex.prev = (sh & 2) === 0 && this.ownerPrev[slot] === who ? prev : 0;
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
    const before = this.target[slot]!;
    const beforeAt = this.targetAt[slot]!;
    const seenOther = before !== t && at - beforeAt < this.period;
    this.target[slot] = t;
    this.targetAt[slot] = at;
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

/**
 * Per-source detection state, in typed-array columns, because it must scale to a million
 * sources in ≤ 256 MB (a `Map<string, object>` of 22 boxed fields, a failure ring and two
 * small arrays took 439 B a source; these columns take ~130 B). A source is a prefix key
 * (detect/prefix.ts: the address itself for IPv4, its /64 for IPv6) and lives in one slot:
 *
 * - Keys: a canonical dotted-quad IPv4 key is its 32-bit number (no string kept); any other
 *   key (IPv6 prefixes) is kept as its string in a side map, under its 32-bit hash. An
 *   open-addressing index (state-index.ts: linear probing, backward-shift deletion, at most
 *   half full, doubling in steps) maps a key to its slot; a key compares exactly, so two
 *   sources never share a state.
 * - Fields: one typed array per field, in chunks of 4,096 slots (state-cols.ts: the table
 *   never grows in one piece; state-lists.ts has the lists). The last HIT_COUNT failure
 *   times: the first two in two columns (most sources fail once or twice), moved to a ring
 *   of HIT_COUNT doubles from a pooled slab at the third (state-fails.ts).
 * - Free slots are a list through their keyNum cells (last freed, first reused).
 * - Idle sources are dropped by generations (Kamailio pike's rotation): every `period`
 *   seconds of packet time the current generation becomes the previous one and the old
 *   previous one is dropped; a source looked up while in the previous generation moves back
 *   to the current one. A dropped source was last touched more than `period` ago. The
 *   period is the longest window a rule needs exactly (MONIT_PERIOD, or 3 h when the
 *   slow-attack rule is on). Lookups are O(1).
 * - A rotation is O(1) and its sweep comes in steps (issue 13, target 4): the walk over
 *   every slot that freed the dropped ones and rebuilt the index took 45–55 ms of CPU in
 *   one piece at 1M sources (18–25 at 131k). Now the generations are three mark values:
 *   a rotation renames them (current → previous, previous → dropped, the free value →
 *   current), and the dropped slots stay in the columns and the index, absent to every
 *   reader, until a step frees them: SWEEP_SCAN slots looked at and at most `sweepStep`
 *   freed per step, on every add and every `rotate` call (the detector's advance, on each
 *   event and tick), or at once when a lookup or delete lands on one. A rotation due while
 *   the last sweep is unfinished (fewer than ~size / sweepStep calls in a whole period: an
 *   idle daemon) finishes it first.
 *
 * Slots are numbers, valid until the source is deleted or rotated out. Read a slot's fields
 * through its chunk, `t.cols(s)` at offset `off(s)`; the first chunk is replaced while it
 * doubles, so take it again after any `getOrCreate`.
 */

import { canonicalV4Number as ipv4Number } from '../net/ip.js';
import { CHUNK, CHUNK_SHIFT, off, SourceCols } from './state-cols.js';
import { FailRings } from './state-fails.js';
import { IDLE_STEP, SlotIndex, STR } from './state-index.js';
import { Interner, strHash } from './state-keys.js';

export { off, type SourceCols } from './state-cols.js';

export interface SourceExtra {
  /** All users, most recent first, when there are more than two (then user0/user1 are unused). */
  users: string[] | null;
  /** Earlier failing dialogs as [dialog hash, last CSeq, ...], when more than one (at most 8). */
  dialogs: number[] | null;
  /** Distinct users probed without success, as [hash, time, hash, time, ...], in the window. */
  probes: number[] | null;
  /** Ring of the last ENUM_CHALLENGES unanswered-challenge times. */
  unanswered: number[] | null;
  unansweredHead: number;
  /** Toll-fraud probes in the window as [Call-ID hash, time, ...]. */
  toll: number[] | null;
  /** Outside numbers dialled, most recent first (at most 8). */
  dialled: string[] | null;
}

/** Slot mark: 0 = free; 1, 2, 3 = its generation (GEN bits); STR = the key is a string. */
const GEN = 3;
/** Slots a sweep step looks at: ~4 µs of mark reads when none is dropped. */
const SWEEP_SCAN = 4096;
/** Dropped slots a sweep step frees at most (index removal and release, ~0.2–0.4 µs each). */
export const SWEEP_STEP = 512;
const INITIAL = 1024;

export class IpTable {
  private readonly chunks: SourceCols[] = [new SourceCols(INITIAL)];
  /** Slots the chunks hold. */
  private capacity = INITIAL;
  private readonly strKeys = new Map<number, string>();
  private readonly index = new SlotIndex(this.chunks, this.strKeys, 2 * INITIAL);
  /** Slots below `top` were used; freed ones are a list from `freeHead` (-1: none). */
  private top = 0;
  private freeHead = -1;
  private curGen = 1;
  private prevGen = 2;
  /** The dropped generation's mark while its slots wait for the sweep (0: none wait). */
  private deadGen = 0;
  private curCount = 0;
  private prevCount = 0;
  /** Dropped slots not freed yet, and the sweep's next slot and end (top at the rotation). */
  private deadCount = 0;
  private sweepAt = 0;
  private sweepEnd = 0;
  private genStart = Number.NEGATIVE_INFINITY;
  /** Lists few sources need (probes, unanswered challenges, toll probes, more users...). */
  readonly extra = new Map<number, SourceExtra>();
  /** One copy of each user name in use (attackers target the same extensions). */
  readonly names = new Interner();
  private readonly fails: FailRings;

  constructor(
    readonly period: number,
    /** HIT_COUNT: the failure ring's length. */
    readonly hitCount = 10,
    /** Dropped slots freed per sweep step (Infinity: the whole sweep in the rotation, as before). */
    readonly sweepStep = SWEEP_STEP,
  ) {
    this.fails = new FailRings(hitCount);
  }

  get size(): number {
    return this.curCount + this.prevCount;
  }

  /** The chunk of slot `s`'s fields, read at `off(s)`. */
  cols(s: number): SourceCols {
    return this.chunks[s >>> CHUNK_SHIFT]!;
  }

  /** Whether the index is doubling (tests). */
  get indexMigrating(): boolean {
    return this.index.migrating;
  }

  /** The index's slots, both tables, sorted (tests: each live slot exactly once). */
  indexedSlots(): number[] {
    return this.index.slots().sort((a, b) => a - b);
  }

  /** Dropped slots the sweep has not freed yet (tests). */
  get sweeping(): number {
    return this.deadCount;
  }

  /** The used slots (live or waiting for the sweep), ascending (tests). */
  liveSlots(): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.top; s++) if (this.cols(s).mark[off(s)] !== 0) out.push(s);
    return out;
  }

  /** The slot of `key`, or -1; a source of the previous generation moves to the current one. */
  get(key: string): number {
    const s = this.find(key);
    if (s < 0) return s;
    const c = this.cols(s);
    const o = off(s);
    const g = c.mark[o]! & GEN;
    if (g !== this.curGen) {
      if (g !== this.prevGen) {
        this.drop(s);
        return -1;
      }
      c.mark[o] = (c.mark[o]! & ~GEN) | this.curGen;
      this.prevCount--;
      this.curCount++;
    }
    return s;
  }

  /** The slot of `key`, a fresh one (every field zero, nothing recorded) if it had none. */
  getOrCreate(key: string): number {
    const s = this.get(key);
    return s >= 0 ? s : this.add(key);
  }

  delete(key: string): void {
    const s = this.find(key);
    if (s < 0) return;
    const g = this.cols(s).mark[off(s)]! & GEN;
    if (g === this.curGen) this.curCount--;
    else if (g === this.prevGen) this.prevCount--;
    else {
      this.drop(s);
      return;
    }
    this.index.remove(s);
    this.release(s);
  }

  /**
   * When rotate next starts a generation (-Infinity before the first call). A sweep still
   * running is not due: it changes no answer, and events and ticks move it on.
   */
  nextRotation(): number {
    return this.genStart + this.period;
  }

  /**
   * Starts a new generation once `period` has passed since the last one; else a step of
   * the last rotation's sweep, if it is not done.
   */
  rotate(now: number): void {
    if (now < this.genStart + this.period) {
      if (this.deadCount > 0) this.sweep(this.sweepStep);
      else this.index.step(IDLE_STEP);
      return;
    }
    if (this.deadCount > 0) this.sweep(Number.POSITIVE_INFINITY);
    this.genStart = now;
    const free = 6 - this.curGen - this.prevGen;
    if (this.prevCount > 0) {
      this.deadGen = this.prevGen;
      this.deadCount = this.prevCount;
      this.sweepAt = 0;
      this.sweepEnd = this.top;
      if (this.sweepStep === Number.POSITIVE_INFINITY) this.sweep(this.sweepStep);
    }
    this.prevGen = this.curGen;
    this.curGen = free;
    this.prevCount = this.curCount;
    this.curCount = 0;
  }

  /**
   * Frees up to `limit` dropped slots, looking at SWEEP_SCAN slots at most (all of them
   * when `limit` is Infinity), chunk by chunk from where the last step stopped.
   */
  private sweep(limit: number): void {
    const dead = this.deadGen;
    const scan = limit === Number.POSITIVE_INFINITY ? limit : SWEEP_SCAN;
    const stop = Math.min(this.sweepEnd, this.sweepAt + scan);
    let s = this.sweepAt;
    let freed = 0;
    this.index.step();
    while (s < stop && freed < limit) {
      const mark = this.chunks[s >>> CHUNK_SHIFT]!.mark;
      const end = Math.min(stop - (s & ~(CHUNK - 1)), mark.length);
      for (let o = off(s); o < end && freed < limit; o++, s++) {
        if ((mark[o]! & GEN) !== dead) continue;
        this.drop(s);
        freed++;
      }
    }
    this.sweepAt = s;
  }

  /**
   * Frees dropped slot `s` (swept, or found by a lookup); the sweep ends with the last one,
   * and the index's tombstones go in steps after it.
   */
  private drop(s: number): void {
    this.index.bury(s);
    this.release(s);
    if (--this.deadCount > 0) return;
    this.deadGen = 0;
    this.index.compact();
  }

  /** Records a failure at `t` in the source's last HIT_COUNT (state-fails.ts). */
  failPush(s: number, t: number): void {
    this.fails.push(this.cols(s), off(s), t);
  }

  /** Whether the source's last HIT_COUNT failures all lie in (now - period, now]. */
  failFull(s: number, now: number, period: number): boolean {
    return this.fails.full(this.cols(s), off(s), now, period);
  }

  /** The source's failures within (now - period, now] (near-miss reporting only). */
  failsWithin(s: number, now: number, period: number): number {
    return this.fails.countWithin(this.cols(s), off(s), now, period);
  }

  /** Mean and coefficient of variation of the source's failure intervals (window.ts). */
  failIntervals(s: number): { mean: number; cv: number } {
    return this.fails.intervals(this.cols(s), off(s));
  }

  private find(key: string): number {
    const v4 = ipv4Number(key);
    const str = v4 < 0;
    return this.index.find(str ? strHash(key) : v4 | 0, str, key);
  }

  private add(key: string): number {
    let s = this.freeHead;
    if (s >= 0) {
      this.freeHead = this.cols(s).keyNum[off(s)]! - 1;
    } else {
      if (this.top === this.capacity) this.growColumns();
      s = this.top++;
    }
    const v4 = ipv4Number(key);
    const str = v4 < 0;
    const c = this.cols(s);
    const o = off(s);
    c.keyNum[o] = str ? strHash(key) : v4 | 0;
    c.mark[o] = this.curGen | (str ? STR : 0);
    if (str) this.strKeys.set(s, key);
    this.curCount++;
    c.clear(o);
    this.index.insert(s);
    // New sources pay for the sweep too, so the table does not grow while dropped slots wait.
    if (this.deadCount > 0) this.sweep(this.sweepStep);
    return s;
  }

  /** Frees slot `s` (already out of the index and the generation counts). */
  private release(s: number): void {
    const c = this.cols(s);
    const o = off(s);
    if ((c.mark[o]! & STR) !== 0) this.strKeys.delete(s);
    c.mark[o] = 0;
    this.fails.release(c, o);
    c.user0[o] = null;
    c.user1[o] = null;
    this.extra.delete(s);
    c.keyNum[o] = this.freeHead + 1;
    this.freeHead = s;
  }

  /**
   * Room for more slots: the first chunk doubles (a copy of at most 2,048 slots' columns)
   * until it is CHUNK slots; then a new chunk is added and nothing moves.
   */
  private growColumns(): void {
    if (this.capacity < CHUNK) {
      this.capacity *= 2;
      this.chunks[0] = new SourceCols(this.capacity, this.chunks[0]);
      return;
    }
    this.chunks.push(new SourceCols(CHUNK));
    this.capacity += CHUNK;
  }
}

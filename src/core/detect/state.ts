/**
 * Per-source detection state, in typed-array columns, because it must scale to a million
 * sources in ≤ 256 MB (a `Map<string, object>` of 22 boxed fields, a failure ring and two
 * small arrays took 439 B a source; these columns take ~130 B). A source is a prefix key
 * (detect/prefix.ts: the address itself for IPv4, its /64 for IPv6) and lives in one slot:
 *
 * - Keys: a canonical dotted-quad IPv4 key is its 32-bit number (no string kept); any other
 *   key (IPv6 prefixes) is kept as its string in a side map, under its 30-bit hash. An
 *   open-addressing index (linear probing, backward-shift deletion, twice the slots, a
 *   power of two) maps a key to its slot; a key compares exactly, so two sources never
 *   share a state.
 * - Fields: one typed array per field (state-lists.ts has the lists). The last HIT_COUNT
 *   failure times: the first two in two columns (most sources fail once or twice), moved
 *   to a ring of HIT_COUNT doubles from a pooled slab at the third.
 * - Idle sources are dropped by generations (Kamailio pike's rotation): every `period`
 *   seconds of packet time the current generation becomes the previous one and the old
 *   previous one is dropped; a source looked up while in the previous generation moves back
 *   to the current one. A dropped source was last touched more than `period` ago. The
 *   period is the longest window a rule needs exactly (MONIT_PERIOD, or 3 h when the
 *   slow-attack rule is on). Lookups are O(1); a rotation walks the slots once (a few ms for
 *   a million) and rebuilds the index when it dropped any.
 *
 * Slots are numbers, valid until the source is deleted or rotated out; columns are replaced
 * when the table grows, so read them through the table after any `getOrCreate`.
 */

import { canonicalV4Number as ipv4Number } from '../net/ip.js';
import { fmix as mix } from '../sip/match-hash.js';
import { Interner, strHash } from './state-keys.js';
import { ringIntervals, within } from './window.js';

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

/** Slot mark: 0 = free; GEN_A / GEN_B = live in that generation; STR = the key is a string. */
const GEN_A = 1;
const GEN_B = 2;
const GEN = 3;
const STR = 4;
const INITIAL = 1024;

function grown<T extends Float64Array | Int32Array | Uint16Array | Uint8Array>(
  a: T,
  make: (n: number) => T,
  n: number,
): T {
  const b = make(n);
  b.set(a);
  return b;
}

export class IpTable {
  private cap = INITIAL;
  /** Index cells: 1 + slot, 0 = empty; 2 × cap cells. */
  private index = new Int32Array(2 * INITIAL);
  private mask = 2 * INITIAL - 1;
  /** IPv4 key as int32, or a string key's hash. */
  private keyNum = new Int32Array(INITIAL);
  private mark = new Uint8Array(INITIAL);
  private readonly strKeys = new Map<number, string>();
  /** Slots below `top` were used; freed ones wait in `free`. */
  private top = 0;
  private free = new Int32Array(INITIAL);
  private freeLen = 0;
  private curGen = GEN_A;
  private curCount = 0;
  private prevCount = 0;
  private genStart = Number.NEGATIVE_INFINITY;

  // Fields (see failures.ts, enumeration.ts, breach.ts for their meaning).
  /** Failed attempts seen from this source (for alerts: "after 35 failures"). */
  failTotal = new Int32Array(INITIAL);
  /** Of those, the ones that opened a new failing dialog (what a password guess does). */
  freshFails = new Int32Array(INITIAL);
  /** The current run of failures from one user, one Call-ID, rising CSeq (hashes). */
  phoneUser = new Int32Array(INITIAL);
  phoneCall = new Int32Array(INITIAL);
  phoneCseq = new Float64Array(INITIAL);
  phoneRun = new Int32Array(INITIAL);
  /** Slow-attack windows: failed dialogs this hour/day (bucket index, count) and the previous. */
  hourIdx = new Int32Array(INITIAL);
  hourCur = new Int32Array(INITIAL);
  hourPrev = new Int32Array(INITIAL);
  dayIdx = new Int32Array(INITIAL);
  dayCur = new Int32Array(INITIAL);
  dayPrev = new Int32Array(INITIAL);
  /** The failure ring: head (or, before the slab, the number of times in fail0/fail1). */
  private failHead = new Uint16Array(INITIAL);
  private fail0 = new Float64Array(INITIAL);
  private fail1 = new Float64Array(INITIAL);
  /** 1 + the slab ring of a source past two failures (0 = none). */
  private ringOf = new Int32Array(INITIAL);
  private rings: Float64Array;
  private ringCap = 0;
  private ringTop = 0;
  private ringFree: number[] = [];
  /** Users (most recent first): the first two here, more in the extra lists. */
  user0: (string | null)[] = new Array(INITIAL).fill(null);
  user1: (string | null)[] = new Array(INITIAL).fill(null);
  /** The one earlier failing dialog, when there is exactly one (flag 1) and no list. */
  dlgFlag = new Uint8Array(INITIAL);
  dlgHash = new Int32Array(INITIAL);
  dlgCseq = new Float64Array(INITIAL);
  /** Lists few sources need (probes, unanswered challenges, toll probes, more users...). */
  readonly extra = new Map<number, SourceExtra>();
  /** One copy of each user name in use (attackers target the same extensions). */
  readonly names = new Interner();
  private readonly scratch: number[] = [];

  constructor(
    readonly period: number,
    /** HIT_COUNT: the failure ring's length. */
    readonly hitCount = 10,
  ) {
    this.rings = new Float64Array(0);
  }

  get size(): number {
    return this.curCount + this.prevCount;
  }

  /** The slot of `key`, or -1; a source of the previous generation moves to the current one. */
  get(key: string): number {
    const s = this.find(key);
    if (s >= 0 && (this.mark[s]! & GEN) !== this.curGen) {
      this.mark[s] = (this.mark[s]! & ~GEN) | this.curGen;
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
    if ((this.mark[s]! & GEN) === this.curGen) this.curCount--;
    else this.prevCount--;
    this.unindex(s);
    this.release(s);
  }

  /** Starts a new generation once `period` has passed since the last one. */
  rotate(now: number): void {
    if (now < this.genStart + this.period) return;
    this.genStart = now;
    const old = this.curGen === GEN_A ? GEN_B : GEN_A;
    if (this.prevCount > 0) {
      for (let s = 0; s < this.top; s++) if ((this.mark[s]! & GEN) === old) this.release(s);
      this.prevCount = 0;
      this.reindex();
    }
    this.curGen = old;
    this.prevCount = this.curCount;
    this.curCount = 0;
  }

  /** Records a failure at `t` in the source's ring of the last HIT_COUNT. */
  failPush(s: number, t: number): void {
    const n = this.hitCount;
    const h = this.failHead[s]!;
    if (n <= 2) {
      if (h === 0) this.fail0[s] = t;
      else this.fail1[s] = t;
      this.failHead[s] = h + 1 === n ? 0 : h + 1;
      return;
    }
    let r = this.ringOf[s]! - 1;
    if (r < 0) {
      if (h < 2) {
        if (h === 0) this.fail0[s] = t;
        else this.fail1[s] = t;
        this.failHead[s] = h + 1;
        return;
      }
      r = this.newRing();
      this.ringOf[s] = r + 1;
      const base = r * n;
      this.rings[base] = this.fail0[s]!;
      this.rings[base + 1] = this.fail1[s]!;
      this.rings.fill(Number.NEGATIVE_INFINITY, base + 2, base + n);
    }
    this.rings[r * n + h] = t;
    this.failHead[s] = h + 1 === n ? 0 : h + 1;
  }

  /** Whether the source's last HIT_COUNT failures all lie in (now - period, now]. */
  failFull(s: number, now: number, period: number): boolean {
    const n = this.hitCount;
    const h = this.failHead[s]!;
    if (n <= 2) return within(now, h === 0 ? this.fail0[s]! : this.fail1[s]!, period);
    const r = this.ringOf[s]! - 1;
    return r >= 0 && within(now, this.rings[r * n + h]!, period);
  }

  /** Failures in the ring within (now - period, now] (near-miss reporting only). */
  failsWithin(s: number, now: number, period: number): number {
    let k = 0;
    for (const t of this.failRing(s)) if (within(now, t, period)) k++;
    return k;
  }

  /** Mean and coefficient of variation of the ring's intervals (window.ts). */
  failIntervals(s: number): { mean: number; cv: number } {
    return ringIntervals(this.failRing(s), this.failHead[s]!);
  }

  /** The ring as window.ts's rings are (unused slots -Infinity), in a reused array. */
  private failRing(s: number): number[] {
    const n = this.hitCount;
    const out = this.scratch;
    out.length = n;
    const r = this.ringOf[s]! - 1;
    if (r >= 0) {
      for (let i = 0; i < n; i++) out[i] = this.rings[r * n + i]!;
      return out;
    }
    out.fill(Number.NEGATIVE_INFINITY);
    const used = n <= 2 ? n : this.failHead[s]!;
    if (used > 0) out[0] = this.fail0[s]!;
    if (used > 1) out[1] = this.fail1[s]!;
    return out;
  }

  private newRing(): number {
    const r = this.ringFree.pop();
    if (r !== undefined) return r;
    if (this.ringTop === this.ringCap) {
      this.ringCap = Math.max(256, this.ringCap * 2);
      this.rings = grown(this.rings, (k) => new Float64Array(k), this.ringCap * this.hitCount);
    }
    return this.ringTop++;
  }

  private find(key: string): number {
    const v4 = ipv4Number(key);
    const str = v4 < 0;
    const k = str ? strHash(key) : v4 | 0;
    const index = this.index;
    const mask = this.mask;
    let i = (str ? k : mix(k)) & mask;
    for (let e = index[i]!; e !== 0; e = index[i]!) {
      const s = e - 1;
      if (this.keyNum[s] === k && ((this.mark[s]! & STR) !== 0) === str) {
        if (!str || this.strKeys.get(s) === key) return s;
      }
      i = (i + 1) & mask;
    }
    return -1;
  }

  private add(key: string): number {
    if (this.freeLen === 0 && this.top === this.cap) this.grow();
    const s = this.freeLen > 0 ? this.free[--this.freeLen]! : this.top++;
    const v4 = ipv4Number(key);
    const str = v4 < 0;
    this.keyNum[s] = str ? strHash(key) : v4 | 0;
    this.mark[s] = this.curGen | (str ? STR : 0);
    if (str) this.strKeys.set(s, key);
    this.curCount++;
    this.clear(s);
    this.insert(s);
    return s;
  }

  /** Every field of slot `s` to its initial value. */
  private clear(s: number): void {
    this.failTotal[s] = 0;
    this.freshFails[s] = 0;
    this.phoneUser[s] = 0;
    this.phoneCall[s] = 0;
    this.phoneCseq[s] = -1;
    this.phoneRun[s] = 0;
    this.hourIdx[s] = -1;
    this.hourCur[s] = 0;
    this.hourPrev[s] = 0;
    this.dayIdx[s] = -1;
    this.dayCur[s] = 0;
    this.dayPrev[s] = 0;
    this.failHead[s] = 0;
    this.fail0[s] = Number.NEGATIVE_INFINITY;
    this.fail1[s] = Number.NEGATIVE_INFINITY;
    this.dlgFlag[s] = 0;
  }

  /** Frees slot `s` (already out of the index and the generation counts). */
  private release(s: number): void {
    if ((this.mark[s]! & STR) !== 0) this.strKeys.delete(s);
    this.mark[s] = 0;
    const r = this.ringOf[s]! - 1;
    if (r >= 0) this.ringFree.push(r);
    this.ringOf[s] = 0;
    this.user0[s] = null;
    this.user1[s] = null;
    this.extra.delete(s);
    this.free[this.freeLen++] = s;
  }

  private home(s: number): number {
    const k = this.keyNum[s]!;
    return ((this.mark[s]! & STR) !== 0 ? k : mix(k)) & this.mask;
  }

  private insert(s: number): void {
    let i = this.home(s);
    while (this.index[i] !== 0) i = (i + 1) & this.mask;
    this.index[i] = s + 1;
  }

  /** Empties slot `s`'s cell, moving later cells of its probe run back (no tombstones). */
  private unindex(s: number): void {
    const index = this.index;
    const mask = this.mask;
    let i = this.home(s);
    while (index[i] !== s + 1) i = (i + 1) & mask;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const e = index[j]!;
      if (e === 0) break;
      const home = this.home(e - 1);
      // j's entry may fill the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? home > i && home <= j : home > i || home <= j) continue;
      index[i] = e;
      i = j;
    }
    index[i] = 0;
  }

  private reindex(): void {
    this.index = new Int32Array(2 * this.cap);
    this.mask = this.index.length - 1;
    for (let s = 0; s < this.top; s++) if (this.mark[s] !== 0) this.insert(s);
  }

  /** Doubles every column; slot numbers stay. */
  private grow(): void {
    const n = this.cap * 2;
    const f64 = (k: number) => new Float64Array(k);
    const i32 = (k: number) => new Int32Array(k);
    this.keyNum = grown(this.keyNum, i32, n);
    this.mark = grown(this.mark, (k) => new Uint8Array(k), n);
    this.free = grown(this.free, i32, n);
    this.failTotal = grown(this.failTotal, i32, n);
    this.freshFails = grown(this.freshFails, i32, n);
    this.phoneUser = grown(this.phoneUser, i32, n);
    this.phoneCall = grown(this.phoneCall, i32, n);
    this.phoneCseq = grown(this.phoneCseq, f64, n);
    this.phoneRun = grown(this.phoneRun, i32, n);
    this.hourIdx = grown(this.hourIdx, i32, n);
    this.hourCur = grown(this.hourCur, i32, n);
    this.hourPrev = grown(this.hourPrev, i32, n);
    this.dayIdx = grown(this.dayIdx, i32, n);
    this.dayCur = grown(this.dayCur, i32, n);
    this.dayPrev = grown(this.dayPrev, i32, n);
    this.failHead = grown(this.failHead, (k) => new Uint16Array(k), n);
    this.fail0 = grown(this.fail0, f64, n);
    this.fail1 = grown(this.fail1, f64, n);
    this.ringOf = grown(this.ringOf, i32, n);
    this.dlgFlag = grown(this.dlgFlag, (k) => new Uint8Array(k), n);
    this.dlgHash = grown(this.dlgHash, i32, n);
    this.dlgCseq = grown(this.dlgCseq, f64, n);
    this.user0 = this.user0.concat(new Array(n - this.cap).fill(null));
    this.user1 = this.user1.concat(new Array(n - this.cap).fill(null));
    this.cap = n;
    this.reindex();
  }
}

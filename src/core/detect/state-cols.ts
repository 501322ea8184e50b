/**
 * The detection state's columns (state.ts), in chunks of CHUNK slots, so the table never
 * grows in one piece (issue 13, target 4: event-loop lag ≤ 5 ms in a flood). Before, the
 * 22 columns and the two user arrays were copied into arrays twice the size on each
 * doubling: 16–18 ms of process CPU at 131k sources, 35–64 ms at 262k, 137–149 ms at 524k
 * (bench/RESULTS.md, helper gcsurv), and a 100k-attacker flood crosses 65k and 131k. Now
 * the first chunk doubles up to CHUNK slots (≤ 4,096 × ~120 B copied), then a new chunk
 * (~500 KB) is added and nothing moves.
 *
 * A reader takes the chunk and the offset once: `const c = t.cols(s); const o = off(s);
 * c.failTotal[o]++`. One chunk object holds every column, so that is one load more per
 * function than a flat column, from a small array that stays in cache.
 *
 * keyNum, mark, failHead, fail0, fail1 and ringOf belong to state.ts (the index, the
 * generations and the failure ring); the rest are the rules' fields (failures.ts,
 * breach.ts, state-lists.ts say what they mean).
 */

/** Slots per chunk: 4,096 (~500 KB of columns). */
export const CHUNK_SHIFT = 12;
export const CHUNK = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK - 1;

/** Offset of slot `s` in its chunk (`IpTable.cols(s)`). */
export function off(s: number): number {
  return s & CHUNK_MASK;
}

type Typed = Float64Array | Int32Array | Uint16Array | Uint8Array;

/** A column of `n` slots holding `from`'s values first (a fresh one when none). */
function col<T extends Typed>(make: new (n: number) => T, n: number, from: T | undefined): T {
  const a = new make(n);
  if (from !== undefined) a.set(from);
  return a;
}

function names(n: number, from: (string | null)[] | undefined): (string | null)[] {
  const a = new Array<string | null>(n).fill(null);
  if (from !== undefined) for (let i = 0; i < from.length; i++) a[i] = from[i]!;
  return a;
}

/** One chunk: every column for `size` slots. */
export class SourceCols {
  /** IPv4 key as int32, or a string key's hash; a free slot: the next free slot + 1. */
  readonly keyNum: Int32Array;
  /** 0 = free; else the generation bits and STR (state.ts). */
  readonly mark: Uint8Array;
  /** Failed attempts seen from this source (for alerts: "after 35 failures"). */
  readonly failTotal: Int32Array;
  /** Of those, the ones that opened a new failing dialog (what a password guess does). */
  readonly freshFails: Int32Array;
  /** The current run of failures from one user, one Call-ID, rising CSeq (hashes). */
  readonly phoneUser: Int32Array;
  readonly phoneCall: Int32Array;
  readonly phoneCseq: Float64Array;
  readonly phoneRun: Int32Array;
  /** Slow-attack windows: failed dialogs this hour/day (bucket index, count) and the previous. */
  readonly hourIdx: Int32Array;
  readonly hourCur: Int32Array;
  readonly hourPrev: Int32Array;
  readonly dayIdx: Int32Array;
  readonly dayCur: Int32Array;
  readonly dayPrev: Int32Array;
  /** The failure ring: head (or, before the slab, the number of times in fail0/fail1). */
  readonly failHead: Uint16Array;
  readonly fail0: Float64Array;
  readonly fail1: Float64Array;
  /** 1 + the slab ring of a source past two failures (0 = none). */
  readonly ringOf: Int32Array;
  /** The one earlier failing dialog, when there is exactly one (flag 1) and no list. */
  readonly dlgFlag: Uint8Array;
  readonly dlgHash: Int32Array;
  readonly dlgCseq: Float64Array;
  /** Users (most recent first): the first two here, more in the extra lists. */
  readonly user0: (string | null)[];
  readonly user1: (string | null)[];

  /** `size` slots, `from`'s copied first (the first chunk doubling). */
  constructor(
    readonly size: number,
    from?: SourceCols,
  ) {
    const n = size;
    this.keyNum = col(Int32Array, n, from?.keyNum);
    this.mark = col(Uint8Array, n, from?.mark);
    this.failTotal = col(Int32Array, n, from?.failTotal);
    this.freshFails = col(Int32Array, n, from?.freshFails);
    this.phoneUser = col(Int32Array, n, from?.phoneUser);
    this.phoneCall = col(Int32Array, n, from?.phoneCall);
    this.phoneCseq = col(Float64Array, n, from?.phoneCseq);
    this.phoneRun = col(Int32Array, n, from?.phoneRun);
    this.hourIdx = col(Int32Array, n, from?.hourIdx);
    this.hourCur = col(Int32Array, n, from?.hourCur);
    this.hourPrev = col(Int32Array, n, from?.hourPrev);
    this.dayIdx = col(Int32Array, n, from?.dayIdx);
    this.dayCur = col(Int32Array, n, from?.dayCur);
    this.dayPrev = col(Int32Array, n, from?.dayPrev);
    this.failHead = col(Uint16Array, n, from?.failHead);
    this.fail0 = col(Float64Array, n, from?.fail0);
    this.fail1 = col(Float64Array, n, from?.fail1);
    this.ringOf = col(Int32Array, n, from?.ringOf);
    this.dlgFlag = col(Uint8Array, n, from?.dlgFlag);
    this.dlgHash = col(Int32Array, n, from?.dlgHash);
    this.dlgCseq = col(Float64Array, n, from?.dlgCseq);
    this.user0 = names(n, from?.user0);
    this.user1 = names(n, from?.user1);
  }

  /** Every field of offset `o` to its initial value (keyNum and mark are the caller's). */
  clear(o: number): void {
    this.failTotal[o] = 0;
    this.freshFails[o] = 0;
    this.phoneUser[o] = 0;
    this.phoneCall[o] = 0;
    this.phoneCseq[o] = -1;
    this.phoneRun[o] = 0;
    this.hourIdx[o] = -1;
    this.hourCur[o] = 0;
    this.hourPrev[o] = 0;
    this.dayIdx[o] = -1;
    this.dayCur[o] = 0;
    this.dayPrev[o] = 0;
    this.failHead[o] = 0;
    this.fail0[o] = Number.NEGATIVE_INFINITY;
    this.fail1[o] = Number.NEGATIVE_INFINITY;
    this.dlgFlag[o] = 0;
  }
}

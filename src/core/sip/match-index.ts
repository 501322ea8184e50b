/**
 * The request table's index (match.ts): a key's first 30-bit hash → 1 + the newest slot
 * with that hash (0 = empty), open addressing with linear probing, at most half full, 8–16
 * bytes a request. Older slots of the same hash are chained through `next`.
 *
 * A cell is `tag << slotBits | 1 + slot`: the slots take the bits the table's bound needs
 * (18 at the default 200k, 20 at 1M), the tag the hash's top bits in the rest of 31 (13,
 * 11). The whole hash is in the slot's `key` column (match-slots.ts), read only when the
 * tag matches: a probe that passes other hashes reads nothing but the index (an unequal
 * tag is 2^-11..2^-13 likely to match), where every cell passed was a key read from its
 * chunk, a cache miss each (40–60% of the probe's time in a flood replay's line ticks).
 *
 * It doubles in steps, never in one piece (issue 13, target 4), as the detection state's
 * index does (detect/state-index.ts): the one-piece rebuild walked every request, part of
 * the 74–88 ms stall at 131k requests. On a doubling the old cells stay readable beside
 * the new table, and every insert or removal moves MIGRATE_STEP old cells over (a moved
 * or removed old cell becomes a tombstone, so the old probe runs stay whole); the move is
 * done after an eighth of the inserts that would fill the new table to half. A lookup
 * tries the new table, then the old one. A hash is in one table at a time: one found in
 * the old table when it gets a newer slot moves to the new one.
 */
import { CHUNK_MASK, CHUNK_SHIFT, type RequestCols } from './match-slots.js';

/** Old cells moved to the new table per insert or removal while the index doubles. */
export const MIGRATE_STEP = 16;
/** An old cell whose hash moved or was removed: a probe goes on past it. */
const TOMB = -1;
/** Cells at first (it doubles at 8 hashes). */
const FIRST_SIZE = 16;

export class RequestIndex {
  /** A cell's slot part (1 + slot) and the shift from a hash's tag bits to a cell's. */
  private readonly slotMask: number;
  private readonly tagShift: number;
  private readonly slotBits: number;
  private cells = new Int32Array(FIRST_SIZE);
  private mask = FIRST_SIZE - 1;
  /** Hashes in both tables. */
  private entries = 0;
  /** The table being moved into `cells` (null: none), cell by cell from `cursor`. */
  private old: Int32Array | null = null;
  private oldMask = 0;
  private cursor = 0;

  /**
   * `chunks`: the table's chunks (the same array, grown by match-slots.ts); `slots`: every
   * slot number is below it (match-slots.ts `slotLimit`).
   */
  constructor(
    private readonly chunks: RequestCols[],
    slots: number,
  ) {
    const bits = 32 - Math.clz32(slots);
    if (bits > 31) throw new RangeError('too many slots for an int32 cell');
    this.slotBits = bits;
    this.slotMask = 2 ** bits - 1;
    // The hash's top (31 - bits) of its 30 bits; none when the slots take 31 bits.
    this.tagShift = Math.max(0, bits - 1);
  }

  /** What a cell of hash `h` holds beside its slot: its tag, in place. */
  private tagOf(h: number): number {
    return ((h >>> this.tagShift) << this.slotBits) | 0;
  }

  /** Whether a doubling is under way (tests). */
  get migrating(): boolean {
    return this.old !== null;
  }

  /** The hash of cell value `v` (a live cell). */
  private hashOf(v: number): number {
    const s = (v & this.slotMask) - 1;
    return this.chunks[s >>> CHUNK_SHIFT]!.key[s & CHUNK_MASK]!;
  }

  /** The newest slot with hash `h`, or -1. */
  get(h: number): number {
    const tag = this.tagOf(h);
    const high = ~this.slotMask;
    const cells = this.cells;
    const mask = this.mask;
    for (let i = h & mask, e = cells[i]!; e !== 0; i = (i + 1) & mask, e = cells[i]!) {
      if ((e & high) === tag && this.hashOf(e) === h) return (e & this.slotMask) - 1;
    }
    const old = this.old;
    if (old === null) return -1;
    const oldMask = this.oldMask;
    // A tombstone (-1) has every tag bit set, more than any tag: it never matches.
    for (let i = h & oldMask, e = old[i]!; e !== 0; i = (i + 1) & oldMask, e = old[i]!) {
      if ((e & high) === tag && this.hashOf(e) === h) return (e & this.slotMask) - 1;
    }
    return -1;
  }

  /**
   * Slot `s` (its `key` column set to `h`) becomes the newest with hash `h`; returns the
   * slot it displaces, the next in its chain (-1: none).
   */
  push(h: number, s: number): number {
    this.step();
    const tag = this.tagOf(h);
    const high = ~this.slotMask;
    const cells = this.cells;
    const mask = this.mask;
    let i = h & mask;
    for (let e = cells[i]!; e !== 0; i = (i + 1) & mask, e = cells[i]!) {
      if ((e & high) === tag && this.hashOf(e) === h) {
        cells[i] = tag | (s + 1);
        return (e & this.slotMask) - 1;
      }
    }
    const was = this.takeOld(h, tag);
    cells[i] = tag | (s + 1);
    if (was < 0 && ++this.entries * 2 > mask + 1) this.startDoubling();
    return was;
  }

  /**
   * Slot `s` with hash `h` is being dropped: if it is the newest of its hash (so the only
   * one: it is the oldest too), the hash leaves the index. Returns the newest slot of `h`
   * as it was (-1: none).
   */
  unlink(h: number, s: number): number {
    this.step();
    const tag = this.tagOf(h);
    const high = ~this.slotMask;
    const mine = tag | (s + 1);
    const cells = this.cells;
    const mask = this.mask;
    for (let i = h & mask, e = cells[i]!; e !== 0; i = (i + 1) & mask, e = cells[i]!) {
      if ((e & high) !== tag || this.hashOf(e) !== h) continue;
      if (e === mine) this.removeAt(i);
      return (e & this.slotMask) - 1;
    }
    const old = this.old;
    if (old === null) return -1;
    const oldMask = this.oldMask;
    for (let i = h & oldMask, e = old[i]!; e !== 0; i = (i + 1) & oldMask, e = old[i]!) {
      if ((e & high) !== tag || this.hashOf(e) !== h) continue;
      if (e === mine) {
        old[i] = TOMB;
        this.entries--;
      }
      return (e & this.slotMask) - 1;
    }
    return -1;
  }

  /** Takes hash `h` (tag `tag`) out of the old table (a tombstone); returns its slot, or -1. */
  private takeOld(h: number, tag: number): number {
    const old = this.old;
    if (old === null) return -1;
    const high = ~this.slotMask;
    const oldMask = this.oldMask;
    for (let i = h & oldMask, e = old[i]!; e !== 0; i = (i + 1) & oldMask, e = old[i]!) {
      if ((e & high) !== tag || this.hashOf(e) !== h) continue;
      old[i] = TOMB;
      return (e & this.slotMask) - 1;
    }
    return -1;
  }

  /** Empties cell `i` of the new table, moving later cells of its run back (no tombstones there). */
  private removeAt(cell: number): void {
    const cells = this.cells;
    const mask = this.mask;
    let i = cell;
    let j = cell;
    for (;;) {
      j = (j + 1) & mask;
      const e = cells[j]!;
      if (e === 0) break;
      const home = this.hashOf(e) & mask;
      // j's entry may fill the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? home > i && home <= j : home > i || home <= j) continue;
      cells[i] = e;
      i = j;
    }
    cells[i] = 0;
    this.entries--;
  }

  /** Moves the doubling on by MIGRATE_STEP old cells (every insert and removal). */
  private step(): void {
    if (this.old !== null) this.migrate(MIGRATE_STEP);
  }

  /** Half full: a table twice the size takes new hashes at once; the old one moves in steps. */
  private startDoubling(): void {
    if (this.old !== null) this.migrate(this.oldMask + 1);
    this.old = this.cells;
    this.oldMask = this.mask;
    this.cursor = 0;
    this.cells = new Int32Array(2 * (this.mask + 1));
    this.mask = this.cells.length - 1;
  }

  /** Moves up to `n` cells of the old table into the new one (not there: one table a hash); drops it when all moved. */
  private migrate(n: number): void {
    const old = this.old!;
    const size = this.oldMask + 1;
    const end = Math.min(size, this.cursor + n);
    const cells = this.cells;
    const mask = this.mask;
    for (let c = this.cursor; c < end; c++) {
      const v = old[c]!;
      if (v <= 0) continue;
      let i = this.hashOf(v) & mask;
      while (cells[i] !== 0) i = (i + 1) & mask;
      cells[i] = v;
      old[c] = TOMB;
    }
    this.cursor = end;
    if (end === size) this.old = null;
  }
}

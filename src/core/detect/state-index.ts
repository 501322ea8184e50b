/**
 * The detection state's index (state.ts): key → slot, an open-addressing table of cells
 * holding 1 + slot (0 = empty), linear probing, backward-shift deletion, at most half
 * full. A cell holds no key: the slot's columns do (keyNum, and mark's STR bit for a
 * string key's hash; the string itself in `strKeys`), so the index costs 4–8 bytes a
 * source and a key compares exactly.
 *
 * It doubles in steps, never in one piece (issue 13, target 4): the rebuild of the old
 * index took 2.7–4.4 ms at 131k sources and 27–29 ms at 524k. On a doubling the old cells
 * stay readable beside the new table, and every insert or removal moves MIGRATE_STEP old
 * cells over (an old cell that moved or was removed becomes a tombstone, so old probe runs
 * stay whole); the move is done after an eighth of the inserts that would fill the new
 * table to half. A lookup tries the new table, then the old one. (SourceSlots in
 * core/policy does the same for the policy's addresses.)
 *
 * A rotation's sweep (state.ts) takes out up to half the entries at once: it buries them
 * (`bury`: the cell becomes a tombstone, one probe and no backward shift, whose reads of
 * the next cells' keys made a removal ~0.4 µs at 1M sources, 4× the old one-piece
 * rebuild in all), and when it is done the tombstones go by a rehash in steps at the same
 * size (`compact`: the doubling's move, to a table of the same size). While the table
 * holds tombstones every removal is a tombstone too, and a table whose entries and
 * tombstones pass three quarters of its cells is rehashed at once (in steps), so a probe
 * always ends.
 */
import { fmix as mix } from '../sip/match-hash.js';
import { CHUNK_SHIFT, off, type SourceCols } from './state-cols.js';

/** mark bit: the key is a string (keyNum is its hash). */
export const STR = 4;
/** Old cells moved to the new table per insert or removal while the index doubles. */
export const MIGRATE_STEP = 16;
/** Old cells moved per idle step (~0.1 ms at 1M sources: a rehash of 4M cells in ~4k steps). */
export const IDLE_STEP = 1024;
/** An old cell whose entry moved or was removed: a probe goes on past it. */
const TOMB = -1;

export class SlotIndex {
  private cells: Int32Array;
  private mask: number;
  /** Entries in both tables. */
  private entries = 0;
  /** The table being moved into `cells` (null: none), cell by cell from `cursor`. */
  private old: Int32Array | null = null;
  private oldMask = 0;
  private cursor = 0;
  /** Tombstones in `cells` (buried entries), and whether a rehash should clear them. */
  private tombs = 0;
  private compactWanted = false;

  constructor(
    /** The table's chunks (the same array, grown by state.ts). */
    private readonly chunks: SourceCols[],
    private readonly strKeys: Map<number, string>,
    size: number,
  ) {
    this.cells = new Int32Array(size);
    this.mask = size - 1;
  }

  /** Whether a doubling is under way (tests). */
  get migrating(): boolean {
    return this.old !== null;
  }

  /** Cells of the current table (tests). */
  get size(): number {
    return this.mask + 1;
  }

  /** The slots of every live cell, both tables (tests: each indexed slot exactly once). */
  slots(): number[] {
    const out: number[] = [];
    for (const t of this.old === null ? [this.cells] : [this.cells, this.old]) {
      for (const e of t) if (e > 0) out.push(e - 1);
    }
    return out;
  }

  /** The cell of slot `s`'s key in a table of `mask + 1` cells. */
  private home(s: number, mask: number): number {
    const c = this.chunks[s >>> CHUNK_SHIFT]!;
    const o = off(s);
    const k = c.keyNum[o]!;
    return ((c.mark[o]! & STR) !== 0 ? k : mix(k)) & mask;
  }

  /** The slot of a key (`k`: its number or string hash; `key` when a string), or -1. */
  find(k: number, str: boolean, key: string): number {
    const h = str ? k : mix(k);
    const cells = this.cells;
    const mask = this.mask;
    for (let i = h & mask, e = cells[i]!; e !== 0; i = (i + 1) & mask, e = cells[i]!) {
      if (e > 0 && this.is(e - 1, k, str, key)) return e - 1;
    }
    const old = this.old;
    if (old === null) return -1;
    const oldMask = this.oldMask;
    for (let i = h & oldMask, e = old[i]!; e !== 0; i = (i + 1) & oldMask, e = old[i]!) {
      if (e !== TOMB && this.is(e - 1, k, str, key)) return e - 1;
    }
    return -1;
  }

  private is(s: number, k: number, str: boolean, key: string): boolean {
    const c = this.chunks[s >>> CHUNK_SHIFT]!;
    const o = off(s);
    if (c.keyNum[o] !== k || ((c.mark[o]! & STR) !== 0) !== str) return false;
    return !str || this.strKeys.get(s) === key;
  }

  /** Indexes slot `s` (its key set, not indexed yet). */
  insert(s: number): void {
    this.step();
    this.place(s + 1);
    const size = this.mask + 1;
    if (++this.entries * 2 > size) this.startDoubling();
    else if (this.old === null && (this.entries + this.tombs) * 4 > 3 * size) this.startRehash();
  }

  /**
   * Puts cell value `v` (1 + slot) into the new table, which has room: in the first empty
   * cell or tombstone of its run (its key is in neither table).
   */
  private place(v: number): void {
    const cells = this.cells;
    const mask = this.mask;
    let i = this.home(v - 1, mask);
    while (cells[i]! > 0) i = (i + 1) & mask;
    if (cells[i] === TOMB) this.tombs--;
    cells[i] = v;
  }

  /**
   * Moves the doubling or the rehash on by `n` cells, or starts the rehash that was asked
   * for: MIGRATE_STEP on every insert and removal, IDLE_STEP on the table's idle steps
   * (state.ts: each `rotate` call that rotates nothing, i.e. every event and tick).
   */
  step(n = MIGRATE_STEP): void {
    if (this.old !== null) this.migrate(n);
    else if (this.compactWanted) this.startRehash();
  }

  /** Asks for the tombstones to go (the sweep is done): a rehash in steps, after any doubling. */
  compact(): void {
    this.compactWanted = this.tombs > 0;
  }

  /** Takes slot `s` (indexed, its key still in the columns) out of the index. */
  remove(s: number): void {
    this.step();
    if (this.tombs === 0 ? this.removeNew(s) : this.buryNew(s)) {
      this.entries--;
      return;
    }
    this.removeOld(s);
  }

  /**
   * Takes slot `s` out as `remove` does, leaving a tombstone (the sweep: no backward shift;
   * the sweep steps the move itself).
   */
  bury(s: number): void {
    if (this.buryNew(s)) {
      this.entries--;
      return;
    }
    this.removeOld(s);
  }

  /** Empties slot `s`'s cell in the old table, if it has one. */
  private removeOld(s: number): void {
    const old = this.old;
    if (old === null) return;
    const mask = this.oldMask;
    for (let i = this.home(s, mask), e = old[i]!; e !== 0; i = (i + 1) & mask, e = old[i]!) {
      if (e !== s + 1) continue;
      old[i] = TOMB;
      this.entries--;
      return;
    }
  }

  /** Slot `s`'s cell in the new table, or -1 when it has none. */
  private cellNew(s: number): number {
    const cells = this.cells;
    const mask = this.mask;
    let i = this.home(s, mask);
    while (cells[i] !== s + 1) {
      if (cells[i] === 0) return -1;
      i = (i + 1) & mask;
    }
    return i;
  }

  /**
   * Slot `s`'s cell in the new table becomes a tombstone, or empty when it ends its run
   * (and so do the tombstones just before it).
   */
  private buryNew(s: number): boolean {
    const cells = this.cells;
    const mask = this.mask;
    const i = this.cellNew(s);
    if (i < 0) return false;
    if (cells[(i + 1) & mask] !== 0) {
      cells[i] = TOMB;
      this.tombs++;
      return true;
    }
    cells[i] = 0;
    for (let j = (i - 1) & mask; cells[j] === TOMB; j = (j - 1) & mask) {
      cells[j] = 0;
      this.tombs--;
    }
    return true;
  }

  /** Empties slot `s`'s cell in the new table (no tombstones in it), moving later cells of its run back. */
  private removeNew(s: number): boolean {
    const cells = this.cells;
    const mask = this.mask;
    let i = this.cellNew(s);
    if (i < 0) return false;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const e = cells[j]!;
      if (e === 0) break;
      const home = this.home(e - 1, mask);
      // j's entry may fill the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? home > i && home <= j : home > i || home <= j) continue;
      cells[i] = e;
      i = j;
    }
    cells[i] = 0;
    return true;
  }

  /**
   * Half full: a table twice the size takes new entries at once, and the old one's move
   * into it is spread over the next inserts and removals (MIGRATE_STEP cells each).
   */
  private startDoubling(): void {
    if (this.old !== null) this.migrate(this.oldMask + 1);
    this.startMove(2 * (this.mask + 1));
  }

  /**
   * The tombstones' rehash: the cells moved in steps into a fresh table, of the same size
   * unless more than 3/8 full (then twice: no doubling can start before the move ends).
   */
  private startRehash(): void {
    const size = this.mask + 1;
    this.startMove(this.entries * 8 > 3 * size ? 2 * size : size);
  }

  private startMove(size: number): void {
    this.old = this.cells;
    this.oldMask = this.mask;
    this.cursor = 0;
    this.cells = new Int32Array(size);
    this.mask = size - 1;
    this.tombs = 0;
    this.compactWanted = false;
  }

  /** Moves up to `n` cells of the old table into the new one; drops it when all moved. */
  private migrate(n: number): void {
    const old = this.old!;
    const cells = this.oldMask + 1;
    const end = Math.min(cells, this.cursor + n);
    for (let i = this.cursor; i < end; i++) {
      const v = old[i]!;
      if (v <= 0) continue;
      this.place(v);
      old[i] = TOMB;
    }
    this.cursor = end;
    if (end === cells) this.old = null;
  }
}

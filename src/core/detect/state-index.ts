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
 */
import { fmix as mix } from '../sip/match-hash.js';
import { CHUNK_SHIFT, off, type SourceCols } from './state-cols.js';

/** mark bit: the key is a string (keyNum is its hash). */
export const STR = 4;
/** Old cells moved to the new table per insert or removal while the index doubles. */
export const MIGRATE_STEP = 16;
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
      if (this.is(e - 1, k, str, key)) return e - 1;
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
    if (this.old !== null) this.migrate(MIGRATE_STEP);
    this.place(s + 1);
    if (++this.entries * 2 > this.mask + 1) this.startDoubling();
  }

  /** Puts cell value `v` (1 + slot) into the new table, which has room. */
  private place(v: number): void {
    const cells = this.cells;
    const mask = this.mask;
    let i = this.home(v - 1, mask);
    while (cells[i] !== 0) i = (i + 1) & mask;
    cells[i] = v;
  }

  /** Takes slot `s` (indexed, its key still in the columns) out of the index. */
  remove(s: number): void {
    if (this.old !== null) this.migrate(MIGRATE_STEP);
    if (this.removeNew(s)) {
      this.entries--;
      return;
    }
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

  /** Empties slot `s`'s cell in the new table, moving later cells of its run back. */
  private removeNew(s: number): boolean {
    const cells = this.cells;
    const mask = this.mask;
    let i = this.home(s, mask);
    while (cells[i] !== s + 1) {
      if (cells[i] === 0) return false;
      i = (i + 1) & mask;
    }
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
   * The index rebuilt from the live slots below `top` (mark not 0), at its current size:
   * after a rotation dropped sources. One pass over the chunks' keys, in slot order (the
   * cells come out as inserting them one by one would place them).
   */
  rebuild(top: number): void {
    const cells = new Int32Array(this.mask + 1);
    const mask = this.mask;
    let entries = 0;
    for (let ci = 0, base = 0; base < top; ci++, base += 1 << CHUNK_SHIFT) {
      const c = this.chunks[ci]!;
      const mark = c.mark;
      const keys = c.keyNum;
      const end = Math.min(top - base, c.size);
      for (let o = 0; o < end; o++) {
        const m = mark[o]!;
        if (m === 0) continue;
        const k = keys[o]!;
        let i = ((m & STR) !== 0 ? k : mix(k)) & mask;
        while (cells[i] !== 0) i = (i + 1) & mask;
        cells[i] = base + o + 1;
        entries++;
      }
    }
    this.cells = cells;
    this.old = null;
    this.entries = entries;
  }

  /**
   * Half full: a table twice the size takes new entries at once, and the old one's move
   * into it is spread over the next inserts and removals (MIGRATE_STEP cells each).
   */
  private startDoubling(): void {
    if (this.old !== null) this.migrate(this.oldMask + 1);
    this.old = this.cells;
    this.oldMask = this.mask;
    this.cursor = 0;
    this.cells = new Int32Array(2 * (this.mask + 1));
    this.mask = this.cells.length - 1;
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

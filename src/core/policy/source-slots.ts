/**
 * The policy's per-source state in one slot per address: whether it is held blocked (and
 * permanently), how many dynamic blocks it has had (BLOCK_THRESHOLD's count), and its
 * running block's hot fields (expiry, last seen, last reported expiry, last decision) —
 * found by one lookup of the address.
 *
 * Why: a flood replay's line-level profile (bench/RESULTS.md, replay3's "new ceiling")
 * put the policy's time in first touches of per-address state spread over separate
 * structures: the held-address table's key, occupancy and value columns, the Block object,
 * its BlockRecord (92% of `renew`'s self time), and a 100k-entry `Map<string, number>` of
 * block counts (70% of `onVerdict`'s). Here a packet from a blocked IPv4 source reads an
 * index cell ([key, slot] side by side: one cache line), its slot's flags-and-count word
 * and its 32-byte group of four doubles — three lines, against five or six before; the
 * record itself is read only when a decision is made.
 *
 * It replaced AddressMap (an int32 table of held blocks beside a Map of every key) and the
 * policy's Map of block counts.
 * - Index: canonical IPv4 addresses by their 32-bit number in an open-addressing table of
 *   [key, 1 + slot] int32 pairs (Fibonacci hash, linear probing, backward-shift deletion,
 *   at most half full); any other text (IPv6, a network, a non-canonical spelling) in a
 *   `Map<string, slot>`. The caller that read the address from packet bytes passes its
 *   number (`v4`), so no text is parsed again.
 * - Slots: stable numbers (freed ones reused); per slot a meta word (HELD | PERM | count
 *   << 2: `metaOf`, `setMeta`), six doubles (EXPIRES, LAST_SEEN, REPORTED, LAST_DECISION,
 *   FIRST_SEEN, BLOCKED_AT: `f64Of(s)[fo(s) + …]`), two links (the held blocks' list, in
 *   start order: `prevOf`, `nextOf`) and what the held block's record keeps besides its
 *   times (`recOf`, `setRec`: block-record.ts HeldRecord).
 * - Growth in steps, never in one piece (issue 13, target 4: loop lag ≤ 5 ms). At 1M
 *   sources the index's doubling took 106 ms (a rehash of 1M random cells) and the columns'
 *   151 ms (44 MB copied into fresh pages, and the collection V8 starts on that much new
 *   memory). The columns are chunks of CHUNK slots (the first one grows by doubling up to
 *   CHUNK; then one chunk of each column, 240 KB in all, is added at a time, nothing is
 *   copied); the chunk's row is one load more per access, from a small array that stays in
 *   cache. (Resizable ArrayBuffers, which grow in place, were measured first: their
 *   length-tracking views cost 1.5–2× a plain typed array per access on Node 20.) The index
 *   is rehashed incrementally: on a doubling the old cells stay readable beside the new
 *   table, and every insert or removal moves MIGRATE_STEP old cells over (an old cell that
 *   moved or was removed becomes a tombstone, so old probe runs stay whole); the move is
 *   done after an eighth of the inserts that would fill the new table to half.
 * - The last lookup is remembered until a slot is added or freed: a packet asks about its
 *   source two or three times in a row.
 */
import { canonicalV4Number as ipv4Number } from '../net/ip.js';
import type { HeldRecord } from './block-record.js';

/** `v4` when the caller has not read the address as a number: the text is parsed. */
export const V4_UNKNOWN = -2;

/** meta bits: a block is held; it is permanent. The count of dynamic blocks is meta >>> 2. */
export const HELD = 1;
export const PERM = 2;
export const FLAGS = HELD | PERM;
/** Offsets in a slot's six doubles (f64[DOUBLES × slot + …]). */
export const EXPIRES = 0;
export const LAST_SEEN = 1;
export const REPORTED = 2;
export const LAST_DECISION = 3;
export const FIRST_SEEN = 4;
export const BLOCKED_AT = 5;
const DOUBLES = 6;

const INITIAL = 64;
/** Slots per chunk of the columns: 4,096 (meta 16 KB, doubles 192 KB, links 32 KB). */
const CHUNK_SHIFT = 12;
const CHUNK = 1 << CHUNK_SHIFT;
const CHUNK_MASK = CHUNK - 1;
/** Old index cells moved to the new one per insert or removal while the index doubles. */
export const MIGRATE_STEP = 16;
/** An old index cell whose entry moved or was removed: a probe goes on past it. */
const TOMB = -1;

/** The home cell of IPv4 key `k` in an index of 2^(32 - shift) cells (Fibonacci hashing). */
function home(k: number, shift: number): number {
  return Math.imul(k, 0x9e3779b1) >>> shift;
}

/** Offset of slot `s`'s six doubles in its chunk `f64Of(s)`. */
export function fo(s: number): number {
  return DOUBLES * (s & CHUNK_MASK);
}

export class SourceSlots {
  /** IPv4 index: [key, 1 + slot] pairs (0 = empty cell). */
  private index = new Int32Array(2 * 2 * INITIAL);
  private mask = 2 * INITIAL - 1;
  private shift = 32 - Math.log2(2 * INITIAL);
  /** Entries in both indexes. */
  private indexed = 0;
  /** The index being moved into `index` (null: none), cell by cell from `cursor`. */
  private old: Int32Array | null = null;
  private oldMask = 0;
  private oldShift = 0;
  private cursor = 0;
  private readonly strings = new Map<string, number>();
  /** Slots the columns hold now. */
  private capacity = INITIAL;
  /** Column chunks, CHUNK slots each (the first may be smaller while it is the only one). */
  private readonly metaC: Int32Array[] = [new Int32Array(INITIAL)];
  private readonly f64C: Float64Array[] = [new Float64Array(DOUBLES * INITIAL)];
  /** [previous, next] slot per slot (-1: none), for a list kept by the owner (held.ts). */
  private readonly linkC: Int32Array[] = [new Int32Array(2 * INITIAL)];
  private readonly recC: (HeldRecord | undefined)[][] = [
    new Array<HeldRecord | undefined>(INITIAL).fill(undefined),
  ];
  private top = 0;
  private readonly free: number[] = [];
  private lastKey: string | null = null;
  private lastSlot = -1;

  /** Slots in use (addresses with a block or a count). */
  get size(): number {
    return this.top - this.free.length;
  }

  /** Whether an index doubling is under way (tests). */
  get migrating(): boolean {
    return this.old !== null;
  }

  /**
   * The slot of `ip`, or -1. `v4`: canonicalV4Number(ip) when the caller has it (-1: not a
   * canonical IPv4), else V4_UNKNOWN. A wrong number is a wrong answer.
   */
  find(ip: string, v4 = V4_UNKNOWN): number {
    if (ip === this.lastKey) return this.lastSlot;
    const n = v4 === V4_UNKNOWN ? ipv4Number(ip) : v4;
    const s = n >= 0 ? this.probe(n | 0) : (this.strings.get(ip) ?? -1);
    this.lastKey = ip;
    this.lastSlot = s;
    return s;
  }

  /** The slot of `ip`, made (meta 0, no record) if it has none. */
  slotFor(ip: string): number {
    const found = this.find(ip);
    if (found >= 0) return found;
    const s = this.free.length > 0 ? this.free.pop()! : this.top++;
    if (s >= this.capacity) this.growColumns();
    this.setMeta(s, 0);
    this.setRec(s, undefined);
    const n = ipv4Number(ip);
    if (n >= 0) this.insert(n | 0, s);
    else this.strings.set(ip, s);
    this.lastKey = ip;
    this.lastSlot = s;
    return s;
  }

  /** Frees `ip`'s slot `s` when it holds nothing (no block, a count of 0). */
  releaseIfEmpty(s: number, ip: string): void {
    if (this.metaOf(s) !== 0) return;
    this.lastKey = null;
    this.setRec(s, undefined);
    this.free.push(s);
    const n = ipv4Number(ip);
    if (n >= 0) this.remove(n | 0);
    else this.strings.delete(ip);
  }

  metaOf(s: number): number {
    return this.metaC[s >>> CHUNK_SHIFT]![s & CHUNK_MASK]!;
  }

  setMeta(s: number, v: number): void {
    this.metaC[s >>> CHUNK_SHIFT]![s & CHUNK_MASK] = v;
  }

  /** The chunk of slot `s`'s doubles: f64Of(s)[fo(s) + EXPIRES]. */
  f64Of(s: number): Float64Array {
    return this.f64C[s >>> CHUNK_SHIFT]!;
  }

  prevOf(s: number): number {
    return this.linkC[s >>> CHUNK_SHIFT]![2 * (s & CHUNK_MASK)]!;
  }

  nextOf(s: number): number {
    return this.linkC[s >>> CHUNK_SHIFT]![2 * (s & CHUNK_MASK) + 1]!;
  }

  setPrev(s: number, p: number): void {
    this.linkC[s >>> CHUNK_SHIFT]![2 * (s & CHUNK_MASK)] = p;
  }

  setNext(s: number, n: number): void {
    this.linkC[s >>> CHUNK_SHIFT]![2 * (s & CHUNK_MASK) + 1] = n;
  }

  /** The record of slot `s` (undefined: none). */
  recOf(s: number): HeldRecord | undefined {
    return this.recC[s >>> CHUNK_SHIFT]![s & CHUNK_MASK];
  }

  setRec(s: number, r: HeldRecord | undefined): void {
    this.recC[s >>> CHUNK_SHIFT]![s & CHUNK_MASK] = r;
  }

  private probe(k: number): number {
    const idx = this.index;
    const mask = this.mask;
    for (let i = home(k, this.shift); ; i = (i + 1) & mask) {
      const s = idx[2 * i + 1]!;
      if (s === 0) break;
      if (idx[2 * i] === k) return s - 1;
    }
    return this.old === null ? -1 : this.probeOld(k);
  }

  /** The old index's cell of `k`, or -1 (tombstones are passed over). */
  private oldCell(k: number): number {
    const old = this.old!;
    const mask = this.oldMask;
    for (let i = home(k, this.oldShift); ; i = (i + 1) & mask) {
      const s = old[2 * i + 1]!;
      if (s === 0) return -1;
      if (s !== TOMB && old[2 * i] === k) return i;
    }
  }

  private probeOld(k: number): number {
    const i = this.oldCell(k);
    return i < 0 ? -1 : this.old![2 * i + 1]! - 1;
  }

  private insert(k: number, s: number): void {
    if (this.old !== null) this.migrate(MIGRATE_STEP);
    this.place(k, s + 1);
    if (++this.indexed * 2 > this.mask + 1) this.startDoubling();
  }

  /** Puts [k, v] into the (new) index, which has room and does not hold k. */
  private place(k: number, v: number): void {
    const idx = this.index;
    const mask = this.mask;
    let i = home(k, this.shift);
    while (idx[2 * i + 1] !== 0) i = (i + 1) & mask;
    idx[2 * i] = k;
    idx[2 * i + 1] = v;
  }

  private remove(k: number): void {
    if (this.old !== null) this.migrate(MIGRATE_STEP);
    if (this.removeNew(k)) {
      this.indexed--;
      return;
    }
    if (this.old === null) return;
    const i = this.oldCell(k);
    if (i < 0) return;
    this.old[2 * i + 1] = TOMB;
    this.indexed--;
  }

  private removeNew(k: number): boolean {
    const idx = this.index;
    const mask = this.mask;
    const shift = this.shift;
    let i = home(k, shift);
    for (; idx[2 * i + 1] !== 0; i = (i + 1) & mask) if (idx[2 * i] === k) break;
    if (idx[2 * i + 1] === 0) return false;
    // Backward shift: move later entries of the probe run into the hole (no tombstones).
    for (let j = (i + 1) & mask; idx[2 * j + 1] !== 0; j = (j + 1) & mask) {
      const h = home(idx[2 * j]!, shift);
      // j's entry may fill the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? h > i && h <= j : h > i || h <= j) continue;
      idx[2 * i] = idx[2 * j]!;
      idx[2 * i + 1] = idx[2 * j + 1]!;
      i = j;
    }
    idx[2 * i] = 0;
    idx[2 * i + 1] = 0;
    return true;
  }

  /**
   * The index is half full: a table twice the size takes new entries at once, and the old
   * one's move into it is spread over the next inserts and removals (MIGRATE_STEP cells
   * each: done after an eighth of the inserts that would fill the new one to half).
   */
  private startDoubling(): void {
    if (this.old !== null) this.migrate(this.oldMask + 1);
    this.old = this.index;
    this.oldMask = this.mask;
    this.oldShift = this.shift;
    this.cursor = 0;
    const cells = (this.mask + 1) * 2;
    this.index = new Int32Array(2 * cells);
    this.mask = cells - 1;
    this.shift--;
  }

  /** Moves up to `n` cells of the old index into the new one; drops it when all moved. */
  private migrate(n: number): void {
    const old = this.old!;
    const cells = this.oldMask + 1;
    const end = Math.min(cells, this.cursor + n);
    for (let i = this.cursor; i < end; i++) {
      const v = old[2 * i + 1]!;
      if (v <= 0) continue;
      this.place(old[2 * i]!, v);
      old[2 * i + 1] = TOMB;
    }
    this.cursor = end;
    if (end === cells) this.old = null;
  }

  /**
   * Room for more slots: the first chunk doubles (a copy of at most 120 KB) until it is
   * CHUNK slots; then a new chunk of each column is added and nothing moves.
   */
  private growColumns(): void {
    if (this.capacity < CHUNK) {
      const n = this.capacity * 2;
      const meta = new Int32Array(n);
      meta.set(this.metaC[0]!);
      this.metaC[0] = meta;
      const f64 = new Float64Array(DOUBLES * n);
      f64.set(this.f64C[0]!);
      this.f64C[0] = f64;
      const link = new Int32Array(2 * n);
      link.set(this.linkC[0]!);
      this.linkC[0] = link;
      const recs = this.recC[0]!;
      for (let i = recs.length; i < n; i++) recs.push(undefined);
      this.capacity = n;
      return;
    }
    this.metaC.push(new Int32Array(CHUNK));
    this.f64C.push(new Float64Array(DOUBLES * CHUNK));
    this.linkC.push(new Int32Array(2 * CHUNK));
    this.recC.push(new Array<HeldRecord | undefined>(CHUNK).fill(undefined));
    this.capacity += CHUNK;
  }
}

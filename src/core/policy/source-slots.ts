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
 * - Slots: stable numbers (freed ones reused), columns `meta` (HELD | PERM | count << 2),
 *   `f64` (4 doubles a slot: EXPIRES, LAST_SEEN, REPORTED, LAST_DECISION), `link` (the
 *   held blocks' list, in start order) and `recs` (the held block's record). Columns grow by copying (a memcpy, no rehash); the index
 *   doubles. Columns are replaced by a growth: read them through the table after `slotFor`.
 * - The last lookup is remembered until a slot is added or freed: a packet asks about its
 *   source two or three times in a row.
 */
import { canonicalV4Number as ipv4Number } from '../net/ip.js';
import type { BlockRecord } from '../types.js';

/** `v4` when the caller has not read the address as a number: the text is parsed. */
export const V4_UNKNOWN = -2;

/** meta bits: a block is held; it is permanent. The count of dynamic blocks is meta >>> 2. */
export const HELD = 1;
export const PERM = 2;
export const FLAGS = HELD | PERM;
/** Offsets in a slot's four doubles (f64[4 × slot + …]). */
export const EXPIRES = 0;
export const LAST_SEEN = 1;
export const REPORTED = 2;
export const LAST_DECISION = 3;

const INITIAL = 64;

export class SourceSlots {
  /** IPv4 index: [key, 1 + slot] pairs (0 = empty cell). */
  private index = new Int32Array(2 * 2 * INITIAL);
  private mask = 2 * INITIAL - 1;
  private shift = 32 - Math.log2(2 * INITIAL);
  private indexed = 0;
  private readonly strings = new Map<string, number>();
  meta = new Int32Array(INITIAL);
  f64 = new Float64Array(4 * INITIAL);
  /** [previous, next] slot per slot (-1: none), for a list kept by the owner (held.ts). */
  link = new Int32Array(2 * INITIAL);
  readonly recs: (BlockRecord | undefined)[] = [];
  private top = 0;
  private readonly free: number[] = [];
  private lastKey: string | null = null;
  private lastSlot = -1;

  /** Slots in use (addresses with a block or a count). */
  get size(): number {
    return this.top - this.free.length;
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

  /** The slot of `ip`, made (meta 0, no record) if it has none. May replace the columns. */
  slotFor(ip: string): number {
    const found = this.find(ip);
    if (found >= 0) return found;
    const s = this.free.length > 0 ? this.free.pop()! : this.top++;
    if (s >= this.meta.length) this.growColumns();
    this.meta[s] = 0;
    this.recs[s] = undefined;
    const n = ipv4Number(ip);
    if (n >= 0) this.insert(n | 0, s);
    else this.strings.set(ip, s);
    this.lastKey = ip;
    this.lastSlot = s;
    return s;
  }

  /** Frees `ip`'s slot `s` when it holds nothing (no block, a count of 0). */
  releaseIfEmpty(s: number, ip: string): void {
    if (this.meta[s] !== 0) return;
    this.lastKey = null;
    this.recs[s] = undefined;
    this.free.push(s);
    const n = ipv4Number(ip);
    if (n >= 0) this.remove(n | 0);
    else this.strings.delete(ip);
  }

  private home(k: number): number {
    return Math.imul(k, 0x9e3779b1) >>> this.shift;
  }

  private probe(k: number): number {
    const idx = this.index;
    const mask = this.mask;
    for (let i = this.home(k); ; i = (i + 1) & mask) {
      const s = idx[2 * i + 1]!;
      if (s === 0) return -1;
      if (idx[2 * i] === k) return s - 1;
    }
  }

  private insert(k: number, s: number): void {
    const idx = this.index;
    const mask = this.mask;
    let i = this.home(k);
    while (idx[2 * i + 1] !== 0) i = (i + 1) & mask;
    idx[2 * i] = k;
    idx[2 * i + 1] = s + 1;
    if (++this.indexed * 2 > mask + 1) this.growIndex();
  }

  private remove(k: number): void {
    const idx = this.index;
    const mask = this.mask;
    let i = this.home(k);
    for (; idx[2 * i + 1] !== 0; i = (i + 1) & mask) if (idx[2 * i] === k) break;
    if (idx[2 * i + 1] === 0) return;
    this.indexed--;
    // Backward shift: move later entries of the probe run into the hole (no tombstones).
    for (let j = (i + 1) & mask; idx[2 * j + 1] !== 0; j = (j + 1) & mask) {
      const h = this.home(idx[2 * j]!);
      // j's entry may fill the hole at i unless its home lies cyclically in (i, j].
      if (i <= j ? h > i && h <= j : h > i || h <= j) continue;
      idx[2 * i] = idx[2 * j]!;
      idx[2 * i + 1] = idx[2 * j + 1]!;
      i = j;
    }
    idx[2 * i] = 0;
    idx[2 * i + 1] = 0;
  }

  private growIndex(): void {
    const old = this.index;
    const cells = (this.mask + 1) * 2;
    this.index = new Int32Array(2 * cells);
    this.mask = cells - 1;
    this.shift--;
    this.indexed = 0;
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.insert(old[i]!, old[i + 1]! - 1);
  }

  private growColumns(): void {
    const n = this.meta.length * 2;
    const meta = new Int32Array(n);
    meta.set(this.meta);
    this.meta = meta;
    const f64 = new Float64Array(4 * n);
    f64.set(this.f64);
    this.f64 = f64;
    const link = new Int32Array(2 * n);
    link.set(this.link);
    this.link = link;
  }
}

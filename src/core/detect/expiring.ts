/**
 * Bounded maps whose entries expire in arrival order, O(1) per operation: Maps for lookup
 * plus a ring queue for expiry. (Deleting a Map's first entry through a fresh iterator is
 * O(holes) in V8, quadratic over a run: measured 7.8 s for 200k; hence the ring.)
 *
 * Nothing grows in one piece (issue 13, target 4: loop lag ≤ 5 ms). One V8 Map rehashes
 * all its entries when it doubles or shrinks: 17–20 ms of CPU at 65,536 entries and 33 ms
 * at 131,072 (bench/RESULTS.md, helper rotate), and the pending challenges reach 200k in
 * an enumeration flood. Here the keys are spread over SHARDS Maps by their low bits (a
 * rehash moves ≤ ~1/SHARDS of them), and the ring is CHUNK-slot chunks made as it first
 * reaches them, never copied (the two arrays doubling cost another ~10 ms at 131k).
 */

const SHARD_BITS = 8;
const SHARDS = 1 << SHARD_BITS;
const CHUNK_SHIFT = 12;
const CHUNK = 1 << CHUNK_SHIFT;

/**
 * A bounded map of integer keys (hashes: their low bits pick the shard) whose entries
 * expire in arrival order after `ttl` seconds of packet time. The ring may hold stale
 * slots (replaced or deleted entries); they count toward `maxEntries`, which bounds the
 * ring and therefore the map.
 */
export class ExpiringMap<V extends { at: number }> {
  private readonly maps: Map<number, V>[] = [];
  private count = 0;
  /** The ring: `cap` slots (whole chunks), chunk i made when first written. */
  private readonly keys: Int32Array[] = [];
  private readonly vals: (V | undefined)[][] = [];
  private readonly cap: number;
  private head = 0;
  private len = 0;

  constructor(
    readonly maxEntries: number,
    readonly ttl: number,
  ) {
    if (!(maxEntries >= 1)) throw new RangeError('maxEntries must be >= 1');
    for (let i = 0; i < SHARDS; i++) this.maps.push(new Map());
    this.cap = Math.ceil(maxEntries / CHUNK) * CHUNK;
  }

  get size(): number {
    return this.count;
  }

  get(key: number): V | undefined {
    return this.maps[key & (SHARDS - 1)]!.get(key);
  }

  /** Inserts or replaces; a full ring first drops its oldest slot (passed to onEvict if live). */
  set(key: number, val: V, onEvict?: (key: number, val: V) => void): void {
    if (this.len === this.maxEntries) this.shift(onEvict);
    let i = this.head + this.len;
    if (i >= this.cap) i -= this.cap;
    const c = i >>> CHUNK_SHIFT;
    if (c === this.keys.length) {
      this.keys.push(new Int32Array(CHUNK));
      this.vals.push(new Array<V | undefined>(CHUNK).fill(undefined));
    }
    this.keys[c]![i & (CHUNK - 1)] = key;
    this.vals[c]![i & (CHUNK - 1)] = val;
    this.len++;
    const m = this.maps[key & (SHARDS - 1)]!;
    const n = m.size;
    m.set(key, val);
    this.count += m.size - n;
  }

  delete(key: number): boolean {
    if (!this.maps[key & (SHARDS - 1)]!.delete(key)) return false;
    this.count--;
    return true;
  }

  /** Drops entries whose `at + ttl <= now`, oldest first, calling onExpire for live ones. */
  expire(now: number, onExpire?: (key: number, val: V) => void): void {
    while (this.len > 0) {
      const v = this.vals[this.head >>> CHUNK_SHIFT]![this.head & (CHUNK - 1)]!;
      if (v.at + this.ttl > now) return;
      this.shift(onExpire);
    }
  }

  /** Time of the oldest slot, or null when empty. */
  oldestAt(): number | null {
    return this.len > 0 ? this.vals[this.head >>> CHUNK_SHIFT]![this.head & (CHUNK - 1)]!.at : null;
  }

  private shift(cb?: (key: number, val: V) => void): void {
    const c = this.head >>> CHUNK_SHIFT;
    const o = this.head & (CHUNK - 1);
    const k = this.keys[c]![o]!;
    const v = this.vals[c]![o]!;
    this.vals[c]![o] = undefined;
    if (++this.head === this.cap) this.head = 0;
    this.len--;
    const m = this.maps[k & (SHARDS - 1)]!;
    if (m.get(k) === v) {
      m.delete(k);
      this.count--;
      cb?.(k, v);
    }
  }
}

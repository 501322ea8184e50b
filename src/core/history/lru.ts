/**
 * A Map that keeps at most `capacity` keys, dropping the least recently set first.
 *
 * Why not a Map re-inserted on every use (delete, then set: Map order is then recency)
 * with its first key dropped: that is what the evidence log did, and in a flood it cost
 * ~1.6 µs an error answer — each drop walks from the Map's start past the holes earlier
 * deletes left there (bench: 400k addresses through 4,096 slots, 1.6–1.7 µs against
 * ~0.5 µs here). Here a use appends (key, stamp) to a ring of recency; a drop takes the
 * ring's oldest entry whose stamp is still its key's, skipping the older uses of keys
 * set since. The ring holds 2 × capacity uses; when it is full, the uses that are no
 * longer any key's last one are squeezed out (at least `capacity` of them, so this is
 * amortized O(1) a set).
 *
 * A key's value and last stamp are in a slot (arrays of capacity + 1 made once), the Map
 * holds the slot's number: an entry object ({ value, stamp }, 40 bytes) per key was made
 * for each new address a flood answered, and lived through the next capacity − 1 of them,
 * so the scavenges copied and promoted it (bench/RESULTS.md, helper survivors).
 */
export class LruMap<V> {
  /** Key → its slot in `values` and `lastStamp`. */
  private readonly byKey = new Map<string, number>();
  private readonly values: (V | undefined)[];
  private readonly lastStamp: Float64Array;
  /** Free slots, a stack (`nFree` of them). */
  private readonly free: Int32Array;
  private nFree: number;
  private keys: string[];
  private stamps: Float64Array;
  private head = 0;
  private used = 0;
  private stamp = 0;

  constructor(private readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError(`capacity must be at least 1, got ${capacity}`);
    this.keys = new Array<string>(2 * capacity);
    this.stamps = new Float64Array(2 * capacity);
    // A set holds capacity + 1 keys for a moment, before the oldest is dropped.
    this.values = new Array<V | undefined>(capacity + 1).fill(undefined);
    this.lastStamp = new Float64Array(capacity + 1);
    this.free = new Int32Array(capacity + 1);
    for (let i = 0; i <= capacity; i++) this.free[i] = capacity - i;
    this.nFree = capacity + 1;
  }

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): V | undefined {
    const s = this.byKey.get(key);
    return s === undefined ? undefined : this.values[s];
  }

  /** Sets `key` as the most recently used; drops the least recently set key beyond capacity. */
  set(key: string, value: V): void {
    const stamp = ++this.stamp;
    let s = this.byKey.get(key);
    if (s === undefined) {
      s = this.free[--this.nFree]!;
      this.byKey.set(key, s);
    }
    this.values[s] = value;
    this.lastStamp[s] = stamp;
    if (this.used === this.keys.length) this.squeeze();
    const at = (this.head + this.used) % this.keys.length;
    this.keys[at] = key;
    this.stamps[at] = stamp;
    this.used++;
    while (this.byKey.size > this.capacity) this.dropOldest();
  }

  private dropOldest(): void {
    for (;;) {
      const key = this.keys[this.head]!;
      const stamp = this.stamps[this.head]!;
      this.keys[this.head] = '';
      this.head = (this.head + 1) % this.keys.length;
      this.used--;
      const s = this.byKey.get(key);
      if (s !== undefined && this.lastStamp[s] === stamp) {
        this.byKey.delete(key);
        this.values[s] = undefined;
        this.free[this.nFree++] = s;
        return;
      }
    }
  }

  /** Keeps only each key's last use, in order (the ring is full: at most `capacity` stay). */
  private squeeze(): void {
    const n = this.keys.length;
    const keys = new Array<string>(n);
    const stamps = new Float64Array(n);
    let kept = 0;
    for (let i = 0; i < this.used; i++) {
      const j = (this.head + i) % n;
      const key = this.keys[j]!;
      const s = this.byKey.get(key);
      if (s === undefined || this.lastStamp[s] !== this.stamps[j]) continue;
      keys[kept] = key;
      stamps[kept++] = this.stamps[j]!;
    }
    this.keys = keys;
    this.stamps = stamps;
    this.head = 0;
    this.used = kept;
  }
}

/**
 * Bounded maps whose entries expire in arrival order, O(1) per operation: a Map for
 * lookup plus a ring queue for expiry. (Deleting a Map's first entry through a fresh
 * iterator is O(holes) in V8, quadratic over a run: measured 7.8 s for 200k; hence
 * the ring.)
 */

/**
 * A bounded map whose entries expire in arrival order after `ttl` seconds of packet
 * time. The ring may hold stale slots (replaced or deleted entries); they count toward
 * `maxEntries`, which bounds the ring and therefore the map.
 */
export class ExpiringMap<K, V extends { at: number }> {
  private readonly map = new Map<K, V>();
  private keys: (K | undefined)[];
  private vals: (V | undefined)[];
  private head = 0;
  private len = 0;

  constructor(
    readonly maxEntries: number,
    readonly ttl: number,
  ) {
    if (!(maxEntries >= 1)) throw new RangeError('maxEntries must be >= 1');
    const initial = Math.min(maxEntries, 1024);
    this.keys = new Array(initial);
    this.vals = new Array(initial);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    return this.map.get(key);
  }

  /** Inserts or replaces; a full ring first drops its oldest slot (passed to onEvict if live). */
  set(key: K, val: V, onEvict?: (key: K, val: V) => void): void {
    if (this.len === this.maxEntries) this.shift(onEvict);
    if (this.len === this.keys.length) this.grow();
    const i = (this.head + this.len) % this.keys.length;
    this.keys[i] = key;
    this.vals[i] = val;
    this.len++;
    this.map.set(key, val);
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  /** Drops entries whose `at + ttl <= now`, oldest first, calling onExpire for live ones. */
  expire(now: number, onExpire?: (key: K, val: V) => void): void {
    while (this.len > 0) {
      const v = this.vals[this.head]!;
      if (v.at + this.ttl > now) return;
      this.shift(onExpire);
    }
  }

  /** Time of the oldest slot, or null when empty. */
  oldestAt(): number | null {
    return this.len > 0 ? this.vals[this.head]!.at : null;
  }

  private shift(cb?: (key: K, val: V) => void): void {
    const k = this.keys[this.head]!;
    const v = this.vals[this.head]!;
    this.keys[this.head] = undefined;
    this.vals[this.head] = undefined;
    this.head = (this.head + 1) % this.keys.length;
    this.len--;
    if (this.map.get(k) === v) {
      this.map.delete(k);
      cb?.(k, v);
    }
  }

  private grow(): void {
    const cap = Math.min(this.keys.length * 2, this.maxEntries);
    const keys: (K | undefined)[] = new Array(cap);
    const vals: (V | undefined)[] = new Array(cap);
    for (let j = 0; j < this.len; j++) {
      const i = (this.head + j) % this.keys.length;
      keys[j] = this.keys[i];
      vals[j] = this.vals[i];
    }
    this.keys = keys;
    this.vals = vals;
    this.head = 0;
  }
}

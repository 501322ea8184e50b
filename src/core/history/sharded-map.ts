/**
 * A Map of string keys split over SHARDS Maps by a hash of the key, so that it grows in
 * steps: a V8 Map doubles by rehashing every entry into a new table in one piece, and at
 * the sizes a flood reaches that piece holds the event loop (a 1M-entry Map of address
 * keys: 64 ms at 131k entries, 80 ms at 262k, 313 ms at 524k, ~1 s at 1M on this
 * machine under load, its collection included; bench/RESULTS.md, helper gcsurv). Each
 * shard holds ~1/64 of the keys and grows on its own, so one growth moves ~1/64 of them.
 *
 * Get, set, delete and size only (no order: the callers never iterate). The shard is
 * picked by the detection state's string hash (FNV-1a and a finaliser, ~20 ns an address).
 */
import { strHash } from '../detect/state-keys.js';

const SHARDS = 64;

export class ShardedMap<V> {
  private readonly shards: Map<string, V>[] = Array.from({ length: SHARDS }, () => new Map<string, V>());
  private count = 0;

  get size(): number {
    return this.count;
  }

  private shardOf(key: string): Map<string, V> {
    return this.shards[strHash(key) & (SHARDS - 1)]!;
  }

  get(key: string): V | undefined {
    return this.shardOf(key).get(key);
  }

  set(key: string, value: V): void {
    const m = this.shardOf(key);
    const before = m.size;
    m.set(key, value);
    this.count += m.size - before;
  }

  delete(key: string): boolean {
    const gone = this.shardOf(key).delete(key);
    if (gone) this.count--;
    return gone;
  }
}

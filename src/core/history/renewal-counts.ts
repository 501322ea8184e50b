/**
 * The renewals of running blocks, counted until they lift (daemon/history.ts): how many
 * and the last one's time, for each block renewed at least once.
 *
 * Why columns: an entry lives as long as its block (an hour by default), so every byte of
 * it is copied by the scavenges that promote it. As an object in a Map it was the object
 * (40 bytes) and its boxed time (16) for each renewed block — in the issue-13 flood every
 * attacker's block is renewed, 100k of them. Here a key maps to a slot (a small integer,
 * held in the Map's own table) and the count and time live in Float64Array chunks outside
 * the JS heap; a renewal changes two doubles in place and allocates nothing. Chunks of
 * CHUNK slots are added one at a time and never copied (growth in steps, as the policy's
 * source slots); freed slots are reused through a list kept in their own count cells.
 */
import { ShardedMap } from './sharded-map.js';

const SHIFT = 12;
const CHUNK = 1 << SHIFT;
/** Doubles a slot holds: its count of renewals, the last one's time. */
const COUNT = 0;
const LAST = 1;
const WIDTH = 2;

export class RenewalCounts {
  /** Address → slot; sharded so that a flood's 100k entries do not rehash one Map in one piece. */
  private readonly slotOf = new ShardedMap<number>();
  private readonly chunks: Float64Array[] = [];
  /** Slots handed out so far (the next fresh one); freed ones wait in the free list first. */
  private fresh = 0;
  /** The first freed slot, -1 for none; each freed slot's count cell holds the next. */
  private freed = -1;

  get size(): number {
    return this.slotOf.size;
  }

  /** Counts one renewal of `ip`'s block at `at`. */
  renewed(ip: string, at: number): void {
    const s = this.slotOf.get(ip);
    if (s !== undefined) {
      const c = this.chunks[s >>> SHIFT]!;
      const o = (s & (CHUNK - 1)) * WIDTH;
      c[o + COUNT]!++;
      c[o + LAST] = at;
      return;
    }
    const n = this.take();
    this.slotOf.set(ip, n);
    const c = this.chunks[n >>> SHIFT]!;
    const o = (n & (CHUNK - 1)) * WIDTH;
    c[o + COUNT] = 1;
    c[o + LAST] = at;
  }

  /** `ip`'s renewals and the last one's time, then forgotten (its block lifted); undefined: none. */
  lifted(ip: string): { renewals: number; lastSeen: number } | undefined {
    const s = this.slotOf.get(ip);
    if (s === undefined) return undefined;
    const c = this.chunks[s >>> SHIFT]!;
    const o = (s & (CHUNK - 1)) * WIDTH;
    const out = { renewals: c[o + COUNT]!, lastSeen: c[o + LAST]! };
    this.release(ip, s);
    return out;
  }

  /** Forgets `ip`'s renewals (a new block starts from none). */
  forget(ip: string): void {
    const s = this.slotOf.get(ip);
    if (s !== undefined) this.release(ip, s);
  }

  private release(ip: string, s: number): void {
    this.slotOf.delete(ip);
    this.chunks[s >>> SHIFT]![(s & (CHUNK - 1)) * WIDTH + COUNT] = this.freed;
    this.freed = s;
  }

  /** A free slot: the last freed one, else a fresh one (a chunk added when they run out). */
  private take(): number {
    const f = this.freed;
    if (f >= 0) {
      this.freed = this.chunks[f >>> SHIFT]![(f & (CHUNK - 1)) * WIDTH + COUNT]!;
      return f;
    }
    if (this.fresh === this.chunks.length * CHUNK) this.chunks.push(new Float64Array(CHUNK * WIDTH));
    return this.fresh++;
  }
}

/**
 * One kept copy of each text that repeats across requests: the request table's user
 * agents and users (match.ts). A request remembered for 32 s of packet time outlives the
 * young generation; before, each kept its own copies of its To user and credentials'
 * username (24 B each, the same "134" twice in a flood's attempt), which every scavenge
 * then copied and promoted: 133k such strings in a heap of 200k flood packets. Pooled,
 * the parser's strings die young and the table points at one copy a user. The flood
 * holds 1,900 distinct users in 925k looked up, the mixed capture 31k.
 *
 * Bounded: a full pool is emptied and refilled (a miss costs what the copy cost before).
 */
import { detach } from './users.js';

export class StringPool {
  private readonly map = new Map<string, string>();
  /** The copy handed out last: the To user and the username of one request are mostly one. */
  private last = '';

  constructor(private readonly max: number) {}

  /** The pool's copy of `s` (never a slice of a packet's text), or null. */
  get(s: string | null): string | null {
    if (s === null) return null;
    if (s === this.last) return this.last;
    let hit = this.map.get(s);
    if (hit === undefined) {
      if (this.map.size >= this.max) this.map.clear();
      hit = detach(s)!;
      this.map.set(hit, hit);
    }
    this.last = hit;
    return hit;
  }

  get size(): number {
    return this.map.size;
  }
}

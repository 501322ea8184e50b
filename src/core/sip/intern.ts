/**
 * One kept copy of each user agent the request table remembers (match.ts): a request is
 * kept for 32 s of packet time, past the young generation, and user agents repeat across
 * millions of requests, so the parser's strings die young and the table points at one
 * copy of each text.
 *
 * Direct-mapped (a slot per hash of the text, the newest text wins it), not a Map: no
 * hashing of each whole fresh string by V8 and no growth; a slot is a short hash and one
 * compare, and a miss costs what the copy cost before. Bounded by its slots. Tried for
 * users too (the flood's 1,900 users, the mixed capture's 31k): 2.6% of a mixed replay in
 * the pool's lookups (a compare with an old string misses the cache) against ~2% less in
 * the collector; the table keeps one copy of a user a request names twice instead.
 */
import { detach } from './users.js';

export class StringPool {
  private readonly slots: string[];
  private readonly mask: number;
  /** The copy handed out last: consecutive requests mostly share one. */
  private last = '';

  /** `bits`: 2^bits slots. */
  constructor(bits: number) {
    this.slots = new Array<string>(1 << bits).fill('');
    this.mask = (1 << bits) - 1;
  }

  /** The pool's copy of `s` (never a slice of a packet's text), or null. */
  get(s: string | null): string | null {
    if (s === null) return null;
    if (s === this.last) return this.last;
    // FNV-1a over the first 16 characters and the length: enough to spread users and agents.
    const n = s.length;
    let h = Math.imul(0x811c9dc5 ^ n, 0x01000193);
    for (let i = 0, e = Math.min(n, 16); i < e; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    const k = (h ^ (h >>> 15)) & this.mask;
    let hit = this.slots[k]!;
    if (hit !== s) {
      hit = detach(s)!;
      this.slots[k] = hit;
    }
    this.last = hit;
    return hit;
  }
}

/**
 * Sources whose phones authenticate: a prefix key is trusted for TRUST_SECONDS (an hour)
 * after the local server accepted credentials from it — a 2xx to a REGISTER that carried
 * credentials, or to any request that followed up a challenge with credentials. Phones
 * behind an office NAT do this every few minutes; an attack tool never does (when it
 * does, its password was right: that is the breach alert, not trust).
 *
 * What trust changes (and nothing else): the probes of a trusted source (404/403 answers
 * to requests without credentials, challenges left unanswered) are not enumeration — a
 * BLF key on a deleted extension, an OPTIONS keep-alive that the phone never
 * authenticates; its INVITEs to outside numbers are not toll-fraud probes; the
 * distributed-guessing rule never blocks it; a sweep of local ports from it is no scan.
 * Password failures, floods and tool templates count as for anyone.
 *
 * Every phone registration marks its source, so this is on the hot path: a hashed table
 * of 2^18 two-way buckets (time + a second 30-bit hash to confirm the key), 3 MB, no
 * allocation, one string hash per mark or lookup (a Map.set per registration measured
 * 4% of the engine's time). A key whose bucket is taken by two fresher keys loses its
 * trust until its phones next register (minutes): it can only lose trust, never lend it
 * (a wrong key would have to match both 30-bit hashes).
 */
import { HASH, hashEnd, hashStartWith } from '../sip/match-hash.js';

export const TRUST_SECONDS = 3600;
const BUCKETS = 1 << 18;
const MASK = BUCKETS - 1;

export class TrustTable {
  private readonly time = new Float64Array(2 * BUCKETS).fill(Number.NEGATIVE_INFINITY);
  private readonly verify = new Int32Array(2 * BUCKETS);
  private marks = 0;
  private lastKey = '';
  private lastAt = Number.NEGATIVE_INFINITY;

  constructor(readonly ttl: number = TRUST_SECONDS) {}

  /** Keys marked so far (statistics). */
  get size(): number {
    return this.marks;
  }

  /** Credentials from `key` were accepted at `at`. */
  mark(key: string, at: number): void {
    // An office NAT marks on every phone's registration: once a minute is plenty.
    if (key === this.lastKey && at - this.lastAt < 60) return;
    this.lastKey = key;
    this.lastAt = at;
    hashStartWith(key);
    hashEnd();
    const a = (HASH.h1 & MASK) << 1;
    const v = HASH.h2;
    this.marks++;
    let i = a;
    if (this.verify[a] !== v) {
      // The other way of the bucket if it holds this key, else the staler way.
      i = this.verify[a + 1] === v || this.time[a + 1]! < this.time[a]! ? a + 1 : a;
    }
    this.time[i] = at;
    this.verify[i] = v;
  }

  /** Whether `key` had credentials accepted within the last `ttl` seconds before `at`. */
  trusted(key: string, at: number): boolean {
    if (this.marks === 0) return false;
    hashStartWith(key);
    hashEnd();
    const a = (HASH.h1 & MASK) << 1;
    const v = HASH.h2;
    if (this.verify[a] === v && at - this.time[a]! < this.ttl) return true;
    return this.verify[a + 1] === v && at - this.time[a + 1]! < this.ttl;
  }

  /** Nothing to rotate: stale entries fail the time test and are overwritten. */
  rotate(_now: number): void {}
}

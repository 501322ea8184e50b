/**
 * Keys and names of per-source state (state.ts): any key but a canonical IPv4 address
 * (which is its own number, net/ip.ts canonicalV4Number) as a 30-bit hash, and one shared
 * copy of each user name a table keeps (a million sources attacking the same extensions then hold pointers,
 * not a million copies of "100").
 */

import { fmix } from '../sip/match-hash.js';

/** A 30-bit FNV-1a hash of a string key (its home in the index and its stored number). */
export function strHash(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix(h);
}

const INTERN_MAX = 4096;

/** One copy of each recent string (bounded: cleared when full, like the user-agent cache). */
export class Interner {
  private readonly m = new Map<string, string>();

  of(s: string): string {
    const hit = this.m.get(s);
    if (hit !== undefined) return hit;
    if (this.m.size >= INTERN_MAX) this.m.clear();
    // A copy: `s` may be a slice of a whole packet's text, which it would keep alive.
    const copy = s.length < 13 ? s : (' ' + s).slice(1);
    this.m.set(copy, copy);
    return copy;
  }
}

/**
 * Keys and names of per-source state (state.ts): a canonical IPv4 key as its 32-bit number,
 * any other key's 30-bit hash, the index's mixing step, and one shared copy of each user
 * name a table keeps (a million sources attacking the same extensions then hold pointers,
 * not a million copies of "100").
 */

/** The canonical dotted-quad IPv4 address `s` (no leading zeros) as an unsigned number, or -1. */
export function ipv4Number(s: string): number {
  const n = s.length;
  if (n < 7 || n > 15) return -1;
  let v = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      v = v * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9 || (digits > 0 && octet === 0)) return -1;
    octet = octet * 10 + d;
    digits++;
    if (octet > 255) return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return v * 256 + octet;
}

/** A 30-bit FNV-1a hash of a string key (its home in the index and its stored number). */
export function strHash(s: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return mix(h);
}

/** murmur3's finaliser: IPv4 numbers differ in their low bits, the index needs spread. */
export function mix(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0x3fffffff;
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

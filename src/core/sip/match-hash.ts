/**
 * Two independent 30-bit hashes of a sequence of parts (strings and numbers), computed
 * without allocating: FNV-1a style steps with two multipliers, then a murmur3
 * finaliser each. Used as compact keys: h1 to look up, h2 to confirm. Results are
 * small integers, stored unboxed by V8. Also the request table's key (requestKey, match.ts),
 * and the hashes of the last Call-ID and Via branch the parser read, taken from their bytes
 * while it had them (noteCallId, noteBranch): the table asks for them by string, so they are
 * found without walking the string's characters again (charCodeAt: ~1.8 ns a character
 * against ~0.8 ns a byte; the Call-ID was walked three times a request, the branch twice).
 */
import type { SipMessage } from '../types.js';

// Read HASH after hashEnd(). Module state is safe: the core is single-threaded and a
// hash is started and ended without anything else hashing in between.
let A = 0;
let B = 0;
// The last string hashStartWith() hashed and the state after it (set below, for '').
let memoS = '';
let memoA = 0;
let memoB = 0;
/** The two hashes of the last hashEnd(): h1 for lookup, h2 to confirm. */
export const HASH = { h1: 0, h2: 0 };

export function hashStart(): void {
  A = 0x811c9dc5 | 0;
  B = 0x2545f491 | 0;
}

/**
 * hashStart() then hashStr(s), remembering the state after `s`: one packet's source
 * address is hashed by the rate table, the request key, the trust table and the challenge
 * key in turn — the same string, so only the first of them walks its characters. Same
 * result as the two calls, always.
 */
export function hashStartWith(s: string): void {
  if (s === memoS) {
    A = memoA;
    B = memoB;
    return;
  }
  hashStart();
  hashStr(s);
  memoS = s;
  memoA = A;
  memoB = B;
}

export function hashStr(s: string): void {
  let a = A;
  let b = B;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  // A separator, so ("ab","c") and ("a","bc") differ.
  A = Math.imul(a ^ 0x1ff, 0x01000193);
  B = Math.imul(b ^ 0x1ff, 0x5bd1e995);
}

export function hashNum(n: number): void {
  const lo = n | 0;
  const hi = Math.floor(n / 4294967296) | 0;
  A = Math.imul(Math.imul(A ^ lo, 0x01000193) ^ hi, 0x01000193);
  B = Math.imul(Math.imul(B ^ lo, 0x5bd1e995) ^ hi, 0x5bd1e995);
}

/** murmur3's finaliser to 30 bits (keys that differ in their low bits need spread; also the
 * per-source index's home slot, detect/state.ts). */
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h & 0x3fffffff;
}

export function hashEnd(): void {
  HASH.h1 = fmix(A);
  HASH.h2 = fmix(B ^ 0x68e31da4);
}

/** One 30-bit hash of a string, never 0 (0 means "none" in the columns). */
export function hashOne(s: string | null): number {
  if (s === null) return 0;
  // hashStart(), hashStr(s), hashEnd()'s h1 — only the first lane: h1 never reads the second.
  let a = 0x811c9dc5 | 0;
  for (let i = 0; i < s.length; i++) a = Math.imul(a ^ s.charCodeAt(i), 0x01000193);
  const h = fmix(Math.imul(a ^ 0x1ff, 0x01000193));
  return h === 0 ? 1 : h;
}

hashStart();
memoA = Math.imul(A ^ 0x1ff, 0x01000193);
memoB = Math.imul(B ^ 0x1ff, 0x5bd1e995);

// The two lanes (hashStart's A and B over the characters, without the separator) of the
// last Call-ID the parser read, and the last branch's hashOne. Keyed by the string's value:
// a hit is exact whatever string object asks (the same characters hash the same), and a
// miss (another Call-ID, a message built by hand) hashes the string as before.
let callS: string | null = null;
let callA = 0;
let callB = 0;
let branchS: string | null = null;
let branchH = 0;
// Lanes of the last callLanes().
let LA = 0;
let LB = 0;

/** The parser read Call-ID `s` from bytes b[p, p + s.length) (latin1: one byte a character). */
export function noteCallId(s: string, b: Uint8Array, p: number): void {
  let a = 0x811c9dc5 | 0;
  let c = 0x2545f491 | 0;
  for (let i = p, e = p + s.length; i < e; i++) {
    const x = b[i]!;
    a = Math.imul(a ^ x, 0x01000193);
    c = Math.imul(c ^ x, 0x5bd1e995);
  }
  callS = s;
  callA = a;
  callB = c;
}

/** The parser read Via branch `s` from bytes b[p, p + s.length). */
export function noteBranch(s: string, b: Uint8Array, p: number): void {
  let a = 0x811c9dc5 | 0;
  for (let i = p, e = p + s.length; i < e; i++) a = Math.imul(a ^ b[i]!, 0x01000193);
  const h = fmix(Math.imul(a ^ 0x1ff, 0x01000193));
  branchS = s;
  branchH = h === 0 ? 1 : h;
}

/** The lanes of Call-ID `s` into LA, LB: the parser's, or walked here. */
function callLanes(s: string): void {
  if (s === callS) {
    LA = callA;
    LB = callB;
    return;
  }
  let a = 0x811c9dc5 | 0;
  let c = 0x2545f491 | 0;
  for (let i = 0; i < s.length; i++) {
    const x = s.charCodeAt(i);
    a = Math.imul(a ^ x, 0x01000193);
    c = Math.imul(c ^ x, 0x5bd1e995);
  }
  LA = a;
  LB = c;
}

/** hashOne(callId), from the parser's bytes when it read this Call-ID last. */
export function callHash(callId: string | null): number {
  if (callId === null) return 0;
  callLanes(callId);
  const h = fmix(Math.imul(LA ^ 0x1ff, 0x01000193));
  return h === 0 ? 1 : h;
}

/** hashOne(branch), from the parser's bytes when it read this branch last. */
export function branchHash(branch: string | null): number {
  if (branch === null) return 0;
  return branch === branchS ? branchH : hashOne(branch);
}

/**
 * Hashes a request's (or answer's) key into HASH; false if it has none. The Call-ID goes
 * in as its own two 32-bit lanes (callLanes: the parser's, mostly), not character by
 * character after the remote: the pair still tells keys apart (a 64-bit digest of the
 * Call-ID, then the 30 + 30 bits of the whole), and the Call-ID is not walked again.
 */
export function requestKey(remote: string, msg: SipMessage): boolean {
  hashStartWith(remote);
  if (msg.callId !== null && msg.cseq !== null && Number.isFinite(msg.cseq)) {
    callLanes(msg.callId);
    A = Math.imul(A ^ LA, 0x01000193);
    B = Math.imul(B ^ LB, 0x5bd1e995);
    hashNum(msg.cseq);
    hashStr(msg.method);
  } else if (msg.branch !== null) {
    hashNum(-1);
    hashStr(msg.branch);
  } else {
    return false;
  }
  hashEnd();
  return true;
}

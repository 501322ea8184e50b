/**
 * Two independent 30-bit hashes of a sequence of parts (strings and numbers), computed
 * without allocating: FNV-1a style steps with two multipliers, then a murmur3
 * finaliser each. Used as compact keys: h1 to look up, h2 to confirm. Results are
 * small integers, stored unboxed by V8. Also the request table's key (requestKey, match.ts)
 * and its Call-ID and branch hashes (callHash, branchHash: four characters a step).
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

// The Call-ID and the branch are hashed four characters a step (the length, then a word
// of four characters, the last 1-3 one by one): a hash is a chain of dependent multiplies,
// and the Call-ID was walked three times a request one character a step (the key's two
// lanes, then hashOne for the table's column), the branch twice. Now once, a quarter of
// the steps: the Call-ID's lanes are kept for the value last hashed (a request's key, then
// its column: one walk). Hashing them from the bytes in the parser instead was measured
// and not kept: the parser's calls and walks cost 0.10-0.15 µs a message (parseSip of a
// 401: 1.10 → 1.25 µs), what the table saved.
const P1 = 0x01000193;
const P2 = 0x5bd1e995;
// Lanes of the last laneChars().
let LA = 0;
let LB = 0;

function laneChars(s: string): void {
  const n = s.length;
  let a = Math.imul(0x811c9dc5 ^ n, P1);
  let c = Math.imul(0x2545f491 ^ n, P2);
  const e4 = n & ~3;
  let i = 0;
  for (; i < e4; i += 4) {
    const w =
      s.charCodeAt(i) |
      (s.charCodeAt(i + 1) << 8) |
      (s.charCodeAt(i + 2) << 16) |
      (s.charCodeAt(i + 3) << 24);
    a = Math.imul(a ^ w, P1);
    c = Math.imul(c ^ w, P2);
  }
  for (; i < n; i++) {
    a = Math.imul(a ^ s.charCodeAt(i), P1);
    c = Math.imul(c ^ s.charCodeAt(i), P2);
  }
  LA = a;
  LB = c;
}

/** A never-0 30-bit hash of lane LA. */
function laneHash(): number {
  const h = fmix(Math.imul(LA ^ 0x1ff, P1));
  return h === 0 ? 1 : h;
}

// The last Call-ID hashed and its lanes, keyed by the string's value: a hit is exact
// whatever string object asks (the same characters hash the same).
let callS: string | null = null;
let callA = 0;
let callB = 0;

/** The lanes of Call-ID `s` into LA, LB (the last one's kept). */
function callLanes(s: string): void {
  if (s === callS) {
    LA = callA;
    LB = callB;
    return;
  }
  laneChars(s);
  callS = s;
  callA = LA;
  callB = LB;
}

/** The request table's 30-bit hash of a Call-ID (never 0; 0 for none). */
export function callHash(callId: string | null): number {
  if (callId === null) return 0;
  callLanes(callId);
  return laneHash();
}

/** The request table's 30-bit hash of a Via branch (never 0; 0 for none). */
export function branchHash(branch: string | null): number {
  if (branch === null) return 0;
  laneChars(branch);
  return laneHash();
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
    A = Math.imul(A ^ LA, P1);
    B = Math.imul(B ^ LB, P2);
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

/**
 * The history's address key (core/history/query.ts `subjectKey`: 32 hex digits, IPv4
 * mapped) as the SQLite history writes it for every event: a plain dotted quad — every
 * block the daemon makes — is turned into its key digit by digit; anything else
 * (IPv6, a network, a text that only looks like an address) goes to `subjectKey`, so the
 * key is the same string either way (subject-key.test.ts compares them).
 *
 * Why: `subjectKey` parses the address into bytes and builds the text through an array
 * of 16 strings: 1.8–3.4 µs an event on the store writer thread, a twelfth of what a live
 * block cost it (bench/RESULTS.md, "Rows per block"); this is ~0.1 µs.
 */
import { subjectKey } from '../core/history/query.js';

const MAPPED = '00000000000000000000ffff';
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
const DOT = 46;

/** The dotted quad's key, or null when `s` is not one in canonical form (no leading zeros). */
function quadKey(s: string): string | null {
  if (s.length < 7 || s.length > 15) return null;
  let out = MAPPED;
  let n = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : DOT;
    if (c >= 48 && c <= 57) {
      if (digits > 0 && n === 0) return null; // a leading zero: not canonical
      n = n * 10 + (c - 48);
      if (++digits > 3) return null;
    } else if (c === DOT) {
      if (digits === 0 || n > 255 || ++parts > 4) return null;
      out += HEX[n];
      n = 0;
      digits = 0;
    } else return null;
  }
  return parts === 4 ? out : null;
}

/** `subjectKey(subject)`, fast for a plain IPv4 address. */
export function storedSubjectKey(subject: string | null): string | null {
  if (subject === null) return null;
  return quadKey(subject) ?? subjectKey(subject);
}

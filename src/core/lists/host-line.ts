/**
 * The list-file line most big lists are made of, read without the general parser: a
 * canonical IPv4 host (`192.0.2.1`), then nothing or a plain note of printable ASCII
 * separated by spaces. Issue 13 target 5: a 100k-line deny list took ~0.65 s of CPU at
 * start through parseListLine (regular expressions, five or six objects and strings a
 * line, half of it garbage collection); this reads such a line into its entry and
 * network and nothing else.
 *
 * Anything else — a tab, a `#`, a `\`, a CR, a network, IPv6, a never-a-source address
 * (0/8, 127/8, 224/3), a note over 500 characters — is not taken here (null), and the
 * general parser (lists.ts parseListLine) reads the line as before, errors included.
 * What this returns is exactly what parseListLine returns for the same line
 * (lists.test.ts compares them line by line).
 */
import type { Network } from '../net/ip.js';
import type { ListEntry } from '../types.js';

/** A note longer than this goes the general way (cleanNote cuts it). */
const MAX_NOTE = 500;

const SPACE = 32;
const DOT = 46;

/**
 * The address of text[from, to) as a number when the line is a plain IPv4 host (what
 * hostLine takes), else -1: no string and no object, for a start's kernel load
 * (lists/list-columns.ts), which needs only the numbers.
 */
export function hostNumber(text: string, from: number, to: number): number {
  // The address: four canonical decimal octets (no leading zero, each ≤ 255).
  let n = 0;
  let part = 0;
  let v = 0;
  let digits = 0;
  let i = from;
  for (; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === DOT) {
      if (digits === 0 || part === 3) return -1;
      n = n * 256 + v;
      part++;
      v = 0;
      digits = 0;
      continue;
    }
    if (c === SPACE) break;
    if (c < 48 || c > 57 || (digits === 1 && v === 0)) return -1;
    v = v * 10 + (c - 48);
    digits++;
    if (v > 255) return -1;
  }
  if (part !== 3 || digits === 0) return -1;
  n = n * 256 + v;
  const first = n >>> 24;
  // 0/8, 127/8 and 224/3 hold every IPv4 never-a-source range: the general way names them.
  if (first === 0 || first === 127 || first >= 224) return -1;
  // The note: printable ASCII between spaces, no `#` (a comment) or `\` (an escape).
  let start = -1;
  let end = i;
  for (; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === SPACE) continue;
    if (c < 33 || c > 126 || c === 35 || c === 92) return -1;
    if (start < 0) start = i;
    end = i + 1;
  }
  if (start >= 0 && end - start > MAX_NOTE) return -1;
  return n;
}

/** The entry and network of text[from, to), when the line is a plain IPv4 host; else null. */
export function hostLine(text: string, from: number, to: number): { entry: ListEntry; net: Network } | null {
  const n = hostNumber(text, from, to);
  if (n < 0) return null;
  // hostNumber took only spaces and printable ASCII after the address.
  let space = text.indexOf(' ', from);
  if (space < 0 || space > to) space = to;
  const address = text.slice(from, space);
  const note = text.slice(space, to).trim();
  const bytes = Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255);
  return { entry: { network: address, note }, net: { family: 4, bytes, prefix: 32, text: address } };
}

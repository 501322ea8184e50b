/**
 * Address text → numbers for the geo table. Hand-written rather than ipaddr.js (or
 * core/net's parseAddress, which explains its refusals) because a lookup parses one address
 * per SIP event and must stay well under a microsecond; the parsers are strict (no leading
 * zeros, no zone ids) so that what reaches nft is canonical. Numbers → text is core/net's
 * formatBigint (one formatter for every address sipprot writes).
 */

import type { Family } from '../net/ip.js';

/** Dotted IPv4 → uint32, or null when the text is not exactly four decimal octets. */
export function parseV4(s: string): number | null {
  const len = s.length;
  if (len < 7 || len > 15) return null;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return null;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      // A leading zero ("010") reads as octal to some tools: refuse the ambiguity.
      if (digits > 0 && octet === 0) return null;
      octet = octet * 10 + (c - 48);
      if (octet > 255) return null;
      digits++;
    } else {
      return null;
    }
  }
  if (dots !== 3 || digits === 0) return null;
  return value * 256 + octet;
}

/** Hex digit value by char code (ASCII), -1 for anything else. */
const HEX = new Int8Array(128).fill(-1);
for (let c = 48; c <= 57; c++) HEX[c] = c - 48;
for (let c = 97; c <= 102; c++) HEX[c] = c - 87;
for (let c = 65; c <= 70; c++) HEX[c] = c - 55;

/**
 * IPv6 text → eight 16-bit groups written into `out`. Accepts `::` compression and a
 * trailing dotted IPv4 part; rejects zone ids and anything else. One pass, no
 * allocation (except for the rare dotted tail): this is the hot path of an IPv6 lookup.
 */
function parseV6Groups(s: string, out: Uint16Array): boolean {
  const len = s.length;
  if (len < 2 || len > 45) return false;
  let n = 0; // groups written
  let gap = -1; // group index where '::' sits
  let v = 0;
  let digits = 0;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
  }
  for (; i < len; i++) {
    const c = s.charCodeAt(i);
    const h = c < 128 ? (HEX[c] as number) : -1;
    if (h >= 0) {
      if (++digits > 4) return false;
      v = (v << 4) | h;
      continue;
    }
    if (c === 58) {
      if (digits === 0 || n === 8) return false;
      out[n++] = v;
      v = 0;
      digits = 0;
      if (i + 1 < len && s.charCodeAt(i + 1) === 58) {
        if (gap >= 0) return false;
        gap = n;
        i++;
      } else if (i + 1 === len) {
        return false; // trailing single ':'
      }
      continue;
    }
    if (c === 46) {
      // Dotted IPv4 tail: the token so far was its first octet; it takes two groups.
      if (n > 6) return false;
      const v4 = parseV4(s.slice(i - digits));
      if (v4 === null) return false;
      out[n++] = v4 >>> 16;
      out[n++] = v4 & 0xffff;
      digits = 0;
      i = len;
      break;
    }
    return false;
  }
  if (digits > 0) {
    if (n === 8) return false;
    out[n++] = v;
  }
  if (gap < 0) return n === 8;
  if (n > 7) return false;
  const tail = n - gap;
  for (let k = 0; k < tail; k++) out[7 - k] = out[n - 1 - k] as number;
  for (let k = gap; k < 8 - tail; k++) out[k] = 0;
  return true;
}

const scratchGroups = new Uint16Array(8);

/** IPv6 text → four uint32 words (most significant first) into `out`; false if invalid. */
export function parseV6Words(s: string, out: Uint32Array): boolean {
  const g = scratchGroups;
  if (!parseV6Groups(s, g)) return false;
  out[0] = ((g[0] as number) * 65536 + (g[1] as number)) >>> 0;
  out[1] = ((g[2] as number) * 65536 + (g[3] as number)) >>> 0;
  out[2] = ((g[4] as number) * 65536 + (g[5] as number)) >>> 0;
  out[3] = ((g[6] as number) * 65536 + (g[7] as number)) >>> 0;
  return true;
}

const scratchWords = new Uint32Array(4);

export function parseV6(s: string): bigint | null {
  const w = scratchWords;
  if (!parseV6Words(s, w)) return null;
  return wordsToBigint(w[0] as number, w[1] as number, w[2] as number, w[3] as number);
}

function wordsToBigint(a: number, b: number, c: number, d: number): bigint {
  return (BigInt(a) << 96n) | (BigInt(b) << 64n) | (BigInt(c) << 32n) | BigInt(d);
}

const M32 = 0xffffffffn;

export function bigintToWords(v: bigint, out: Uint32Array | number[], at = 0): void {
  out[at] = Number((v >> 96n) & M32);
  out[at + 1] = Number((v >> 64n) & M32);
  out[at + 2] = Number((v >> 32n) & M32);
  out[at + 3] = Number(v & M32);
}

export const V4_MAX = 0xffffffffn;
export const V6_MAX = (1n << 128n) - 1n;

export function parseAddr(s: string, family: Family): bigint | null {
  if (family === 4) {
    const n = parseV4(s);
    return n === null ? null : BigInt(n);
  }
  return parseV6(s);
}

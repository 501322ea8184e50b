/**
 * The byte-level scanners behind parseSip (parse.ts): header names and the values
 * detection keeps (Via branch, URI user, Contact URI); the auth parameters' scanner is
 * parse-auth.ts's, the byte classes they branch on parse-chars.ts's.
 * They read the message bytes through a view set by `scanView` (index-aligned with the
 * decoded string they slice from): module state instead of two more parameters on every
 * helper of the hot path.
 */

import {
  FIRST,
  isCrLf,
  isLws,
  isParamEnd,
  isSpHt,
  isTelEnd,
  isTokenCode,
  isUserEnd,
  lit,
} from './parse-chars.js';

export { FIRST, isCrLf, isSpHt, isTokenCode };

export const H_VIA = 1;
export const H_FROM = 2;
export const H_TO = 3;
export const H_CALLID = 4;
export const H_CSEQ = 5;
export const H_UA = 6;
export const H_AUTHZ = 7;
export const H_AUTHN = 8;
export const H_CONTACT = 9;

const EMPTY = new Uint8Array(0);
/** The message bytes (live bindings: parse-auth.ts reads them too). */
export let B: Uint8Array = EMPTY;
/** Where the decoded string's first character is in B. */
export let O = 0;

/** Point the scanners at the message bytes: string index i is byte B[o + i]. */
export function scanView(b: Uint8Array, o: number): void {
  B = b;
  O = o;
}

/** Drop the reference to the last message's bytes. */
export function scanRelease(): void {
  B = EMPTY;
  O = 0;
}

/** "SIP/2.0" at p, case-insensitive (RFC 3261 §7.1). */
export function isSipVersion(p: number): boolean {
  const b = B;
  const o = O;
  return (
    (b[o + p]! | 32) === 115 &&
    (b[o + p + 1]! | 32) === 105 &&
    (b[o + p + 2]! | 32) === 112 &&
    b[o + p + 3]! === 47 &&
    b[o + p + 4]! === 50 &&
    b[o + p + 5]! === 46 &&
    b[o + p + 6]! === 48
  );
}

/** Case-insensitive compare of the bytes at p with a lower-case literal. */
export function eqi(p: number, l: Uint8Array): boolean {
  const b = B;
  const o = O;
  for (let i = 0; i < l.length; i++) {
    if ((b[o + p + i]! | 32) !== l[i]) return false;
  }
  return true;
}

export function skipLws(p: number, e: number): number {
  const b = B;
  const o = O;
  while (p < e && isLws(b[o + p]!)) p++;
  return p;
}

function trimEnd(p: number, e: number): number {
  const b = B;
  const o = O;
  while (e > p && isLws(b[o + e - 1]!)) e--;
  return e;
}

/** A trimmed header value; folded line breaks become one space. */
export function text(s: string, p: number, e: number, folded: boolean): string | null {
  p = skipLws(p, e);
  e = trimEnd(p, e);
  if (e <= p) return null;
  const v = s.slice(p, e);
  return folded ? v.replace(/[ \t]*\r?\n[ \t]*/g, ' ') : v;
}

// ---------------------------------------------------------------- names

const METHODS = [
  'INVITE',
  'REGISTER',
  'OPTIONS',
  'ACK',
  'BYE',
  'CANCEL',
  'SUBSCRIBE',
  'NOTIFY',
  'MESSAGE',
  'INFO',
  'PRACK',
  'UPDATE',
  'REFER',
  'PUBLISH',
];
const METHOD_BYTES = METHODS.map(lit);

/** Upper-case method; the common ones come from a table instead of a fresh string. */
export function methodName(s: string, p: number, e: number): string {
  const b = B;
  const o = O;
  const len = e - p;
  for (let i = 0; i < METHODS.length; i++) {
    const m = METHOD_BYTES[i]!;
    if (m.length !== len) continue;
    let j = 0;
    while (j < len && b[o + p + j] === m[j]) j++;
    if (j === len) return METHODS[i]!;
  }
  return s.slice(p, e).toUpperCase();
}

const L_BRANCH = lit('branch');
const L_TEL = lit('tel');

/** A header name as bytes: lower case, and upper case where that is a letter. */
interface Name {
  lo: Uint8Array;
  up: Uint8Array;
  kind: number;
}

function name(text: string, kind: number): Name {
  const lo = lit(text);
  const up = lo.map((c) => (c >= 97 && c <= 122 ? c - 32 : c));
  return { lo, up, kind };
}

/** The kept headers by first letter (lower case), longest first; compact forms included. */
const NAMES: Name[][] = [];
for (let i = 0; i < 128; i++) NAMES.push([]);
for (const [text, kind] of [
  ['via', H_VIA],
  ['v', H_VIA],
  ['from', H_FROM],
  ['f', H_FROM],
  ['to', H_TO],
  ['t', H_TO],
  ['i', H_CALLID],
  ['m', H_CONTACT],
  ['call-id', H_CALLID],
  ['contact', H_CONTACT],
  ['cseq', H_CSEQ],
  ['user-agent', H_UA],
  ['authorization', H_AUTHZ],
  ['www-authenticate', H_AUTHN],
  ['proxy-authorization', H_AUTHZ],
  ['proxy-authenticate', H_AUTHN],
] as const) {
  NAMES[text.charCodeAt(0)]!.push(name(text, kind));
}
for (const list of NAMES) list.sort((x, y) => y.lo.length - x.lo.length);

/**
 * FIRST without the letters all of whose kept names are of kinds in `skip` (1 << H_*): a
 * lean parse (parse.ts) then passes those lines on their first letter, without headerAt
 * matching a name whose value it would not collect (a lean answer's From and To).
 */
export function firstLetters(skip: number): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 128; c++) {
    if (NAMES[c]!.some((nm) => (skip & (1 << nm.kind)) === 0)) t[c] = 1;
  }
  return t;
}

/** Where headerAt found the value's start (just past the colon). */
export let VALUE_START = 0;

/**
 * Which kept header the line b[p, lineEnd) is (0 = skip, or not a header line), and the
 * value's start in VALUE_START. A header line is a token, optional SP/HT, then a colon;
 * the token is matched against the kept names only (case-insensitively, byte for byte),
 * so a skipped header costs a look at its first few bytes, not a scan of its name.
 */
export function headerAt(p: number, lineEnd: number): number {
  const b = B;
  const o = O;
  const c = b[o + p]!;
  const list = NAMES[c | 32];
  if (c >= 128 || list === undefined || list.length === 0) return 0;
  for (let k = 0; k < list.length; k++) {
    const nm = list[k]!;
    const lo = nm.lo;
    const len = lo.length;
    if (p + len > lineEnd) continue;
    const up = nm.up;
    let i = 1;
    while (i < len) {
      const x = b[o + p + i]!;
      if (x !== lo[i] && x !== up[i]) break;
      i++;
    }
    if (i < len) continue;
    // The name is the whole token: what follows is no token character.
    let q = p + len;
    if (q < lineEnd && isTokenCode(b[o + q]!)) continue;
    while (q < lineEnd && isSpHt(b[o + q]!)) q++;
    if (q >= lineEnd || b[o + q] !== 58) return 0;
    VALUE_START = q + 1;
    return nm.kind;
  }
  return 0;
}

// ---------------------------------------------------------------- values

/** The branch parameter of the first via-parm in a Via value. */
export function viaBranch(s: string, p: number, e: number): string | null {
  const b = B;
  const o = O;
  // Fast path: `;branch=` as nearly every stack writes it, found by native search.
  const k = s.indexOf(';branch=', p);
  if (k >= 0 && k < e) {
    // The first via-parm ends at the first comma: a native search, even when the next comma
    // is hundreds of bytes on (Allow, Authorization): memchr-fast, where a byte loop over
    // the ~40 bytes up to ';branch=' measured 1.5-2x slower (40-70 vs 90-140 ns, hot).
    const comma = s.indexOf(',', p);
    if (comma < 0 || comma > k) {
      const r = k + 8;
      let t = r;
      while (t < e && isTokenCode(b[o + t]!)) t++;
      return t > r ? s.slice(r, t) : null;
    }
  }
  // The first via-parm ends at the first comma (Via values carry no quoted commas).
  for (let q = p; q < e; q++) {
    const c = b[o + q]!;
    if (c === 44) return null;
    if (c !== 59) continue;
    q = skipLws(q + 1, e);
    if (e - q >= 6 && eqi(q, L_BRANCH)) {
      let r = skipLws(q + 6, e);
      if (b[o + r] === 61) {
        r = skipLws(r + 1, e);
        let t = r;
        while (t < e && isTokenCode(b[o + t]!)) t++;
        return t > r ? s.slice(r, t) : null;
      }
    }
    q--; // re-examine this character: it may be the next ';' or ','
  }
  return null;
}

// Where uriBounds found the URI: module slots instead of a result object (hot path).
let URI_START = 0;
let URI_END = 0;

/** The URI of a name-addr (`"Bob" <sip:...>;tag=x`) or addr-spec (`sip:...;tag=x`). */
function uriBounds(s: string, p: number, e: number): void {
  const b = B;
  const o = O;
  p = skipLws(p, e);
  for (let q = p; q < e; q++) {
    const c = b[o + q]!;
    if (c === 60) {
      // name-addr
      const gt = s.indexOf('>', q + 1);
      URI_START = q + 1;
      URI_END = gt >= 0 && gt < e ? gt : e;
      return;
    }
    if (c === 34) q = skipQuoted(s, q, e) - 1;
  }
  // addr-spec: the URI cannot hold ';', ',' or whitespace here; those start header params.
  let q = p;
  while (q < e && !isParamEnd(b[o + q]!)) q++;
  URI_START = p;
  URI_END = q;
}

/**
 * Index just past the closing quote of a quoted-string starting at `q` (or `e`). Quotes
 * are found by native search; one is escaped when an odd run of backslashes precedes it
 * (quoted-pair: any other character ends a run, so the run's parity decides).
 */
export function skipQuoted(s: string, q: number, e: number): number {
  const b = B;
  const o = O;
  let r = q + 1;
  for (;;) {
    const k = s.indexOf('"', r);
    if (k < 0 || k >= e) return e;
    let j = k - 1;
    while (j > q && b[o + j] === 92) j--;
    if (((k - 1 - j) & 1) === 0) return k + 1;
    r = k + 1;
  }
}

/** The user part of the URI in a From/To value: `sip:100@host` → `100`, `tel:+1555` → `+1555`. */
export function addrUser(s: string, p: number, e: number): string | null {
  uriBounds(s, p, e);
  const us = skipLws(URI_START, URI_END);
  return uriUserAt(s, us, trimEnd(us, URI_END));
}

function uriUserAt(s: string, us: number, ue: number): string | null {
  const b = B;
  const o = O;
  if (ue <= us) return null;
  let colon = -1;
  let at = -1;
  for (let q = us; q < ue; q++) {
    const c = b[o + q]!;
    if (c === 58) {
      if (colon < 0) colon = q;
    } else if (c === 64) {
      at = q;
      break;
    }
  }
  if (colon < 0) {
    // no scheme: `100@host` as some broken clients write it
    return at > us ? userText(s, us, at) : null;
  }
  const schemeLen = colon - us;
  if (schemeLen === 3 && eqi(us, L_TEL)) {
    let q = colon + 1;
    while (q < ue && !isTelEnd(b[o + q]!)) q++;
    return q > colon + 1 ? userText(s, colon + 1, q) : null;
  }
  if (at < 0) return null; // sip:host has no user
  // userinfo = user [":" password] "@"; user params (;phone-context=...) are cut off.
  let q = colon + 1;
  while (q < at && !isUserEnd(b[o + q]!)) q++;
  return q > colon + 1 ? userText(s, colon + 1, q) : null;
}

function userText(s: string, p: number, e: number): string {
  const v = s.slice(p, e);
  return v.indexOf('%') < 0 ? v : unescapePercent(v);
}

/** %XX escapes of a URI user (tools use them to dodge naive matching); bytes as latin1. */
function unescapePercent(v: string): string {
  return v.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

/** Contact: the URI (without angle brackets and header params), or `*`. */
export function contactUri(s: string, p: number, e: number): string | null {
  uriBounds(s, p, e);
  const us = skipLws(URI_START, URI_END);
  const ue = trimEnd(us, URI_END);
  return ue > us ? s.slice(us, ue) : null;
}

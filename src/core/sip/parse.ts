/**
 * Bytes → SipMessage, or null for anything that is not SIP. Never throws.
 *
 * Hot path (every captured packet), so the shape of the work matters more than elegance.
 * Measured on this machine (V8 11, Node 20, shared EPYC): decoding each kept field on its
 * own costs 110–400 ns a field (TextDecoder call overhead, `fromCharCode` concatenation),
 * while one latin1 decode of a whole 637-byte message costs ~130 ns and a slice ~5–10 ns;
 * a JS loop reads a Uint8Array at ~0.8 ns/byte but a string via charCodeAt at ~1.8 ns,
 * and `String#indexOf` scans at ~0.2 ns/char. Hence:
 * - the message is decoded once (latin1, native); lines are found with `indexOf` on that
 *   string; names and values are scanned as bytes; kept fields are slices of the string.
 *   (This departs from "decode only the kept fields": that was 3–4x slower here.)
 * - Skipped headers cost a line search and a look at their first letter (or name): no
 *   string is made for them.
 * - Work is bounded: at most MAX_BYTES of input and MAX_HEADERS header lines. The decode
 *   starts with a 2 KiB window (headers nearly always fit) and widens only when needed,
 *   so a large body is not decoded.
 *
 * Leniency follows what real phones and attack tools send: bare LF line ends, folded
 * lines, compact names, any header-name case, repeated headers (first one wins), leading
 * CRLFs (RFC 3261 §7.5), a header block that ends without its blank line (a truncated
 * datagram). Strictness is in the start line: that is what tells SIP from everything else.
 */
import type { SipMessage } from '../types.js';

export const MAX_BYTES = 65536;
export const MAX_HEADERS = 100;
const FIRST_WINDOW = 2048;

// windows-1252 per WHATWG: one UTF-16 unit per byte, so string offsets are byte offsets.
const LATIN1 = new TextDecoder('latin1');

const H_VIA = 1;
const H_FROM = 2;
const H_TO = 3;
const H_CALLID = 4;
const H_CSEQ = 5;
const H_UA = 6;
const H_AUTHZ = 7;
const H_AUTHN = 8;
const H_CONTACT = 9;

/** Parse one SIP message from `buf[offset, offset + length)`. */
export function parseSip(buf: Uint8Array, offset = 0, length?: number): SipMessage | null {
  const start = offset | 0;
  if (start < 0 || start > buf.length) return null;
  let end = length === undefined ? buf.length : start + (length | 0);
  if (end > buf.length) end = buf.length;
  if (end - start > MAX_BYTES) end = start + MAX_BYTES;
  if (end <= start) return null;
  // Cheap reject before any decode: a start line begins with a token character.
  const c0 = buf[start]!;
  if (c0 !== 13 && c0 !== 10 && !isTokenCode(c0)) return null;
  B = buf;
  O = start;
  let r: SipMessage | null | typeof INCOMPLETE = INCOMPLETE;
  if (end - start > FIRST_WINDOW) r = parseText(latin1(buf, start, start + FIRST_WINDOW), true);
  if (r === INCOMPLETE) r = parseText(latin1(buf, start, end), false);
  B = EMPTY;
  return r === INCOMPLETE ? null : r;
}

/** Parse a message that is already text (tests, HEP payloads decoded elsewhere). */
export function parseSipText(text: string): SipMessage | null {
  const s = text.length > MAX_BYTES ? text.slice(0, MAX_BYTES) : text;
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  B = b;
  O = 0;
  const r = parseText(s, false);
  B = EMPTY;
  return r === INCOMPLETE ? null : r;
}

const INCOMPLETE = Symbol('incomplete');
const EMPTY = new Uint8Array(0);
/**
 * The bytes of the message being parsed, index-aligned with its decoded string `s`:
 * scanning reads bytes (a JS loop over a Uint8Array runs ~2x faster than charCodeAt),
 * strings are sliced from `s`. Module state instead of a parameter on every helper.
 */
let B: Uint8Array = EMPTY;
/** Where the string's first character is in B. */
let O = 0;

/**
 * latin1 text of b[start, end). Node's native latin1Slice when present (reached through
 * the global, not an import: the core stays runnable without Node), else TextDecoder
 * ('latin1' there is windows-1252: same length, 0x80–0x9F differ). On this machine for
 * a 637-byte message: 126 ns vs 203 ns (+40 ns for the subarray TextDecoder needs).
 */
type SliceFn = (this: Uint8Array, start: number, end: number) => string;
const nativeLatin1 = (globalThis as { Buffer?: { prototype: { latin1Slice?: SliceFn } } }).Buffer?.prototype
  .latin1Slice;
const latin1: (b: Uint8Array, start: number, end: number) => string = nativeLatin1
  ? (b, start, end) => nativeLatin1.call(b, start, end)
  : (b, start, end) => LATIN1.decode(b.subarray(start, end));

function parseText(s: string, windowed: boolean): SipMessage | null | typeof INCOMPLETE {
  const b = B;
  const o = O;
  const n = s.length;
  let p = 0;
  let c = 0;
  while (p < n && isCrLf(b[o + p]!)) p++;
  if (p >= n) return null;
  const lf = s.indexOf('\n', p);
  if (lf < 0) return windowed ? INCOMPLETE : null;
  let le = lf;
  if (b[o + le - 1]! === 13) le--;

  // ---- start line
  let kind: 'request' | 'response';
  let method = '';
  let uri: string | null = null;
  let status: number | null = null;
  if (le - p >= 11 && b[o + p + 3]! === 47 && isSipVersion(p)) {
    // SIP/2.0 SP 3DIGIT [SP reason]
    let q = p + 7;
    if (b[o + q]! !== 32) return null;
    while (q < le && b[o + q]! === 32) q++;
    const d0 = b[o + q]! - 48;
    const d1 = b[o + q + 1]! - 48;
    const d2 = b[o + q + 2]! - 48;
    if (q + 3 > le || d0 < 1 || d0 > 6 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return null;
    if (q + 3 < le && b[o + q + 3]! !== 32 && b[o + q + 3]! !== 9) return null;
    kind = 'response';
    status = d0 * 100 + d1 * 10 + d2;
  } else {
    // Method SP Request-URI SP SIP/2.0
    let q = p;
    while (q < le && isTokenCode(b[o + q]!)) q++;
    if (q === p || q - p > 32 || b[o + q]! !== 32) return null;
    const mEnd = q;
    while (q < le && b[o + q]! === 32) q++;
    const uStart = q;
    let sawColon = false;
    while (q < le) {
      c = b[o + q]!;
      if (c <= 32 || c >= 127) break;
      if (c === 58) sawColon = true;
      q++;
    }
    if (q === uStart || !sawColon || b[o + q]! !== 32) return null;
    const uEnd = q;
    while (q < le && b[o + q]! === 32) q++;
    if (le - q < 7 || !isSipVersion(q)) return null;
    q += 7;
    while (q < le && isSpHt(b[o + q]!)) q++;
    if (q !== le) return null;
    kind = 'request';
    method = methodName(s, p, mEnd);
    uri = s.slice(uStart, uEnd);
  }

  // ---- headers
  let callId: string | null = null;
  let cseq: number | null = null;
  let cseqMethod: string | null = null;
  let branch: string | null = null;
  let viaSeen = false;
  let fromUser: string | null = null;
  let fromSeen = false;
  let toUser: string | null = null;
  let toSeen = false;
  let userAgent: string | null = null;
  let hasCredentials = false;
  let authUser: string | null = null;
  let stale = false;
  let contact: string | null = null;

  let hKind = 0; // header being collected (0 = skipped)
  let vs = 0; // its value start
  let ve = 0; // its value end (grows over folded lines)
  let folded = false;
  let count = 0;
  let ended = false;
  p = lf + 1;
  for (;;) {
    let next = -1;
    let lineEnd = n;
    let atEnd = p >= n;
    if (!atEnd) {
      next = s.indexOf('\n', p);
      if (next >= 0) lineEnd = next;
      else if (windowed) return INCOMPLETE; // a line cut by the window: widen and redo
      if (lineEnd > p && b[o + lineEnd - 1]! === 13) lineEnd--;
      if (lineEnd === p) {
        atEnd = true;
        ended = true;
      }
    }
    const first = atEnd ? 0 : b[o + p]!;
    if (!atEnd && (first === 32 || first === 9)) {
      // folded continuation of the previous header
      if (hKind !== 0) {
        ve = lineEnd;
        folded = true;
      }
    } else {
      if (hKind !== 0) {
        // ---- dispatch the header just completed (first occurrence wins)
        switch (hKind) {
          case H_VIA:
            if (!viaSeen) {
              viaSeen = true;
              branch = viaBranch(s, vs, ve);
            }
            break;
          case H_FROM:
            if (!fromSeen) {
              fromSeen = true;
              fromUser = addrUser(s, vs, ve);
            }
            break;
          case H_TO:
            if (!toSeen) {
              toSeen = true;
              toUser = addrUser(s, vs, ve);
            }
            break;
          case H_CALLID:
            if (callId === null) callId = text(s, vs, ve, folded);
            break;
          case H_CSEQ:
            if (cseq === null && cseqMethod === null) {
              let q = skipLws(vs, ve);
              let num = 0;
              const d = q;
              for (; q < ve && q - d < 10; q++) {
                const digit = b[o + q]! - 48;
                if (digit < 0 || digit > 9) break;
                num = num * 10 + digit;
              }
              if (q > d && num < 2147483648) cseq = num;
              q = skipLws(q, ve);
              const m = q;
              while (q < ve && isTokenCode(b[o + q]!)) q++;
              if (q > m && q - m <= 32) cseqMethod = methodName(s, m, q);
            }
            break;
          case H_UA:
            if (userAgent === null) userAgent = text(s, vs, ve, folded);
            break;
          case H_AUTHZ:
            hasCredentials = true;
            if (authUser === null) authUser = authParam(s, vs, ve, L_USERNAME);
            break;
          case H_AUTHN:
            if (!stale) {
              const v = authParam(s, vs, ve, L_STALE);
              stale = v !== null && v.length === 4 && v.toLowerCase() === 'true';
            }
            break;
          case H_CONTACT:
            if (contact === null) contact = contactUri(s, vs, ve);
            break;
        }
        hKind = 0;
      }
      if (atEnd) break;
      if (++count > MAX_HEADERS) break;
      folded = false;
      // Most skipped headers (Expires, Supported, Route, X-...) are told by their first
      // letter alone: no need to find their colon.
      if (FIRST[b[o + p]! | 32] !== 1) {
        p = next < 0 ? n : next + 1;
        continue;
      }
      // name: a token, then optional whitespace, then the colon
      let q = p;
      while (q < lineEnd && isTokenCode(b[o + q]!)) q++;
      const nameEnd = q;
      while (q < lineEnd && isSpHt(b[o + q]!)) q++;
      if (q < lineEnd && b[o + q] === 58 && nameEnd > p) {
        hKind = headerKind(p, nameEnd - p);
        vs = q + 1;
        ve = lineEnd;
      }
    }
    p = next < 0 ? n : next + 1;
  }
  // A truncated datagram keeps what arrived; a window cut mid-block needs the full text.
  if (!ended && windowed && count <= MAX_HEADERS) return INCOMPLETE;

  if (kind === 'response') method = cseqMethod ?? '';
  return {
    kind,
    method,
    uri,
    status,
    callId,
    cseq,
    branch,
    fromUser,
    toUser,
    userAgent,
    hasCredentials,
    authUser,
    stale,
    contact,
  };
}

// ---------------------------------------------------------------- character classes

// RFC 3261 token: alphanum and - . ! % * _ + ` ' ~
const TOKEN = new Uint8Array(128);
for (let i = 48; i <= 57; i++) TOKEN[i] = 1;
for (let i = 65; i <= 90; i++) TOKEN[i] = 1;
for (let i = 97; i <= 122; i++) TOKEN[i] = 1;
for (const ch of "-.!%*_+`'~") TOKEN[ch.charCodeAt(0)] = 1;

/** First letters (lower-cased) of the headers we keep, compact forms included. */
const FIRST = new Uint8Array(256);
for (const ch of 'vftimcuawpl') FIRST[ch.charCodeAt(0)] = 1;

function isTokenCode(c: number): boolean {
  return c < 128 && TOKEN[c] === 1;
}

function isCrLf(c: number): boolean {
  return c === 13 || c === 10;
}

function isSpHt(c: number): boolean {
  return c === 32 || c === 9;
}

function isLws(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

/** End of an addr-spec URI: header params, the next value, or whitespace. */
function isParamEnd(c: number): boolean {
  return c === 59 || c === 44 || c <= 32;
}

function isTelEnd(c: number): boolean {
  return c === 59 || c === 63;
}

/** End of a SIP URI user: password or user parameters follow. */
function isUserEnd(c: number): boolean {
  return c === 58 || c === 59;
}

function isAuthValueEnd(c: number): boolean {
  return c === 44 || c <= 32;
}

/** "SIP/2.0" at p, case-insensitive (RFC 3261 §7.1). */
function isSipVersion(p: number): boolean {
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

/** Lower-case ASCII literal as bytes, for eqi. */
function lit(text: string): Uint8Array {
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
}

/** Case-insensitive compare of the bytes at p with a lower-case literal. */
function eqi(p: number, l: Uint8Array): boolean {
  const b = B;
  const o = O;
  for (let i = 0; i < l.length; i++) {
    if ((b[o + p + i]! | 32) !== l[i]) return false;
  }
  return true;
}

function skipLws(p: number, e: number): number {
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
function text(s: string, p: number, e: number, folded: boolean): string | null {
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
function methodName(s: string, p: number, e: number): string {
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

const L_TO = lit('to');
const L_VIA = lit('via');
const L_FROM = lit('from');
const L_CSEQ = lit('cseq');
const L_CALL_ID = lit('call-id');
const L_CONTACT = lit('contact');
const L_USER_AGENT = lit('user-agent');
const L_AUTHORIZATION = lit('authorization');
const L_WWW_AUTHENTICATE = lit('www-authenticate');
const L_PROXY_AUTHENTICATE = lit('proxy-authenticate');
const L_PROXY_AUTHORIZATION = lit('proxy-authorization');
const L_BRANCH = lit('branch');
const L_TEL = lit('tel');
const L_USERNAME = lit('username');
const L_STALE = lit('stale');

/** Which kept header a name is (0 = skip), without making a string of it. */
function headerKind(p: number, len: number): number {
  const b = B;
  const o = O;
  const c = b[o + p]! | 32;
  switch (len) {
    case 1:
      if (c === 118) return H_VIA; // v
      if (c === 102) return H_FROM; // f
      if (c === 116) return H_TO; // t
      if (c === 105) return H_CALLID; // i
      if (c === 109) return H_CONTACT; // m
      return 0;
    case 2:
      return c === 116 && eqi(p, L_TO) ? H_TO : 0;
    case 3:
      return c === 118 && eqi(p, L_VIA) ? H_VIA : 0;
    case 4:
      if (c === 102) return eqi(p, L_FROM) ? H_FROM : 0;
      if (c === 99) return eqi(p, L_CSEQ) ? H_CSEQ : 0;
      return 0;
    case 7:
      if (c === 99) {
        if (eqi(p, L_CALL_ID)) return H_CALLID;
        if (eqi(p, L_CONTACT)) return H_CONTACT;
      }
      return 0;
    case 10:
      return c === 117 && eqi(p, L_USER_AGENT) ? H_UA : 0;
    case 13:
      return c === 97 && eqi(p, L_AUTHORIZATION) ? H_AUTHZ : 0;
    case 16:
      return c === 119 && eqi(p, L_WWW_AUTHENTICATE) ? H_AUTHN : 0;
    case 18:
      return c === 112 && eqi(p, L_PROXY_AUTHENTICATE) ? H_AUTHN : 0;
    case 19:
      return c === 112 && eqi(p, L_PROXY_AUTHORIZATION) ? H_AUTHZ : 0;
    default:
      return 0;
  }
}

// ---------------------------------------------------------------- values

/** The branch parameter of the first via-parm in a Via value. */
function viaBranch(s: string, p: number, e: number): string | null {
  const b = B;
  const o = O;
  // Fast path: `;branch=` as nearly every stack writes it, found by native search.
  const k = s.indexOf(';branch=', p);
  if (k >= 0 && k < e) {
    let q = p;
    while (q < k && b[o + q] !== 44) q++;
    if (q === k) {
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
    if (c === 34) q = skipQuoted(q, e) - 1;
  }
  // addr-spec: the URI cannot hold ';', ',' or whitespace here; those start header params.
  let q = p;
  while (q < e && !isParamEnd(b[o + q]!)) q++;
  URI_START = p;
  URI_END = q;
}

/** Index just past the closing quote of a quoted-string starting at `q` (or `e`). */
function skipQuoted(q: number, e: number): number {
  const b = B;
  const o = O;
  for (let r = q + 1; r < e; r++) {
    const c = b[o + r]!;
    if (c === 92)
      r++; // quoted-pair
    else if (c === 34) return r + 1;
  }
  return e;
}

/** The user part of the URI in a From/To value: `sip:100@host` → `100`, `tel:+1555` → `+1555`. */
function addrUser(s: string, p: number, e: number): string | null {
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
function contactUri(s: string, p: number, e: number): string | null {
  uriBounds(s, p, e);
  const us = skipLws(URI_START, URI_END);
  const ue = trimEnd(us, URI_END);
  return ue > us ? s.slice(us, ue) : null;
}

/**
 * One parameter of an Authorization or WWW-Authenticate value (`Digest a="x", b=y`),
 * quoted or not, name case-insensitive. A header may hold several challenges
 * (`Digest ..., Digest ...`): a token followed by a space is a scheme and is skipped.
 */
function authParam(s: string, p: number, e: number, name: Uint8Array): string | null {
  const b = B;
  const o = O;
  let q = p;
  while (q < e) {
    q = skipLws(q, e);
    const ns = q;
    while (q < e && isTokenCode(b[o + q]!)) q++;
    const ne = q;
    q = skipLws(q, e);
    if (q < e && b[o + q] === 61) {
      q = skipLws(q + 1, e);
      let vs2: number;
      let ve2: number;
      if (b[o + q] === 34) {
        const close = skipQuoted(q, e);
        vs2 = q + 1;
        ve2 = close > vs2 && b[o + close - 1] === 34 ? close - 1 : close;
        q = close;
      } else {
        vs2 = q;
        while (q < e && !isAuthValueEnd(b[o + q]!)) q++;
        ve2 = q;
      }
      if (ne - ns === name.length && eqi(ns, name)) {
        const v = s.slice(vs2, ve2);
        return v.indexOf('\\') < 0 ? v : v.replace(/\\(.)/g, '$1');
      }
      q = skipLws(q, e);
      if (b[o + q] === 44) q++;
      else if (q < e && ne === ns) q++; // garbage: make progress
    } else if (ne === ns) {
      q++; // a stray character (comma, quote): step over it
    }
    // otherwise `ns..ne` was a scheme token; the loop continues with its first param
  }
  return null;
}

/**
 * A copy of a SipMessage field that does not keep the whole message text alive.
 * Fields are slices of the decoded message, and V8 keeps a slice's parent string for as
 * long as the slice lives (measured: 100k kept 300-char slices of 1000-char messages
 * hold 108 MB; copies hold 39 MB). Fine for transient use; call this on anything kept in
 * long-lived state (per-address user agents, users, block records).
 */
export function ownString(s: string): string {
  // V8 copies slices shorter than 13 characters anyway; a cons flattened then sliced
  // leaves only the (n + 1)-character flat copy as the parent.
  return s.length < 13 ? s : (' ' + s).slice(1);
}

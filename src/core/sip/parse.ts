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
import { Headers } from './parse-headers.js';
import {
  firstLetters,
  H_CONTACT,
  H_FROM,
  H_TO,
  H_UA,
  isCrLf,
  isSipVersion,
  isSpHt,
  isTokenCode,
  methodName,
  scanRelease,
  scanView,
} from './parse-scan.js';

export const MAX_BYTES = 65536;
export { MAX_FIELD, MAX_HEADERS } from './parse-headers.js';

const FIRST_WINDOW = 2048;

// windows-1252 per WHATWG: one UTF-16 unit per byte, so string offsets are byte offsets.
const LATIN1 = new TextDecoder('latin1');

/** Parse one SIP message from `buf[offset, offset + length)`. */
export function parseSip(buf: Uint8Array, offset = 0, length?: number): SipMessage | null {
  return parse(buf, offset, length, 0);
}

/** parseSipStart's kinds: requests (START_REQUEST), answers (START_RESPONSE), or both. */
export const START_REQUEST = 1;
export const START_RESPONSE = 2;
/**
 * Also parseSipStart's: an answer whole but for the fields no answer's judging reads (From
 * and To users, User-Agent, Contact: left null) — Engine.decidedByAddress grants it for an
 * answer from a SIP port to a remote address, whose judging reads its status, Call-ID, CSeq,
 * top Via branch and challenge (nonce, stale) only. START_RESPONSE wins when both are set.
 */
export const LEAN_RESPONSE = 4;
/** A request whole but for its Contact, which nothing in the engine reads. */
export const LEAN_REQUEST = 8;

/**
 * As parseSip, but a message of one of `kinds` comes back with its start line only (kind,
 * method, URI of a request; status of an answer, whose method, the CSeq's, stays ''; every
 * header field empty: null or false), for a message whose decision needs none of its
 * headers (an exchange with a source the policy already holds blocked:
 * Engine.decidedByAddress). Other kinds are parsed whole. Null exactly when parseSip is
 * null: past a valid start line the header block never makes a message fail
 * (src/capture/parse-light.test.ts holds both to that). Skips the header loop and the kept
 * fields (~1.1 µs of a flood message's ~1.4 µs). With LEAN_RESPONSE / LEAN_REQUEST in
 * `kinds`, a message of that kind not parsed as its start line is parsed whole but for the
 * fields named there (null): an answer 0.77–0.96 µs instead of 1.06–1.23 µs, hot.
 */
export function parseSipStart(
  buf: Uint8Array,
  offset = 0,
  length: number | undefined = undefined,
  kinds = START_REQUEST,
): SipMessage | null {
  return parse(buf, offset, length, kinds);
}

function parse(
  buf: Uint8Array,
  offset: number,
  length: number | undefined,
  kinds: number,
): SipMessage | null {
  const start = offset | 0;
  if (start < 0 || start > buf.length) return null;
  let end = length === undefined ? buf.length : start + (length | 0);
  if (end > buf.length) end = buf.length;
  if (end - start > MAX_BYTES) end = start + MAX_BYTES;
  if (end <= start) return null;
  // Cheap reject before any decode: a start line begins with a token character.
  const c0 = buf[start]!;
  if (c0 !== 13 && c0 !== 10 && !isTokenCode(c0)) return null;
  scanView(buf, start);
  const mode =
    ((kinds & START_REQUEST) !== 0 ? LIGHT : 0) |
    ((kinds & START_RESPONSE) !== 0 ? LIGHT_ANSWER : 0) |
    ((kinds & LEAN_RESPONSE) !== 0 ? LEAN_ANSWER : 0) |
    ((kinds & LEAN_REQUEST) !== 0 ? LEAN_ASK : 0);
  const light = (mode & (LIGHT | LIGHT_ANSWER)) !== 0;
  let r: SipMessage | null | typeof INCOMPLETE = INCOMPLETE;
  // A request line nearly always fits in the first LIGHT_WINDOW bytes.
  if (light && end - start > LIGHT_WINDOW)
    r = parseText(latin1(buf, start, start + LIGHT_WINDOW), buf, start, mode | SHORT);
  if (r === INCOMPLETE && end - start > FIRST_WINDOW)
    r = parseText(latin1(buf, start, start + FIRST_WINDOW), buf, start, mode | WINDOWED);
  if (r === INCOMPLETE) r = parseText(latin1(buf, start, end), buf, start, mode);
  scanRelease();
  return r === INCOMPLETE ? null : r;
}

/** Parse a message that is already text (tests, HEP payloads decoded elsewhere). */
export function parseSipText(text: string): SipMessage | null {
  const s = text.length > MAX_BYTES ? text.slice(0, MAX_BYTES) : text;
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i) & 0xff;
  scanView(b, 0);
  const r = parseText(s, b, 0, 0);
  scanRelease();
  return r === INCOMPLETE ? null : r;
}

const INCOMPLETE = Symbol('incomplete');
/** parseText's modes: the text is a window of the message (more may follow). */
const WINDOWED = 1;
/** A request's start line only (parseSipStart). */
const LIGHT = 2;
/** An answer's start line only (parseSipStart). */
const LIGHT_ANSWER = 8;
/**
 * The LIGHT_WINDOW first try of parseSipStart: INCOMPLETE unless a start line of a light
 * kind lies whole inside it (then it is the line the longer texts would find: same first non-CR/LF
 * byte, same first LF after it); anything else is left to parseSip's own windows, quirks
 * included (a first window of nothing but CR/LF is not SIP).
 */
const SHORT = 4;
const LIGHT_WINDOW = 256;
/** An answer without the fields no answer's judging reads (LEAN_RESPONSE). */
const LEAN_ANSWER = 16;
/** A request without its Contact (LEAN_REQUEST). */
const LEAN_ASK = 32;
/** The header kinds (parse-scan.ts's H_*) a lean answer or request leaves out, as bits. */
const ANSWER_SKIP = (1 << H_FROM) | (1 << H_TO) | (1 << H_UA) | (1 << H_CONTACT);
const REQUEST_SKIP = 1 << H_CONTACT;
/** Their first-letter tables (a lean answer's From and To lines need no name match). */
const ANSWER_FIRST = firstLetters(ANSWER_SKIP);
const REQUEST_FIRST = firstLetters(REQUEST_SKIP);
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

/** The start line just parsed (module slots, as in parse-scan.ts: no object per message). */
let KIND: 'request' | 'response' = 'request';
let METHOD = '';
let URI: string | null = null;
let STATUS: number | null = null;

/** Parse the decoded text `s`, whose character i is byte b[o + i] (`mode`: the bits above). */
function parseText(s: string, b: Uint8Array, o: number, mode: number): SipMessage | null | typeof INCOMPLETE {
  const n = s.length;
  const windowed = (mode & (WINDOWED | SHORT)) !== 0;
  let p = 0;
  while (p < n && isCrLf(b[o + p]!)) p++;
  if (p >= n) return (mode & SHORT) !== 0 ? INCOMPLETE : null;
  const lf = s.indexOf('\n', p);
  if (lf < 0) return windowed ? INCOMPLETE : null;
  let le = lf;
  if (b[o + le - 1]! === 13) le--;
  const ok =
    le - p >= 11 && b[o + p + 3]! === 47 && isSipVersion(p)
      ? statusLine(b, o, p, le)
      : requestLine(s, b, o, p, le);
  if (!ok) return null;
  if ((mode & (KIND === 'request' ? LIGHT : LIGHT_ANSWER)) !== 0) return startOnly(KIND, METHOD, URI, STATUS);
  if ((mode & SHORT) !== 0) return INCOMPLETE;
  const kind = KIND;
  const method = METHOD;
  const uri = URI;
  const status = STATUS;
  const h = HEADERS;
  const lean = (mode & (kind === 'request' ? LEAN_ASK : LEAN_ANSWER)) !== 0;
  if (!lean) h.reset();
  else if (kind === 'request') h.reset(REQUEST_SKIP, REQUEST_FIRST);
  else h.reset(ANSWER_SKIP, ANSWER_FIRST);
  if (!h.read(s, b, o, lf + 1, windowed)) return INCOMPLETE;
  return {
    kind,
    method: kind === 'response' ? (h.cseqMethod ?? '') : method,
    uri,
    status,
    callId: h.callId,
    cseq: h.cseq,
    branch: h.branch,
    fromUser: h.fromUser,
    toUser: h.toUser,
    userAgent: h.userAgent,
    hasCredentials: h.hasCredentials,
    authUser: h.authUser,
    stale: h.stale,
    nonce: h.nonce,
    contact: h.contact,
  };
}

/** A message without its headers: the full message's shape (same fields, same order: one hidden class). */
function startOnly(
  kind: 'request' | 'response',
  method: string,
  uri: string | null,
  status: number | null,
): SipMessage {
  return {
    kind,
    method,
    uri,
    status,
    callId: null,
    cseq: null,
    branch: null,
    fromUser: null,
    toUser: null,
    userAgent: null,
    hasCredentials: false,
    authUser: null,
    stale: false,
    nonce: null,
    contact: null,
  };
}

/** `SIP/2.0 SP 3DIGIT [SP reason]` in b[o + p, o + le); sets the start-line slots. */
function statusLine(b: Uint8Array, o: number, p: number, le: number): boolean {
  let q = p + 7;
  if (b[o + q]! !== 32) return false;
  while (q < le && b[o + q]! === 32) q++;
  const d0 = b[o + q]! - 48;
  const d1 = b[o + q + 1]! - 48;
  const d2 = b[o + q + 2]! - 48;
  if (q + 3 > le || d0 < 1 || d0 > 6 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) return false;
  if (q + 3 < le && b[o + q + 3]! !== 32 && b[o + q + 3]! !== 9) return false;
  KIND = 'response';
  METHOD = '';
  URI = null;
  STATUS = d0 * 100 + d1 * 10 + d2;
  return true;
}

/** `Method SP Request-URI SP SIP/2.0`; sets the start-line slots. */
function requestLine(s: string, b: Uint8Array, o: number, p: number, le: number): boolean {
  let q = p;
  while (q < le && isTokenCode(b[o + q]!)) q++;
  if (q === p || q - p > 32 || b[o + q]! !== 32) return false;
  const mEnd = q;
  while (q < le && b[o + q]! === 32) q++;
  const uStart = q;
  let sawColon = false;
  while (q < le) {
    const c = b[o + q]!;
    if (c <= 32 || c >= 127) break;
    if (c === 58) sawColon = true;
    q++;
  }
  if (q === uStart || !sawColon || b[o + q]! !== 32) return false;
  const uEnd = q;
  while (q < le && b[o + q]! === 32) q++;
  if (le - q < 7 || !isSipVersion(q)) return false;
  q += 7;
  while (q < le && isSpHt(b[o + q]!)) q++;
  if (q !== le) return false;
  KIND = 'request';
  METHOD = methodName(s, p, mEnd);
  URI = s.slice(uStart, uEnd);
  STATUS = null;
  return true;
}

const HEADERS = new Headers();

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

/**
 * The header block of one SIP message → the fields detection keeps (parse.ts parses the
 * start line and calls this; split from it so that each file owns one part of the
 * message). One reused instance per process (no object per message), filled line by line:
 * the first occurrence of a header wins; at most MAX_HEADERS lines are looked at, and any
 * text an attacker writes that sipprot keeps is cut to MAX_FIELD characters.
 */
import { AUTH, authParams, WANT_NONCE, WANT_STALE, WANT_USERNAME } from './parse-auth.js';
import {
  addrUser,
  contactUri,
  FIRST,
  H_AUTHN,
  H_AUTHZ,
  H_CALLID,
  H_CONTACT,
  H_CSEQ,
  H_FROM,
  H_TO,
  H_UA,
  H_VIA,
  headerAt,
  isTokenCode,
  methodName,
  skipLws,
  text,
  VALUE_START,
  viaBranch,
} from './parse-scan.js';

/**
 * Text an attacker writes and sipprot keeps or shows (User-Agent, users, Contact) is cut
 * here, at capture, to MAX_FIELD characters (bytes: the text is latin1), the cut marked
 * by a final '…' (issue 10 item 14: a 63 KB User-Agent was stored and shown whole, one UI
 * row ~2,300 lines tall, and padded every row of the digest mail).
 */
export const MAX_FIELD = 256;

function capped(v: string | null): string | null {
  return v === null || v.length <= MAX_FIELD ? v : `${v.slice(0, MAX_FIELD - 1)}…`;
}
export const MAX_HEADERS = 100;

/** The kept header fields of one message, filled line by line (first occurrence wins). */
export class Headers {
  callId: string | null = null;
  cseq: number | null = null;
  cseqMethod: string | null = null;
  branch: string | null = null;
  viaSeen = false;
  fromUser: string | null = null;
  fromSeen = false;
  toUser: string | null = null;
  toSeen = false;
  userAgent: string | null = null;
  hasCredentials = false;
  authUser: string | null = null;
  stale = false;
  nonce: string | null = null;
  contact: string | null = null;
  /** Header kinds (1 << H_*) not collected: their fields stay empty (parse.ts's lean parses). */
  private skip = 0;
  /** The first letters of the header lines worth a name match: FIRST, or firstLetters(skip). */
  private first: Uint8Array = FIRST;

  /**
   * Ready for the next message (one instance serves every parse: no object per message).
   * `first`: firstLetters(skip), when the caller has it (a lean parse's lines of skipped
   * kinds then cost no name match); FIRST is right for any `skip`, only slower.
   */
  reset(skip = 0, first: Uint8Array = FIRST): void {
    this.skip = skip;
    this.first = first;
    this.callId = null;
    this.cseq = null;
    this.cseqMethod = null;
    this.branch = null;
    this.viaSeen = false;
    this.fromUser = null;
    this.fromSeen = false;
    this.toUser = null;
    this.toSeen = false;
    this.userAgent = null;
    this.hasCredentials = false;
    this.authUser = null;
    this.stale = false;
    this.nonce = null;
    this.contact = null;
  }

  /**
   * The header lines from `p` on; false when a window cut the block (widen and redo).
   * A truncated datagram keeps what arrived.
   */
  read(s: string, b: Uint8Array, o: number, p: number, windowed: boolean): boolean {
    const n = s.length;
    let hKind = 0; // header being collected (0 = skipped)
    let vs = 0; // its value start
    let ve = 0; // its value end (grows over folded lines)
    let folded = false;
    let count = 0;
    let ended = false;
    const firstTab = this.first;
    for (;;) {
      let next = -1;
      let lineEnd = n;
      let atEnd = p >= n;
      if (!atEnd) {
        next = s.indexOf('\n', p);
        if (next >= 0) lineEnd = next;
        else if (windowed) return false; // a line cut by the window: widen and redo
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
        p = next < 0 ? n : next + 1;
        continue;
      }
      if (hKind !== 0 && (this.skip & (1 << hKind)) === 0) this.collect(hKind, s, b, o, vs, ve, folded);
      hKind = 0;
      if (atEnd || ++count > MAX_HEADERS) break;
      folded = false;
      // Most skipped headers (Expires, Supported, Route, X-...) are told by their first
      // letter alone: no need to find their colon.
      if (firstTab[first | 32] === 1) {
        hKind = headerAt(p, lineEnd);
        vs = VALUE_START;
        ve = lineEnd;
      }
      p = next < 0 ? n : next + 1;
    }
    // A window cut mid-block needs the full text.
    return ended || !windowed || count > MAX_HEADERS;
  }

  /** A completed header of a kept kind. */
  private collect(
    kind: number,
    s: string,
    b: Uint8Array,
    o: number,
    vs: number,
    ve: number,
    folded: boolean,
  ): void {
    switch (kind) {
      case H_VIA:
        if (!this.viaSeen) {
          this.viaSeen = true;
          this.branch = viaBranch(s, vs, ve);
        }
        break;
      case H_FROM:
        if (!this.fromSeen) {
          this.fromSeen = true;
          this.fromUser = capped(addrUser(s, vs, ve));
        }
        break;
      case H_TO:
        if (!this.toSeen) {
          this.toSeen = true;
          this.toUser = capped(addrUser(s, vs, ve));
        }
        break;
      case H_CALLID:
        if (this.callId === null) this.callId = text(s, vs, ve, folded);
        break;
      case H_CSEQ:
        if (this.cseq === null && this.cseqMethod === null) this.readCseq(s, b, o, vs, ve);
        break;
      case H_UA:
        if (this.userAgent === null) this.userAgent = capped(text(s, vs, ve, folded));
        break;
      case H_AUTHZ: {
        this.hasCredentials = true;
        const want = (this.authUser === null ? WANT_USERNAME : 0) | (this.nonce === null ? WANT_NONCE : 0);
        if (want === 0) break;
        authParams(s, vs, ve, want);
        if (this.authUser === null) this.authUser = capped(AUTH.username);
        if (this.nonce === null) this.nonce = AUTH.nonce;
        break;
      }
      case H_AUTHN: {
        const want = (this.nonce === null ? WANT_NONCE : 0) | (this.stale ? 0 : WANT_STALE);
        if (want === 0) break;
        authParams(s, vs, ve, want);
        if (this.nonce === null) this.nonce = AUTH.nonce;
        if (!this.stale) {
          const v = AUTH.stale;
          this.stale = v !== null && v.length === 4 && v.toLowerCase() === 'true';
        }
        break;
      }
      case H_CONTACT:
        if (this.contact === null) this.contact = capped(contactUri(s, vs, ve));
        break;
    }
  }

  /** `CSeq: 1234 METHOD` */
  private readCseq(s: string, b: Uint8Array, o: number, vs: number, ve: number): void {
    let q = skipLws(vs, ve);
    let num = 0;
    const d = q;
    for (; q < ve && q - d < 10; q++) {
      const digit = b[o + q]! - 48;
      if (digit < 0 || digit > 9) break;
      num = num * 10 + digit;
    }
    if (q > d && num < 2147483648) this.cseq = num;
    q = skipLws(q, ve);
    const m = q;
    while (q < ve && isTokenCode(b[o + q]!)) q++;
    if (q > m && q - m <= 32) this.cseqMethod = methodName(s, m, q);
  }
}

/**
 * The auth parameters detection keeps (`username`, `nonce`, `stale`) from an
 * Authorization or WWW-Authenticate value, for parse-headers.ts. Split from parse-scan.ts
 * (one concern: the digest's parameter list), reading the same message bytes through its
 * view (B, O: set by scanView).
 */
import { isAuthValueEnd, isTokenCode, lit } from './parse-chars.js';
import { B, eqi, O, skipLws, skipQuoted } from './parse-scan.js';

const L_USERNAME = lit('username');
const L_STALE = lit('stale');
const L_NONCE = lit('nonce');

/** Which parameters authParams looks for (bits), and where it leaves them. */
export const WANT_USERNAME = 1;
export const WANT_NONCE = 2;
export const WANT_STALE = 4;
export const AUTH: { username: string | null; nonce: string | null; stale: string | null } = {
  username: null,
  nonce: null,
  stale: null,
};

/**
 * The `username`, `nonce` and `stale` parameters (those in `want`) of an Authorization or
 * WWW-Authenticate value (`Digest a="x", b=y`), quoted or not, names case-insensitive, the
 * first of each: one pass over the value (three passes were 14% of decoding a flood).
 * A header may hold several challenges (`Digest ..., Digest ...`): a token followed by a
 * space is a scheme and is skipped. Results are in AUTH (null: absent).
 */
export function authParams(s: string, p: number, e: number, want: number): void {
  const b = B;
  const o = O;
  AUTH.username = null;
  AUTH.nonce = null;
  AUTH.stale = null;
  let q = p;
  while (q < e && want !== 0) {
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
        const close = skipQuoted(s, q, e);
        vs2 = q + 1;
        ve2 = close > vs2 && b[o + close - 1] === 34 ? close - 1 : close;
        q = close;
      } else {
        vs2 = q;
        while (q < e && !isAuthValueEnd(b[o + q]!)) q++;
        ve2 = q;
      }
      const len = ne - ns;
      if (len === 8) {
        if ((want & WANT_USERNAME) !== 0 && eqi(ns, L_USERNAME)) {
          AUTH.username = authValue(s, vs2, ve2);
          want &= ~WANT_USERNAME;
        }
      } else if (len === 5) {
        if ((want & WANT_NONCE) !== 0 && eqi(ns, L_NONCE)) {
          AUTH.nonce = authValue(s, vs2, ve2);
          want &= ~WANT_NONCE;
        } else if ((want & WANT_STALE) !== 0 && eqi(ns, L_STALE)) {
          AUTH.stale = authValue(s, vs2, ve2);
          want &= ~WANT_STALE;
        }
      }
      q = skipLws(q, e);
      if (b[o + q] === 44) q++;
      else if (q < e && ne === ns) q++; // garbage: make progress
      // Only `stale` left to find (a challenge's nonce is in): none can follow without an
      // s or S in the rest of the value — two native searches instead of a walk over
      // opaque, algorithm and qop.
      if (want === WANT_STALE && !hasS(s, q, e)) break;
    } else if (ne === ns) {
      q++; // a stray character (comma, quote): step over it
    }
    // otherwise `ns..ne` was a scheme token; the loop continues with its first param
  }
}

function authValue(s: string, vs: number, ve: number): string {
  const v = s.slice(vs, ve);
  return v.indexOf('\\') < 0 ? v : v.replace(/\\(.)/g, '$1');
}

/** Whether s[q, e) holds an s or S. */
function hasS(s: string, q: number, e: number): boolean {
  const a = s.indexOf('s', q);
  if (a >= 0 && a < e) return true;
  const c = s.indexOf('S', q);
  return c >= 0 && c < e;
}

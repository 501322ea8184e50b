/**
 * The byte classes parseSip's scanners branch on (parse-scan.ts, parse-headers.ts,
 * parse.ts): RFC 3261 token characters, line ends, white space, the ends of URI parts and
 * auth values, and the first letters of the kept header names. Pure functions of one byte,
 * no state: split from parse-scan.ts, which owns the scanners that read a message.
 */

// RFC 3261 token: alphanum and - . ! % * _ + ` ' ~
const TOKEN = new Uint8Array(128);
for (let i = 48; i <= 57; i++) TOKEN[i] = 1;
for (let i = 65; i <= 90; i++) TOKEN[i] = 1;
for (let i = 97; i <= 122; i++) TOKEN[i] = 1;
for (const ch of "-.!%*_+`'~") TOKEN[ch.charCodeAt(0)] = 1;

/** First letters (lower-cased) of the headers we keep, compact forms included. */
export const FIRST = new Uint8Array(256);
for (const ch of 'vftimcuawpl') FIRST[ch.charCodeAt(0)] = 1;

export function isTokenCode(c: number): boolean {
  return c < 128 && TOKEN[c] === 1;
}

export function isCrLf(c: number): boolean {
  return c === 13 || c === 10;
}

export function isSpHt(c: number): boolean {
  return c === 32 || c === 9;
}

export function isLws(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

/** End of an addr-spec URI: header params, the next value, or whitespace. */
export function isParamEnd(c: number): boolean {
  return c === 59 || c === 44 || c <= 32;
}

export function isTelEnd(c: number): boolean {
  return c === 59 || c === 63;
}

/** End of a SIP URI user: password or user parameters follow. */
export function isUserEnd(c: number): boolean {
  return c === 58 || c === 59;
}

export function isAuthValueEnd(c: number): boolean {
  return c === 44 || c <= 32;
}

/** Lower-case ASCII literal as bytes, for eqi. */
export function lit(text: string): Uint8Array {
  return Uint8Array.from(text, (ch) => ch.charCodeAt(0));
}

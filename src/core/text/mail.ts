/**
 * Text on its way into a mail header (the subject, issue 10 item 14): one line — every
 * control, line and paragraph separator and bidi override is '?' (terminal.ts), so a
 * header can never be split into two — and bounded (RFC 5322 asks for lines under 998
 * characters; a subject past ~200 is cut off by mail clients anyway). The mail library
 * encodes what is not ASCII (RFC 2047).
 */
import { terminalText } from './terminal.js';

export const MAX_SUBJECT = 200;

export function mailHeader(s: string, max = MAX_SUBJECT): string {
  return terminalText(s, max);
}

/**
 * Text from the network (User-Agents, users, notes, alert sentences) on its way to a
 * terminal or a log line: one escaping for both. C0 and C1 controls, DEL, the Unicode line
 * and paragraph separators and the bidirectional overrides become '?', so a User-Agent can
 * neither move the admin's cursor, retitle the terminal, start a forged log line, nor
 * reorder what is shown ("Trojan Source"); length is bounded where the caller says.
 */

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Every control, separator and bidi override replaced by '?'. */
export function terminalSafe(s: string): string {
  return s.replace(UNSAFE, '?');
}

/** terminalSafe, cut to `max` characters (a cut text ends in '…'). */
export function terminalText(s: string, max: number): string {
  const safe = terminalSafe(s);
  return safe.length <= max ? safe : `${safe.slice(0, Math.max(0, max - 1))}…`;
}

const UNSAFE_KEEP_LINES =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]|\r(?!\n)/g;

/**
 * Whole output for a terminal (the CLI prints everything through this): like terminalSafe
 * but line feeds, tabs and CRLF line ends (CSV export) stay, so tables and lines keep
 * their shape while an ESC, BEL, lone CR, NUL, CSI (U+009B), NEL (U+0085) or bidi
 * override in a User-Agent cannot act.
 */
export function terminalLines(s: string): string {
  return s.replace(UNSAFE_KEEP_LINES, '?');
}

const JSON_UNSAFE = /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * JSON for a terminal or a pipe: JSON.stringify escapes C0 controls but writes C1,
 * separators and bidi overrides raw; here they become \uXXXX escapes, so the data is exact
 * and the bytes are inert.
 */
export function jsonText(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(
    JSON_UNSAFE,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

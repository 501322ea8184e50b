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

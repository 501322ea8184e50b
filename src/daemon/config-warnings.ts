/**
 * Config warnings (unknown keys with a "did you mean", keys set twice) said where the
 * admin looks: one log line each at start and at every reload (SIGHUP, API, settings),
 * and in the answer of `sipprotd reload`. The loader found them all along; the daemon
 * used to drop them, so a typo like HITCOUNT=3 silently kept the default (issue 10 item 15).
 */
import type { ConfigWarning } from '../core/config/parse.js';
import type { Logger } from '../ports/logger.js';

export function logConfigWarnings(
  log: Logger,
  file: string | null,
  warnings: readonly ConfigWarning[],
  when: 'start' | 'reload',
): void {
  for (const w of warnings) log.warn({ file, line: w.line, key: w.key, when }, `config: ${w.message}`);
}

/** The warnings as lines for an answer to the admin ('' when there are none). */
export function warningLines(file: string | null, warnings: readonly ConfigWarning[]): string {
  return warnings.map((w) => `\nwarning: ${file ?? 'config'}: ${w.message}`).join('');
}

/**
 * What the CLI prints and how: the manual's tables, `--json`, config warnings on stderr.
 * (A reader that closes the pipe early, `sipprot deny list | head`, is bin/sipprot.js's.)
 */
import type { ConfigWarning } from '../core/config/parse.js';
import { jsonText, terminalLines } from '../core/text/terminal.js';
import type { ListEntry, ListName } from '../core/types.js';
import { count, localTime } from '../platform/time-text.js';
import type { DynamicBlock } from '../ports/admin.js';
import { formatDuration, renderTable } from './table.js';

/** Where a command writes; tests pass buffers, the binaries pass the process streams. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

/** Prints each config warning (an unknown key and its typo hint, a key set twice) once. */
export function warnConfig(io: Io): (w: ConfigWarning, file: string) => void {
  const said = new Set<string>();
  return (w, file) => {
    const line = `warning: ${file}: ${w.message}\n`;
    if (said.has(line)) return;
    said.add(line);
    io.err(line);
  };
}

export const LIST_TITLES: Record<ListName, string> = { allow: 'Allow list', deny: 'Deny list' };

/** Data as JSON; C1 controls, separators and bidi overrides escaped (core/text/terminal.ts). */
export function json(io: Io, value: unknown): void {
  io.out(`${jsonText(value, 2)}\n`);
}

/**
 * Every byte the CLI prints passes here (issue 10 item 14): a User-Agent, user or note that
 * reached a table, a check explanation or a report cannot move the cursor, retitle the
 * terminal or hide text (ESC, BEL, CR, NUL, U+009B, U+0085, bidi overrides become '?').
 */
export function terminalIo(io: Io): Io {
  return { out: (s) => io.out(terminalLines(s)), err: (s) => io.err(terminalLines(s)) };
}

export function listTable(title: string, entries: ListEntry[]): string {
  return (
    `${title}\n` +
    renderTable(
      ['IP/NETWORK', 'NOTE'],
      entries.map((e) => [e.network, e.note]),
    )
  );
}

export function dynamicTable(title: string, blocks: DynamicBlock[]): string {
  return (
    `${title}\n` +
    renderTable(
      ['IP', 'COUNTRY', 'USER AGENT', 'REASON', 'ATTEMPTS', 'USERS', 'BLOCKED SINCE', 'TIME LEFT'],
      blocks.map((b) => [
        b.ip,
        b.country ?? '-',
        truncate(b.userAgent ?? '-', 32),
        b.misconfiguredPhone ? `${b.reason} (misconfigured phone?)` : b.reason,
        count(b.attempts),
        truncate(b.users.join(',') || '-', 24),
        localTime(b.blockedAt, { seconds: false }),
        formatDuration(b.timeLeft),
      ]),
    )
  );
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + '…';
}

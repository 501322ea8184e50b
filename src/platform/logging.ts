/**
 * The daemon's logger (issue 15 item 2): pino, with our own destination for the text
 * format, so no transport thread and no prettifier package.
 *
 * - LOG_FORMAT=text (default): pino's record → one readable line (core/log/line.ts).
 *   Under systemd (JOURNAL_STREAM names the very stream we write to, by device and inode,
 *   as systemd.exec(5) says to check) the line has no time and starts with the syslog
 *   priority `<N>`: journald stamps it and `journalctl -p warning` filters on it.
 *   Elsewhere (a terminal, `sipprotd start`'s STATE_DIR/sipprotd.log) it starts with the
 *   local time and the level word.
 * - LOG_FORMAT=json: pino's own JSON lines (time in epoch ms, pid, hostname, every field),
 *   for log shippers.
 * Writes are synchronous (stdout on Linux is, for files, pipes and terminals): a line is
 * out before the next statement, and nothing is lost when the process exits right after.
 */
import { fstatSync } from 'node:fs';
import { type Logger, pino } from 'pino';
import { type LogStyle, logLine } from '../core/log/line.js';

export type LogFormat = 'text' | 'json';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LoggerOptions {
  format: LogFormat;
  level: LogLevel;
  /** Where lines go (default process.stdout); tests pass a collector. */
  out?: { write(s: string): unknown };
  /** The fd of `out`, for the journald check (default 1). */
  fd?: number;
  env?: NodeJS.ProcessEnv;
  /** Forces the text style (tests); default: journald when JOURNAL_STREAM is our stream. */
  style?: LogStyle;
}

/** True when fd is the journal stream systemd gave this service (JOURNAL_STREAM=dev:inode). */
export function isJournalStream(env: NodeJS.ProcessEnv, fd = 1): boolean {
  const m = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  if (!m) return false;
  try {
    const st = fstatSync(fd);
    return String(st.dev) === m[1] && String(st.ino) === m[2];
  } catch {
    return false;
  }
}

export function createLogger(o: LoggerOptions): Logger {
  const out = o.out ?? process.stdout;
  const base = { name: 'sipprotd', level: o.level };
  if (o.format === 'json') return pino(base, { write: (s: string) => out.write(s) });
  const style = o.style ?? (isJournalStream(o.env ?? process.env, o.fd ?? 1) ? 'journald' : 'terminal');
  return pino(base, {
    write(s: string) {
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(s) as Record<string, unknown>;
      } catch {
        out.write(s);
        return;
      }
      const ms = typeof rec.time === 'number' ? rec.time : Date.now();
      out.write(`${logLine(rec, { style, utcOffsetMinutes: -new Date(ms).getTimezoneOffset() })}\n`);
    },
  });
}

/** Where the daemon's lines end up, in words (for `sipprotd start` and the start line). */
export function logDestination(env: NodeJS.ProcessEnv, fd = 1): string {
  return isJournalStream(env, fd) ? 'the systemd journal (journalctl -u sipprotd)' : 'standard output';
}

/**
 * Times and counts as the CLI, the mails and the report write them (issue 16 item 5): the
 * host's local time with its UTC offset always shown (`2026-12-05 14:02:11 +01:00`; an
 * admin reading a mail in another zone, or a log in UTC, must not guess), relative times
 * where they help (`3 min ago`, `in 9 min`), counts with thousands separators
 * (`12,345`). The web UI does the same in the browser's zone (web/src/format.ts).
 * The local zone is the process's (TZ), read per call, so tests can set TZ.
 */

const pad = (n: number) => String(n).padStart(2, '0');

/** `+01:00`, `-05:00`, `+00:00` for an epoch-seconds time in the local zone. */
export function utcOffset(t: number): string {
  const minutes = -new Date(t * 1000).getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const a = Math.abs(minutes);
  return `${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

/** Local date and time with the offset: `2026-12-05 14:02:11 +01:00` (seconds: `withSeconds`). */
export function localTime(t: number, opts: { seconds?: boolean } = {}): string {
  const d = new Date(t * 1000);
  if (Number.isNaN(d.getTime())) return String(t);
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}${opts.seconds === false ? '' : `:${pad(d.getSeconds())}`}`;
  return `${date} ${time} ${utcOffset(t)}`;
}

/** `just now`, `42 s ago`, `3 min ago`, `2 h ago`, `5 days ago`, `in 9 min`. */
export function relativeTime(t: number, now: number): string {
  const d = Math.round(now - t);
  const a = Math.abs(d);
  if (a < 5) return 'just now';
  const text =
    a < 60
      ? `${a} s`
      : a < 3600
        ? `${Math.floor(a / 60)} min`
        : a < 86400 * 2
          ? `${Math.floor(a / 3600)} h`
          : `${Math.floor(a / 86400)} days`;
  return d >= 0 ? `${text} ago` : `in ${text}`;
}

export { count } from '../core/report/format.js';

/**
 * Local calendar days for the daily report: "yesterday" and "00:05" mean the host's local
 * time (the TZ environment), including days that are 23 or 25 hours long around DST.
 * Dates are `YYYY-MM-DD` strings, so they compare and persist as plain text.
 */

export interface Calendar {
  /** The local date of an epoch-seconds time. */
  dateOf(t: number): string;
  /** Epoch seconds of HH:MM local time on `date` (00:00 = start of the day). */
  at(date: string, hhmm: string): number;
  /** `date` moved by `days` calendar days. */
  addDays(date: string, days: number): string;
  /** Local `YYYY-MM-DD HH:MM +01:00` for reports and mails (the zone's offset shown). */
  formatTime(t: number): string;
}

import { localTime } from '../platform/time-text.js';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const HHMM = /^([01]?\d|2[0-3]):([0-5]\d)$/;

export function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return (
    d.getFullYear() === Number(m[1]) && d.getMonth() === Number(m[2]) - 1 && d.getDate() === Number(m[3])
  );
}

export function isHhmm(s: string): boolean {
  return HHMM.test(s);
}

/** The calendar of this process's local time zone. */
export const localCalendar: Calendar = {
  dateOf(t) {
    return ymd(new Date(t * 1000));
  },
  at(date, hhmm) {
    const [y, mo, d] = parts(date);
    const m = HHMM.exec(hhmm);
    if (!m) throw new RangeError(`not a HH:MM time: ${JSON.stringify(hhmm)}`);
    return new Date(y, mo - 1, d, Number(m[1]), Number(m[2])).getTime() / 1000;
  },
  addDays(date, days) {
    const [y, mo, d] = parts(date);
    // Noon keeps DST shifts from moving the result onto a neighbouring day.
    return ymd(new Date(y, mo - 1, d + days, 12));
  },
  formatTime(t) {
    // The offset is shown: a mail is read in other zones, and next to logs in UTC.
    return localTime(t, { seconds: false });
  },
};

function parts(date: string): [number, number, number] {
  const m = DATE.exec(date);
  if (!m) throw new RangeError(`not a YYYY-MM-DD date: ${JSON.stringify(date)}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function ymd(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * Display helpers: durations, times, numbers, reasons and countries in words. Times are
 * the browser's local time with the zone always shown (`14:02 CET`, `5 Dec 2026, 14:02
 * CET`: an admin comparing with a log or a mail must not guess), relative where it helps
 * (`3 min ago`), counts with the locale's thousands separators.
 */
import { REASON_WORDS } from '../../src/api/wire/dynamic.js';

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** "10 min" style for setting hints (whole units only). */
export function roughDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '';
  const units: Array<[number, string]> = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [n, name] of units) {
    if (seconds >= n && seconds % n === 0) {
      const v = seconds / n;
      return `${v} ${name}${v === 1 ? '' : 's'}`;
    }
  }
  return duration(seconds);
}

/** The local zone's short name at that time (`CET`, `GMT+1`, `UTC`): summer time changes it. */
export function zone(epochSeconds: number): string {
  try {
    const parts = new Intl.DateTimeFormat(undefined, { timeZoneName: 'short' }).formatToParts(
      new Date(epochSeconds * 1000),
    );
    return parts.find((p) => p.type === 'timeZoneName')?.value ?? '';
  } catch {
    return '';
  }
}

/** `5 Dec 2026, 14:02 CET`. */
export function dateTime(epochSeconds: number): string {
  const text = new Date(epochSeconds * 1000).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
  return `${text} ${zone(epochSeconds)}`.trim();
}

/** Time only for today, else a short date and time, zone shown: for lists of recent events. */
export function when(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  if (d.toDateString() === new Date().toDateString()) return time(epochSeconds);
  const text = d.toLocaleString(undefined, {
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
  return `${text} ${zone(epochSeconds)}`.trim();
}

/** `14:02 CET`. */
export function time(epochSeconds: number): string {
  const text = new Date(epochSeconds * 1000).toLocaleTimeString(undefined, {
    hour: '2-digit',
    minute: '2-digit',
  });
  return `${text} ${zone(epochSeconds)}`.trim();
}

/** `14:02` without the zone, for chart axes (the chart's caption names the zone once). */
export function clock(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

/** `just now`, `42 s ago`, `3 min ago`, `2 h ago`, `5 days ago`, `in 9 min`. */
export function ago(epochSeconds: number, nowMs = Date.now()): string {
  const d = Math.round(nowMs / 1000 - epochSeconds);
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

/** A value for <input type="datetime-local"> in local time, and back to epoch seconds. */
export function toLocalInput(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function fromLocalInput(value: string): number | null {
  const t = new Date(value).getTime();
  return Number.isNaN(t) ? null : t / 1000;
}

export function num(n: number): string {
  return n.toLocaleString();
}

/** The reasons in words: the API's (a search on the server matches the same words). */
export const REASONS: Record<string, string> = REASON_WORDS;

export function reason(r: string): string {
  return REASONS[r] ?? r;
}

const regionNames = (() => {
  try {
    return new Intl.DisplayNames(['en'], { type: 'region' });
  } catch {
    return null;
  }
})();

export function countryName(code: string): string | null {
  try {
    const name = regionNames?.of(code);
    return name && name !== code ? name : null;
  } catch {
    return null;
  }
}

export function country(code: string | null): string {
  if (!code) return 'unknown';
  const name = countryName(code);
  return name ? `${name} (${code})` : code;
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${num(n)} ${n === 1 ? word : many}`;
}

export function todayLocal(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

/**
 * A log record (pino's object: level, time, msg, fields) as one line an admin can read
 * (issue 15 item 2):
 *
 *   2026-12-05 03:12:44 +0000 INFO  blocked 203.0.113.66 auth-failures: 5 failed attempts in 60 s (users 100,101; UA "friendly-scanner"; AU)
 *   2026-12-05 03:12:45 +0000 WARN  nft: command failed, retrying err="netlink: Device or resource busy"
 *
 * - terminal style: local time with its UTC offset, the level word padded to 5;
 * - journald style: no time (the journal stamps every line) and the level as a syslog
 *   priority prefix `<4>`, which systemd turns into the entry's priority, so
 *   `journalctl -u sipprotd -p warning` shows warnings and errors only.
 * Events with a sentence of their own (decisions, alerts) are rendered by events.ts; every
 * other record is `component: msg key=value ...`. Everything that may come from the network
 * is made safe for a terminal (core/text/terminal.ts) and bounded; a record never becomes
 * more than one line. Pure: the time is the record's, the offset an argument.
 */
import { terminalText } from '../text/terminal.js';
import { eventSentence } from './events.js';

export type LogStyle = 'terminal' | 'journald';

export interface LineOptions {
  style: LogStyle;
  /** Minutes east of UTC at the record's time (the host's zone; `-new Date(t).getTimezoneOffset()`). */
  utcOffsetMinutes: number;
}

/** pino's numeric levels → word and syslog priority (RFC 5424). */
const LEVELS: Array<[number, string, number]> = [
  [60, 'FATAL', 2],
  [50, 'ERROR', 3],
  [40, 'WARN', 4],
  [30, 'INFO', 6],
  [20, 'DEBUG', 7],
  [0, 'TRACE', 7],
];

/** Fields every pino record carries that the line says otherwise or not at all. */
const HIDDEN = new Set([
  'level',
  'time',
  'pid',
  'hostname',
  'name',
  'msg',
  'component',
  'event',
  'transport',
]);

/** One field value at most this long in a line (a 63 KB User-Agent stays a short line). */
const MAX_VALUE = 200;
const MAX_LINE = 2000;

export function levelOf(level: unknown): { word: string; priority: number } {
  const n = typeof level === 'number' ? level : 30;
  const [, word, priority] = LEVELS.find(([min]) => n >= min) ?? LEVELS[LEVELS.length - 1]!;
  return { word, priority };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `2026-12-05 03:12:44 +0100` for epoch milliseconds and an offset east of UTC. */
export function localTime(ms: number, utcOffsetMinutes: number): string {
  const d = new Date(ms + utcOffsetMinutes * 60_000);
  const sign = utcOffsetMinutes < 0 ? '-' : '+';
  const off = Math.abs(utcOffsetMinutes);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ` +
    `${sign}${pad(Math.floor(off / 60))}${pad(off % 60)}`
  );
}

/** A field value as the line shows it: bare when plain, else quoted; always one safe line. */
export function fieldValue(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.length === 0 ? '-' : fieldValue(v.map((x) => plain(x)).join(','));
  if (typeof v === 'object') {
    const err = v as { message?: unknown };
    if (typeof err.message === 'string') return fieldValue(err.message);
    return quoted(JSON.stringify(v) ?? '');
  }
  const s = String(v);
  return /^[\w.:/@+,%=-]+$/.test(s) && s.length <= MAX_VALUE ? s : quoted(s);
}

function plain(x: unknown): string {
  return typeof x === 'string' ? x : (JSON.stringify(x) ?? String(x));
}

function quoted(s: string): string {
  return `"${terminalText(s, MAX_VALUE).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `msg key=value ...` for a record without a sentence of its own. */
function genericText(rec: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof rec.component === 'string') parts.push(`${terminalText(rec.component, 40)}:`);
  if (typeof rec.msg === 'string' && rec.msg !== '') parts.push(terminalText(rec.msg, MAX_LINE));
  for (const [k, v] of Object.entries(rec)) {
    if (HIDDEN.has(k) || v === undefined) continue;
    parts.push(`${k}=${fieldValue(v)}`);
  }
  return parts.join(' ');
}

/** The whole line, without the newline. */
export function logLine(rec: Record<string, unknown>, o: LineOptions): string {
  const { word, priority } = levelOf(rec.level);
  const text = terminalText(eventSentence(rec) ?? genericText(rec), MAX_LINE);
  if (o.style === 'journald') return `<${priority}>${text}`;
  const time = typeof rec.time === 'number' ? localTime(rec.time, o.utcOffsetMinutes) : '-';
  return `${time} ${word.padEnd(5)} ${text}`;
}

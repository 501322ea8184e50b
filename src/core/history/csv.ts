/**
 * The history as CSV (`sipprot history --csv`, the Events tab's export): one event a line,
 * a header, CRLF, every cell through core/text csvCell (a user agent or note that a
 * spreadsheet would run as a formula is neutralised with a leading '). Times are ISO 8601
 * in UTC with the Z shown, and the epoch seconds beside them for scripts.
 */
import { csvCell } from '../text/csv.js';
import type { HistoryEvent } from './events.js';

export const HISTORY_CSV_HEADER =
  'time,epoch,kind,address,reason,actor,country,user_agent,users,attempts,expires,renewals,last_seen,misconfigured_phone,note,samples';

const iso = (t: number | null) => (t === null ? '' : new Date(Math.round(t * 1000)).toISOString());

export function historyCsvLine(e: HistoryEvent): string {
  const cells = [
    iso(e.at),
    String(e.at),
    e.kind,
    e.subject ?? '',
    e.reason ?? '',
    e.actor,
    e.country ?? '',
    e.userAgent ?? '',
    e.users.join(' '),
    String(e.attempts),
    iso(e.expiresAt),
    e.renewals === null ? '' : String(e.renewals),
    iso(e.lastSeen),
    e.misconfiguredPhone ? 'yes' : 'no',
    e.note ?? '',
    e.samples.join(' | '),
  ];
  return `${cells.map(csvCell).join(',')}\r\n`;
}

export function historyCsv(events: Iterable<HistoryEvent>): string {
  let out = `${HISTORY_CSV_HEADER}\r\n`;
  for (const e of events) out += historyCsvLine(e);
  return out;
}

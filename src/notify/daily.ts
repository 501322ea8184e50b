/**
 * NOTIFY_DAILY: at NOTIFY_DAILY_AT local time, the report of the previous local day.
 * The last day reported is kept in the store, so a daemon that was down at report time
 * sends the missed report when it comes back, and one restarted after sending does not
 * send it again.
 */

import { renderReportHtml, renderReportText } from '../core/report/render.js';
import { buildReport, type Report } from '../core/report/report.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import { type Calendar, isHhmm } from './calendar.js';
import { type FleetGate, fleetName } from './digest.js';

export const DAILY_LAST_DATE_KEY = 'notify.daily.lastDate';
const DEFAULT_DAILY_AT = '00:05';
/** A daemon down for longer catches up on this many most recent days, not more. */
const MAX_CATCH_UP_DAYS = 7;

interface DayReport {
  date: string;
  report: Report;
  text: string;
  html: string;
}

/**
 * The report of local day `date`, compared with the day before: what `sipprot report`
 * prints and the daily mail carries. `now` marks a day still running ("so far").
 */
export async function reportForDay(
  store: Store,
  calendar: Calendar,
  date: string,
  opts: { host?: string | null; now?: number; top?: number; observe?: readonly string[] } = {},
): Promise<DayReport> {
  const from = calendar.at(date, '00:00');
  const to = calendar.at(calendar.addDays(date, 1), '00:00');
  const prevFrom = calendar.at(calendar.addDays(date, -1), '00:00');
  const top = opts.top ?? 10;
  const [summary, previous] = await Promise.all([
    store.attackSummary({ from, to, top }),
    store.attackSummary({ from: prevFrom, to: from, top }),
  ]);
  const partial = opts.now !== undefined && opts.now < to;
  const report = buildReport({
    summary,
    previous,
    label: date,
    partial,
    host: opts.host ?? null,
    observe: opts.observe ?? [],
  });
  const render = { formatTime: calendar.formatTime };
  return { date, report, text: renderReportText(report, render), html: renderReportHtml(report, render) };
}

interface DailyOptions {
  store: Store;
  calendar: Calendar;
  enabled: boolean;
  /** NOTIFY_DAILY_AT, HH:MM local. */
  at: string;
  startedAt: number;
  host: string | null;
  /** OBSERVE in force, for the report's banner. */
  observe?: () => readonly string[];
  logger?: Logger;
  /** Cluster mode: one daily summary for the whole fleet (the host that claims the day sends it). */
  fleet?: FleetGate;
}

export class DailySchedule {
  private readonly at: string;
  private cleared = false;
  /** The last run stopped before the due day (the fleet could not be asked, or it failed). */
  private behind = true;

  constructor(private readonly o: DailyOptions) {
    if (isHhmm(o.at)) this.at = o.at;
    else {
      o.logger?.warn({ value: o.at }, `NOTIFY_DAILY_AT is not HH:MM; using ${DEFAULT_DAILY_AT}`);
      this.at = DEFAULT_DAILY_AT;
    }
  }

  /** The newest day whose report is due at `now` (its next day's report time has passed). */
  dueDay(now: number): string {
    const { calendar } = this.o;
    const today = calendar.dateOf(now);
    const back = now >= calendar.at(today, this.at) ? -1 : -2;
    return calendar.addDays(today, back);
  }

  /**
   * When run() next has work, epoch seconds: the next report time (+Infinity: disabled;
   * -Infinity: the last run did not get through, or none ran yet). The mail timer sleeps
   * until then.
   */
  nextDue(now: number): number {
    if (this.behind) return Number.NEGATIVE_INFINITY;
    if (!this.o.enabled) return Number.POSITIVE_INFINITY;
    const { calendar } = this.o;
    const today = calendar.dateOf(now);
    const at = calendar.at(today, this.at);
    return now < at ? at : calendar.at(calendar.addDays(today, 1), this.at);
  }

  /** Enqueues every report due at `now` and not yet sent; returns their outbox ids. */
  async run(now: number, recipients: string[]): Promise<number[]> {
    this.behind = true;
    return this.catchUp(now, recipients);
  }

  private async catchUp(now: number, recipients: string[]): Promise<number[]> {
    const { store, calendar } = this.o;
    if (!this.o.enabled) {
      if (!this.cleared) await store.setSetting(DAILY_LAST_DATE_KEY, null);
      this.cleared = true;
      this.behind = false;
      return [];
    }
    let last = await store.getSetting(DAILY_LAST_DATE_KEY);
    if (last === null) {
      // First run ever: the first report is of the day the daemon started.
      last = calendar.addDays(calendar.dateOf(this.o.startedAt), -1);
      await store.setSetting(DAILY_LAST_DATE_KEY, last);
    }
    const due = this.dueDay(now);
    if (last >= due) {
      this.behind = false;
      return [];
    }
    let day = calendar.addDays(last, 1);
    const oldest = calendar.addDays(due, -(MAX_CATCH_UP_DAYS - 1));
    if (day < oldest) {
      this.o.logger?.warn({ from: day, to: calendar.addDays(oldest, -1) }, 'daily reports skipped: too old');
      day = oldest;
    }
    const ids: number[] = [];
    for (; day <= due; day = calendar.addDays(day, 1)) {
      const mine = await this.claimDay(day);
      if (mine === null) return ids; // Redis unreachable: ask again at the next tick
      if (!mine) this.o.logger?.info({ date: day }, 'daily report left to another host of the cluster');
      else if (recipients.length > 0) {
        // The fleet's summary names the fleet, not the host that won the day's lease.
        const host = await fleetName(this.o.fleet, this.o.host);
        const r = await reportForDay(store, calendar, day, { host, observe: this.o.observe?.() ?? [] });
        const id = await store.enqueueMail({
          kind: 'daily-summary',
          subject: r.report.subject,
          text: r.text,
          html: r.html,
          to: recipients,
          createdAt: now,
        });
        ids.push(id);
        this.o.logger?.info({ id, date: day }, 'daily report queued');
      } else {
        this.o.logger?.warn({ date: day }, 'daily report not sent: no notification recipients');
      }
      await store.setSetting(DAILY_LAST_DATE_KEY, day);
    }
    this.behind = false;
    return ids;
  }

  /** True when this host sends the day's report; null when the fleet cannot be asked now. */
  private async claimDay(day: string): Promise<boolean | null> {
    if (!this.o.fleet) return true;
    try {
      return await this.o.fleet.claim(`daily:${day}`, 8 * 86400);
    } catch {
      return null;
    }
  }
}

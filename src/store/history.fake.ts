/**
 * The history in memory, for FakeStore: the same walk as SqliteHistory (the driving filter
 * first, at most `scan` candidates, the other filters per row), so a page of the fake has
 * exactly the events and the cursor a page of SQLite has (store.contract.ts holds both).
 */
import type { HistoryEvent, NewHistoryEvent } from '../core/history/events.js';
import {
  DEFAULT_SCAN,
  driverOf,
  type HistoryFilter,
  type HistoryPage,
  type HistoryQuery,
  matchesFilter,
  NARROW_MAX,
  type NarrowCounts,
  newerFirst,
  olderThan,
  subjectKey,
  walkStart,
} from '../core/history/query.js';

const copy = (e: HistoryEvent): HistoryEvent => ({
  ...e,
  users: e.users.slice(),
  samples: e.samples.slice(),
});

export class FakeHistory {
  private events: HistoryEvent[] = [];
  private nextId = 1;

  append(events: readonly NewHistoryEvent[]): void {
    for (const e of events) this.events.push(copy({ ...e, id: this.nextId++ }));
  }

  page(q: HistoryQuery): HistoryPage {
    const driver = driverOf(q, this.counts(q));
    const key = q.subject !== undefined ? subjectKey(q.subject) : null;
    const drives = (e: HistoryEvent): boolean => {
      switch (driver) {
        case 'subject':
          return subjectKey(e.subject) === key;
        case 'network':
          return matchesFilter({ network: q.network! }, e);
        case 'userAgent':
          return matchesFilter({ userAgent: q.userAgent! }, e);
        case 'user':
          return e.users.includes(q.user!);
        case 'country':
          return e.country === q.country;
        case 'reason':
          return e.reason === q.reason;
        default:
          return true;
      }
    };
    const start = walkStart(q);
    const inTime = (e: HistoryEvent) => (q.since === undefined || e.at >= q.since) && olderThan(e, start);
    const scan = Math.max(1, Math.floor(q.scan ?? DEFAULT_SCAN));
    const candidates = this.events
      .filter((e) => drives(e) && inTime(e))
      .sort(newerFirst)
      .slice(0, scan);
    const events = candidates.filter((e) => matchesFilter(q, e)).slice(0, q.limit);
    const last =
      events.length >= q.limit ? events.at(-1) : candidates.length === scan ? candidates.at(-1) : undefined;
    return { events: events.map(copy), next: last ? { at: last.at, id: last.id } : null };
  }

  /** As SqliteHistory counts them: every event matching, up to NARROW_MAX + 1. */
  private counts(q: HistoryQuery): NarrowCounts {
    const n = (f: HistoryFilter) =>
      Math.min(NARROW_MAX + 1, this.events.filter((e) => matchesFilter(f, e)).length);
    const out: NarrowCounts = {};
    if (q.subject !== undefined) return out;
    if (q.network !== undefined) out.network = n({ network: q.network });
    if (q.userAgent !== undefined) out.userAgent = n({ userAgent: q.userAgent });
    return out;
  }

  prune(before: number): number {
    const n = this.events.length;
    this.events = this.events.filter((e) => e.at >= before);
    return n - this.events.length;
  }
}

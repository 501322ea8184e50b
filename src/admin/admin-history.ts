/**
 * The history side of the admin use cases: what a list change writes to the history (one
 * event per entry, with who made it), a page of the history as the Admin port answers it
 * (the cursor as text for URLs and the command line), and an address's recent events for
 * `check` ("blocked since 14:02 for password guessing, lifted by web:admin at 14:10").
 */
import { SipprotError } from '../core/errors.js';
import {
  ACTORS,
  eventOfListChange,
  type HistoryEvent,
  type NewHistoryEvent,
} from '../core/history/events.js';
import { cursorText, MAX_PAGE, parseCursor } from '../core/history/query.js';
import type { ListEntry, ListName } from '../core/types.js';
import type { ChangeOptions, HistoryAnswer, HistoryRequest } from '../ports/admin.js';
import type { Store } from '../ports/store.js';

/** Events `check` shows for an address. */
const RECENT = 5;

export const actorOf = (opts: ChangeOptions | undefined, fallback: string = ACTORS.cli) =>
  opts?.actor ?? fallback;

/** One event per entry a change added, updated or removed. */
export function listEvents(
  name: ListName,
  change: 'add' | 'remove',
  entries: ReadonlyArray<ListEntry | string>,
  at: number,
  actor: string,
): NewHistoryEvent[] {
  return entries.map((e) =>
    eventOfListChange(name, change, typeof e === 'string' ? { network: e } : e, at, actor),
  );
}

export async function historyPage(store: Store, q: HistoryRequest): Promise<HistoryAnswer> {
  const { page, ...filter } = q;
  const before = page === undefined ? undefined : parseCursor(page);
  if (before === null) {
    throw new SipprotError(
      'SP_ERR_USAGE',
      `"${page}" is not a history page token (use the "next" of a page)`,
    );
  }
  // One event more than asked says whether a full page is the last one (no empty page after it).
  const peek = filter.limit < MAX_PAGE;
  const r = await store.history({
    ...filter,
    limit: filter.limit + (peek ? 1 : 0),
    ...(before ? { before } : {}),
  });
  if (peek && r.events.length > filter.limit) {
    const events = r.events.slice(0, filter.limit);
    return { events, next: cursorText(events[events.length - 1]!) };
  }
  return { events: r.events, next: r.next ? cursorText(r.next) : null };
}

/** The newest events about an address (blocks, lifts, list changes naming it exactly). */
export async function recentOf(store: Store, ip: string): Promise<HistoryEvent[]> {
  return (await store.history({ subject: ip, limit: RECENT })).events;
}

/**
 * Events: the history of every block, lift (with its renewals), escalation, list and
 * settings change and who made it, newest first, filtered by address or network, reason,
 * country, user agent, extension, kind and time. Pages come from /api/history by keyset
 * ("Load older" asks for the page after the last one), so the tab stays fast with a
 * million events; the export is /api/history.csv with the same filters. Filters live in
 * the URL (#/events?ip=...), so the dashboard and the dynamic list link straight here.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { HistoryAnswer, HistoryEvent } from '../../../src/api/types.js';
import { get, messageOf } from '../api.js';
import { ago, country, dateTime, fromLocalInput, num, plural, REASONS, reason } from '../format.js';
import { Loading, Notice, PageHead } from '../ui/common.js';
import { EventFilters, type Filters, filtersFromHash, KINDS } from './events-filters.js';

/** Events a page asks for: fewer on a phone, where each is a card. */
const PAGE = () => (matchMedia('(max-width: 720px)').matches ? 20 : 50);

/** The query string of the history routes for these filters. */
export function historyQuery(f: Filters): URLSearchParams {
  const p = new URLSearchParams();
  const where = f.where.trim();
  if (where) p.set(where.includes('/') ? 'network' : 'ip', where);
  const kinds = KINDS.find((k) => k.id === f.kind)?.kinds;
  if (kinds) p.set('kind', kinds.join(','));
  if (f.reason) p.set('reason', f.reason);
  if (f.country.trim()) p.set('country', f.country.trim());
  if (f.ua.trim()) p.set('ua', f.ua.trim());
  if (f.user.trim()) p.set('user', f.user.trim());
  const since = f.since ? fromLocalInput(f.since) : null;
  const until = f.until ? fromLocalInput(f.until) : null;
  if (since !== null) p.set('since', String(since));
  if (until !== null) p.set('until', String(until));
  return p;
}

const KIND_TEXT: Record<HistoryEvent['kind'], { label: string; badge: string }> = {
  block: { label: 'Blocked', badge: 'badge-danger' },
  permanent: { label: 'Made permanent', badge: 'badge-danger' },
  unblock: { label: 'Unblocked', badge: 'badge-ok' },
  expire: { label: 'Block expired', badge: '' },
  'allow-add': { label: 'Allow list +', badge: 'badge-ok' },
  'allow-remove': { label: 'Allow list −', badge: '' },
  'deny-add': { label: 'Deny list +', badge: 'badge-danger' },
  'deny-remove': { label: 'Deny list −', badge: '' },
  settings: { label: 'Settings', badge: '' },
  'alert-ack': { label: 'Alert acknowledged', badge: 'badge-warn' },
};

function actorText(a: string): string {
  if (a === 'cli') return 'CLI';
  if (a.startsWith('web:admin@')) return `web admin (${a.slice(10)})`;
  if (a.startsWith('sipprotd@')) return `sipprot on ${a.slice(9)}`;
  if (a.startsWith('host:')) return `peer ${a.slice(5)}`;
  return a;
}

function Details({ e }: { e: HistoryEvent }) {
  const facts: string[] = [];
  if (e.attempts > 0) facts.push(plural(e.attempts, 'attempt'));
  if (e.users.length > 0) facts.push(`users ${e.users.join(', ')}`);
  if (e.renewals !== null)
    facts.push(`renewed ${num(e.renewals)}×${e.lastSeen ? `, last ${dateTime(e.lastSeen)}` : ''}`);
  if (e.expiresAt) facts.push(`until ${dateTime(e.expiresAt)}`);
  return (
    <div class="event-details">
      {facts.length > 0 && <span>{facts.join(' · ')}</span>}
      {e.userAgent !== null && (
        <span class="ua">
          UA <q>{e.userAgent}</q>
        </span>
      )}
      {e.misconfiguredPhone && <span class="badge badge-warn">misconfigured phone?</span>}
      {e.note && <span class="muted">{e.note}</span>}
      {e.samples.length > 0 && (
        <details class="samples">
          <summary>{plural(e.samples.length, 'answer')} the server gave</summary>
          <pre>{e.samples.join('\n')}</pre>
        </details>
      )}
    </div>
  );
}

function EventsTable({ events, onAddress }: { events: HistoryEvent[]; onAddress(a: string): void }) {
  return (
    <div class="table-wrap">
      <table class="table responsive events compact">
        <thead>
          <tr>
            {['Time', 'Event', 'Address', 'Reason', 'By', 'Country', 'Details'].map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.id} data-event={e.kind}>
              <td data-label="Time" class="nowrap wide quiet">
                <time dateTime={new Date(e.at * 1000).toISOString()}>{dateTime(e.at)}</time>{' '}
                <span class="muted small ago">{ago(e.at)}</span>
              </td>
              <td data-label="Event">
                <span class={`badge ${KIND_TEXT[e.kind].badge}`}>{KIND_TEXT[e.kind].label}</span>
              </td>
              <td data-label="Address" class="mono lead">
                {e.subject ? (
                  <button type="button" class="link-inline" onClick={() => onAddress(e.subject!)}>
                    {e.subject}
                  </button>
                ) : (
                  <span class="muted">—</span>
                )}
              </td>
              <td data-label="Reason">{e.reason ? reason(e.reason) : <span class="muted">—</span>}</td>
              <td data-label="By" class="quiet">
                {actorText(e.actor)}
              </td>
              <td data-label="Country" class="quiet">
                {e.country ? country(e.country) : ''}
              </td>
              <td data-label="Details" class="wide">
                <Details e={e} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Events() {
  const [filters, setFilters] = useState<Filters>(filtersFromHash());
  const [events, setEvents] = useState<HistoryEvent[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // Answers can come back out of order; only the last question asked may fill the table.
  const asked = useRef(0);
  const load = async (f: Filters, page: string | null) => {
    const mine = ++asked.current;
    setBusy(true);
    try {
      const q = historyQuery(f);
      q.set('limit', String(PAGE()));
      if (page) q.set('page', page);
      const r = await get<HistoryAnswer>(`/api/history?${q}`);
      if (mine !== asked.current) return;
      setEvents((old) => (page && old ? [...old, ...r.events] : r.events));
      setNext(r.next);
      setError(null);
    } catch (e) {
      if (mine === asked.current) setError(messageOf(e));
    } finally {
      if (mine === asked.current) setBusy(false);
    }
  };

  useEffect(() => {
    void load(filters, null);
  }, [filters]);

  const apply = (f: Filters) => {
    const q = historyQueryForHash(f);
    history.replaceState(null, '', `#/events${q ? `?${q}` : ''}`);
    setFilters(f);
  };

  const csv = `/api/history.csv?${historyQuery(filters)}`;
  return (
    <>
      <PageHead
        title="Events"
        intro="Every block, lift and escalation, and every change to the lists and settings, with who made it. Newest first."
      >
        <a class="button" href={csv} download="sipprot-history.csv">
          Export CSV
        </a>
      </PageHead>
      <details class="card filters-card" open={!matchMedia('(max-width: 720px)').matches}>
        <summary>
          <h2>Filters</h2>
          <span class="muted small"> {activeFilters(filters)}</span>
        </summary>
        <EventFilters value={filters} onApply={apply} reasons={Object.keys(REASONS)} />
      </details>
      {error && <Notice value={{ kind: 'error', text: error }} />}
      <section class="card" aria-busy={busy}>
        {events === null ? (
          !error && <Loading what="the events" />
        ) : events.length === 0 && !next ? (
          <p class="empty">No events match these filters.</p>
        ) : (
          <>
            <p class="muted" aria-live="polite">
              {plural(events.length, 'event')} shown{next ? '' : ', the whole history for these filters'}
            </p>
            {events.length > 0 && (
              <EventsTable events={events} onAddress={(a) => apply({ ...filters, where: a })} />
            )}
            {next && (
              <div class="pager">
                <button type="button" class="button" disabled={busy} onClick={() => void load(filters, next)}>
                  {busy ? 'Loading…' : 'Load older events'}
                </button>
                {events.length > 0 && (
                  <span class="muted small">oldest shown: {dateTime(events[events.length - 1]!.at)}</span>
                )}
              </div>
            )}
          </>
        )}
      </section>
    </>
  );
}

function activeFilters(f: Filters): string {
  const n = Object.values(f).filter(Boolean).length;
  return n === 0 ? 'none: everything' : `${n} active`;
}

/** The filters in the URL: the form's own names, only those set. */
function historyQueryForHash(f: Filters): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v) p.set(k, v);
  return p.toString();
}

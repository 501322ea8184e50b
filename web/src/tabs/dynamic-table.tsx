/**
 * The dynamic deny list as a table: one row per blocked address with what explains the
 * block (user agent, reason, attempts, users), when it started and a countdown; a fresh
 * row is highlighted for 6 s. Columns sort (a header button, aria-sort says how: the
 * server orders the whole list, dynamic-list.ts); rows are selectable for a bulk unblock;
 * "Details" opens the evidence and the next steps. It shows the rows it is given: a
 * window of the list (a page or a few), never a flood's whole list.
 */
import type { BlockSortKey, SortDir } from '../../../src/api/wire/dynamic.js';
import { ago, country, duration, num, reason, when } from '../format.js';
import type { LiveRow } from '../live.js';

const HIGHLIGHT_MS = 6000;

export interface Sort {
  key: BlockSortKey;
  dir: SortDir;
}

const COLUMNS: Array<{ label: string; key: BlockSortKey | null }> = [
  { label: 'IP address', key: 'ip' },
  { label: 'Country', key: 'country' },
  { label: 'User agent', key: null },
  { label: 'Reason', key: 'reason' },
  { label: 'Attempts, users', key: 'attempts' },
  { label: 'Blocked since', key: 'blockedAt' },
  { label: 'Time left', key: 'expiresAt' },
];

interface RowActions {
  /** The address whose change is running (its buttons disable). */
  busy: string | null;
  selected: Set<string>;
  onSelect(ip: string): void;
  onUnblock(ip: string): void;
  onAllow(row: LiveRow): void;
  onDetails(row: LiveRow): void;
}

interface TableProps extends RowActions {
  rows: LiveRow[];
  /** Another order or search is being read (the rows shown are the last answer's). */
  loading?: boolean;
  now: number;
  sort: Sort;
  onSort(s: Sort): void;
  onSelectAll(): void;
}

function Head(
  p: Pick<TableProps, 'rows' | 'selected' | 'sort' | 'onSort' | 'onSelectAll'> & { fleet: boolean },
) {
  const all = p.rows.length > 0 && p.rows.every((r) => p.selected.has(r.ip));
  const some = !all && p.rows.some((r) => p.selected.has(r.ip));
  return (
    <thead>
      <tr>
        <th scope="col" class="check">
          <input
            type="checkbox"
            aria-label="Select all shown addresses"
            checked={all}
            ref={(el) => {
              if (el) el.indeterminate = some;
            }}
            onChange={p.onSelectAll}
          />
        </th>
        {[...COLUMNS, ...(p.fleet ? [{ label: 'Seen by', key: null }] : [])].map((c) => {
          const on = c.key !== null && p.sort.key === c.key;
          return (
            <th
              key={c.label}
              scope="col"
              aria-sort={on ? (p.sort.dir === 'asc' ? 'ascending' : 'descending') : undefined}
            >
              {c.key === null ? (
                c.label
              ) : (
                <button
                  type="button"
                  class="sort"
                  onClick={() =>
                    p.onSort({ key: c.key!, dir: on && p.sort.dir === 'desc' ? 'asc' : on ? 'desc' : 'asc' })
                  }
                >
                  {c.label}
                  <span aria-hidden="true" class="sort-mark">
                    {on ? (p.sort.dir === 'asc' ? '▲' : '▼') : '↕'}
                  </span>
                </button>
              )}
            </th>
          );
        })}
        <th scope="col">
          <span class="visually-hidden">Actions</span>
        </th>
      </tr>
    </thead>
  );
}

export function BlocksTable(p: TableProps) {
  // Cluster mode: which host saw each block (a single host's blocks carry no host).
  const fleet = p.rows.some((r) => r.host !== undefined);
  return (
    <div class="table-wrap" aria-busy={p.loading ? 'true' : 'false'}>
      <table class="table responsive dynamic selectable">
        <Head {...p} fleet={fleet} />
        <tbody>
          {p.rows.map((r) => (
            <BlockRow key={r.ip} {...p} r={r} fleet={fleet} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function BlockRow({ r, now, fleet, ...p }: RowActions & { r: LiveRow; now: number; fleet: boolean }) {
  const left = r.deadline === null ? null : Math.max(0, (r.deadline - now) / 1000);
  const fresh = r.arrivedAt !== null && now - r.arrivedAt < HIGHLIGHT_MS;
  const selected = p.selected.has(r.ip);
  return (
    <tr class={`${fresh ? 'fresh' : ''} ${selected ? 'selected' : ''}`.trim()} data-ip={r.ip}>
      <td class="check">
        <input
          type="checkbox"
          aria-label={`Select ${r.ip}`}
          checked={selected}
          onChange={() => p.onSelect(r.ip)}
        />
      </td>
      <td data-label="IP address" class="mono strong">
        <button
          type="button"
          class="link-inline"
          aria-label={`Details of ${r.ip}`}
          title="Why it is blocked, and what to do"
          onClick={() => p.onDetails(r)}
        >
          {r.ip}
        </button>
      </td>
      <td data-label="Country">{country(r.country)}</td>
      <td data-label="User agent" class="ua">
        {r.userAgent ?? <span class="muted">none</span>}
      </td>
      <td data-label="Reason">
        <div>
          <span title={r.note ?? undefined}>{reason(r.reason)}</span>
          {r.misconfiguredPhone && (
            <span
              class="badge badge-warn"
              title="One user, one call, steady retries: a phone with a wrong password?"
            >
              misconfigured phone?
            </span>
          )}
          {r.timesBlocked > 1 && <span class="badge">{num(r.timesBlocked)}× blocked</span>}
        </div>
      </td>
      <td data-label="Attempts, users" class="users">
        <div>
          <span class="strong">{num(r.attempts)}</span>
          <span class="muted small users-of">
            {r.users.length ? `${r.users.length === 1 ? 'user' : 'users'} ${r.users.join(', ')}` : 'no user'}
          </span>
        </div>
      </td>
      <td data-label="Blocked since" class="since">
        <div>
          <span>{when(r.blockedAt)}</span>
          <span class="muted small ago">{ago(r.blockedAt, now)}</span>
        </div>
      </td>
      <td data-label="Time left" class="timeleft">
        <div>
          {left === null ? (
            <span class="badge badge-danger">permanent</span>
          ) : left > 0 ? (
            duration(left)
          ) : (
            'lifting…'
          )}
        </div>
      </td>
      {fleet && (
        <td data-label="Seen by" class="mono">
          {r.host ?? <span class="muted">—</span>}
        </td>
      )}
      <td class="actions">
        <button
          type="button"
          class="button button-small"
          disabled={p.busy === r.ip}
          aria-label={`Unblock ${r.ip}`}
          onClick={() => p.onUnblock(r.ip)}
        >
          Unblock
        </button>
        {r.misconfiguredPhone && (
          <button
            type="button"
            class="button button-small button-ghost"
            disabled={p.busy === r.ip}
            aria-label={`Allow and unblock ${r.ip}`}
            onClick={() => p.onAllow(r)}
          >
            Allow…
          </button>
        )}
      </td>
    </tr>
  );
}

/**
 * The dynamic deny list as a table: one row per blocked address with what explains the
 * block (user agent, reason, attempts, users) and a countdown; a fresh row is highlighted
 * for 6 s. Unblock, or allow-list a phone that only looks like an attacker.
 */
import { country, duration, num, reason } from '../format.js';
import type { LiveRow } from '../live.js';
import { TableHead } from '../ui/common.js';

const HIGHLIGHT_MS = 6000;

interface RowActions {
  /** The address whose change is running (its buttons disable). */
  busy: string | null;
  onUnblock(ip: string): void;
  onAllow(row: LiveRow): void;
}

export function BlocksTable(p: RowActions & { rows: LiveRow[]; now: number }) {
  // Cluster mode: which host saw each block (a single host's blocks carry no host).
  const fleet = p.rows.some((r) => r.host !== undefined);
  return (
    <div class="table-wrap">
      <table class="table responsive dynamic">
        <TableHead
          columns={[
            'IP address',
            'Country',
            'User agent',
            'Reason',
            'Attempts',
            'Users targeted',
            'Time left',
            ...(fleet ? ['Seen by'] : []),
          ]}
          actions
        />
        <tbody>
          {p.rows.map((r) => (
            <BlockRow
              key={r.ip}
              r={r}
              fleet={fleet}
              now={p.now}
              busy={p.busy}
              onUnblock={p.onUnblock}
              onAllow={p.onAllow}
            />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function BlockRow({ r, now, fleet, ...p }: RowActions & { r: LiveRow; now: number; fleet: boolean }) {
  const left = r.deadline === null ? null : Math.max(0, (r.deadline - now) / 1000);
  const fresh = r.arrivedAt !== null && now - r.arrivedAt < HIGHLIGHT_MS;
  return (
    <tr class={fresh ? 'fresh' : ''} data-ip={r.ip}>
      <td data-label="IP address" class="mono strong">
        {r.ip}
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
      <td data-label="Attempts">{num(r.attempts)}</td>
      <td data-label="Users targeted" class="users">
        {r.users.length ? r.users.join(', ') : <span class="muted">—</span>}
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

/**
 * Dynamic Denylist: the addresses blocked right now, live (Server-Sent Events), with
 * what explains each block and a countdown; unblock, or unblock and allow-list a phone.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ChangeResult } from '../../../src/api/types.js';
import { del, messageOf, post } from '../api.js';
import { country, duration, num, plural, reason } from '../format.js';
import { type LiveRow, live } from '../live.js';
import { Notice, type NoticeValue, PageHead } from '../ui/common.js';
import { Confirm } from '../ui/dialog.js';

function useLive(): { rows: LiveRow[]; state: string; announcement: string } {
  const [, bump] = useState(0);
  useEffect(() => live.subscribe(() => bump((n) => n + 1)), []);
  return { rows: [...live.rows.values()], state: live.state, announcement: live.announcement };
}

/** Re-renders every second while mounted, for the countdowns. */
function useTick(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return now;
}

const HIGHLIGHT_MS = 6000;

export function Dynamic() {
  const { rows, state, announcement } = useLive();
  const now = useTick();
  const [filter, setFilter] = useState('');
  const [notice, setNotice] = useState<NoticeValue | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [allowing, setAllowing] = useState<LiveRow | null>(null);

  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const list = rows.sort((a, b) => b.blockedAt - a.blockedAt || a.ip.localeCompare(b.ip));
    if (!f) return list;
    return list.filter((r) =>
      [r.ip, r.country ?? '', r.userAgent ?? '', r.reason, r.users.join(' ')].some((s) =>
        s.toLowerCase().includes(f),
      ),
    );
  }, [rows, filter]);

  const unblock = async (ip: string) => {
    setBusy(ip);
    try {
      const r = await del<{ ip: string; wasBlocked: boolean }>(`/api/dynamic/${encodeURIComponent(ip)}`);
      live.drop(ip);
      setNotice({ kind: 'ok', text: r.wasBlocked ? `Unblocked ${ip}.` : `${ip} was no longer blocked.` });
    } catch (err) {
      setNotice({ kind: 'error', text: messageOf(err) });
    } finally {
      setBusy(null);
    }
  };

  const allowAndUnblock = async (row: LiveRow) => {
    setBusy(row.ip);
    try {
      const note = `phone${row.users.length ? ` of ${row.users.join(', ')}` : ''}, unblocked from the dynamic list`;
      await post<ChangeResult>('/api/lists/allow', { entries: [{ network: row.ip, note }] });
      await del(`/api/dynamic/${encodeURIComponent(row.ip)}`);
      live.drop(row.ip);
      setNotice({ kind: 'ok', text: `${row.ip} is on the allow list and unblocked.` });
    } catch (err) {
      setNotice({ kind: 'error', text: messageOf(err) });
    } finally {
      setBusy(null);
      setAllowing(null);
    }
  };

  return (
    <>
      <PageHead
        title="Dynamic Denylist"
        intro="Addresses blocked right now because of what they sent. A block lifts by itself after the block time without new attacks, or here by hand."
      >
        <span class={`live-state live-${state}`} role="status">
          <span class="dot" aria-hidden="true" />
          {state === 'open' ? 'Live' : state === 'connecting' ? 'Connecting…' : 'Reconnecting…'}
        </span>
      </PageHead>
      <p class="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      <Notice value={notice} onDismiss={() => setNotice(null)} />
      <section class="card">
        <div class="table-toolbar">
          <div class="field field-inline">
            <label for="dynamic-filter">Search</label>
            <input
              id="dynamic-filter"
              type="search"
              placeholder="IP, country, user agent"
              value={filter}
              onInput={(e) => setFilter(e.currentTarget.value)}
            />
          </div>
          <span class="muted">
            {plural(rows.length, 'address', 'addresses')} blocked
            {filter ? `, ${num(shown.length)} shown` : ''}
          </span>
        </div>
        {rows.length === 0 ? (
          <p class="empty">
            {state === 'open' ? 'No address is dynamically blocked.' : 'Waiting for the live list…'}
          </p>
        ) : (
          <div class="table-wrap">
            <table class="table responsive dynamic">
              <thead>
                <tr>
                  <th scope="col">IP address</th>
                  <th scope="col">Country</th>
                  <th scope="col">User agent</th>
                  <th scope="col">Reason</th>
                  <th scope="col">Attempts</th>
                  <th scope="col">Users targeted</th>
                  <th scope="col">Time left</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {shown.map((r) => {
                  const left = r.deadline === null ? null : Math.max(0, (r.deadline - now) / 1000);
                  const fresh = r.arrivedAt !== null && now - r.arrivedAt < HIGHLIGHT_MS;
                  return (
                    <tr key={r.ip} class={fresh ? 'fresh' : ''} data-ip={r.ip}>
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
                      <td class="actions">
                        <button
                          type="button"
                          class="button button-small"
                          disabled={busy === r.ip}
                          aria-label={`Unblock ${r.ip}`}
                          onClick={() => unblock(r.ip)}
                        >
                          Unblock
                        </button>
                        {r.misconfiguredPhone && (
                          <button
                            type="button"
                            class="button button-small button-ghost"
                            disabled={busy === r.ip}
                            aria-label={`Allow and unblock ${r.ip}`}
                            onClick={() => setAllowing(r)}
                          >
                            Allow…
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <Confirm
        open={allowing !== null}
        title="Allow this address?"
        confirmLabel="Yes, allow and unblock"
        onConfirm={() => allowing && void allowAndUnblock(allowing)}
        onCancel={() => setAllowing(null)}
      >
        <p>
          Add <strong class="mono">{allowing?.ip}</strong> to the allow list and lift its block? Nothing from
          this address will be blocked again, attacks included. Prefer fixing the phone's password (user{' '}
          {allowing?.users.join(', ') || 'unknown'}) when you can.
        </p>
      </Confirm>
    </>
  );
}

/**
 * Dynamic Denylist: the addresses blocked right now, live (Server-Sent Events), with
 * what explains each block and a countdown; unblock, or unblock and allow-list a phone.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ChangeResult } from '../../../src/api/types.js';
import { del, post } from '../api.js';
import { num, plural } from '../format.js';
import { type LiveRow, live } from '../live.js';
import { useAction } from '../ui/action.js';
import { Notice, PageHead } from '../ui/common.js';
import { Confirm } from '../ui/dialog.js';
import { BlocksTable } from './dynamic-table.js';

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

export function Dynamic() {
  const { rows, state, announcement } = useLive();
  const now = useTick();
  const [filter, setFilter] = useState('');
  const action = useAction<string>();
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

  const unblock = (ip: string) =>
    action.run(ip, async () => {
      const r = await del<{ ip: string; wasBlocked: boolean }>(`/api/dynamic/${encodeURIComponent(ip)}`);
      live.drop(ip);
      return { kind: 'ok', text: r.wasBlocked ? `Unblocked ${ip}.` : `${ip} was no longer blocked.` };
    });

  const allowAndUnblock = (row: LiveRow) =>
    action.run(
      row.ip,
      async () => {
        const note = `phone${row.users.length ? ` of ${row.users.join(', ')}` : ''}, unblocked from the dynamic list`;
        await post<ChangeResult>('/api/lists/allow', { entries: [{ network: row.ip, note }] });
        await del(`/api/dynamic/${encodeURIComponent(row.ip)}`);
        live.drop(row.ip);
        return { kind: 'ok', text: `${row.ip} is on the allow list and unblocked.` };
      },
      { always: () => setAllowing(null) },
    );

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
      <Notice value={action.notice} onDismiss={() => action.setNotice(null)} />
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
          <BlocksTable rows={shown} now={now} busy={action.busy} onUnblock={unblock} onAllow={setAllowing} />
        )}
      </section>
      <AllowConfirm
        row={allowing}
        onConfirm={(r) => void allowAndUnblock(r)}
        onCancel={() => setAllowing(null)}
      />
    </>
  );
}

function AllowConfirm(p: { row: LiveRow | null; onConfirm(row: LiveRow): void; onCancel(): void }) {
  return (
    <Confirm
      open={p.row !== null}
      title="Allow this address?"
      confirmLabel="Yes, allow and unblock"
      onConfirm={() => p.row && p.onConfirm(p.row)}
      onCancel={p.onCancel}
    >
      <p>
        Add <strong class="mono">{p.row?.ip}</strong> to the allow list and lift its block? Nothing from this
        address will be blocked again, attacks included. Prefer fixing the phone's password (user{' '}
        {p.row?.users.join(', ') || 'unknown'}) when you can.
      </p>
    </Confirm>
  );
}

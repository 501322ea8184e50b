/**
 * Dynamic Denylist: the addresses blocked right now, live (Server-Sent Events), with what
 * explains each block, when it started and a countdown. Sort by any column, search, show
 * only what looks like a misconfigured phone, select many and unblock them at once; a
 * row's Details say why and what to do (unblock, allow, make permanent, its events).
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ChangeResult } from '../../../src/api/types.js';
import { del, post } from '../api.js';
import { num, plural, reason } from '../format.js';
import { type LiveRow, live } from '../live.js';
import { useAction } from '../ui/action.js';
import { Notice, PageHead } from '../ui/common.js';
import { Confirm } from '../ui/dialog.js';
import { BlockDetail } from './block-detail.js';
import { BlocksTable, type Sort, sortRows } from './dynamic-table.js';

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

function matches(r: LiveRow, f: string): boolean {
  return [r.ip, r.country ?? '', r.userAgent ?? '', r.reason, reason(r.reason), r.users.join(' ')].some((s) =>
    s.toLowerCase().includes(f),
  );
}

/** Toggling one address, or every shown one (all shown selected: none). */
function selectionOf(set: (f: (s: Set<string>) => Set<string>) => void, shown: LiveRow[]) {
  return {
    toggle: (ip: string) =>
      set((s) => {
        const n = new Set(s);
        if (!n.delete(ip)) n.add(ip);
        return n;
      }),
    toggleAll: () =>
      set((s) => (shown.every((r) => s.has(r.ip)) ? new Set() : new Set(shown.map((r) => r.ip)))),
  };
}

/** The changes a row (or a selection) can ask for, each through useAction's busy/notice. */
function useBlockActions(
  action: ReturnType<typeof useAction<string>>,
  ui: { closeDetail(): void; clearSelection(): void; closeBulk(): void; closeAllow(): void },
) {
  const unblock = (ip: string) =>
    action.run(ip, async () => {
      const r = await del<{ ip: string; wasBlocked: boolean }>(`/api/dynamic/${encodeURIComponent(ip)}`);
      live.drop(ip);
      ui.closeDetail();
      return { kind: 'ok', text: r.wasBlocked ? `Unblocked ${ip}.` : `${ip} was no longer blocked.` };
    });

  const unblockMany = (ips: string[]) =>
    action.run(
      'bulk',
      async () => {
        for (const ip of ips) {
          await del(`/api/dynamic/${encodeURIComponent(ip)}`);
          live.drop(ip);
        }
        ui.clearSelection();
        return { kind: 'ok', text: `Unblocked ${plural(ips.length, 'address', 'addresses')}.` };
      },
      { always: ui.closeBulk },
    );

  const allowAndUnblock = (row: LiveRow) =>
    action.run(
      row.ip,
      async () => {
        const note = `phone${row.users.length ? ` of ${row.users.join(', ')}` : ''}, unblocked from the dynamic list`;
        await post<ChangeResult>('/api/lists/allow', { entries: [{ network: row.ip, note }] });
        await del(`/api/dynamic/${encodeURIComponent(row.ip)}`);
        live.drop(row.ip);
        ui.closeDetail();
        return { kind: 'ok', text: `${row.ip} is on the allow list and unblocked.` };
      },
      { always: ui.closeAllow },
    );

  const makePermanent = (row: LiveRow) =>
    action.run(row.ip, async () => {
      const note = `made permanent from the dynamic list: ${reason(row.reason)}${row.userAgent ? `, UA ${row.userAgent}` : ''}`;
      await post<ChangeResult>('/api/lists/deny', {
        entries: [{ network: row.ip, note: note.slice(0, 200) }],
      });
      ui.closeDetail();
      return { kind: 'ok', text: `${row.ip} is on the deny list: blocked for good.` };
    });

  return { unblock, unblockMany, allowAndUnblock, makePermanent };
}

export function Dynamic() {
  const { rows, state, announcement } = useLive();
  const now = useTick();
  const [filter, setFilter] = useState('');
  const [phonesOnly, setPhonesOnly] = useState(false);
  const [sort, setSort] = useState<Sort>({ key: 'blockedAt', dir: 'desc' });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const action = useAction<string>();
  const [allowing, setAllowing] = useState<LiveRow | null>(null);
  const [detail, setDetail] = useState<LiveRow | null>(null);
  const [bulk, setBulk] = useState(false);

  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    const list = rows.filter((r) => (!phonesOnly || r.misconfiguredPhone) && (!f || matches(r, f)));
    return sortRows(list, sort);
  }, [rows, filter, phonesOnly, sort]);
  // A selection only holds addresses still blocked.
  const chosen = [...selected].filter((ip) => live.rows.has(ip));
  const phones = rows.filter((r) => r.misconfiguredPhone).length;

  const { toggle, toggleAll } = selectionOf(setSelected, shown);

  const { unblock, unblockMany, allowAndUnblock, makePermanent } = useBlockActions(action, {
    closeDetail: () => setDetail(null),
    clearSelection: () => setSelected(new Set()),
    closeBulk: () => setBulk(false),
    closeAllow: () => setAllowing(null),
  });

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
        <Toolbar
          filter={filter}
          onFilter={setFilter}
          phonesOnly={phonesOnly}
          onPhonesOnly={setPhonesOnly}
          phones={phones}
          counts={{ rows: rows.length, shown: shown.length, chosen: chosen.length }}
          bulkDisabled={chosen.length === 0 || action.busy !== null}
          onBulk={() => setBulk(true)}
        />
        {rows.length === 0 ? (
          <p class="empty">
            {state === 'open' ? 'No address is dynamically blocked.' : 'Waiting for the live list…'}
          </p>
        ) : shown.length === 0 ? (
          <p class="empty">No blocked address matches.</p>
        ) : (
          <BlocksTable
            rows={shown}
            now={now}
            busy={action.busy}
            sort={sort}
            onSort={setSort}
            selected={selected}
            onSelect={toggle}
            onSelectAll={toggleAll}
            onUnblock={unblock}
            onAllow={setAllowing}
            onDetails={setDetail}
          />
        )}
      </section>
      <BlockDetail
        row={detail && live.rows.has(detail.ip) ? (live.rows.get(detail.ip) ?? detail) : null}
        now={now}
        busy={action.busy !== null}
        onClose={() => setDetail(null)}
        onUnblock={unblock}
        onAllow={(r) => {
          setDetail(null);
          setAllowing(r);
        }}
        onPermanent={makePermanent}
      />
      <AllowConfirm
        row={allowing}
        onConfirm={(r) => void allowAndUnblock(r)}
        onCancel={() => setAllowing(null)}
      />
      <Confirm
        open={bulk}
        title={`Unblock ${plural(chosen.length, 'address', 'addresses')}?`}
        confirmLabel="Yes, unblock them"
        busy={action.busy !== null}
        onConfirm={() => void unblockMany(chosen)}
        onCancel={() => setBulk(false)}
      >
        <p>
          Lift the block of <strong>{chosen.slice(0, 5).join(', ')}</strong>
          {chosen.length > 5 ? ` and ${num(chosen.length - 5)} more` : ''} now? An address that attacks again
          is blocked again.
        </p>
      </Confirm>
    </>
  );
}

function Toolbar(p: {
  filter: string;
  onFilter(f: string): void;
  phonesOnly: boolean;
  onPhonesOnly(b: boolean): void;
  phones: number;
  counts: { rows: number; shown: number; chosen: number };
  bulkDisabled: boolean;
  onBulk(): void;
}) {
  const { rows, shown, chosen } = p.counts;
  return (
    <div class="table-toolbar">
      <div class="field field-inline">
        <label for="dynamic-filter">Search</label>
        <input
          id="dynamic-filter"
          type="search"
          placeholder="IP, country, user agent, reason"
          value={p.filter}
          onInput={(e) => p.onFilter(e.currentTarget.value)}
        />
      </div>
      <label class="check-inline">
        <input
          type="checkbox"
          checked={p.phonesOnly}
          onChange={(e) => p.onPhonesOnly(e.currentTarget.checked)}
        />{' '}
        Only misconfigured phones? ({num(p.phones)})
      </label>
      <span class="muted" aria-live="polite">
        {plural(rows, 'address', 'addresses')} blocked
        {p.filter || p.phonesOnly ? `, ${num(shown)} shown` : ''}
        {chosen > 0 ? ` · ${num(chosen)} selected` : ''}
      </span>
      <button type="button" class="button button-danger" disabled={p.bulkDisabled} onClick={p.onBulk}>
        Unblock selected{chosen > 0 ? ` (${num(chosen)})` : ''}
      </button>
    </div>
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

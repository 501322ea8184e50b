/**
 * Dynamic Denylist: the addresses blocked right now, live (Server-Sent Events), with what
 * explains each block, when it started and a countdown. The list may be a flood's 100k+
 * blocks: the tab shows a window of it (100 rows, more on "Show more") with the counts of
 * the whole list; sorting and search run on the server over all of it (dynamic-list.ts).
 * Show only what looks like a misconfigured phone, select rows (or every matching
 * address) and unblock them at once after a confirmation that says how many; a row's
 * Details say why and what to do (unblock, allow, make permanent, its events).
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ChangeResult } from '../../../src/api/types.js';
import { del, post } from '../api.js';
import { type Counts, DynamicList, MAX_SELECT, PAGE } from '../dynamic-list.js';
import { num, plural, reason } from '../format.js';
import { type LiveRow, live } from '../live.js';
import { useAction } from '../ui/action.js';
import { Notice, PageHead } from '../ui/common.js';
import { Confirm } from '../ui/dialog.js';
import { BlockDetail } from './block-detail.js';
import { BlocksTable } from './dynamic-table.js';

/** The tab's window of the list, following the live connection while mounted. */
function useList(): { list: DynamicList; state: string; announcement: string } {
  const list = useMemo(() => new DynamicList(), []);
  const [, bump] = useState(0);
  useEffect(() => {
    const offs = [list.subscribe(() => bump((n) => n + 1)), live.subscribe(() => bump((n) => n + 1))];
    list.start();
    return () => {
      list.stop();
      for (const off of offs) off();
    };
  }, [list]);
  return { list, state: live.state, announcement: live.announcement };
}

/** The search box's text, handed to the list once typing pauses (each search is a read). */
function useSearch(list: DynamicList): [string, (t: string) => void] {
  const [text, setText] = useState(list.query.text);
  useEffect(() => {
    if (text === list.query.text) return;
    const t = setTimeout(() => list.setQuery({ text }), 300);
    return () => clearTimeout(t);
  }, [text, list]);
  return [text, setText];
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

/** The changes a row (or a selection) can ask for, each through useAction's busy/notice. */
function useBlockActions(
  action: ReturnType<typeof useAction<string>>,
  list: DynamicList,
  ui: { closeDetail(): void; closeBulk(): void; closeAllow(): void; progress(text: string | null): void },
) {
  const unblock = (ip: string) =>
    action.run(ip, async () => {
      const r = await del<{ ip: string; wasBlocked: boolean }>(`/api/dynamic/${encodeURIComponent(ip)}`);
      list.drop([ip]);
      ui.closeDetail();
      return { kind: 'ok', text: r.wasBlocked ? `Unblocked ${ip}.` : `${ip} was no longer blocked.` };
    });

  const unblockMany = (ips: string[]) =>
    action.run(
      'bulk',
      async () => {
        ui.closeBulk();
        const lifted = await list.unblock(ips, (done) =>
          ui.progress(`Unblocking… ${num(done)} of ${num(ips.length)}`),
        );
        list.clearSelection();
        const gone = ips.length - lifted;
        return {
          kind: 'ok',
          text: `Unblocked ${plural(lifted, 'address', 'addresses')}.${gone > 0 ? ` ${num(gone)} were no longer blocked.` : ''}`,
        };
      },
      { always: () => ui.progress(null) },
    );

  const allowAndUnblock = (row: LiveRow) =>
    action.run(
      row.ip,
      async () => {
        const note = `phone${row.users.length ? ` of ${row.users.join(', ')}` : ''}, unblocked from the dynamic list`;
        await post<ChangeResult>('/api/lists/allow', { entries: [{ network: row.ip, note }] });
        await del(`/api/dynamic/${encodeURIComponent(row.ip)}`);
        list.drop([row.ip]);
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
  const { list, state, announcement } = useList();
  const now = useTick();
  const [filter, setFilter] = useSearch(list);
  const action = useAction<string>();
  const [allowing, setAllowing] = useState<LiveRow | null>(null);
  const [detail, setDetail] = useState<LiveRow | null>(null);
  const [bulk, setBulk] = useState(false);
  const [progress, setProgress] = useState<string | null>(null);
  const { rows, counts, selected, query } = list;
  const chosen = [...selected];

  const { unblock, unblockMany, allowAndUnblock, makePermanent } = useBlockActions(action, list, {
    closeDetail: () => setDetail(null),
    closeBulk: () => setBulk(false),
    closeAllow: () => setAllowing(null),
    progress: setProgress,
  });
  const selectMatching = () =>
    action.run('bulk', async () => {
      const n = await list.selectMatching((got) => setProgress(`Selecting… ${num(got)}`));
      setProgress(null);
      return n >= MAX_SELECT
        ? { kind: 'info', text: `Selected the first ${num(n)} matching addresses.` }
        : null;
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
      {list.error && <Notice value={{ kind: 'error', text: `The list could not be read: ${list.error}` }} />}
      <section class="card">
        <Toolbar
          filter={filter}
          onFilter={setFilter}
          phonesOnly={query.phones}
          onPhonesOnly={(phones) => list.setQuery({ phones })}
          counts={counts}
          filtered={query.text.trim() !== '' || query.phones}
          shown={rows.length}
          chosen={chosen.length}
          progress={progress}
          bulkDisabled={chosen.length === 0 || action.busy !== null}
          onBulk={() => setBulk(true)}
        />
        <SelectAll list={list} busy={action.busy !== null} onSelectMatching={() => void selectMatching()} />
        {rows.length === 0 ? (
          <Empty list={list} />
        ) : (
          <BlocksTable
            rows={rows}
            loading={list.loading === 'first'}
            now={now}
            busy={action.busy}
            sort={{ key: query.sort, dir: query.dir }}
            onSort={(s) => list.setQuery({ sort: s.key, dir: s.dir })}
            selected={selected}
            onSelect={(ip) => list.toggle(ip)}
            onSelectAll={() => list.toggleShown()}
            onUnblock={unblock}
            onAllow={setAllowing}
            onDetails={setDetail}
          />
        )}
        <More list={list} />
      </section>
      <BlockDetail
        row={detail ? (list.get(detail.ip) ?? null) : null}
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
      <BulkConfirm
        open={bulk}
        chosen={chosen}
        busy={action.busy !== null}
        onConfirm={() => void unblockMany(chosen)}
        onCancel={() => setBulk(false)}
      />
    </>
  );
}

function Empty({ list }: { list: DynamicList }) {
  const { counts } = list;
  return (
    <p class="empty">
      {list.loading === 'first' || counts === null
        ? 'Reading the list…'
        : counts.inForce === 0
          ? 'No address is dynamically blocked.'
          : 'No blocked address matches.'}
    </p>
  );
}

/** The bulk unblock's confirmation: how many, and the first few by address. */
function BulkConfirm(p: {
  open: boolean;
  chosen: string[];
  busy: boolean;
  onConfirm(): void;
  onCancel(): void;
}) {
  const { chosen } = p;
  return (
    <Confirm
      open={p.open}
      title={`Unblock ${plural(chosen.length, 'address', 'addresses')}?`}
      confirmLabel={`Yes, unblock ${num(chosen.length)}`}
      danger
      busy={p.busy}
      onConfirm={p.onConfirm}
      onCancel={p.onCancel}
    >
      <p>
        Lift the block of <strong>{chosen.slice(0, 5).join(', ')}</strong>
        {chosen.length > 5 ? ` and ${num(chosen.length - 5)} more` : ''} now? An address that attacks again is
        blocked again.
      </p>
    </Confirm>
  );
}

/** "Show more": the window's size against what matches, and the next page. */
function More({ list }: { list: DynamicList }) {
  const { rows, counts, next, loading } = list;
  if (rows.length === 0) return null;
  return (
    <div class="table-more">
      <span class="muted">
        Showing {num(rows.length)}
        {counts ? ` of ${num(counts.matched)}` : ''}
      </span>
      {next !== null && (
        <button type="button" class="button" disabled={loading !== null} onClick={() => void list.more()}>
          {loading === 'more' ? 'Reading…' : `Show ${PAGE} more`}
        </button>
      )}
    </div>
  );
}

/** Once every row shown is selected: the offer to select every matching address, or to clear. */
function SelectAll({
  list,
  busy,
  onSelectMatching,
}: {
  list: DynamicList;
  busy: boolean;
  onSelectMatching(): void;
}) {
  const { rows, counts, selected } = list;
  const allShown = rows.length > 0 && rows.every((r) => selected.has(r.ip));
  if (!allShown || !counts) return null;
  const matched = counts.matched;
  return (
    <p class="select-all" role="status">
      {selected.size > rows.length
        ? `All ${num(selected.size)} matching addresses are selected.`
        : `All ${num(rows.length)} shown are selected.`}{' '}
      {matched > selected.size && (
        <button type="button" class="link-inline" disabled={busy} onClick={onSelectMatching}>
          {matched > MAX_SELECT
            ? `Select the first ${num(MAX_SELECT)} of ${num(matched)} matching`
            : `Select all ${num(matched)} matching`}
        </button>
      )}{' '}
      <button type="button" class="link-inline" onClick={() => list.clearSelection()}>
        Clear the selection
      </button>
    </p>
  );
}

function Toolbar(p: {
  filter: string;
  onFilter(f: string): void;
  phonesOnly: boolean;
  onPhonesOnly(b: boolean): void;
  counts: Counts | null;
  filtered: boolean;
  shown: number;
  chosen: number;
  progress: string | null;
  bulkDisabled: boolean;
  onBulk(): void;
}) {
  const { counts, chosen } = p;
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
        Only misconfigured phones? ({counts ? num(counts.phones) : '…'})
      </label>
      <span class="muted dynamic-counts" aria-live="polite">
        {counts ? `${plural(counts.inForce, 'address', 'addresses')} blocked` : 'Counting…'}
        {counts && p.filtered ? `, ${num(counts.matched)} matching` : ''}
        {chosen > 0 ? ` · ${num(chosen)} selected` : ''}
        {p.progress ? ` · ${p.progress}` : ''}
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

/**
 * Allowlist and Denylist: add with a note, CSV import (per-line errors) and export,
 * template, filter, select one/many/all and remove after a confirmation. 100 rows a page.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ChangeResult, ListEntry, RemoveResult } from '../../../src/api/types.js';
import { get, messageOf, post } from '../api.js';
import { num, plural } from '../format.js';
import { live } from '../live.js';
import { useAction } from '../ui/action.js';
import { type Loaded, Loading, Notice, PageHead, useLoad } from '../ui/common.js';
import { Confirm } from '../ui/dialog.js';
import { ImportDialog } from './import-dialog.js';
import { EntriesTable, ListToolbar, PAGE, Pager, type Selection } from './list-table.js';

type Name = 'allow' | 'deny';

const TEXT = {
  allow: {
    title: 'Allowlist',
    intro:
      'Addresses and networks that are never blocked. The allow list beats everything: deny list, dynamic blocks and countries.',
    what: 'allow list',
  },
  deny: {
    title: 'Denylist',
    intro: 'Addresses and networks blocked whatever their traffic. Changes apply at once.',
    what: 'deny list',
  },
} as const;

/** The selection of rows: one, many, or every row the filter shows. */
function useSelection(shown: ListEntry[]): Selection {
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const allShownSelected = shown.length > 0 && shown.every((e) => selected.has(e.network));
  const toggle = (n: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(n)) next.delete(n);
      else next.add(n);
      return next;
    });
  const toggleAll = () => setSelected(allShownSelected ? new Set() : new Set(shown.map((e) => e.network)));
  return {
    selected,
    clear: () => setSelected(new Set()),
    toggle,
    toggleAll,
    allShownSelected,
    someSelected: selected.size > 0 && !allShownSelected,
  };
}

/** Filter and page over the entries; the selection follows what the filter shows. */
function useListView(entries: ListEntry[]) {
  const [filter, setFilter] = useState('');
  const [page, setPage] = useState(0);
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return f ? entries.filter((e) => e.network.includes(f) || e.note.toLowerCase().includes(f)) : entries;
  }, [entries, filter]);
  const pages = Math.max(1, Math.ceil(shown.length / PAGE));
  const current = Math.min(page, pages - 1);
  const search = (f: string) => {
    setFilter(f);
    setPage(0);
  };
  return { filter, search, shown, pages, current, setPage, sel: useSelection(shown) };
}

/** Adding (the form and its draft) and removing (after the confirmation) entries. */
function useListChanges(name: Name, what: string, list: Loaded<ListEntry[]>, sel: Selection) {
  const action = useAction();
  const [adding, setAdding] = useState(false);
  const [confirming, setConfirming] = useState(false);
  // What was typed in the add form survives Cancel; the form reopens with it.
  const [draft, setDraft] = useState<ListEntry>({ network: '', note: '' });

  const add = (onError: (err: unknown) => null) =>
    action.run(
      true,
      async () => {
        const entry = { network: draft.network.trim(), note: draft.note };
        const r = await post<ChangeResult>(`/api/lists/${name}`, { entries: [entry] });
        const e = r.added[0] ?? r.updated[0];
        action.setNotice({
          kind: 'ok',
          text: r.added.length
            ? `Added ${e?.network} to the ${what}.`
            : `${e?.network} was already in the ${what}; note updated.`,
        });
        setDraft({ network: '', note: '' });
        setAdding(false);
        await list.reload();
        return null;
      },
      { onError },
    );

  const remove = () => {
    const entries = list.data ?? [];
    const { selected } = sel;
    const everything = selected.size === entries.length && entries.every((e) => selected.has(e.network));
    return action.run(
      true,
      async () => {
        const r = await post<RemoveResult>(
          `/api/lists/${name}/remove`,
          everything ? { all: true } : { networks: [...selected] },
        );
        action.setNotice({
          kind: 'ok',
          text: `Removed ${plural(r.removed.length, 'entry', 'entries')} from the ${what}.`,
        });
        sel.clear();
        await list.reload();
        return null;
      },
      { always: () => setConfirming(false) },
    );
  };
  return { action, adding, setAdding, confirming, setConfirming, draft, setDraft, add, remove };
}

export function ListTab({ name }: { name: Name }) {
  const t = TEXT[name];
  const list = useLoad(() => get<ListEntry[]>(`/api/lists/${name}`), [name]);
  const entries = list.data ?? [];
  const view = useListView(entries);
  const ch = useListChanges(name, t.what, list, view.sel);
  const busy = ch.action.busy !== null;
  const [importing, setImporting] = useState(false);

  useEffect(() => live.onListChange((l) => l === name && void list.reload()), [name, list.reload]);

  return (
    <>
      <ListHead
        name={name}
        adding={ch.adding}
        toggleAdd={() => ch.setAdding((a) => !a)}
        onImport={() => setImporting(true)}
      />
      {ch.adding && (
        <AddForm
          name={name}
          what={t.what}
          busy={busy}
          draft={ch.draft}
          setDraft={ch.setDraft}
          onCancel={() => ch.setAdding(false)}
          add={ch.add}
        />
      )}
      <Notice value={ch.action.notice} onDismiss={() => ch.action.setNotice(null)} />
      {list.error && <Notice value={{ kind: 'error', text: list.error }} />}
      <section class="card">
        <ListToolbar
          name={name}
          filter={view.filter}
          onFilter={view.search}
          counts={list.data ? { entries: entries.length, shown: view.shown.length } : null}
          selection={view.sel}
          removeDisabled={view.sel.selected.size === 0 || busy}
          onRemove={() => ch.setConfirming(true)}
        />
        {!list.data && !list.error && <Loading what={`the ${t.what}`} />}
        {list.data && entries.length === 0 && <p class="empty">The {t.what} is empty.</p>}
        {list.data && entries.length > 0 && (
          <EntriesTable
            rows={view.shown.slice(view.current * PAGE, view.current * PAGE + PAGE)}
            filtered={view.filter !== ''}
            selection={view.sel}
          />
        )}
        {view.pages > 1 && (
          <Pager current={view.current} pages={view.pages} total={view.shown.length} setPage={view.setPage} />
        )}
      </section>
      <RemoveConfirm
        open={ch.confirming}
        what={t.what}
        busy={busy}
        selected={[...view.sel.selected]}
        total={entries.length}
        onConfirm={ch.remove}
        onCancel={() => ch.setConfirming(false)}
      />
      <ImportDialog
        open={importing}
        name={name}
        what={t.what}
        onClose={() => setImporting(false)}
        onImported={(msg) => {
          ch.action.setNotice(msg);
          void list.reload();
        }}
      />
    </>
  );
}

function ListHead(p: { name: Name; adding: boolean; toggleAdd(): void; onImport(): void }) {
  const t = TEXT[p.name];
  return (
    <PageHead title={t.title} intro={t.intro}>
      <button type="button" class="button button-primary" onClick={p.toggleAdd} aria-expanded={p.adding}>
        <span aria-hidden="true">+</span> Add
      </button>
      <button type="button" class="button" onClick={p.onImport}>
        Import CSV
      </button>
      <a class="button" href={`/api/lists/${p.name}/export`} download={`sipprot-${p.name}list.csv`}>
        Export CSV
      </a>
      <a class="button button-ghost" href="/api/lists/template.csv" download="sipprot-list-template.csv">
        Download CSV template
      </a>
    </PageHead>
  );
}

interface AddFormProps {
  name: Name;
  what: string;
  busy: boolean;
  draft: ListEntry;
  setDraft(d: ListEntry): void;
  onCancel(): void;
  /** Adds the draft; `onError` puts the reason under the field instead of a notice. */
  add(onError: (err: unknown) => null): Promise<void>;
}

/** The form under "+ Add"; an error shows under the address field. */
function AddForm(p: AddFormProps) {
  const { network, note } = p.draft;
  const [addError, setAddError] = useState<string | null>(null);
  const networkInput = useRef<HTMLInputElement>(null);

  // The form was opened to type an address: put the cursor there.
  useEffect(() => networkInput.current?.focus(), []);

  const submit = (e: Event) => {
    e.preventDefault();
    void p.add((err) => {
      setAddError(messageOf(err));
      return null;
    });
  };

  return (
    <form class="card add-form" onSubmit={submit} aria-label={`Add to the ${p.what}`}>
      <div class="field">
        <label for={`${p.name}-network`}>Network or IP address</label>
        <input
          id={`${p.name}-network`}
          required
          spellcheck={false}
          autocomplete="off"
          placeholder="192.0.2.10 or 198.51.100.0/24"
          value={network}
          aria-invalid={addError ? 'true' : undefined}
          aria-describedby={addError ? `${p.name}-add-error` : undefined}
          onInput={(e) => p.setDraft({ network: e.currentTarget.value, note })}
          ref={networkInput}
        />
      </div>
      <div class="field field-grow">
        <label for={`${p.name}-note`}>Note (optional)</label>
        <input
          id={`${p.name}-note`}
          maxLength={500}
          value={note}
          placeholder="Office phones"
          onInput={(e) => p.setDraft({ network, note: e.currentTarget.value })}
        />
      </div>
      <div class="add-actions">
        <button type="submit" class="button button-primary" disabled={p.busy || network.trim() === ''}>
          Add
        </button>
        <button type="button" class="button" onClick={p.onCancel}>
          Cancel
        </button>
      </div>
      {addError && (
        <p id={`${p.name}-add-error`} class="field-error add-error" role="alert">
          {addError}
        </p>
      )}
    </form>
  );
}

function RemoveConfirm(p: {
  open: boolean;
  what: string;
  busy: boolean;
  selected: string[];
  total: number;
  onConfirm(): void;
  onCancel(): void;
}) {
  const n = p.selected.length;
  return (
    <Confirm
      open={p.open}
      title={`Remove from the ${p.what}?`}
      danger
      busy={p.busy}
      confirmLabel="Yes, remove"
      onConfirm={p.onConfirm}
      onCancel={p.onCancel}
    >
      <p>
        Remove {plural(n, 'entry', 'entries')} from the {p.what}
        {n === p.total && p.total > 1 ? ' (all of them)' : ''}?
      </p>
      <ul class="plain mono">
        {p.selected.slice(0, 8).map((x) => (
          <li key={x}>{x}</li>
        ))}
        {n > 8 && <li>… and {num(n - 8)} more</li>}
      </ul>
    </Confirm>
  );
}

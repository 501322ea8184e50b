/**
 * Allowlist and Denylist: add with a note, CSV import (per-line errors) and export,
 * template, filter, select one/many/all and remove after a confirmation.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { ChangeResult, ListEntry, RemoveResult } from '../../../src/api/types.js';
import { get, messageOf, post } from '../api.js';
import { num, plural } from '../format.js';
import { live } from '../live.js';
import { Loading, Notice, type NoticeValue, PageHead, useLoad } from '../ui/common.js';
import { Confirm } from '../ui/dialog.js';
import { ImportDialog } from './import-dialog.js';

const PAGE = 100;

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

export function ListTab({ name }: { name: 'allow' | 'deny' }) {
  const t = TEXT[name];
  const list = useLoad(() => get<ListEntry[]>(`/api/lists/${name}`), [name]);
  const [filter, setFilter] = useState('');
  const [page, setPage] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [adding, setAdding] = useState(false);
  const [network, setNetwork] = useState('');
  const [note, setNote] = useState('');
  const [addError, setAddError] = useState<string | null>(null);
  const [notice, setNotice] = useState<NoticeValue | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [importing, setImporting] = useState(false);
  const networkInput = useRef<HTMLInputElement>(null);

  // The form was opened to type an address: put the cursor there.
  useEffect(() => {
    if (adding) networkInput.current?.focus();
  }, [adding]);

  useEffect(() => live.onListChange((l) => l === name && void list.reload()), [name, list.reload]);

  const entries = list.data ?? [];
  const shown = useMemo(() => {
    const f = filter.trim().toLowerCase();
    return f ? entries.filter((e) => e.network.includes(f) || e.note.toLowerCase().includes(f)) : entries;
  }, [entries, filter]);
  const pages = Math.max(1, Math.ceil(shown.length / PAGE));
  const current = Math.min(page, pages - 1);
  const pageRows = shown.slice(current * PAGE, current * PAGE + PAGE);
  const allShownSelected = shown.length > 0 && shown.every((e) => selected.has(e.network));
  const someSelected = selected.size > 0 && !allShownSelected;

  const toggle = (n: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (next.has(n)) next.delete(n);
      else next.add(n);
      return next;
    });
  const toggleAll = () => setSelected(allShownSelected ? new Set() : new Set(shown.map((e) => e.network)));

  const add = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const r = await post<ChangeResult>(`/api/lists/${name}`, {
        entries: [{ network: network.trim(), note }],
      });
      const entry = r.added[0] ?? r.updated[0];
      setNotice({
        kind: 'ok',
        text: r.added.length
          ? `Added ${entry?.network} to the ${t.what}.`
          : `${entry?.network} was already in the ${t.what}; note updated.`,
      });
      setNetwork('');
      setNote('');
      setAddError(null);
      setAdding(false);
      await list.reload();
    } catch (err) {
      setAddError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const removeSelected = async () => {
    setBusy(true);
    const everything = selected.size === entries.length && entries.every((e) => selected.has(e.network));
    try {
      const r = await post<RemoveResult>(
        `/api/lists/${name}/remove`,
        everything ? { all: true } : { networks: [...selected] },
      );
      setNotice({
        kind: 'ok',
        text: `Removed ${plural(r.removed.length, 'entry', 'entries')} from the ${t.what}.`,
      });
      setSelected(new Set());
      await list.reload();
    } catch (err) {
      setNotice({ kind: 'error', text: messageOf(err) });
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  const selectedList = [...selected];
  return (
    <>
      <PageHead title={t.title} intro={t.intro}>
        <button
          type="button"
          class="button button-primary"
          onClick={() => setAdding((a) => !a)}
          aria-expanded={adding}
        >
          <span aria-hidden="true">+</span> Add
        </button>
        <button type="button" class="button" onClick={() => setImporting(true)}>
          Import CSV
        </button>
        <a class="button" href={`/api/lists/${name}/export`} download={`sipprot-${name}list.csv`}>
          Export CSV
        </a>
        <a class="button button-ghost" href="/api/lists/template.csv" download="sipprot-list-template.csv">
          Download CSV template
        </a>
      </PageHead>

      {adding && (
        <form class="card add-form" onSubmit={add} aria-label={`Add to the ${t.what}`}>
          <div class="field">
            <label for={`${name}-network`}>Network or IP address</label>
            <input
              id={`${name}-network`}
              required
              spellcheck={false}
              autocomplete="off"
              placeholder="192.0.2.10 or 198.51.100.0/24"
              value={network}
              aria-invalid={addError ? 'true' : undefined}
              aria-describedby={addError ? `${name}-add-error` : undefined}
              onInput={(e) => setNetwork(e.currentTarget.value)}
              ref={networkInput}
            />
          </div>
          <div class="field field-grow">
            <label for={`${name}-note`}>Note (optional)</label>
            <input
              id={`${name}-note`}
              maxLength={500}
              value={note}
              placeholder="Office phones"
              onInput={(e) => setNote(e.currentTarget.value)}
            />
          </div>
          <div class="add-actions">
            <button type="submit" class="button button-primary" disabled={busy || network.trim() === ''}>
              Add
            </button>
            <button
              type="button"
              class="button"
              onClick={() => {
                setAdding(false);
                setAddError(null);
              }}
            >
              Cancel
            </button>
          </div>
          {addError && (
            <p id={`${name}-add-error`} class="field-error add-error" role="alert">
              {addError}
            </p>
          )}
        </form>
      )}

      <Notice value={notice} onDismiss={() => setNotice(null)} />
      {list.error && <Notice value={{ kind: 'error', text: list.error }} />}

      <section class="card">
        <div class="table-toolbar">
          <div class="field field-inline">
            <label for={`${name}-filter`}>Search</label>
            <input
              id={`${name}-filter`}
              type="search"
              value={filter}
              placeholder="address or note"
              onInput={(e) => {
                setFilter(e.currentTarget.value);
                setPage(0);
              }}
            />
          </div>
          {shown.length > 0 && (
            <label class="mobile-only select-all">
              <input type="checkbox" checked={allShownSelected} onChange={toggleAll} /> Select all
            </label>
          )}
          <span class="muted" aria-live="polite">
            {list.data
              ? `${plural(entries.length, 'entry', 'entries')}${filter ? `, ${num(shown.length)} shown` : ''}`
              : ''}
            {selected.size > 0 ? ` · ${num(selected.size)} selected` : ''}
          </span>
          <button
            type="button"
            class="button button-danger"
            disabled={selected.size === 0 || busy}
            onClick={() => setConfirming(true)}
          >
            Remove{selected.size > 0 ? ` (${num(selected.size)})` : ''}
          </button>
        </div>

        {!list.data && !list.error && <Loading what={`the ${t.what}`} />}
        {list.data && entries.length === 0 && <p class="empty">The {t.what} is empty.</p>}
        {list.data && entries.length > 0 && (
          <div class="table-wrap">
            <table class="table responsive selectable">
              <thead>
                <tr>
                  <th scope="col" class="check">
                    <input
                      type="checkbox"
                      aria-label={filter ? 'Select all shown entries' : 'Select all entries'}
                      checked={allShownSelected}
                      ref={(el) => {
                        if (el) el.indeterminate = someSelected;
                      }}
                      onChange={toggleAll}
                    />
                  </th>
                  <th scope="col">Network or IP address</th>
                  <th scope="col">Note</th>
                </tr>
              </thead>
              <tbody>
                {pageRows.map((e) => (
                  <tr key={e.network} class={selected.has(e.network) ? 'selected' : ''}>
                    <td class="check">
                      <input
                        type="checkbox"
                        aria-label={`Select ${e.network}`}
                        checked={selected.has(e.network)}
                        onChange={() => toggle(e.network)}
                      />
                    </td>
                    <td data-label="Network" class="mono">
                      {e.network}
                    </td>
                    <td data-label="Note">{e.note || <span class="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {pages > 1 && (
          <nav class="pager" aria-label="Pages">
            <button
              type="button"
              class="button"
              disabled={current === 0}
              onClick={() => setPage(current - 1)}
            >
              Previous
            </button>
            <span>
              {num(current * PAGE + 1)}–{num(Math.min(shown.length, (current + 1) * PAGE))} of{' '}
              {num(shown.length)}
            </span>
            <button
              type="button"
              class="button"
              disabled={current >= pages - 1}
              onClick={() => setPage(current + 1)}
            >
              Next
            </button>
          </nav>
        )}
      </section>

      <Confirm
        open={confirming}
        title={`Remove from the ${t.what}?`}
        danger
        busy={busy}
        confirmLabel="Yes, remove"
        onConfirm={removeSelected}
        onCancel={() => setConfirming(false)}
      >
        <p>
          Remove {plural(selected.size, 'entry', 'entries')} from the {t.what}
          {selected.size === entries.length && entries.length > 1 ? ' (all of them)' : ''}?
        </p>
        <ul class="plain mono">
          {selectedList.slice(0, 8).map((n) => (
            <li key={n}>{n}</li>
          ))}
          {selectedList.length > 8 && <li>… and {num(selectedList.length - 8)} more</li>}
        </ul>
      </Confirm>

      <ImportDialog
        open={importing}
        name={name}
        what={t.what}
        onClose={() => setImporting(false)}
        onImported={(msg) => {
          setNotice(msg);
          void list.reload();
        }}
      />
    </>
  );
}

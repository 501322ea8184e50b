/**
 * The entries of a list: the toolbar (search, counts, select all on phones, remove), the
 * selectable table and the pager under it (100 rows a page).
 */
import type { ListEntry } from '../../../src/api/types.js';
import { num, plural } from '../format.js';

export const PAGE = 100;

export interface Selection {
  selected: Set<string>;
  toggle(network: string): void;
  toggleAll(): void;
  clear(): void;
  allShownSelected: boolean;
  someSelected: boolean;
}

export function EntriesTable({
  rows,
  filtered,
  selection: s,
}: {
  rows: ListEntry[];
  filtered: boolean;
  selection: Selection;
}) {
  return (
    <div class="table-wrap">
      <table class="table responsive selectable">
        <thead>
          <tr>
            <th scope="col" class="check">
              <input
                type="checkbox"
                aria-label={filtered ? 'Select all shown entries' : 'Select all entries'}
                checked={s.allShownSelected}
                ref={(el) => {
                  if (el) el.indeterminate = s.someSelected;
                }}
                onChange={s.toggleAll}
              />
            </th>
            <th scope="col">Network or IP address</th>
            <th scope="col">Note</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((e) => (
            <tr key={e.network} class={s.selected.has(e.network) ? 'selected' : ''}>
              <td class="check">
                <input
                  type="checkbox"
                  aria-label={`Select ${e.network}`}
                  checked={s.selected.has(e.network)}
                  onChange={() => s.toggle(e.network)}
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
  );
}

export function Pager(p: { current: number; pages: number; total: number; setPage(n: number): void }) {
  return (
    <nav class="pager" aria-label="Pages">
      <button
        type="button"
        class="button"
        disabled={p.current === 0}
        onClick={() => p.setPage(p.current - 1)}
      >
        Previous
      </button>
      <span>
        {num(p.current * PAGE + 1)}–{num(Math.min(p.total, (p.current + 1) * PAGE))} of {num(p.total)}
      </span>
      <button
        type="button"
        class="button"
        disabled={p.current >= p.pages - 1}
        onClick={() => p.setPage(p.current + 1)}
      >
        Next
      </button>
    </nav>
  );
}

export function ListToolbar(p: {
  name: string;
  filter: string;
  onFilter(f: string): void;
  /** Null while the list loads. */
  counts: { entries: number; shown: number } | null;
  selection: Selection;
  removeDisabled: boolean;
  onRemove(): void;
}) {
  const { selected } = p.selection;
  return (
    <div class="table-toolbar">
      <div class="field field-inline">
        <label for={`${p.name}-filter`}>Search</label>
        <input
          id={`${p.name}-filter`}
          type="search"
          value={p.filter}
          placeholder="address or note"
          onInput={(e) => p.onFilter(e.currentTarget.value)}
        />
      </div>
      {p.counts && p.counts.shown > 0 && (
        <label class="mobile-only select-all">
          <input type="checkbox" checked={p.selection.allShownSelected} onChange={p.selection.toggleAll} />{' '}
          Select all
        </label>
      )}
      <span class="muted" aria-live="polite">
        {p.counts
          ? `${plural(p.counts.entries, 'entry', 'entries')}${p.filter ? `, ${num(p.counts.shown)} shown` : ''}`
          : ''}
        {selected.size > 0 ? ` · ${num(selected.size)} selected` : ''}
      </span>
      <button type="button" class="button button-danger" disabled={p.removeDisabled} onClick={p.onRemove}>
        Remove{selected.size > 0 ? ` (${num(selected.size)})` : ''}
      </button>
    </div>
  );
}

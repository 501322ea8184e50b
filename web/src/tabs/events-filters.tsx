/**
 * The Events tab's filters: one form (applied on submit, so a half-typed address asks
 * nothing), its values in the URL (#/events?where=...&since=...) so links open it filtered.
 * "Where" takes an address or a CIDR network; times are local (datetime-local inputs).
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { reason as reasonText } from '../format.js';

export interface Filters {
  /** An address or a CIDR network. */
  where: string;
  kind: string;
  reason: string;
  country: string;
  ua: string;
  user: string;
  /** datetime-local values (local time). */
  since: string;
  until: string;
}

export const EMPTY: Filters = {
  where: '',
  kind: '',
  reason: '',
  country: '',
  ua: '',
  user: '',
  since: '',
  until: '',
};

/** Kinds grouped as an admin asks for them. */
export const KINDS: Array<{ id: string; label: string; kinds: string[] | null }> = [
  { id: '', label: 'Everything', kinds: null },
  { id: 'blocks', label: 'Blocks and escalations', kinds: ['block', 'permanent'] },
  { id: 'lifts', label: 'Unblocks and expiries', kinds: ['unblock', 'expire'] },
  { id: 'lists', label: 'List changes', kinds: ['allow-add', 'allow-remove', 'deny-add', 'deny-remove'] },
  { id: 'settings', label: 'Settings changes', kinds: ['settings'] },
  { id: 'alerts', label: 'Alerts acknowledged', kinds: ['alert-ack'] },
];

export function filtersFromHash(hash = location.hash): Filters {
  const q = new URLSearchParams(hash.split('?')[1] ?? '');
  const out = { ...EMPTY };
  for (const k of Object.keys(EMPTY) as Array<keyof Filters>) out[k] = q.get(k) ?? '';
  return out;
}

function Field(p: { id: string; label: string; children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={p.id}>{p.label}</label>
      {p.children}
    </div>
  );
}

export function EventFilters(p: { value: Filters; reasons: string[]; onApply(f: Filters): void }) {
  const [f, setF] = useState<Filters>(p.value);
  useEffect(() => setF(p.value), [p.value]);
  const set = (k: keyof Filters) => (e: Event) =>
    setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const active = Object.values(p.value).filter(Boolean).length;
  return (
    <form
      class="event-filters"
      aria-label="Filter events"
      onSubmit={(e) => {
        e.preventDefault();
        p.onApply(f);
      }}
    >
      <div class="fields fields-4">
        <Field id="ev-where" label="Address or network">
          <input
            id="ev-where"
            value={f.where}
            onInput={set('where')}
            placeholder="203.0.113.5 or 203.0.113.0/24"
          />
        </Field>
        <Field id="ev-kind" label="Events">
          <select id="ev-kind" value={f.kind} onChange={set('kind')}>
            {KINDS.map((k) => (
              <option key={k.id} value={k.id}>
                {k.label}
              </option>
            ))}
          </select>
        </Field>
        <Field id="ev-reason" label="Reason">
          <select id="ev-reason" value={f.reason} onChange={set('reason')}>
            <option value="">Any reason</option>
            {p.reasons.map((r) => (
              <option key={r} value={r}>
                {reasonText(r)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="ev-country" label="Country">
          <input id="ev-country" value={f.country} onInput={set('country')} placeholder="NL" maxLength={2} />
        </Field>
        <Field id="ev-ua" label="User agent contains">
          <input id="ev-ua" value={f.ua} onInput={set('ua')} placeholder="friendly-scanner" />
        </Field>
        <Field id="ev-user" label="Extension">
          <input id="ev-user" value={f.user} onInput={set('user')} placeholder="204" />
        </Field>
        <Field id="ev-since" label="From (local time)">
          <input id="ev-since" type="datetime-local" value={f.since} onInput={set('since')} />
        </Field>
        <Field id="ev-until" label="Until (local time)">
          <input id="ev-until" type="datetime-local" value={f.until} onInput={set('until')} />
        </Field>
      </div>
      <div class="form-actions">
        <button type="submit" class="button button-primary">
          Show events
        </button>
        {active > 0 && (
          <button
            type="button"
            class="button button-ghost"
            onClick={() => {
              setF(EMPTY);
              p.onApply(EMPTY);
            }}
          >
            Clear {active} filter{active === 1 ? '' : 's'}
          </button>
        )}
      </div>
    </form>
  );
}

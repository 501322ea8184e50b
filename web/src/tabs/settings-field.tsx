/** One setting: its label, the control that fits it, help text and inline error. */
import type { JSX } from 'preact';
import type { SettingField } from '../../../src/api/types.js';
import { roughDuration } from '../format.js';
import { type FieldLayout, isOn } from './settings-layout.js';

interface FieldProps {
  layout: FieldLayout;
  meta: SettingField;
  value: string;
  error: string | undefined;
  countries: Array<{ code: string; name: string }>;
  onChange(value: string): void;
  onBlur(): void;
}

export function SettingControl({ layout, meta, value, error, countries, onChange, onBlur }: FieldProps) {
  const id = `setting-${meta.key}`;
  const helpId = `${id}-help`;
  const errId = `${id}-error`;
  const describedBy = error ? `${errId} ${helpId}` : helpId;
  const invalid = error ? ('true' as const) : undefined;
  const c = layout.control;
  const common = { id, 'aria-describedby': describedBy, 'aria-invalid': invalid, onBlur, name: meta.key };
  const secs = c.kind === 'text' && c.seconds ? roughDuration(Number(value)) : '';

  let control: JSX.Element;
  if (meta.hostOnly) {
    // Paths, listeners, interfaces, cluster: only root on the host changes them (sipprot.conf).
    return (
      <div class="field field-hostonly">
        <label for={id}>{layout.label}</label>
        <div class="control-row">
          <input {...common} type="text" readOnly value={value} />
        </div>
        <p class="help">Set in sipprot.conf on the host; not changeable from the web UI.</p>
        <Help id={helpId} layout={layout} meta={meta} />
      </div>
    );
  }
  if (c.kind === 'bool') {
    return (
      <div class={`field field-check${error ? ' has-error' : ''}`}>
        <input
          type="checkbox"
          {...common}
          checked={isOn(value)}
          onChange={(e) => onChange(e.currentTarget.checked ? 'yes' : 'no')}
        />
        <div>
          <label for={id}>{layout.label}</label>
          <Help id={helpId} layout={layout} meta={meta} />
          {error && <ErrorText id={errId} text={error} />}
        </div>
      </div>
    );
  }
  if (c.kind === 'select') {
    const known = c.options.some((o) => o.value === value);
    control = (
      <select {...common} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {!known && <option value={value}>{value}</option>}
        {c.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    );
  } else if (c.kind === 'textarea') {
    control = (
      <textarea {...common} rows={3} value={value} onInput={(e) => onChange(e.currentTarget.value)} />
    );
  } else if (c.kind === 'countries') {
    control = <CountryPicker {...common} value={value} countries={countries} onChange={onChange} />;
  } else if (c.kind === 'password') {
    control = (
      <input
        {...common}
        type="password"
        autocomplete="new-password"
        value={value}
        placeholder={meta.secretSet ? 'set (type to replace)' : 'not set'}
        onInput={(e) => onChange(e.currentTarget.value)}
      />
    );
  } else if (c.kind === 'time') {
    control = (
      <input {...common} type="time" value={value} onInput={(e) => onChange(e.currentTarget.value)} />
    );
  } else {
    control = (
      <input
        {...common}
        type="text"
        inputMode={c.inputMode === 'numeric' ? 'numeric' : c.inputMode}
        spellcheck={false}
        autocomplete="off"
        placeholder={c.placeholder ?? meta.default}
        value={value}
        onInput={(e) => onChange(e.currentTarget.value)}
      />
    );
  }
  return (
    <div
      class={`field${error ? ' has-error' : ''}${c.kind === 'textarea' || c.kind === 'countries' ? ' field-wide' : ''}`}
    >
      <label for={id}>{layout.label}</label>
      <div class="control-row">
        {control}
        {secs && <span class="unit">= {secs}</span>}
      </div>
      {error && <ErrorText id={errId} text={error} />}
      <Help id={helpId} layout={layout} meta={meta} />
    </div>
  );
}

function ErrorText({ id, text }: { id: string; text: string }) {
  return (
    <p id={id} class="field-error">
      {text}
    </p>
  );
}

function Help({ id, layout, meta }: { id: string; layout: FieldLayout; meta: SettingField }) {
  // A checkbox or a list of choices shows what is allowed by itself.
  const obvious = layout.control.kind === 'bool' || layout.control.kind === 'select';
  const showDefault = meta.default && meta.default.length <= 40 && layout.control.kind !== 'bool';
  return (
    <p id={id} class="help">
      {layout.note ?? meta.description}
      {!obvious && <span class="allowed"> Allowed: {meta.allowed}.</span>}
      {showDefault && <span class="default"> Default: {meta.default}.</span>}{' '}
      <code class="key">{meta.key}</code>
    </p>
  );
}

interface PickerProps {
  id: string;
  value: string;
  countries: Array<{ code: string; name: string }>;
  onChange(v: string): void;
  onBlur(): void;
  'aria-describedby': string;
  'aria-invalid': 'true' | undefined;
}

function CountryPicker(p: PickerProps) {
  const codes = p.value
    .split(/[\s,]+/)
    .map((c) => c.trim().toUpperCase())
    .filter(Boolean);
  const nameOf = (code: string) => p.countries.find((c) => c.code === code)?.name ?? code;
  const set = (list: string[]) => p.onChange([...new Set(list)].sort().join(','));
  return (
    <div class="country-picker">
      <select
        id={p.id}
        aria-describedby={p['aria-describedby']}
        aria-invalid={p['aria-invalid']}
        value=""
        onBlur={p.onBlur}
        onChange={(e) => {
          const code = e.currentTarget.value;
          if (code) set([...codes, code]);
          e.currentTarget.value = '';
        }}
      >
        <option value="">Add a country…</option>
        {p.countries
          .filter((c) => !codes.includes(c.code))
          .map((c) => (
            <option key={c.code} value={c.code}>
              {c.name} ({c.code})
            </option>
          ))}
      </select>
      {codes.length === 0 ? (
        <p class="muted">No country is blocked.</p>
      ) : (
        <ul class="chips" aria-label="Blocked countries">
          {codes.map((code) => (
            <li key={code} class="chip">
              {nameOf(code)} ({code})
              <button
                type="button"
                class="chip-remove"
                aria-label={`Stop blocking ${nameOf(code)}`}
                onClick={() => set(codes.filter((c) => c !== code))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

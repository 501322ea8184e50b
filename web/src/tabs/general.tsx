/**
 * General settings: every key, validated by the server as you type (the same parsers
 * the daemon uses), saved together and applied live.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { SettingError, SettingsResponse, Validation } from '../../../src/api/types.js';
import { ApiError, get, messageOf, patch, post } from '../api.js';
import { live } from '../live.js';
import { useAction } from '../ui/action.js';
import { Loading, Notice, type NoticeValue, PageHead } from '../ui/common.js';
import { SettingControl } from './settings-field.js';
import { type FieldLayout, GROUPS, type Group, LAID_OUT } from './settings-layout.js';

/** "HIT_COUNT must be an integer 1-10000" → "Must be an integer 1-10000". */
function fieldMessage(e: SettingError): string {
  const m = e.message.startsWith(`${e.key} `) ? e.message.slice(e.key.length + 1) : e.message;
  return m.charAt(0).toUpperCase() + m.slice(1);
}

/** The form's state: the server's settings, the values as edited, per-field errors. */
function useSettingsForm() {
  const [data, setData] = useState<SettingsResponse | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [values, setValues] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const timers = useRef(new Map<string, ReturnType<typeof setTimeout>>());

  const original = useMemo(
    () => Object.fromEntries((data?.fields ?? []).map((f) => [f.key, f.value])),
    [data],
  );
  const accept = (d: SettingsResponse) => {
    setData(d);
    setValues(Object.fromEntries(d.fields.map((f) => [f.key, f.value])));
    setErrors({});
  };

  useEffect(() => {
    get<SettingsResponse>('/api/settings').then(accept, (e) => setLoadError(messageOf(e)));
  }, []);

  const changed = Object.keys(values).filter((k) => values[k] !== original[k]);
  const dirty = changed.length > 0;

  // Changed elsewhere (another browser, the file reloaded): show it, unless this form has edits.
  useEffect(
    () =>
      live.onSettingsChange(() => {
        if (!dirty) get<SettingsResponse>('/api/settings').then(accept, () => undefined);
      }),
    [dirty],
  );

  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    addEventListener('beforeunload', warn);
    return () => removeEventListener('beforeunload', warn);
  }, [dirty]);

  const validate = async (key: string, value: string) => {
    try {
      const r = await post<Validation>('/api/settings/validate', { changes: { [key]: value } });
      const err = r.errors.find((e) => e.key === key);
      setErrors((prev) => {
        const next = { ...prev };
        if (err) next[key] = fieldMessage(err);
        else delete next[key];
        return next;
      });
    } catch {
      // Validation is a convenience; saving checks again.
    }
  };

  /** A field changed: checked by the server 350 ms after the last keystroke. */
  const change = (key: string, value: string) => {
    setValues((v) => ({ ...v, [key]: value }));
    const t = timers.current.get(key);
    if (t) clearTimeout(t);
    if (value === original[key]) {
      setErrors(({ [key]: _drop, ...rest }) => rest);
      return;
    }
    timers.current.set(
      key,
      setTimeout(() => void validate(key, value), 350),
    );
  };

  return { data, loadError, values, errors, setErrors, changed, dirty, accept, change };
}

export function General() {
  const form = useSettingsForm();
  const action = useAction();
  const { data, values, changed, dirty } = form;

  const save = (e: Event) => {
    e.preventDefault();
    if (!dirty) return;
    const changes = Object.fromEntries(changed.map((k) => [k, values[k] ?? '']));
    void action.run(
      true,
      async () => {
        const r = await patch<SettingsResponse>('/api/settings', { changes });
        form.accept(r);
        const restart = r.restartRequired.filter((k) => k in changes);
        return {
          kind: restart.length ? 'warn' : 'ok',
          text: r.message ?? `Saved and applied: ${Object.keys(changes).join(', ')}.`,
          ...(restart.length
            ? { lines: [`Takes effect after a restart of sipprotd: ${restart.join(', ')}`] }
            : {}),
        };
      },
      { onError: (err) => saveFailed(err, form.setErrors) },
    );
  };

  if (!data) {
    return (
      <>
        <PageHead title="General" />
        {form.loadError ? (
          <Notice value={{ kind: 'error', text: form.loadError }} />
        ) : (
          <Loading what="settings" />
        )}
      </>
    );
  }

  return (
    <>
      <PageHead
        title="General"
        intro={`Settings of ${data.source ?? 'sipprot (defaults)'}. Saved changes are applied at once.`}
      />
      <form class="settings" onSubmit={save} noValidate>
        <SettingsGroups
          data={data}
          values={values}
          errors={form.errors}
          onChange={(key, v) => {
            action.setNotice(null);
            form.change(key, v);
          }}
        />
        <div class={`savebar${dirty ? ' savebar-dirty' : ''}`}>
          <Notice value={action.notice} onDismiss={() => action.setNotice(null)} />
          <div class="savebar-row">
            <span class="muted" aria-live="polite">
              {dirty
                ? `${changed.length} unsaved change${changed.length === 1 ? '' : 's'}`
                : 'No unsaved changes'}
            </span>
            <button
              type="button"
              class="button"
              disabled={!dirty || action.busy !== null}
              onClick={() => form.accept(data)}
            >
              Discard
            </button>
            <button type="submit" class="button button-primary" disabled={!dirty || action.busy !== null}>
              {action.busy !== null ? 'Saving…' : 'Save and apply'}
            </button>
          </div>
        </div>
      </form>
    </>
  );
}

/** Nothing was saved: mark the fields the server named, and say so. */
function saveFailed(
  err: unknown,
  setErrors: (fn: (prev: Record<string, string>) => Record<string, string>) => void,
): NoticeValue {
  if (!(err instanceof ApiError && err.code === 'SP_ERR_CONFIG_INVALID')) {
    return { kind: 'error', text: `Nothing was saved: ${messageOf(err)}` };
  }
  const list = ((err.details as { errors?: SettingError[] })?.errors ?? []) as SettingError[];
  setErrors((prev) => ({ ...prev, ...Object.fromEntries(list.map((x) => [x.key, fieldMessage(x)])) }));
  document.querySelector<HTMLElement>(`#setting-${list[0]?.key ?? ''}`)?.focus();
  return {
    kind: 'error',
    text: 'Nothing was saved: fix the marked fields.',
    lines: list.map((x) => x.message),
  };
}

/** Every group of settings: the basic ones open, the advanced ones folded. */
function SettingsGroups(p: {
  data: SettingsResponse;
  values: Record<string, string>;
  errors: Record<string, string>;
  onChange(key: string, value: string): void;
}) {
  const byKey = new Map(p.data.fields.map((f) => [f.key, f]));
  const extra: FieldLayout[] = p.data.fields
    .filter((f) => !LAID_OUT.has(f.key))
    .map((f) => ({ key: f.key, label: f.key, control: { kind: 'text' } }));
  const groups: Group[] = GROUPS.map((g) =>
    g.id === 'service' ? { ...g, fields: [...g.fields, ...extra] } : g,
  );

  const renderGroup = (g: Group) =>
    g.fields
      .filter((f) => byKey.has(f.key))
      .map((f) => (
        <SettingControl
          key={f.key}
          layout={f}
          meta={byKey.get(f.key)!}
          value={p.values[f.key] ?? ''}
          error={p.errors[f.key]}
          countries={p.data.countries}
          onChange={(v) => p.onChange(f.key, v)}
          onBlur={() => undefined}
        />
      ));

  return (
    <>
      {groups.map((g) => {
        const body = (
          <>
            {g.intro && <p class="muted">{g.intro}</p>}
            <div class="fields">{renderGroup(g)}</div>
          </>
        );
        // Advanced groups start folded; the others are plain fieldsets.
        return g.advanced ? (
          <details key={g.id} class="card settings-group">
            <summary>
              <h2>{g.title}</h2>
            </summary>
            {body}
          </details>
        ) : (
          <fieldset key={g.id} class="card settings-group">
            <legend>
              <h2>{g.title}</h2>
            </legend>
            {body}
          </fieldset>
        );
      })}
    </>
  );
}

/** Small shared pieces: messages, page headers, loading state, table headers. */
import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { messageOf } from '../api.js';

type NoticeKind = 'ok' | 'error' | 'info' | 'warn';

export interface NoticeValue {
  kind: NoticeKind;
  text: string;
  /** Extra lines (per-line import errors, warnings). */
  lines?: string[];
}

/** A message region: errors are alerts (read at once), the rest polite status. */
export function Notice({ value, onDismiss }: { value: NoticeValue | null; onDismiss?: () => void }) {
  if (!value) return <div class="notice-slot" role="status" aria-live="polite" />;
  return (
    <div class={`notice notice-${value.kind}`} role={value.kind === 'error' ? 'alert' : 'status'}>
      <div class="notice-text">
        <p>{value.text}</p>
        {value.lines && value.lines.length > 0 && (
          <ul>
            {value.lines.map((l) => (
              <li key={l}>{l}</li>
            ))}
          </ul>
        )}
      </div>
      {onDismiss && (
        <button type="button" class="icon-button" aria-label="Dismiss message" onClick={onDismiss}>
          ×
        </button>
      )}
    </div>
  );
}

export function PageHead({
  title,
  children,
  intro,
}: {
  title: string;
  intro?: string;
  children?: ComponentChildren;
}) {
  return (
    <div class="page-head">
      <div>
        <h1 tabIndex={-1} data-page-title>
          {title}
        </h1>
        {intro && <p class="intro">{intro}</p>}
      </div>
      {children && <div class="page-actions">{children}</div>}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      <span class="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  reload(): Promise<void>;
  set(v: T): void;
}

/** Fetches on mount and on reload(); keeps the last good data while reloading. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[] = []): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Answers can come back out of order (the deny list asked while the allow list's answer
  // is still on its way, a reload racing a live update): only the last question asked may
  // show, or one list's entries appear under another's name.
  const asked = useRef(0);
  // The caller names the inputs in `deps` (the loader closure changes on every render).
  const reload = useCallback(async () => {
    const mine = ++asked.current;
    try {
      const d = await load();
      if (mine !== asked.current) return;
      setData(d);
      setError(null);
    } catch (e) {
      if (mine === asked.current) setError(messageOf(e));
    }
  }, deps);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, reload, set: setData };
}

/** A table's header row: a column per label, and an unlabelled actions column if asked. */
export function TableHead({ columns, actions = false }: { columns: string[]; actions?: boolean }) {
  return (
    <thead>
      <tr>
        {columns.map((c) => (
          <th key={c} scope="col">
            {c}
          </th>
        ))}
        {actions && (
          <th scope="col">
            <span class="visually-hidden">Actions</span>
          </th>
        )}
      </tr>
    </thead>
  );
}

import { useState } from 'preact/hooks';
import type { SessionInfo } from '../../src/api/types.js';
import { messageOf, post } from './api.js';
import { Dialog } from './ui/dialog.js';

const MIN = 10;

export function PasswordDialog(p: { open: boolean; onClose(): void; onChanged(s: SessionInfo): void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const close = () => {
    setCurrent('');
    setNext('');
    setRepeat('');
    setError(null);
    p.onClose();
  };
  const tooShort = next !== '' && next.length < MIN;
  const mismatch = repeat !== '' && repeat !== next;

  const submit = async (e: Event) => {
    e.preventDefault();
    if (tooShort || mismatch || next === '') return;
    setBusy(true);
    try {
      const s = await post<SessionInfo>('/api/password', { current, password: next });
      p.onChanged(s);
      close();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog open={p.open} title="Change admin password" onClose={close}>
      <form onSubmit={submit} class="stack">
        <div class="field">
          <label for="pw-current">Current password</label>
          <input
            id="pw-current"
            type="password"
            autocomplete="current-password"
            required
            value={current}
            onInput={(e) => setCurrent(e.currentTarget.value)}
          />
        </div>
        <div class="field">
          <label for="pw-new">New password</label>
          <input
            id="pw-new"
            type="password"
            autocomplete="new-password"
            required
            minLength={MIN}
            value={next}
            aria-invalid={tooShort ? 'true' : undefined}
            aria-describedby="pw-new-help"
            onInput={(e) => setNext(e.currentTarget.value)}
          />
          <p id="pw-new-help" class={tooShort ? 'field-error' : 'help'}>
            At least {MIN} characters.
          </p>
        </div>
        <div class="field">
          <label for="pw-repeat">Repeat new password</label>
          <input
            id="pw-repeat"
            type="password"
            autocomplete="new-password"
            required
            value={repeat}
            aria-invalid={mismatch ? 'true' : undefined}
            aria-describedby={mismatch ? 'pw-repeat-error' : undefined}
            onInput={(e) => setRepeat(e.currentTarget.value)}
          />
          {mismatch && (
            <p id="pw-repeat-error" class="field-error">
              The two passwords differ.
            </p>
          )}
        </div>
        {error && (
          <p class="field-error" role="alert">
            {error}
          </p>
        )}
        <p class="help">Other browsers logged in with the old password are logged out.</p>
        <div class="dialog-actions">
          <button type="button" class="button" onClick={close}>
            Cancel
          </button>
          <button
            type="submit"
            class="button button-primary"
            disabled={busy || tooShort || mismatch || !next}
          >
            Change password
          </button>
        </div>
      </form>
    </Dialog>
  );
}

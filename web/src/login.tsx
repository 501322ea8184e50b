import { useState } from 'preact/hooks';
import type { SessionInfo } from '../../src/api/types.js';
import { ApiError, messageOf, post } from './api.js';

export function Login({ onLogin }: { onLogin(s: SessionInfo): void }) {
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onLogin(await post<SessionInfo>('/api/login', { password }));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'SP_ERR_RATE_LIMITED') {
        setError(
          `Too many failed attempts. Try again in ${(err.details as { retryAfter?: number })?.retryAfter ?? 60} seconds.`,
        );
      } else if (err instanceof ApiError && err.code === 'SP_ERR_AUTH') {
        setError(err.message === 'wrong password' ? 'Wrong password.' : err.message);
      } else setError(messageOf(err));
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="login-card" onSubmit={submit} aria-describedby={error ? 'login-error' : undefined}>
        <div class="brand brand-large">
          <img src="/favicon.svg" alt="" width="40" height="40" />
          <span>sipprot</span>
        </div>
        <h1>Log in</h1>
        <p class="muted">SIP brute-force and scanner guard: administration</p>
        {/* For password managers: the one account is "admin". */}
        <input type="text" name="username" value="admin" autocomplete="username" hidden readOnly />
        <label for="login-password">Admin password</label>
        <input
          id="login-password"
          type="password"
          autocomplete="current-password"
          required
          value={password}
          onInput={(e) => setPassword(e.currentTarget.value)}
          aria-invalid={error ? 'true' : undefined}
          autofocus
        />
        {error && (
          <p id="login-error" class="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="button button-primary button-block" disabled={busy || password === ''}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
        <p class="muted small">
          Forgot it? As root on the server: <code>sipprot passwd</code>
        </p>
      </form>
    </main>
  );
}

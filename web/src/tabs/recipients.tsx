/** Notification Recipients: who gets the daily summary and attack mails; test mail. */
import { useState } from 'preact/hooks';
import type { Recipient, StatusReport } from '../../../src/api/types.js';
import { del, get, messageOf, post } from '../api.js';
import { Loading, Notice, type NoticeValue, PageHead, useLoad } from '../ui/common.js';
import { Confirm } from '../ui/dialog.js';

export function Recipients() {
  const list = useLoad(() => get<Recipient[]>('/api/recipients'));
  const status = useLoad(() => get<StatusReport>('/api/status'));
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [addError, setAddError] = useState<string | null>(null);
  const [notice, setNotice] = useState<NoticeValue | null>(null);
  const [removing, setRemoving] = useState<Recipient | null>(null);
  const [busy, setBusy] = useState(false);

  const add = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const r = await post<Recipient>('/api/recipients', { email: email.trim(), name: name.trim() || null });
      setNotice({ kind: 'ok', text: `${r.email} will get sipprot's mail.` });
      setEmail('');
      setName('');
      setAddError(null);
      await list.reload();
    } catch (err) {
      setAddError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const remove = async () => {
    if (!removing) return;
    setBusy(true);
    try {
      await del(`/api/recipients/${encodeURIComponent(removing.email)}`);
      setNotice({ kind: 'ok', text: `Removed ${removing.email}.` });
      await list.reload();
    } catch (err) {
      setNotice({ kind: 'error', text: messageOf(err) });
    } finally {
      setBusy(false);
      setRemoving(null);
    }
  };

  const test = async (to?: string) => {
    setBusy(true);
    try {
      const r = await post<{ ok: boolean; message: string }>('/api/notify/test', to ? { to } : {});
      setNotice({ kind: r.ok ? 'ok' : 'error', text: r.message });
    } catch (err) {
      setNotice({ kind: 'error', text: messageOf(err) });
    } finally {
      setBusy(false);
    }
  };

  const mail = status.data?.mail;
  return (
    <>
      <PageHead
        title="Notification Recipients"
        intro="They get the daily attack summary and, if enabled under General, a mail about attacks."
      >
        <button type="button" class="button" disabled={busy || !list.data?.length} onClick={() => test()}>
          Send test mail to all
        </button>
      </PageHead>
      {mail && (
        <p class={`mail-state ${mail.configured ? 'ok' : 'warn'}`}>
          <strong>Mail:</strong> {mail.message}
        </p>
      )}
      <Notice value={notice} onDismiss={() => setNotice(null)} />

      <form class="card add-form" onSubmit={add} aria-label="Add a recipient">
        <div class="field">
          <label for="recipient-email">E-mail address</label>
          <input
            id="recipient-email"
            type="email"
            required
            autocomplete="email"
            value={email}
            aria-invalid={addError ? 'true' : undefined}
            aria-describedby={addError ? 'recipient-error' : undefined}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </div>
        <div class="field field-grow">
          <label for="recipient-name">Name (optional)</label>
          <input
            id="recipient-name"
            autocomplete="name"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </div>
        <div class="add-actions">
          <button type="submit" class="button button-primary" disabled={busy || !email.trim()}>
            Add
          </button>
        </div>
        {addError && (
          <p id="recipient-error" class="field-error add-error" role="alert">
            {addError}
          </p>
        )}
      </form>

      <section class="card">
        {list.error && <Notice value={{ kind: 'error', text: list.error }} />}
        {!list.data && !list.error && <Loading what="recipients" />}
        {list.data && list.data.length === 0 && (
          <p class="empty">No recipients yet: nobody gets sipprot's mail.</p>
        )}
        {list.data && list.data.length > 0 && (
          <div class="table-wrap">
            <table class="table responsive">
              <thead>
                <tr>
                  <th scope="col">E-mail address</th>
                  <th scope="col">Name</th>
                  <th scope="col">
                    <span class="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.data.map((r) => (
                  <tr key={r.email}>
                    <td data-label="E-mail">{r.email}</td>
                    <td data-label="Name">{r.name ?? <span class="muted">—</span>}</td>
                    <td class="actions">
                      <button
                        type="button"
                        class="button button-small"
                        disabled={busy}
                        onClick={() => test(r.email)}
                      >
                        Send test
                      </button>
                      <button
                        type="button"
                        class="button button-small button-danger"
                        aria-label={`Remove ${r.email}`}
                        onClick={() => setRemoving(r)}
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <Confirm
        open={removing !== null}
        title="Remove recipient?"
        danger
        busy={busy}
        confirmLabel="Yes, remove"
        onConfirm={remove}
        onCancel={() => setRemoving(null)}
      >
        <p>
          Remove <strong>{removing?.email}</strong> from the notification recipients? They will get no more
          mail from sipprot.
        </p>
      </Confirm>
    </>
  );
}

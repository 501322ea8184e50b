/** Notification Recipients: who gets the daily summary and attack mails; test mail. */
import { useState } from 'preact/hooks';
import type { Recipient, StatusReport } from '../../../src/api/types.js';
import { del, get, messageOf, post } from '../api.js';
import { useAction } from '../ui/action.js';
import { Loading, Notice, PageHead, TableHead, useLoad } from '../ui/common.js';
import { Confirm } from '../ui/dialog.js';
import { Webhooks } from './webhooks.js';

export function Recipients() {
  const list = useLoad(() => get<Recipient[]>('/api/recipients'));
  const status = useLoad(() => get<StatusReport>('/api/status'));
  const action = useAction();
  const busy = action.busy !== null;
  const [removing, setRemoving] = useState<Recipient | null>(null);

  const add = (email: string, name: string, form: AddCallbacks) =>
    action.run(
      true,
      async () => {
        const r = await post<Recipient>('/api/recipients', {
          email: email.trim(),
          name: name.trim() || null,
        });
        action.setNotice({ kind: 'ok', text: `${r.email} will get sipprot's mail.` });
        form.added();
        await list.reload();
        return null;
      },
      { onError: form.onError },
    );

  const remove = (r: Recipient) =>
    action.run(
      true,
      async () => {
        await del(`/api/recipients/${encodeURIComponent(r.email)}`);
        action.setNotice({ kind: 'ok', text: `Removed ${r.email}.` });
        await list.reload();
        return null;
      },
      { always: () => setRemoving(null) },
    );

  const test = (to?: string) =>
    action.run(true, async () => {
      const r = await post<{ ok: boolean; message: string }>('/api/notify/test', to ? { to } : {});
      return { kind: r.ok ? 'ok' : 'error', text: r.message };
    });

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
      <Notice value={action.notice} onDismiss={() => action.setNotice(null)} />
      <AddRecipientForm busy={busy} add={add} />
      <section class="card">
        {list.error && <Notice value={{ kind: 'error', text: list.error }} />}
        {!list.data && !list.error && <Loading what="recipients" />}
        {list.data && list.data.length === 0 && (
          <p class="empty">No recipients yet: nobody gets sipprot's mail.</p>
        )}
        {list.data && list.data.length > 0 && (
          <RecipientsTable rows={list.data} busy={busy} onTest={test} onRemove={setRemoving} />
        )}
      </section>
      <Webhooks />
      <Confirm
        open={removing !== null}
        title="Remove recipient?"
        danger
        busy={busy}
        confirmLabel="Yes, remove"
        onConfirm={() => removing && remove(removing)}
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

interface AddCallbacks {
  /** The recipient is stored: empty the form. */
  added(): void;
  /** Refused: the reason goes under the form, not in a notice. */
  onError(err: unknown): null;
}

/** E-mail and name; a refused address shows its reason under the form. */
function AddRecipientForm(p: { busy: boolean; add(email: string, name: string, form: AddCallbacks): void }) {
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [addError, setAddError] = useState<string | null>(null);

  const submit = (e: Event) => {
    e.preventDefault();
    p.add(email, name, {
      added: () => {
        setEmail('');
        setName('');
        setAddError(null);
      },
      onError: (err) => {
        setAddError(messageOf(err));
        return null;
      },
    });
  };

  return (
    <form class="card add-form" onSubmit={submit} aria-label="Add a recipient">
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
        <button type="submit" class="button button-primary" disabled={p.busy || !email.trim()}>
          Add
        </button>
      </div>
      {addError && (
        <p id="recipient-error" class="field-error add-error" role="alert">
          {addError}
        </p>
      )}
    </form>
  );
}

function RecipientsTable(p: {
  rows: Recipient[];
  busy: boolean;
  onTest(email: string): void;
  onRemove(r: Recipient): void;
}) {
  return (
    <div class="table-wrap">
      <table class="table responsive">
        <TableHead columns={['E-mail address', 'Name']} actions />
        <tbody>
          {p.rows.map((r) => (
            <tr key={r.email}>
              <td data-label="E-mail">{r.email}</td>
              <td data-label="Name">{r.name ?? <span class="muted">—</span>}</td>
              <td class="actions">
                <button
                  type="button"
                  class="button button-small"
                  disabled={p.busy}
                  onClick={() => p.onTest(r.email)}
                >
                  Send test
                </button>
                <button
                  type="button"
                  class="button button-small button-danger"
                  aria-label={`Remove ${r.email}`}
                  onClick={() => p.onRemove(r)}
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

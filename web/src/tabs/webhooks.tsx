/**
 * Webhooks and chat (issue 15 item 4), under the Notification Recipients: the targets in
 * WEBHOOK_URLS (format and host only — the rest of a webhook URL is its secret and never
 * comes back from the server), add one, remove one after a confirmation, send a test
 * message to one or all and see what each answered. WEBHOOK_EVENTS and
 * WEBHOOK_GROUP_SECONDS are on the General tab.
 */
import { useState } from 'preact/hooks';
import type { WebhooksView, WebhookTestResults } from '../../../src/api/types.js';
import { del, get, messageOf, post } from '../api.js';
import { dateTime } from '../format.js';
import { useAction } from '../ui/action.js';
import { Loading, Notice, TableHead, useLoad } from '../ui/common.js';
import { Confirm } from '../ui/dialog.js';

type Target = WebhooksView['targets'][number];

const LABELS: Record<string, string> = {
  json: 'JSON (sipprot.webhook/v1)',
  slack: 'Slack',
  mattermost: 'Mattermost',
  teams: 'Microsoft Teams (workflow)',
  discord: 'Discord',
};

export function Webhooks() {
  const view = useLoad(() => get<WebhooksView>('/api/webhooks'));
  const action = useAction();
  const busy = action.busy !== null;
  const [removing, setRemoving] = useState<Target | null>(null);

  const test = (index?: number) =>
    action.run(true, async () => {
      const r = await post<WebhookTestResults>('/api/webhooks/test', index === undefined ? {} : { index });
      await view.reload();
      const bad = r.results.filter((x) => !x.ok);
      const text = r.results
        .map((x) => `${LABELS[x.format] ?? x.format} ${x.where}: ${x.ok ? 'delivered' : x.message}`)
        .join('; ');
      return { kind: bad.length === 0 ? 'ok' : 'error', text };
    });

  const remove = (t: Target) =>
    action.run(
      true,
      async () => {
        await del(`/api/webhooks/${t.index}`);
        await view.reload();
        return { kind: 'ok', text: `Removed the ${LABELS[t.format] ?? t.format} webhook to ${t.where}.` };
      },
      { always: () => setRemoving(null) },
    );

  const data = view.data;
  return (
    <section class="card" aria-labelledby="webhooks-title">
      <h2 id="webhooks-title">Webhooks and chat</h2>
      <p class="muted">
        Blocks are sent as one message per burst
        {data ? ` (gathered for ${data.groupSeconds} s)` : ''}; alerts such as a cracked password at once.
        {data ? ` Events: ${data.events.join(', ') || 'none'}.` : ''} Change what is sent under General.
      </p>
      <Notice value={action.notice} onDismiss={() => action.setNotice(null)} />
      <AddWebhookForm
        busy={busy}
        formats={data?.formats ?? Object.keys(LABELS)}
        added={() => {
          action.setNotice({ kind: 'ok', text: 'Webhook added. Send a test message to check it.' });
          void view.reload();
        }}
      />
      {view.error && <Notice value={{ kind: 'error', text: view.error }} />}
      {!data && !view.error && <Loading what="webhooks" />}
      {data && data.targets.length === 0 && (
        <p class="empty">No webhooks: blocks and alerts go by mail only.</p>
      )}
      {data && data.targets.length > 0 && (
        <>
          <div class="table-wrap">
            <table class="table responsive">
              <TableHead columns={['Format', 'Where', 'Last delivery']} actions />
              <tbody>
                {data.targets.map((t) => (
                  <tr key={t.index}>
                    <td data-label="Format">{LABELS[t.format] ?? t.format}</td>
                    <td data-label="Where">
                      <code>{t.where}/…</code>
                    </td>
                    <td data-label="Last delivery">{lastDelivery(t)}</td>
                    <td class="actions">
                      <button
                        type="button"
                        class="button button-small"
                        disabled={busy}
                        onClick={() => test(t.index)}
                      >
                        Send test
                      </button>
                      <button
                        type="button"
                        class="button button-small button-danger"
                        aria-label={`Remove the webhook to ${t.where}`}
                        onClick={() => setRemoving(t)}
                      >
                        Remove
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p class="muted">
            {data.queued > 0 ? `${data.queued} messages wait in the queue (retried with backoff). ` : ''}
            <button type="button" class="button button-small" disabled={busy} onClick={() => test()}>
              Send test to all
            </button>
          </p>
        </>
      )}
      <Confirm
        open={removing !== null}
        title="Remove webhook?"
        danger
        busy={busy}
        confirmLabel="Yes, remove"
        onConfirm={() => removing && remove(removing)}
        onCancel={() => setRemoving(null)}
      >
        <p>
          Remove the {removing ? (LABELS[removing.format] ?? removing.format) : ''} webhook to{' '}
          <strong>{removing?.where}</strong>? Messages still queued for it are dropped.
        </p>
      </Confirm>
    </section>
  );
}

function lastDelivery(t: Target): string {
  const ok = t.lastOk;
  const err = t.lastError;
  if (err && (ok === null || err.at > ok)) return `failed ${dateTime(err.at)}: ${err.message}`;
  if (ok !== null) return `delivered ${dateTime(ok)}`;
  return 'none yet';
}

/** Format and URL; a refused URL shows its reason under the form. */
function AddWebhookForm(p: { busy: boolean; formats: string[]; added(): void }) {
  const [format, setFormat] = useState('slack');
  const [url, setUrl] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setSaving(true);
    try {
      await post<WebhooksView>('/api/webhooks', { format, url: url.trim() });
      setUrl('');
      setError(null);
      p.added();
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form class="add-form" onSubmit={submit} aria-label="Add a webhook">
      <div class="field">
        <label for="webhook-format">Format</label>
        <select id="webhook-format" value={format} onChange={(e) => setFormat(e.currentTarget.value)}>
          {p.formats.map((f) => (
            <option key={f} value={f}>
              {LABELS[f] ?? f}
            </option>
          ))}
        </select>
      </div>
      <div class="field field-grow">
        <label for="webhook-url">Webhook URL</label>
        <input
          id="webhook-url"
          type="url"
          required
          inputMode="url"
          placeholder="https://hooks.slack.com/services/..."
          autocomplete="off"
          value={url}
          aria-invalid={error ? 'true' : undefined}
          aria-describedby={error ? 'webhook-error' : undefined}
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
      </div>
      <div class="add-actions">
        <button type="submit" class="button button-primary" disabled={p.busy || saving || !url.trim()}>
          Add webhook
        </button>
      </div>
      {error && (
        <p id="webhook-error" class="field-error add-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

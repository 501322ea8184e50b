/**
 * Feeds: the shared blocklists of FEEDS_FILE (APIBAN, URL lists): what each holds, when it
 * last downloaded, what went wrong, and a button to download now. The file itself is the
 * host's (it names URLs and keys): shown here, edited there.
 */
import type { FeedStatus, FeedsAnswer } from '../../../src/api/types.js';
import { get, messageOf, post } from '../api.js';
import { ago, dateTime, num, roughDuration } from '../format.js';
import { useAction } from '../ui/action.js';
import { Loading, Notice, PageHead, TableHead, useLoad } from '../ui/common.js';

function problems(f: FeedStatus): string[] {
  const out: string[] = [];
  if (f.lastError) out.push(`last download not taken: ${f.lastError}`);
  if (f.warning) out.push(f.warning);
  if (f.refused > 0) out.push(`${num(f.refused)} entries refused (${f.refusedExamples.join('; ')})`);
  if (f.held > 0) out.push(`${num(f.held)} entries not loaded: they would drop a protected address`);
  return out;
}

export function Feeds() {
  const feeds = useLoad(() => get<FeedsAnswer>('/api/feeds'));
  const action = useAction<string>();

  const update = (name: string | null) =>
    action.run(
      name ?? '*',
      async () => {
        const r = await post<FeedsAnswer>('/api/feeds/update', name ? { name } : {});
        feeds.set(r);
        const failed = r.feeds.filter((f) => (name === null || f.name === name) && f.lastError);
        return failed.length > 0
          ? {
              kind: 'warn',
              text: 'Downloaded; the entries in force stay where a download was not taken:',
              lines: failed.map((f) => `${f.name}: ${f.lastError}`),
            }
          : { kind: 'ok', text: name ? `Feed ${name} updated.` : 'Every enabled feed updated.' };
      },
      { onError: (err) => ({ kind: 'error', text: `Update failed: ${messageOf(err)}` }) },
    );

  const list = feeds.data?.feeds ?? [];
  const busy = action.busy !== null;
  return (
    <>
      <PageHead
        title="Feeds"
        intro="Shared blocklists (APIBAN, URL lists) imported into their own firewall sets. The allow list still wins; a failed download keeps the entries in force."
      >
        {list.length > 0 && (
          <button
            type="button"
            class="button button-primary"
            disabled={busy}
            aria-busy={action.busy === '*'}
            onClick={() => update(null)}
          >
            {action.busy === '*' ? 'Updating…' : 'Update all now'}
          </button>
        )}
      </PageHead>
      <Notice value={action.notice} onDismiss={busy ? undefined : () => action.setNotice(null)} />
      {feeds.error && <Notice value={{ kind: 'error', text: feeds.error }} />}
      {!feeds.data && !feeds.error && <Loading what="feeds" />}
      {feeds.data && list.length === 0 && (
        <section class="card">
          <p class="muted">
            No feeds. List them in <code>sipprot.feeds</code> beside the config file (FEEDS_FILE), one a line,
            e.g. <code>apiban apiban https://apiban.org/api key=YOUR_KEY</code>, then reload.
          </p>
        </section>
      )}
      {list.length > 0 && (
        <table class="table responsive">
          <TableHead
            columns={['Feed', 'Entries', 'Last download', 'Next', 'Interval / TTL', 'Notes']}
            actions
          />
          <tbody>
            {list.map((f) => (
              <tr key={f.name}>
                <td data-label="Feed">
                  <strong>{f.name}</strong> <span class="muted">({f.type})</span>
                  <div class="muted small break">{f.source}</div>
                </td>
                <td data-label="Entries">
                  {f.enabled ? num(f.entries) : <span class="muted">disabled</span>}
                </td>
                <td data-label="Last download">
                  {f.lastSuccess ? (
                    <span title={dateTime(f.lastSuccess)}>{ago(f.lastSuccess)}</span>
                  ) : (
                    'never'
                  )}
                </td>
                <td data-label="Next">
                  {f.running ? (
                    'running'
                  ) : f.nextRun ? (
                    <span title={dateTime(f.nextRun)}>{dateTime(f.nextRun)}</span>
                  ) : (
                    '—'
                  )}
                </td>
                <td data-label="Interval / TTL">
                  {roughDuration(f.interval)} / {roughDuration(f.ttl)}
                </td>
                <td data-label="Notes">
                  {problems(f).length === 0 ? (
                    <span class="muted">—</span>
                  ) : (
                    <ul class="plain">
                      {problems(f).map((p) => (
                        <li key={p} class={p.startsWith('last download') ? 'error-text' : undefined}>
                          {p}
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
                <td class="actions">
                  <button
                    type="button"
                    class="button button-small"
                    disabled={busy || !f.enabled}
                    aria-busy={action.busy === f.name}
                    onClick={() => update(f.name)}
                  >
                    {action.busy === f.name ? 'Updating…' : 'Update now'}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

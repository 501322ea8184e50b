/**
 * "Why is this address blocked, and what do I do?" for one row of the dynamic list: when
 * the block started and how long it runs, the evidence (attempts, users, user agent, the
 * answers the server gave), the misconfigured-phone advice, the address's recent history
 * (from /api/check), and the next steps as buttons: unblock, allow and unblock, make
 * permanent (a deny list entry with a note), all events of the address. In cluster mode,
 * "Seen by" names every host that blocked it: the host of the record in force and the hosts
 * of its block events in the history (`sipprotd@HOST` decided here, `host:NAME` announced
 * by a peer).
 */
import { useEffect, useState } from 'preact/hooks';
import type { CheckResult } from '../../../src/api/types.js';
import { get, messageOf } from '../api.js';
import { ago, country, dateTime, duration, num, plural, reason } from '../format.js';
import type { LiveRow } from '../live.js';
import { Dialog } from '../ui/dialog.js';

interface Props {
  row: LiveRow | null;
  now: number;
  busy: boolean;
  onClose(): void;
  onUnblock(ip: string): void;
  onAllow(row: LiveRow): void;
  onPermanent(row: LiveRow): void;
}

const KIND: Record<string, string> = {
  block: 'blocked',
  permanent: 'made permanent',
  unblock: 'unblocked',
  expire: 'block expired',
  'allow-add': 'added to the allow list',
  'allow-remove': 'removed from the allow list',
  'deny-add': 'added to the deny list',
  'deny-remove': 'removed from the deny list',
};

function useCheck(ip: string | null): { check: CheckResult | null; error: string | null } {
  const [check, setCheck] = useState<CheckResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setCheck(null);
    setError(null);
    if (!ip) return;
    // Opening another block before this answer came: the late answer is not this block's.
    let current = true;
    get<CheckResult>(`/api/check/${encodeURIComponent(ip)}`).then(
      (c) => current && setCheck(c),
      (e) => current && setError(messageOf(e)),
    );
    return () => {
      current = false;
    };
  }, [ip]);
  return { check, error };
}

/** The host an actor names, for a block event: `sipprotd@pbx-a` and `host:pbx-a` are pbx-a. */
function actorHost(actor: string): string | null {
  const m = /^(?:sipprotd@|host:)(.+)$/.exec(actor);
  return m ? m[1]! : null;
}

/** The hosts that saw a block, its record's first; empty on a single host. */
export function seenBy(row: LiveRow, check: CheckResult | null): string[] {
  if (row.host === undefined) return [];
  const hosts = new Set<string>([row.host]);
  for (const e of check?.recent ?? []) {
    if (e.subject !== row.ip || (e.kind !== 'block' && e.kind !== 'permanent')) continue;
    const h = actorHost(e.actor);
    if (h !== null) hosts.add(h);
  }
  return [...hosts];
}

export function BlockDetail(p: Props) {
  const r = p.row;
  const { check, error } = useCheck(r?.ip ?? null);
  const samples = check?.recent.find((e) => e.kind === 'block' || e.kind === 'permanent')?.samples ?? [];
  const left = r && r.deadline !== null ? Math.max(0, (r.deadline - p.now) / 1000) : null;
  return (
    <Dialog open={r !== null} title={r ? `Blocked: ${r.ip}` : ''} onClose={p.onClose} wide>
      {r && (
        <div class="block-detail">
          <dl class="facts">
            <dt>Blocked since</dt>
            <dd>
              {dateTime(r.blockedAt)} <span class="muted">({ago(r.blockedAt, p.now)})</span>
            </dd>
            <dt>Lifts</dt>
            <dd>
              {r.deadline === null
                ? 'never: permanent'
                : `in ${duration(left ?? 0)}, unless it keeps attacking (every attack restarts the clock)`}
            </dd>
            <dt>Why</dt>
            <dd>
              {reason(r.reason)}
              {r.timesBlocked > 1 ? ` · blocked ${num(r.timesBlocked)} times in all` : ''}
            </dd>
            <dt>Evidence</dt>
            <dd>
              {plural(r.attempts, 'attempt')}
              {r.users.length > 0
                ? ` for ${r.users.length === 1 ? 'user' : 'users'} ${r.users.join(', ')}`
                : ''}
            </dd>
            <dt>User agent</dt>
            <dd class="ua">{r.userAgent ?? <span class="muted">none sent</span>}</dd>
            <dt>Country</dt>
            <dd>{country(r.country)}</dd>
            {r.host !== undefined && (
              <>
                <dt>Seen by</dt>
                <dd class="seen-by" data-testid="seen-by">
                  {seenBy(r, check).map((h, i) => (
                    <span key={h}>
                      {i > 0 ? ', ' : ''}
                      <span class="mono">{h}</span>
                      {i === 0 ? <span class="muted"> (its block in force)</span> : null}
                    </span>
                  ))}
                </dd>
              </>
            )}
          </dl>
          {r.misconfiguredPhone && (
            <p class="notice notice-warn">
              This looks like a misconfigured phone (one user, one call, steady retries), not a cracker. Check
              the password of {r.users[0] ? `extension ${r.users[0]}` : 'its extension'} on the phone at this
              address, then unblock it — or it will be blocked again.
            </p>
          )}
          <h3>Answers the server gave it</h3>
          {samples.length > 0 ? (
            <pre class="samples">{samples.join('\n')}</pre>
          ) : (
            <p class="muted">
              {check ? 'None kept (a scanner is blocked at its first request).' : (error ?? 'Loading…')}
            </p>
          )}
          {check && check.recent.length > 0 && (
            <>
              <h3>History of this address</h3>
              <ul class="plain history-list">
                {check.recent.map((e) => (
                  <li key={e.id}>
                    {dateTime(e.at)} — {KIND[e.kind] ?? e.kind}
                    {e.reason && e.kind === 'block' ? ` (${reason(e.reason)})` : ''}
                    {e.renewals ? `, renewed ${num(e.renewals)}×` : ''}{' '}
                    <span class="muted">by {e.actor}</span>
                  </li>
                ))}
              </ul>
            </>
          )}
          <div class="dialog-actions wrap">
            <a
              class="button button-ghost"
              href={`#/events?where=${encodeURIComponent(r.ip)}`}
              onClick={p.onClose}
            >
              All events of {r.ip}
            </a>
            <button
              type="button"
              class="button"
              disabled={p.busy || r.deadline === null}
              onClick={() => p.onPermanent(r)}
            >
              Make permanent
            </button>
            <button type="button" class="button" disabled={p.busy} onClick={() => p.onAllow(r)}>
              Allow and unblock…
            </button>
            <button
              type="button"
              class="button button-primary"
              disabled={p.busy}
              onClick={() => p.onUnblock(r.ip)}
            >
              Unblock now
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}

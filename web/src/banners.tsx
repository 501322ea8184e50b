/**
 * What must never be missed, above every tab until it is dealt with:
 * - alerts nobody acknowledged (possible cracked password, distributed guessing, a call to a
 *   watched destination, a shielded source), each with "Acknowledge" (an admin change: CSRF,
 *   recorded in the history), and "Acknowledge all";
 * - protection lost (capture stopped, firewall out of sync, kernel rules gone, store failing);
 * - OBSERVE mode: rules that detect and do not block. It stays as long as OBSERVE is set:
 *   an admin must never take "detected" for "protected".
 * Fed by /api/status at login and by the live view's `alerts`, `protection` and `settings`.
 */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { OpenAlert, StatusReport } from '../../src/api/types.js';
import { get, messageOf, post } from './api.js';
import { ago, dateTime } from './format.js';
import { live } from './live.js';

type Protection = NonNullable<NonNullable<StatusReport['live']>['protection']>;

const KIND: Record<OpenAlert['kind'], string> = {
  breach: 'Possible breach',
  distributed: 'Distributed guessing',
  'watched-call': 'Watched call',
  shielded: 'Not blocked (protected address)',
};

/** The parts that are down, in words. */
function lostParts(p: Protection | undefined): string[] {
  if (!p) return [];
  const out: string[] = [];
  if (p.kernel && !p.kernel.inSync)
    out.push(
      `sipprot's firewall rules vanished from the kernel (${p.kernel.lastLoss?.reason ?? 'unknown'}); being rebuilt`,
    );
  if (p.firewall && !p.firewall.inSync)
    out.push(
      `the kernel firewall is not in sync (${p.firewall.lastError ?? 'unknown error'}); retried every 5 s`,
    );
  if (p.capture && !p.capture.running)
    out.push(
      `packet capture stopped (${p.capture.lastError ?? 'unknown error'}): new attackers are not seen`,
    );
  if (p.store.pending > 0)
    out.push(
      `the store is not saving (${p.store.lastError ?? 'unknown error'}): ${p.store.pending} decisions wait in memory`,
    );
  return out;
}

function observeText(rules: string[]): string | null {
  if (rules.length === 0) return null;
  return rules.includes('all')
    ? "OBSERVE MODE: sipprot detects attacks but blocks nothing it detects (OBSERVE=all). Attackers are only reported as 'would block'."
    : `OBSERVE MODE for ${rules.join(', ')}: these rules only report ('would block') and do not block.`;
}

export function Banners() {
  const [alerts, setAlerts] = useState<OpenAlert[]>([]);
  const [observe, setObserve] = useState<string[]>([]);
  const [protection, setProtection] = useState<Protection | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(() => {
    get<StatusReport>('/api/status').then(
      (s) => {
        setAlerts(s.alerts ?? []);
        setObserve(s.observe ?? []);
        setProtection(s.live?.protection);
      },
      (e) => setError(messageOf(e)),
    );
  }, []);

  useEffect(() => {
    refresh();
    const offs = [
      live.onAlerts(setAlerts),
      live.onSettingsChange(refresh),
      live.onProtection(() => refresh()),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [refresh]);

  const ack = async (ids: number[] | 'all') => {
    setBusy(true);
    setError(null);
    try {
      await post('/api/alerts/ack', ids === 'all' ? { all: true } : { ids });
      setAlerts((list) => (ids === 'all' ? [] : list.filter((a) => !ids.includes(a.id))));
    } catch (e) {
      setError(messageOf(e));
    } finally {
      setBusy(false);
    }
  };

  const lost = lostParts(protection);
  const observing = observeText(observe);
  return (
    <div class="alert-banners">
      {lost.length > 0 && (
        <div class="banner banner-danger" role="alert" data-testid="protection-banner">
          <div>
            <strong>PROTECTION LOST</strong>
            <ul class="plain">
              {lost.map((l) => (
                <li key={l}>{l}</li>
              ))}
            </ul>
          </div>
        </div>
      )}
      {alerts.length > 0 && (
        <div class="banner banner-danger" role="alert" data-testid="alerts-banner">
          <div class="alert-list">
            <strong>{alerts.length === 1 ? '1 alert' : `${alerts.length} alerts`} not acknowledged</strong>
            <ul class="plain">
              {alerts.map((a) => (
                <li key={a.id} data-alert-id={a.id}>
                  <span class="badge badge-danger">{KIND[a.kind]}</span>{' '}
                  <span class="alert-text">{a.text}</span>{' '}
                  <span class="muted">
                    {dateTime(a.at)} ({ago(a.lastAt)}){a.count > 1 ? ` · raised ${a.count} times` : ''}
                  </span>{' '}
                  <button
                    type="button"
                    class="button button-small"
                    disabled={busy}
                    aria-label={`Acknowledge alert ${a.id}`}
                    onClick={() => ack([a.id])}
                  >
                    Acknowledge
                  </button>
                </li>
              ))}
            </ul>
          </div>
          {alerts.length > 1 && (
            <button type="button" class="button" disabled={busy} onClick={() => ack('all')}>
              Acknowledge all
            </button>
          )}
        </div>
      )}
      {observing && (
        <div class="banner banner-observe" role="status" data-testid="observe-banner">
          <p>
            <strong>{observing}</strong> Set OBSERVE empty in General settings to protect.
          </p>
        </div>
      )}
      {error && (
        <div class="banner banner-danger" role="alert">
          <p>{error}</p>
        </div>
      )}
    </div>
  );
}

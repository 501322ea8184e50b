/**
 * The log lines an admin reads the log for (issue 15 item 2): every decision but a renewal
 * (block, permanent, unblock, "would block") and every alert, as `{ event, ...facts }`
 * records. The text format turns them into one sentence (core/log/events.ts); the JSON
 * format keeps every field for shippers. Renewals happen per packet of a blocked attacker:
 * they are counted in metrics, never logged.
 */
import type { Alert } from '../core/detect/alerts.js';
import type { Config, Decision } from '../core/types.js';
import type { Logger } from '../ports/logger.js';

/** Rules that count over MONIT_PERIOD: their lines say "in N s". */
const WINDOWED = new Set(['auth-failures', 'enumeration', 'toll-fraud']);

const MESSAGE: Record<Decision['action'], string> = {
  block: 'blocked',
  permanent: 'permanently blocked',
  unblock: 'unblocked',
  observe: 'would block',
  extend: 'block renewed',
};

export function logDecisions(log: Logger, ds: readonly Decision[], config: Config): void {
  for (const d of ds) {
    if (d.action === 'extend') continue;
    log.info(
      {
        event: 'decision',
        action: d.action,
        ip: d.ip,
        reason: d.reason,
        attempts: d.attempts,
        ...(WINDOWED.has(d.reason) ? { window: config.monitPeriod } : {}),
        users: d.users,
        userAgent: d.userAgent,
        country: d.country,
        expiresAt: d.expiresAt,
        misconfiguredPhone: d.misconfiguredPhone,
        note: d.note,
        ...(d.host === undefined ? {} : { host: d.host }),
      },
      MESSAGE[d.action],
    );
  }
}

/** An alert says it loudly: a warning, with the sentence and its facts. */
export function logAlert(log: Logger, a: Alert, country: string | null): void {
  log.warn(
    {
      event: 'alert',
      alert: a.kind,
      ip: a.ip,
      user: a.user,
      dialled: a.dialled,
      failures: a.failures,
      sources: a.sources,
      userAgent: a.userAgent,
      country,
      text: a.text,
    },
    'alert',
  );
}

/**
 * The log lines an admin reads the log for (issue 15 item 2): every decision but a renewal
 * (block, permanent, unblock, "would block") and every alert, as `{ event, ...facts }`
 * records. The text format turns them into one sentence (core/log/events.ts); the JSON
 * format keeps every field for shippers. Renewals happen per packet of a blocked attacker:
 * they are counted in metrics, never logged.
 *
 * A burst is summarised: SUMMARY_FROM or more decisions of one action and rule in one commit
 * are `{ event: 'decisions', action, reason, count, ips }` lines, each naming every address
 * it covers (as many as fit in LINE_ADDRESS_CHARS, so the text line is never cut and every
 * address can be grepped); the details of each are in its history (`sipprot history ADDRESS`).
 * In the issue-13 flood that is ~50 lines for 5,000 blocks instead of 5,000 (a pino line
 * costs ~4 µs of the event loop, bench/RESULTS.md).
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

/** This many decisions of one action and rule in one commit or more: summary lines. */
export const SUMMARY_FROM = 4;
/** The addresses of one summary line, in characters (a text log line is cut at 2,000). */
export const LINE_ADDRESS_CHARS = 1500;
/** Extensions named in a summary line at most (the history has each block's own). */
const SUMMARY_USERS = 10;

export function logDecisions(log: Logger, ds: readonly Decision[], config: Config): void {
  const groups = new Map<string, Decision[]>();
  for (const d of ds) {
    if (d.action === 'extend') continue;
    const key = `${d.action}|${d.reason}|${d.host ?? ''}`;
    const g = groups.get(key);
    if (g) g.push(d);
    else groups.set(key, [d]);
  }
  for (const g of groups.values()) {
    if (g.length < SUMMARY_FROM) for (const d of g) logDecision(log, d, config);
    else logSummary(log, g, config);
  }
}

function logDecision(log: Logger, d: Decision, config: Config): void {
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

/** Decisions of one action, rule and host: lines of at most LINE_ADDRESS_CHARS of addresses. */
function logSummary(log: Logger, g: readonly Decision[], config: Config): void {
  const first = g[0]!;
  let start = 0;
  while (start < g.length) {
    let chars = 0;
    let end = start;
    while (end < g.length && (end === start || chars + g[end]!.ip.length + 1 <= LINE_ADDRESS_CHARS)) {
      chars += g[end]!.ip.length + 1;
      end++;
    }
    const part = g.slice(start, end);
    const users = new Set<string>();
    for (const d of part) for (const u of d.users) if (users.size < SUMMARY_USERS) users.add(u);
    log.info(
      {
        event: 'decisions',
        action: first.action,
        reason: first.reason,
        count: part.length,
        ...(WINDOWED.has(first.reason) ? { window: config.monitPeriod } : {}),
        users: [...users],
        ips: part.map((d) => d.ip),
        ...(first.host === undefined ? {} : { host: first.host }),
      },
      `${MESSAGE[first.action]} ${part.length} addresses`,
    );
    start = end;
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

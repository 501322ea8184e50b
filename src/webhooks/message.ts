/**
 * The generic webhook document, schema `sipprot.webhook/v1` (README "Webhooks" documents
 * it; a new field is added without a version change, a change of meaning gets v2). Every
 * format (formats.ts) is rendered from this one document, so Slack and a SIEM read the same
 * facts. Bounded: a burst lists at most MAX_LISTED decisions (newest last) and counts the
 * rest, so one message stays small whatever the attack.
 */
import type { Alert } from '../core/detect/alerts.js';
import type { Decision } from '../core/types.js';

export const SCHEMA = 'sipprot.webhook/v1';
export const MAX_LISTED = 100;

export interface WebhookDecision {
  at: number;
  time: string;
  ip: string;
  action: string;
  reason: string;
  expiresAt: number | null;
  country: string | null;
  userAgent: string | null;
  users: string[];
  attempts: number;
  transport: string | null;
  port: number | null;
  misconfiguredPhone: boolean;
  note: string | null;
  host: string | null;
}

export interface WebhookAlert {
  at: number;
  time: string;
  kind: string;
  ip: string;
  user: string | null;
  dialled: string | null;
  failures: number;
  sources: string[];
  userAgent: string | null;
  country: string | null;
  text: string;
}

export interface WebhookDocument {
  schema: typeof SCHEMA;
  kind: 'decisions' | 'alert' | 'test';
  host: string;
  /** When the message was made (ISO 8601, UTC). */
  time: string;
  /** One line a human reads first. */
  summary: string;
  /** kind decisions: the burst, oldest first; at most MAX_LISTED. */
  decisions: WebhookDecision[];
  /** Decisions of the burst not listed. */
  omitted: number;
  /** By action and by reason, over the whole burst (listed or not). */
  counts: {
    decisions: number;
    addresses: number;
    byAction: Record<string, number>;
    byReason: Record<string, number>;
  };
  /** kind alert: the alert. */
  alert: WebhookAlert | null;
}

const iso = (t: number) => new Date(Math.round(t * 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z');
const cut = (s: string | null, n: number) => (s === null ? null : s.length > n ? `${s.slice(0, n - 1)}…` : s);

function decisionOf(d: Decision): WebhookDecision {
  return {
    at: d.at,
    time: iso(d.at),
    ip: d.ip,
    action: d.action,
    reason: d.reason,
    expiresAt: d.expiresAt,
    country: d.country,
    userAgent: cut(d.userAgent, 256),
    users: d.users.slice(0, 20).map((u) => cut(u, 64)!),
    attempts: d.attempts,
    transport: d.transport,
    port: d.port,
    misconfiguredPhone: d.misconfiguredPhone,
    note: cut(d.note, 500),
    host: d.host ?? null,
  };
}

function tally(xs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

const VERBS: Record<string, string> = {
  block: 'blocked',
  permanent: 'permanently blocked',
  unblock: 'unblocked',
  observe: 'would have blocked (observe mode)',
};

function summaryOf(ds: readonly Decision[], host: string): string {
  const byAction = tally(ds.map((d) => d.action));
  const parts = Object.keys(byAction).map((a) => {
    const ips = new Set(ds.filter((d) => d.action === a).map((d) => d.ip)).size;
    return `${VERBS[a] ?? a} ${ips} ${ips === 1 ? 'address' : 'addresses'}`;
  });
  const reasons = Object.entries(tally(ds.map((d) => d.reason)))
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([r, n]) => `${r} ${n}`)
    .join(', ');
  return `sipprot on ${host}: ${parts.join(', ')} (${reasons})`;
}

/** A burst of decisions (oldest first) as one document. */
export function decisionsDocument(ds: readonly Decision[], host: string, now: number): WebhookDocument {
  const listed = ds.slice(-MAX_LISTED);
  return {
    schema: SCHEMA,
    kind: 'decisions',
    host,
    time: iso(now),
    summary: summaryOf(ds, host),
    decisions: listed.map(decisionOf),
    omitted: ds.length - listed.length,
    counts: {
      decisions: ds.length,
      addresses: new Set(ds.map((d) => d.ip)).size,
      byAction: tally(ds.map((d) => d.action)),
      byReason: tally(ds.map((d) => d.reason)),
    },
    alert: null,
  };
}

export function alertDocument(a: Alert, country: string | null, host: string, now: number): WebhookDocument {
  return {
    schema: SCHEMA,
    kind: 'alert',
    host,
    time: iso(now),
    summary: `sipprot on ${host}: ALERT ${cut(a.text, 300)}`,
    decisions: [],
    omitted: 0,
    counts: { decisions: 0, addresses: 0, byAction: {}, byReason: {} },
    alert: {
      at: a.at,
      time: iso(a.at),
      kind: a.kind,
      ip: a.ip,
      user: cut(a.user, 64),
      dialled: cut(a.dialled, 64),
      failures: a.failures,
      sources: a.sources.slice(0, 20),
      userAgent: cut(a.userAgent, 256),
      country,
      text: cut(a.text, 500)!,
    },
  };
}

export function testDocument(host: string, now: number): WebhookDocument {
  return {
    schema: SCHEMA,
    kind: 'test',
    host,
    time: iso(now),
    summary: `sipprot on ${host}: test message — this webhook works`,
    decisions: [],
    omitted: 0,
    counts: { decisions: 0, addresses: 0, byAction: {}, byReason: {} },
    alert: null,
  };
}

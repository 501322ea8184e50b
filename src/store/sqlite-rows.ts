/**
 * Row ↔ record mapping for SqliteStore. SQLite has no booleans and no arrays: flags are
 * 0/1, lists are JSON text. Reading is forgiving (a hand-edited row never crashes the
 * daemon), writing is exact.
 */

import type { AttackRecord, MailState, NewMail, OutboxMail } from '../core/records.js';
import type {
  BlockRecord,
  Decision,
  DecisionAction,
  DecisionReason,
  Rule,
  Transport,
} from '../core/types.js';

type Row = Record<string, unknown>;
type Params = Record<string, string | number | null>;

export const BLOCK_COLUMNS =
  'ip, reason, user_agent, country, attempts, users, transport, port, first_seen, last_seen, ' +
  'blocked_at, expires_at, times_blocked, misconfigured_phone, note';

export const DECISION_COLUMNS =
  'at, ip, action, reason, expires_at, user_agent, users, attempts, transport, port, country, ' +
  'times_blocked, misconfigured_phone, note';

export const ATTACK_COLUMNS =
  'at, ip, rule, user_agent, attempts, users, transport, port, misconfigured_phone, country';

export const MAIL_COLUMNS =
  'id, kind, subject, body_text, body_html, recipients, created_at, state, attempts, ' +
  'next_attempt_at, last_attempt_at, last_error, sent_at';

/** `@a, @b, ...` for an INSERT of these columns. */
export function placeholders(columns: string): string {
  return columns
    .split(',')
    .map((c) => `@${c.trim()}`)
    .join(', ');
}

export function blockParams(b: BlockRecord): Params {
  return {
    ip: b.ip,
    reason: b.reason,
    user_agent: b.userAgent ?? null,
    country: b.country ?? null,
    attempts: b.attempts,
    users: JSON.stringify(b.users ?? []),
    transport: b.transport ?? null,
    port: b.port ?? null,
    first_seen: b.firstSeen,
    last_seen: b.lastSeen,
    blocked_at: b.blockedAt,
    expires_at: b.expiresAt ?? null,
    times_blocked: b.timesBlocked,
    misconfigured_phone: b.misconfiguredPhone ? 1 : 0,
    note: b.note ?? null,
  };
}

export function blockFromRow(r: Row): BlockRecord {
  return {
    ip: String(r.ip),
    reason: r.reason as DecisionReason,
    userAgent: str(r.user_agent),
    country: str(r.country),
    attempts: Number(r.attempts),
    users: strings(r.users),
    transport: str(r.transport) as Transport | null,
    port: num(r.port),
    firstSeen: Number(r.first_seen),
    lastSeen: Number(r.last_seen),
    blockedAt: Number(r.blocked_at),
    expiresAt: num(r.expires_at),
    timesBlocked: Number(r.times_blocked),
    misconfiguredPhone: r.misconfigured_phone === 1,
    note: str(r.note),
  };
}

export function decisionParams(d: Decision): Params {
  return {
    at: d.at,
    ip: d.ip,
    action: d.action,
    reason: d.reason,
    expires_at: d.expiresAt ?? null,
    user_agent: d.userAgent ?? null,
    users: JSON.stringify(d.users ?? []),
    attempts: d.attempts,
    transport: d.transport ?? null,
    port: d.port ?? null,
    country: d.country ?? null,
    times_blocked: d.timesBlocked,
    misconfigured_phone: d.misconfiguredPhone ? 1 : 0,
    note: d.note ?? null,
  };
}

export function decisionFromRow(r: Row): Decision {
  return {
    at: Number(r.at),
    ip: String(r.ip),
    action: r.action as DecisionAction,
    reason: r.reason as DecisionReason,
    expiresAt: num(r.expires_at),
    userAgent: str(r.user_agent),
    users: strings(r.users),
    attempts: Number(r.attempts),
    transport: str(r.transport) as Transport | null,
    port: num(r.port),
    country: str(r.country),
    timesBlocked: Number(r.times_blocked),
    misconfiguredPhone: r.misconfigured_phone === 1,
    note: str(r.note),
  };
}

export function attackParams(a: AttackRecord): Params {
  return {
    at: a.at,
    ip: a.ip,
    rule: a.rule,
    user_agent: a.userAgent ?? null,
    attempts: a.attempts,
    users: JSON.stringify(a.users ?? []),
    transport: a.transport,
    port: a.port,
    misconfigured_phone: a.misconfiguredPhone ? 1 : 0,
    country: a.country ?? null,
  };
}

export function attackFromRow(r: Row): AttackRecord {
  return {
    at: Number(r.at),
    ip: String(r.ip),
    rule: r.rule as Rule,
    userAgent: str(r.user_agent),
    attempts: Number(r.attempts),
    users: strings(r.users),
    transport: r.transport as Transport,
    port: Number(r.port),
    misconfiguredPhone: r.misconfigured_phone === 1,
    country: str(r.country),
  };
}

export function mailParams(m: NewMail): Params {
  return {
    kind: m.kind,
    subject: m.subject,
    body_text: m.text,
    body_html: m.html,
    recipients: JSON.stringify(m.to),
    created_at: m.createdAt,
  };
}

export function mailFromRow(r: Row): OutboxMail {
  return {
    id: Number(r.id),
    kind: String(r.kind),
    subject: String(r.subject),
    text: String(r.body_text),
    html: str(r.body_html),
    to: strings(r.recipients),
    createdAt: Number(r.created_at),
    state: r.state as MailState,
    attempts: Number(r.attempts),
    nextAttemptAt: num(r.next_attempt_at),
    lastAttemptAt: num(r.last_attempt_at),
    lastError: str(r.last_error),
    sentAt: num(r.sent_at),
  };
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function num(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

function strings(v: unknown): string[] {
  try {
    const a: unknown = JSON.parse(String(v));
    return Array.isArray(a) ? a.map(String) : [];
  } catch {
    return [];
  }
}

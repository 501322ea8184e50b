/**
 * The input checks every Store adapter applies, in one place, so the fake and SQLite refuse
 * the same records with the same error: e-mail addresses (WHATWG rule), recipient names
 * (no control characters, at most 200), mail before it is queued, times, blocks, batches.
 */
import { SipprotError } from '../core/errors.js';
import { boundedEvent, HISTORY_KINDS, type NewHistoryEvent } from '../core/history/events.js';
import { type HistoryQuery, MAX_PAGE, normalizeFilter } from '../core/history/query.js';
import type { NewMail, NewWebhook } from '../core/records.js';
import type { BlockRecord } from '../core/types.js';
import type { StoreBatch } from '../ports/store.js';

/**
 * The WHATWG HTML e-mail rule: what browsers accept in <input type=email>. It refuses
 * spaces, quotes, angle brackets and line breaks (no header injection) but allows a
 * single-label domain such as root@localhost, common on a PBX with a local MTA.
 */
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

const CONTROL = /[\u0000-\u001f\u007f]/;

export function isValidEmail(s: string): boolean {
  return typeof s === 'string' && s.length <= 254 && EMAIL.test(s);
}

/** Trims and validates; throws SP_ERR_ADDRESS_INVALID naming the value. */
export function normalizeEmail(input: unknown): string {
  const s = typeof input === 'string' ? input.trim() : '';
  if (!isValidEmail(s)) {
    throw new SipprotError(
      'SP_ERR_ADDRESS_INVALID',
      `not a valid e-mail address: ${JSON.stringify(input)} (expected user@domain)`,
    );
  }
  return s;
}

/** Trims; empty becomes null. Throws for control characters (they would reach mail headers). */
export function normalizeName(input: unknown): string | null {
  if (input === undefined || input === null) return null;
  if (typeof input !== 'string' || CONTROL.test(input) || input.length > 200) {
    throw new SipprotError(
      'SP_ERR_ADDRESS_INVALID',
      `not a valid recipient name: ${JSON.stringify(input)} (at most 200 characters, no control characters)`,
    );
  }
  const t = input.trim();
  return t === '' ? null : t;
}

/** Checks a mail before it is queued; returns it with normalised recipients. */
export function normalizeMail(m: NewMail): NewMail {
  if (!Array.isArray(m.to) || m.to.length === 0) {
    throw new SipprotError('SP_ERR_USAGE', `mail "${m.subject}" has no recipients: add one first`);
  }
  if (!Number.isFinite(m.createdAt)) {
    throw new SipprotError('SP_ERR_USAGE', `mail "${m.subject}" has no valid createdAt time`);
  }
  return {
    kind: String(m.kind),
    subject: String(m.subject),
    text: String(m.text),
    html: m.html === null || m.html === undefined ? null : String(m.html),
    to: m.to.map(normalizeEmail),
    createdAt: m.createdAt,
  };
}

export function assertTime(what: string, t: number): void {
  if (!Number.isFinite(t)) {
    throw new SipprotError('SP_ERR_USAGE', `${what} must be a finite time in epoch seconds, got ${t}`);
  }
}

/** A part size (rows a read gives at a time): a whole number, at least 1, or a read could not end. */
export function assertRows(rows: number): void {
  if (!(Number.isInteger(rows) && rows >= 1))
    throw new SipprotError('SP_ERR_USAGE', `rows must be a whole number of 1 or more, got ${rows}`);
}

/** The checks the database's NOT NULL columns make, so every adapter refuses the same input. */
export function checkBlock(b: BlockRecord): void {
  if (typeof b.ip !== 'string' || b.ip === '') {
    throw new SipprotError('SP_ERR_USAGE', `block record needs an ip, got ${JSON.stringify(b.ip)}`);
  }
  assertTime('block.blockedAt', b.blockedAt);
  assertTime('block.firstSeen', b.firstSeen);
  assertTime('block.lastSeen', b.lastSeen);
  if (b.expiresAt !== null) assertTime('block.expiresAt', b.expiresAt);
}

/**
 * Every check of a batch, before anything is written, so that a bad item leaves nothing
 * half-applied; in the order of StoreBatch's fields, so every adapter names the same
 * first problem. Returns the batch's history as checkHistory bounds it (what is written).
 */
export function checkBatch(batch: StoreBatch): NewHistoryEvent[] {
  for (const b of batch.blocks ?? []) checkBlock(b);
  for (const d of batch.decisions ?? []) assertTime('decision.at', d.at);
  for (const a of batch.attacks ?? []) assertTime('attack.at', a.at);
  return checkHistory(batch.history ?? []);
}

/** History events as every store keeps them: a known kind, a time, bounded texts. */
export function checkHistory(events: readonly NewHistoryEvent[]): NewHistoryEvent[] {
  return events.map((e) => {
    assertTime('history.at', e.at);
    if (!(HISTORY_KINDS as readonly string[]).includes(e.kind)) {
      throw new SipprotError('SP_ERR_USAGE', `unknown history kind ${JSON.stringify(e.kind)}`);
    }
    return boundedEvent(e);
  });
}

/** A history query with canonical filters and a page size of 1-MAX_PAGE, or SP_ERR_USAGE. */
export function checkHistoryQuery(q: HistoryQuery): HistoryQuery {
  const r = normalizeFilter(q);
  if (!r.ok) throw new SipprotError('SP_ERR_USAGE', r.reason);
  if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > MAX_PAGE) {
    throw new SipprotError('SP_ERR_USAGE', `a history page holds 1-${MAX_PAGE} events, not ${q.limit}`);
  }
  for (const [what, t] of [
    ['since', q.since],
    ['until', q.until],
    ['before.at', q.before?.at],
  ] as const) {
    if (t !== undefined) assertTime(what, t);
  }
  return r.q;
}

/** A webhook body at most this large (a burst message lists a bounded number of blocks). */
export const MAX_WEBHOOK_BODY = 512 * 1024;

export function normalizeWebhook(w: NewWebhook): NewWebhook {
  assertTime('webhook.createdAt', w.createdAt);
  const target = String(w.target);
  const body = String(w.body);
  if (target === '' || target.length > 2100) {
    throw new SipprotError(
      'SP_ERR_USAGE',
      'a webhook message needs its target (FORMAT:URL, at most 2100 characters)',
    );
  }
  if (Buffer.byteLength(body) > MAX_WEBHOOK_BODY) {
    throw new SipprotError('SP_ERR_USAGE', `a webhook body must be at most ${MAX_WEBHOOK_BODY} bytes`);
  }
  return { target, kind: String(w.kind), body, createdAt: w.createdAt };
}

/**
 * Row ↔ record mapping for SqliteStore. SQLite has no booleans and no arrays: flags are
 * 0/1, lists are JSON text. Each record field maps to one column, written once in FIELDS;
 * a record kind is the list of its fields in column order (blocks, decisions and attacks
 * share 11 fields: hand-written mappers said each of them up to ten times).
 *
 * Both directions use the fields' names, so no per-field copying is needed: reads select
 * the columns under those names (`user_agent AS "userAgent"`) and a row is the record once
 * its lists and flags are converted in place; writes bind a copy of the record whose lists
 * and flags are converted (`@userAgent`). That is less work per row than the hand-written
 * mappers were (100k blocks restored at start, a report's attacks). A list column that is
 * not JSON reads as empty: a hand-edited row never crashes the daemon. A field missing
 * from a record is written as NULL. `host` (cluster mode: the host that decided or saw it)
 * is optional: a NULL column reads as no field, so single-host records stay as they were.
 */

import type { HistoryEvent } from '../core/history/events.js';
import type { AttackRecord, NewMail, OutboxMail, Recipient } from '../core/records.js';
import type { BlockRecord, Decision } from '../core/types.js';

/** A row as better-sqlite3 returns it. */
export type Row = Record<string, unknown>;
type Params = Record<string, unknown>;

/** How a field is stored: as is, a string list as JSON text, a boolean as 0/1. */
type Kind = 'value' | 'json' | 'flag' | 'optional';

const FIELDS = {
  at: ['at', 'value'],
  ip: ['ip', 'value'],
  action: ['action', 'value'],
  reason: ['reason', 'value'],
  rule: ['rule', 'value'],
  expiresAt: ['expires_at', 'value'],
  userAgent: ['user_agent', 'value'],
  users: ['users', 'json'],
  attempts: ['attempts', 'value'],
  transport: ['transport', 'value'],
  port: ['port', 'value'],
  country: ['country', 'value'],
  firstSeen: ['first_seen', 'value'],
  lastSeen: ['last_seen', 'value'],
  blockedAt: ['blocked_at', 'value'],
  timesBlocked: ['times_blocked', 'value'],
  misconfiguredPhone: ['misconfigured_phone', 'flag'],
  note: ['note', 'value'],
  host: ['host', 'optional'],
  id: ['id', 'value'],
  kind: ['kind', 'value'],
  subject: ['subject', 'value'],
  text: ['body_text', 'value'],
  html: ['body_html', 'value'],
  to: ['recipients', 'json'],
  createdAt: ['created_at', 'value'],
  state: ['state', 'value'],
  nextAttemptAt: ['next_attempt_at', 'value'],
  lastAttemptAt: ['last_attempt_at', 'value'],
  lastError: ['last_error', 'value'],
  sentAt: ['sent_at', 'value'],
  email: ['email', 'value'],
  name: ['name', 'value'],
  actor: ['actor', 'value'],
  renewals: ['renewals', 'value'],
  samples: ['samples', 'json'],
} as const satisfies Record<string, readonly [string, Kind]>;

type Field = keyof typeof FIELDS;

interface RowMapping<T> {
  /** The columns in order, for an INSERT: `a, b_c`. */
  columns: string;
  /** Their positional parameters, bound to `values`: `?, ?`. */
  marks: string;
  /** Every column but the first (the key) set from the insert's values, for an upsert: `b_c = excluded.b_c`. */
  updates: string;
  /** The columns under the fields' names, for a SELECT: `a, b_c AS "bC"`. */
  select: string;
  /**
   * The record's column values in order (lists as JSON, flags 0/1, missing fields NULL),
   * bound to `marks`: the hot inserts of a commit (a block's rows) bind arrays, not named
   * parameters, which better-sqlite3 looks up one property at a time (~14% of the store
   * writer thread's CPU before, bench/RESULTS.md, issue 13 "the cost of a block").
   */
  values(rec: T): unknown[];
  /**
   * The same as `values`, read field by field from FIELDS: the reference a hand-written
   * `values` (the hot inserts below) is tested against (sqlite-rows.test.ts).
   */
  fieldValues(rec: T): unknown[];
  /** A row selected with `select` → the record (the row object itself, converted in place). */
  fromRow(r: Row): T;
}

/**
 * `values`: a hand-written `fieldValues` for a row a live block writes (block, decision,
 * attack, history event: ~50k a second of a flood on the writer thread). The generic loop
 * reads `rec[fields[i]]` with a new key each time, a megamorphic lookup per column (~6% of
 * the writer thread's samples in the daemon-path bench, bench/RESULTS.md issue 13 "the cost
 * of a block, third pass"); a literal reads each field at a fixed place.
 */
function mapping<T>(fields: ReadonlyArray<Field & keyof T>, values?: (rec: T) => unknown[]): RowMapping<T> {
  const cols = fields.map((f) => FIELDS[f][0]);
  const lists: string[] = fields.filter((f) => FIELDS[f][1] === 'json');
  const flags: string[] = fields.filter((f) => FIELDS[f][1] === 'flag');
  const optional: string[] = fields.filter((f) => FIELDS[f][1] === 'optional');
  const kinds: Kind[] = fields.map((f) => FIELDS[f][1]);
  return {
    columns: cols.join(', '),
    marks: fields.map(() => '?').join(', '),
    updates: cols
      .slice(1)
      .map((c) => `${c} = excluded.${c}`)
      .join(', '),
    select: fields.map((f, i) => (cols[i] === f ? f : `${cols[i]} AS "${f}"`)).join(', '),
    values: values ?? ((rec: T) => fieldValues(rec)),
    fieldValues,
    fromRow(r: Row): T {
      for (const f of lists) r[f] = strings(r[f]);
      for (const f of flags) r[f] = r[f] === 1;
      for (const f of optional) if (r[f] === null) delete r[f];
      return r as T;
    },
  };

  function fieldValues(rec: T): unknown[] {
    const r = rec as Params;
    const out = new Array<unknown>(fields.length);
    for (let i = 0; i < fields.length; i++) {
      const v = r[fields[i]!];
      const kind = kinds[i];
      out[i] = kind === 'json' ? JSON.stringify(v ?? []) : kind === 'flag' ? (v ? 1 : 0) : (v ?? null);
    }
    return out;
  }
}

/** A list column's text (fieldValues' `json` kind). */
function list(v: readonly string[] | undefined): string {
  return JSON.stringify(v ?? []);
}

function strings(v: unknown): string[] {
  try {
    const a: unknown = JSON.parse(String(v));
    return Array.isArray(a) ? a.map(String) : [];
  } catch {
    return [];
  }
}

export const BLOCKS = mapping<BlockRecord>(
  [
    'ip',
    'reason',
    'userAgent',
    'country',
    'attempts',
    'users',
    'transport',
    'port',
    'firstSeen',
    'lastSeen',
    'blockedAt',
    'expiresAt',
    'timesBlocked',
    'misconfiguredPhone',
    'note',
    'host',
  ],
  (b) => [
    b.ip ?? null,
    b.reason ?? null,
    b.userAgent ?? null,
    b.country ?? null,
    b.attempts ?? null,
    list(b.users),
    b.transport ?? null,
    b.port ?? null,
    b.firstSeen ?? null,
    b.lastSeen ?? null,
    b.blockedAt ?? null,
    b.expiresAt ?? null,
    b.timesBlocked ?? null,
    b.misconfiguredPhone ? 1 : 0,
    b.note ?? null,
    b.host ?? null,
  ],
);

/**
 * A block row selected as an array of BLOCKS.columns → the record, every field set in one
 * literal (one object shape for all: 100k of them restored at start). Same conversions
 * as BLOCKS.fromRow.
 */
export function blockFromColumns(c: unknown[]): BlockRecord {
  const rec: BlockRecord = {
    ip: c[0] as string,
    reason: c[1] as BlockRecord['reason'],
    userAgent: c[2] as string | null,
    country: c[3] as string | null,
    attempts: c[4] as number,
    users: c[5] === '[]' ? [] : strings(c[5]),
    transport: c[6] as BlockRecord['transport'],
    port: c[7] as number | null,
    firstSeen: c[8] as number,
    lastSeen: c[9] as number,
    blockedAt: c[10] as number,
    expiresAt: c[11] as number | null,
    timesBlocked: c[12] as number,
    misconfiguredPhone: c[13] === 1,
    note: c[14] as string | null,
  };
  if (c[15] !== null && c[15] !== undefined) rec.host = c[15] as string;
  return rec;
}

export const DECISIONS = mapping<Decision>(
  [
    'at',
    'ip',
    'action',
    'reason',
    'expiresAt',
    'userAgent',
    'users',
    'attempts',
    'transport',
    'port',
    'country',
    'timesBlocked',
    'misconfiguredPhone',
    'note',
    'host',
  ],
  (d) => [
    d.at ?? null,
    d.ip ?? null,
    d.action ?? null,
    d.reason ?? null,
    d.expiresAt ?? null,
    d.userAgent ?? null,
    list(d.users),
    d.attempts ?? null,
    d.transport ?? null,
    d.port ?? null,
    d.country ?? null,
    d.timesBlocked ?? null,
    d.misconfiguredPhone ? 1 : 0,
    d.note ?? null,
    d.host ?? null,
  ],
);

export const ATTACKS = mapping<AttackRecord>(
  [
    'at',
    'ip',
    'rule',
    'userAgent',
    'attempts',
    'users',
    'transport',
    'port',
    'misconfiguredPhone',
    'country',
    'host',
  ],
  (a) => [
    a.at ?? null,
    a.ip ?? null,
    a.rule ?? null,
    a.userAgent ?? null,
    a.attempts ?? null,
    list(a.users),
    a.transport ?? null,
    a.port ?? null,
    a.misconfiguredPhone ? 1 : 0,
    a.country ?? null,
    a.host ?? null,
  ],
);

const NEW_MAIL_FIELDS = ['kind', 'subject', 'text', 'html', 'to', 'createdAt'] as const;

/** What enqueueMail writes (the queue state columns get their start values in SQL). */
export const NEW_MAIL = mapping<NewMail>(NEW_MAIL_FIELDS);

export const MAIL = mapping<OutboxMail>([
  'id',
  ...NEW_MAIL_FIELDS,
  'state',
  'attempts',
  'nextAttemptAt',
  'lastAttemptAt',
  'lastError',
  'sentAt',
]);

export const RECIPIENTS = mapping<Recipient>(['email', 'name']);

const NEW_HISTORY_FIELDS = [
  'at',
  'kind',
  'subject',
  'reason',
  'actor',
  'country',
  'userAgent',
  'users',
  'attempts',
  'expiresAt',
  'renewals',
  'lastSeen',
  'misconfiguredPhone',
  'note',
  'samples',
] as const;

/** What recordHistory writes (subject_key is computed beside it). */
export const NEW_HISTORY = mapping<Omit<HistoryEvent, 'id'>>(NEW_HISTORY_FIELDS, (e) => [
  e.at ?? null,
  e.kind ?? null,
  e.subject ?? null,
  e.reason ?? null,
  e.actor ?? null,
  e.country ?? null,
  e.userAgent ?? null,
  list(e.users),
  e.attempts ?? null,
  e.expiresAt ?? null,
  e.renewals ?? null,
  e.lastSeen ?? null,
  e.misconfiguredPhone ? 1 : 0,
  e.note ?? null,
  list(e.samples),
]);

export const HISTORY = mapping<HistoryEvent>(['id', ...NEW_HISTORY_FIELDS]);

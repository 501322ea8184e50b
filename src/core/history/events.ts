/**
 * The history of everything sipprot did and every change an admin made (issue 16): one
 * append-only record per block, permanent escalation, lift (by hand or by expiry, with the
 * summary of its renewals), list change and settings change, each with who did it. The
 * decisions table keeps what the policy decided for reports; this is what an admin asks
 * "was this address blocked yesterday, and why, and who lifted it?" of, at a million rows.
 *
 * Actors are short texts (ACTORS below): `sipprotd@HOST` for what a daemon decided itself,
 * `cli` for the root-only socket and the CLI without a daemon, `web:admin@ADDRESS` for the
 * web UI, `host:NAME` for what a cluster peer announced.
 */
import type { Decision, DecisionReason, ListName } from '../types.js';

export const HISTORY_KINDS = [
  'block',
  'permanent',
  'unblock',
  'expire',
  'allow-add',
  'allow-remove',
  'deny-add',
  'deny-remove',
  'settings',
  /** An admin acknowledged an alert (breach, distributed guessing...): admin/alert-board.ts. */
  'alert-ack',
] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];

/** Sample answers kept with a block: at most this many lines of at most SAMPLE_CHARS. */
export const MAX_SAMPLES = 5;
export const SAMPLE_CHARS = 160;
/** Longest actor and note kept (a note is the admin's text or a list entry's). */
const ACTOR_CHARS = 80;
const NOTE_CHARS = 500;

/** Who made a change, as history shows it. */
export const ACTORS = {
  cli: 'cli',
  daemon: (host: string) => `sipprotd@${host}`,
  web: (address: string | null) => `web:admin${address ? `@${address}` : ''}`,
  peer: (host: string) => `host:${host}`,
} as const;

export interface NewHistoryEvent {
  at: number;
  kind: HistoryKind;
  /** The address or network the event is about; null for a settings change. */
  subject: string | null;
  /** The rule or cause (block, permanent, unblock: manual, expire: expired); null for list changes. */
  reason: DecisionReason | null;
  actor: string;
  country: string | null;
  userAgent: string | null;
  /** Users/extensions the address targeted (bounded by detection). */
  users: string[];
  attempts: number;
  /** block: when it lifts (null: permanent). */
  expiresAt: number | null;
  /**
   * unblock, expire: how often the block's renewal was written out while it ran (since the
   * daemon started; at most once per extendInterval, core/policy/held.ts).
   */
  renewals: number | null;
  /** unblock, expire: when the last renewal was written out (within extendInterval of the last attack packet). */
  lastSeen: number | null;
  misconfiguredPhone: boolean;
  /** The block's note, a list entry's note, or the settings changed. */
  note: string | null;
  /** block: a few answers the server gave the address (evidence), oldest first. */
  samples: string[];
}

export interface HistoryEvent extends NewHistoryEvent {
  /** Increases with every event recorded; with `at`, the order of the history. */
  id: number;
}

const cut = (s: string | null, n: number) => (s === null || s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** An event bounded as the store keeps it (samples, actor and note cut to their limits). */
export function boundedEvent(e: NewHistoryEvent): NewHistoryEvent {
  return {
    ...e,
    actor: cut(e.actor, ACTOR_CHARS) ?? '',
    note: cut(e.note, NOTE_CHARS),
    users: e.users.slice(),
    samples: boundedSamples(e.samples),
  };
}

const EMPTY = {
  reason: null,
  country: null,
  userAgent: null,
  users: [],
  attempts: 0,
  expiresAt: null,
  renewals: null,
  lastSeen: null,
  misconfiguredPhone: false,
  note: null,
  samples: [],
} satisfies Partial<NewHistoryEvent>;

/** What a lift adds: how often the block was renewed and when last. */
export interface Renewals {
  renewals: number;
  lastSeen: number | null;
}

/**
 * The history event of a decision (extend and observe have none: renewals are summed up
 * when the block lifts). Unblock by the expiry tick is `expire`, any other is `unblock`.
 */
export function eventOfDecision(
  d: Decision,
  actor: string,
  extra: { samples?: string[]; renewals?: Renewals } = {},
): NewHistoryEvent | null {
  if (d.action === 'extend' || d.action === 'observe') return null;
  const kind: HistoryKind =
    d.action === 'unblock' ? (d.reason === 'expired' ? 'expire' : 'unblock') : d.action;
  const lifted = kind === 'unblock' || kind === 'expire';
  const samples = kind === 'block' || kind === 'permanent' ? extra.samples : undefined;
  // boundedEvent's fields in its order, built once: every block of a flood makes one of
  // these on the packet path (~7k a second in the issue's block burst), and the unbounded
  // event it was made from, with its own copies of the arrays, was as big again.
  return {
    at: d.at,
    kind,
    subject: d.ip,
    reason: d.reason,
    actor: cut(actor, ACTOR_CHARS) ?? '',
    country: d.country,
    userAgent: d.userAgent,
    users: d.users.slice(),
    attempts: d.attempts,
    expiresAt: lifted ? null : d.expiresAt,
    renewals: lifted ? (extra.renewals?.renewals ?? 0) : null,
    lastSeen: lifted ? (extra.renewals?.lastSeen ?? null) : null,
    misconfiguredPhone: d.misconfiguredPhone,
    note: cut(d.note, NOTE_CHARS),
    samples: samples === undefined || samples.length === 0 ? [] : boundedSamples(samples),
  };
}

/** The last MAX_SAMPLES, each cut; an array of exactly their length (it lives until the commit). */
function boundedSamples(samples: readonly string[]): string[] {
  const out = samples.slice(-MAX_SAMPLES);
  for (let i = 0; i < out.length; i++) out[i] = cut(out[i]!, SAMPLE_CHARS) ?? '';
  return out;
}

/** A list change by an admin: one event per entry added, updated or removed. */
export function eventOfListChange(
  list: ListName,
  change: 'add' | 'remove',
  entry: { network: string; note?: string | null },
  at: number,
  actor: string,
): NewHistoryEvent {
  return boundedEvent({
    ...EMPTY,
    at,
    kind: `${list}-${change}`,
    subject: entry.network,
    actor,
    note: entry.note ? entry.note : null,
  });
}

/** A block lifted by hand while no daemon ran (the CLI on the store): no decision exists. */
export function eventOfLocalUnblock(ip: string, at: number, actor: string): NewHistoryEvent {
  return boundedEvent({ ...EMPTY, at, kind: 'unblock', subject: ip, reason: 'manual', actor, renewals: 0 });
}

/** Settings changed (the web UI): the keys and their new values, secrets already masked. */
export function eventOfSettings(changes: Record<string, string>, at: number, actor: string): NewHistoryEvent {
  const note = Object.entries(changes)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return boundedEvent({ ...EMPTY, at, kind: 'settings', subject: null, actor, note });
}

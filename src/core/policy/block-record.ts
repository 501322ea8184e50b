/**
 * Block records and the decisions made from them. A record lives as long as its block
 * (an hour by default; 52k of them in the issue-13 flood's first 150k messages), so what
 * it holds is what every scavenge copies until it is promoted and what the heap keeps:
 * its users list and note are shared between records when equal (RecordParts), and a
 * decision carries its record's list. A shared users list is frozen: nothing changes a
 * record's or a decision's users in place (a reader that wants its own list copies it),
 * and a frozen one would throw if something did.
 *
 * A held block keeps a HeldRecord: the record without its four times, which live in the
 * block's slot (source-slots.ts doubles, outside the JS heap). A record's times were four
 * boxed doubles (V8 boxes a double field: 16 bytes each) on an object of 15 fields (144
 * bytes); kept for the block's life, all of it was copied by the scavenges that promoted
 * it. The whole record is built when it is handed out (`withTimes`): readers get their own.
 */
import type { BlockRecord, Decision, DecisionAction, DecisionReason, Verdict } from '../types.js';
import { blockNote } from './notes.js';

/** Entries each RecordParts map keeps before it starts again (like the user-agent cache). */
const PARTS_MAX = 4096;
const NO_USERS: string[] = Object.freeze([]) as unknown as string[];

/**
 * One copy of each recent users list of at most one name, and of each recent note: in the
 * issue-13 flood 100k distributed blocks had 900 users lists and 49.5k notes (an attacked
 * extension's sources are blocked together, with one sentence), and each record held its
 * own (a one-name array 56 bytes, a note ~130).
 */
export class RecordParts {
  private readonly ones = new Map<string, string[]>();
  private readonly notes = new Map<string, string>();

  /** `users` as a record keeps it: shared and frozen when it has one name or none. */
  users(users: readonly string[]): string[] {
    if (users.length === 0) return NO_USERS;
    if (users.length > 1) return users.slice();
    const name = users[0]!;
    let one = this.ones.get(name);
    if (one === undefined) {
      if (this.ones.size >= PARTS_MAX) this.ones.clear();
      one = Object.freeze([name]) as unknown as string[];
      this.ones.set(name, one);
    }
    return one;
  }

  /** The copy of `note` already kept by an earlier record, or `note`. */
  note(note: string): string {
    const hit = this.notes.get(note);
    if (hit !== undefined) return hit;
    if (this.notes.size >= PARTS_MAX) this.notes.clear();
    this.notes.set(note, note);
    return note;
  }
}

/** What a held block keeps of its record: all but the times (its slot holds those). */
export type HeldRecord = Omit<BlockRecord, 'firstSeen' | 'lastSeen' | 'blockedAt' | 'expiresAt'>;

/** `r` without its times, as a held block keeps it (one shape with `host`, one without). */
export function heldOf(r: BlockRecord): HeldRecord {
  const k: HeldRecord = {
    ip: r.ip,
    reason: r.reason,
    userAgent: r.userAgent,
    country: r.country,
    attempts: r.attempts,
    users: r.users,
    transport: r.transport,
    port: r.port,
    timesBlocked: r.timesBlocked,
    misconfiguredPhone: r.misconfiguredPhone,
    note: r.note,
  };
  if (r.host !== undefined) k.host = r.host;
  return k;
}

/** The whole record of a held one and its times, fields in the order every record has. */
export function withTimes(
  k: HeldRecord,
  firstSeen: number,
  lastSeen: number,
  blockedAt: number,
  expiresAt: number | null,
): BlockRecord {
  const r: BlockRecord = {
    ip: k.ip,
    reason: k.reason,
    userAgent: k.userAgent,
    country: k.country,
    attempts: k.attempts,
    users: k.users,
    transport: k.transport,
    port: k.port,
    firstSeen,
    lastSeen,
    blockedAt,
    expiresAt,
    timesBlocked: k.timesBlocked,
    misconfiguredPhone: k.misconfiguredPhone,
    note: k.note,
  };
  if (k.host !== undefined) r.host = k.host;
  return r;
}

/**
 * The block record a decision describes, for when the policy's own record is not at hand
 * (a block lifted in the same turn, a live view fed by decisions).
 */
export function blockRecordOf(d: Decision): BlockRecord {
  return {
    ip: d.ip,
    reason: d.reason,
    userAgent: d.userAgent,
    country: d.country,
    attempts: d.attempts,
    users: d.users.slice(),
    transport: d.transport,
    port: d.port,
    firstSeen: d.at,
    lastSeen: d.at,
    blockedAt: d.at,
    expiresAt: d.action === 'permanent' ? null : d.expiresAt,
    timesBlocked: d.timesBlocked,
    misconfiguredPhone: d.misconfiguredPhone,
    note: d.note,
    ...(d.host === undefined ? {} : { host: d.host }),
  };
}

/**
 * The block record of a verdict (the note says why; the caller adjusts it for permanents).
 * `parts`: the policy's shared users lists and notes (none: the record's own).
 */
export function verdictRecord(
  v: Verdict,
  country: string | null,
  times: number,
  expiresAt: number | null,
  parts?: RecordParts,
): BlockRecord {
  return {
    ip: v.ip,
    reason: v.rule,
    userAgent: v.userAgent,
    country,
    attempts: v.attempts,
    users: parts === undefined ? v.users.slice() : parts.users(v.users),
    transport: v.transport,
    port: v.port,
    firstSeen: v.at,
    lastSeen: v.at,
    blockedAt: v.at,
    expiresAt,
    timesBlocked: times,
    misconfiguredPhone: v.misconfiguredPhone,
    note: parts === undefined ? blockNote(v) : parts.note(blockNote(v)),
  };
}

/** A block record with no detection behind it (by hand, by prefix). */
export function bareRecord(
  ip: string,
  reason: DecisionReason,
  country: string | null,
  at: number,
  expiresAt: number,
  times: number,
): BlockRecord {
  return {
    ip,
    reason,
    userAgent: null,
    country,
    attempts: 0,
    users: NO_USERS,
    transport: null,
    port: null,
    firstSeen: at,
    lastSeen: at,
    blockedAt: at,
    expiresAt,
    timesBlocked: times,
    misconfiguredPhone: false,
    note: null,
  };
}

export function decisionOf(
  action: DecisionAction,
  reason: DecisionReason,
  at: number,
  r: HeldRecord,
  expiresAt: number | null,
): Decision {
  const d: Decision = {
    at,
    ip: r.ip,
    action,
    reason,
    expiresAt,
    userAgent: r.userAgent,
    // The record's own list: nothing changes a record's or a decision's users in place
    // (a shared one is frozen and would throw), and a copy was 56+ bytes a decision, 350k
    // decisions in the issue-13 flood's replay (the blocks and their renewals).
    users: r.users,
    attempts: r.attempts,
    transport: r.transport,
    port: r.port,
    country: r.country,
    timesBlocked: r.timesBlocked,
    misconfiguredPhone: r.misconfiguredPhone,
    note: action === 'block' || action === 'permanent' || action === 'observe' ? r.note : null,
  };
  // Cluster mode: the host that decided the block travels with every decision about it.
  // Set after the literal, still the last field: with a spread in the literal a decision
  // (every block and renewal) allocated 202 B, this way 138 B (Node 20, --trace-gc-nvp).
  if (r.host !== undefined) d.host = r.host;
  return d;
}

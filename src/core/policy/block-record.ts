import type { BlockRecord, Decision, DecisionAction, DecisionReason, Verdict } from '../types.js';
import { blockNote } from './notes.js';

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

/** The block record of a verdict (the note says why; the caller adjusts it for permanents). */
export function verdictRecord(
  v: Verdict,
  country: string | null,
  times: number,
  expiresAt: number | null,
): BlockRecord {
  return {
    ip: v.ip,
    reason: v.rule,
    userAgent: v.userAgent,
    country,
    attempts: v.attempts,
    users: v.users.slice(),
    transport: v.transport,
    port: v.port,
    firstSeen: v.at,
    lastSeen: v.at,
    blockedAt: v.at,
    expiresAt,
    timesBlocked: times,
    misconfiguredPhone: v.misconfiguredPhone,
    note: blockNote(v),
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
    users: [],
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
  r: BlockRecord,
  expiresAt: number | null,
): Decision {
  return {
    at,
    ip: r.ip,
    action,
    reason,
    expiresAt,
    userAgent: r.userAgent,
    users: r.users.slice(),
    attempts: r.attempts,
    transport: r.transport,
    port: r.port,
    country: r.country,
    timesBlocked: r.timesBlocked,
    misconfiguredPhone: r.misconfiguredPhone,
    note: action === 'block' || action === 'permanent' || action === 'observe' ? r.note : null,
    // Cluster mode: the host that decided the block travels with every decision about it.
    ...(r.host === undefined ? {} : { host: r.host }),
  };
}

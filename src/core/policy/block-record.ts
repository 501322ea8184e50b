import type { BlockRecord, Decision } from '../types.js';

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
  };
}

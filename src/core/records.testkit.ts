/**
 * The one set of record builders for tests (issue 11 item 10): each returns exactly the record
 * its name says, filled with plausible values that any part may override by name. There were
 * eight copies with different defaults and signatures (`block()` gave a Decision in one and a
 * BlockRecord in another); a test that asserts a value now names it at the call.
 *
 * Events happen at a time, so `aDecision` and `anAttack` take `(ip, at)`; a BlockRecord is a
 * state whose times are its own fields (firstSeen, blockedAt, expiresAt), overridden by name.
 * Times carry fractions (.25, .5) so that a store dropping them to integers fails its contract.
 */
import type { AttackRecord, NewMail } from './records.js';
import type { BlockRecord, Decision } from './types.js';

/** A 10-minute dynamic block for failed authentications, decided at `at`. */
export function aDecision(ip: string, at: number, over: Partial<Decision> = {}): Decision {
  return {
    at,
    ip,
    action: 'block',
    reason: 'auth-failures',
    expiresAt: at + 600,
    userAgent: 'sipcli/v1.8',
    users: ['200'],
    attempts: 10,
    transport: 'udp',
    port: 5060,
    country: 'DE',
    timesBlocked: 1,
    misconfiguredPhone: false,
    note: null,
    ...over,
  };
}

/** A running dynamic block (blocked at 1010.5 for 600 s), as the store keeps it. */
export function aBlock(ip: string, over: Partial<BlockRecord> = {}): BlockRecord {
  return {
    ip,
    reason: 'auth-failures',
    userAgent: 'friendly-scanner',
    country: 'NL',
    attempts: 12,
    users: ['100', '101'],
    transport: 'udp',
    port: 5060,
    firstSeen: 1000.25,
    lastSeen: 1010.5,
    blockedAt: 1010.5,
    expiresAt: 1610.5,
    timesBlocked: 1,
    misconfiguredPhone: false,
    note: null,
    ...over,
  };
}

/** The times of a block decided at `at` that runs `seconds` (null: permanent), for aBlock. */
export function blockedAt(
  at: number,
  seconds: number | null = 600,
): Pick<BlockRecord, 'firstSeen' | 'lastSeen' | 'blockedAt' | 'expiresAt'> {
  return {
    firstSeen: at - 30,
    lastSeen: at,
    blockedAt: at,
    expiresAt: seconds === null ? null : at + seconds,
  };
}

/** An attack event of failed authentications at `at`. */
export function anAttack(ip: string, at: number, over: Partial<AttackRecord> = {}): AttackRecord {
  return {
    at,
    ip,
    rule: 'auth-failures',
    userAgent: 'sipcli/v1.8',
    attempts: 10,
    users: ['200'],
    transport: 'udp',
    port: 5060,
    misconfiguredPhone: false,
    country: 'DE',
    ...over,
  };
}

/** A daily report mail to two recipients, queued at `createdAt`. */
export function aMail(createdAt: number, over: Partial<NewMail> = {}): NewMail {
  return {
    kind: 'daily-summary',
    subject: 'sipprot: daily report',
    text: 'plain',
    html: '<p>html</p>',
    to: ['ops@example.com', 'root@localhost'],
    createdAt,
    ...over,
  };
}

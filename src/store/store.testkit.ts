/** Records and helpers shared by the Store contract suite and adapter tests. */
import assert from 'node:assert/strict';
import { isSipprotError } from '../core/errors.js';
import type { AttackRecord } from '../core/records.js';
import type { BlockRecord, Decision } from '../core/types.js';
import type { Store } from '../ports/store.js';

export interface StoreHarness {
  store: Store;
  /** Closes the store and opens it again on the same data (persistent adapters only). */
  reopen?: () => Promise<Store>;
  cleanup: () => Promise<void>;
}

export function block(ip: string, over: Partial<BlockRecord> = {}): BlockRecord {
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

export function decision(ip: string, at: number, over: Partial<Decision> = {}): Decision {
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

export function attack(ip: string, at: number, over: Partial<AttackRecord> = {}): AttackRecord {
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

export async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isSipprotError(e), `expected a SipprotError, got ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  });
}

/**
 * Registers the suite. `persistent` adds the checks that data outlives a close/reopen;
 * the harness must then provide `reopen`.
 */

/** What a contract part reads at test time: the harness of the running test. */
export interface ContractContext {
  h: StoreHarness;
  s: Store;
}

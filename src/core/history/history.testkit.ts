/** The record builder for history events (tests of the stores, the API, the CLI, the UI seed). */
import type { NewHistoryEvent } from './events.js';

/** A block event of `subject` at `at`, with evidence; override any field. */
export function aHistoryEvent(
  subject: string | null,
  at: number,
  o: Partial<NewHistoryEvent> = {},
): NewHistoryEvent {
  return {
    at,
    kind: 'block',
    subject,
    reason: 'auth-failures',
    actor: 'sipprotd@pbx1',
    country: 'NL',
    userAgent: 'friendly-scanner',
    users: ['100', '101'],
    attempts: 10,
    expiresAt: at + 600,
    renewals: null,
    lastSeen: null,
    misconfiguredPhone: false,
    note: null,
    samples: ['REGISTER 100 → 401 Unauthorized'],
    ...o,
  };
}

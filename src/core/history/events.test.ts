import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 } from '../prng.testkit.js';
import type { Decision, DecisionAction, DecisionReason } from '../types.js';
import { boundedEvent, eventOfDecision, MAX_SAMPLES, type NewHistoryEvent } from './events.js';

/** What eventOfDecision returned before it built the bounded event in one step. */
function reference(
  d: Decision,
  actor: string,
  extra: { samples?: string[]; renewals?: { renewals: number; lastSeen: number | null } },
): NewHistoryEvent | null {
  if (d.action === 'extend' || d.action === 'observe') return null;
  const kind = d.action === 'unblock' ? (d.reason === 'expired' ? 'expire' : 'unblock') : d.action;
  const lifted = kind === 'unblock' || kind === 'expire';
  return boundedEvent({
    at: d.at,
    kind,
    subject: d.ip,
    reason: d.reason,
    actor,
    country: d.country,
    userAgent: d.userAgent,
    users: d.users,
    attempts: d.attempts,
    expiresAt: lifted ? null : d.expiresAt,
    renewals: lifted ? (extra.renewals?.renewals ?? 0) : null,
    lastSeen: lifted ? (extra.renewals?.lastSeen ?? null) : null,
    misconfiguredPhone: d.misconfiguredPhone,
    note: d.note,
    samples: kind === 'block' || kind === 'permanent' ? (extra.samples ?? []) : [],
  });
}

describe('eventOfDecision', () => {
  it('is the bounded event of the decision, field for field and in the same order', () => {
    const r = mulberry32(2026);
    const text = (n: number) => 'x'.repeat(Math.floor(r() * n));
    const actions: DecisionAction[] = ['block', 'permanent', 'unblock', 'extend', 'observe'];
    const reasons: DecisionReason[] = ['scanner', 'expired', 'manual', 'threshold', 'deny-list'];
    for (let i = 0; i < 2_000; i++) {
      const d: Decision = {
        at: 1_000 + i,
        ip: `198.18.${i & 255}.${(i * 7) & 255}`,
        action: actions[i % actions.length]!,
        reason: reasons[Math.floor(r() * reasons.length)]!,
        expiresAt: r() < 0.3 ? null : 5_000 + i,
        userAgent: r() < 0.5 ? null : text(40),
        users: Array.from({ length: Math.floor(r() * 4) }, () => text(10)),
        attempts: Math.floor(r() * 9),
        transport: 'udp',
        port: 5060,
        country: r() < 0.5 ? null : 'NL',
        timesBlocked: 1,
        misconfiguredPhone: r() < 0.1,
        note: r() < 0.3 ? null : text(700),
      };
      const samples = r() < 0.2 ? undefined : Array.from({ length: Math.floor(r() * 9) }, () => text(300));
      const renewals =
        r() < 0.5 ? undefined : { renewals: Math.floor(r() * 50), lastSeen: r() < 0.5 ? null : 2_000 };
      const actor = text(120);
      const extra = { ...(samples ? { samples } : {}), ...(renewals ? { renewals } : {}) };
      const samplesBefore = samples?.slice();
      const got = eventOfDecision(d, actor, extra);
      const want = reference(d, actor, extra);
      // JSON: the same fields in the same order (a store row, a live-view message).
      assert.equal(JSON.stringify(got), JSON.stringify(want), `decision ${i}`);
      if (got) {
        assert.ok(got.samples.length <= MAX_SAMPLES);
        assert.notEqual(got.users, d.users, 'the event has its own users array');
      }
      assert.deepEqual(samples, samplesBefore, 'the caller’s samples are left as they were');
    }
  });
});

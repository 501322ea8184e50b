import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aDecision } from '../core/records.testkit.js';
import { DaemonHistory } from './history.js';

const PORTS = { sipPorts: [{ from: 5060, to: 5060 }] } as ConstructorParameters<typeof DaemonHistory>[0];

/** A lift's renewals, as the history event of the unblock reads them. */
function lift(h: DaemonHistory, ip: string, at: number) {
  const e = h.eventOf(aDecision(ip, at, { action: 'unblock', reason: 'expired', expiresAt: null }))!;
  return { renewals: e.renewals, lastSeen: e.lastSeen };
}

test('DaemonHistory: a lift reports the renewals of the block it ends, none for a block never renewed', () => {
  const h = new DaemonHistory(PORTS);
  for (let i = 0; i < 3_000; i++) {
    const ip = `198.51.${i >> 8}.${i & 255}`;
    assert.equal(h.eventOf(aDecision(ip, 100, { action: 'block' }))?.kind, 'block');
    for (let r = 0; r < i % 3; r++)
      assert.equal(h.eventOf(aDecision(ip, 101 + r, { action: 'extend' })), null);
  }
  for (let i = 0; i < 3_000; i++) {
    const ip = `198.51.${i >> 8}.${i & 255}`;
    const n = i % 3;
    assert.deepEqual(lift(h, ip, 500), { renewals: n, lastSeen: n === 0 ? null : 100 + n }, ip);
    // Lifted: nothing left for it.
    assert.deepEqual(lift(h, ip, 600), { renewals: 0, lastSeen: null }, ip);
  }
});

test('DaemonHistory: a new block of a renewed address starts from no renewals', () => {
  const h = new DaemonHistory(PORTS);
  h.eventOf(aDecision('192.0.2.7', 10, { action: 'block' }));
  h.eventOf(aDecision('192.0.2.7', 11, { action: 'extend' }));
  h.eventOf(aDecision('192.0.2.7', 12, { action: 'block' }));
  assert.deepEqual(lift(h, '192.0.2.7', 20), { renewals: 0, lastSeen: null });
  // Renewals reported for an address this daemon never saw blocked (a restored block) count too.
  h.eventOf(aDecision('192.0.2.8', 30, { action: 'extend' }));
  h.eventOf(aDecision('192.0.2.8', 31, { action: 'extend' }));
  assert.deepEqual(lift(h, '192.0.2.8', 40), { renewals: 2, lastSeen: 31 });
});

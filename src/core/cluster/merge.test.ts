import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aBlock } from '../records.testkit.js';
import type { ClusterEvent } from './events.js';
import { aBlockEvent, aListEvent } from './events.testkit.js';
import { applyEvent, emptyFleet, type FleetEntry, type HostBlock, lww, mergeBlock } from './merge.js';
import { MERGE_CASES } from './merge.testkit.js';

const hb = (host: string, over: Partial<HostBlock>): HostBlock => ({
  ...aBlock('203.0.113.9'),
  host,
  ...over,
});

describe('cluster merge rules', () => {
  it('blocks: later expiry wins, permanent beats expiry, earliest record keeps its facts', () => {
    const a = hb('pbx-a', { blockedAt: 100, expiresAt: 700, reason: 'scanner', attempts: 3, lastSeen: 150 });
    const b = hb('pbx-b', {
      blockedAt: 200,
      expiresAt: 800,
      reason: 'auth-failures',
      attempts: 9,
      lastSeen: 250,
    });
    const m = mergeBlock(a, b);
    assert.equal(m.expiresAt, 800, 'a re-added block extends');
    assert.equal(m.reason, 'scanner');
    assert.equal(m.host, 'pbx-a', 'the host that saw it first');
    assert.equal(m.attempts, 9);
    assert.equal(m.lastSeen, 250);
    assert.equal(
      mergeBlock(b, hb('pbx-c', { blockedAt: 300, expiresAt: 500 })).expiresAt,
      800,
      'never shortens',
    );
    assert.equal(mergeBlock(a, hb('pbx-c', { blockedAt: 300, expiresAt: null })).expiresAt, null);
    assert.equal(mergeBlock(hb('pbx-c', { expiresAt: null }), b).expiresAt, null);
  });

  it('blocks: merging is commutative, associative and idempotent', () => {
    const xs = [
      hb('pbx-a', { blockedAt: 100, expiresAt: 700, attempts: 3 }),
      hb('pbx-b', { blockedAt: 100, expiresAt: 650, attempts: 5 }),
      hb('pbx-c', { blockedAt: 90, expiresAt: 600, attempts: 1, timesBlocked: 4 }),
    ];
    const orders = [
      [0, 1, 2],
      [2, 1, 0],
      [1, 0, 2],
      [1, 2, 0, 1, 2],
    ];
    const results = orders.map((o) =>
      o.reduce<HostBlock | undefined>((acc, i) => mergeBlock(acc, xs[i]!), undefined),
    );
    for (const r of results) assert.deepEqual(r, results[0]);
    assert.equal(results[0]!.host, 'pbx-c');
    assert.equal(results[0]!.timesBlocked, 4);
  });

  it('entries: last writer wins in one total order (time, host, removal, value)', () => {
    const e = (at: number, host: string, removed = false, value = ''): FleetEntry => ({
      at,
      host,
      removed,
      value,
    });
    assert.deepEqual(lww(e(1, 'a'), e(2, 'a')), e(2, 'a'));
    assert.deepEqual(lww(e(2, 'a'), e(1, 'b')), e(2, 'a'));
    assert.deepEqual(lww(e(2, 'a'), e(2, 'b')), e(2, 'b'));
    assert.deepEqual(lww(e(2, 'b'), e(2, 'a')), e(2, 'b'));
    assert.deepEqual(
      lww(e(2, 'a', false), e(2, 'a', true)),
      e(2, 'a', true),
      'a removal at the same instant wins',
    );
    assert.deepEqual(lww(e(2, 'a', false, 'x'), e(2, 'a', false, 'y')), e(2, 'a', false, 'y'));
  });

  for (const c of MERGE_CASES) {
    it(`snapshot fold: ${c.name} (same result in any order)`, () => {
      const orders = [c.events, [...c.events].reverse()];
      for (const events of c.orderMatters ? [c.events] : orders) {
        const s = emptyFleet();
        for (const e of events) applyEvent(s, e);
        for (const e of events) applyEvent(s, e); // a re-read stream changes nothing
        c.expect(s);
      }
    });
  }

  it('escalation: each episode from any host counts once per event id, extends and manual blocks do not', () => {
    const s = emptyFleet();
    const events: ClusterEvent[] = [
      aBlockEvent('pbx-a', aBlock('192.0.2.7')),
      aBlockEvent('pbx-b', aBlock('192.0.2.7'), { action: 'extend' }),
      aBlockEvent('pbx-b', aBlock('192.0.2.7', { reason: 'manual' })),
      aBlockEvent('pbx-c', aBlock('192.0.2.7')),
    ];
    assert.deepEqual(
      events.map((e) => applyEvent(s, e)),
      [1, 1, 1, 2],
    );
    applyEvent(s, aListEvent('pbx-a', 'deny', 'add', []));
    assert.equal(s.escalation.get('192.0.2.7'), 2);
  });
});

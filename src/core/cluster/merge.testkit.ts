/**
 * The merge table (issue 14): event sequences and the fleet state they must give. Run by the
 * core's test on `applyEvent` and by the ClusterBus contract on every adapter's snapshot
 * (the fake folds with applyEvent; Redis with its Lua script), so the two cannot drift.
 */
import assert from 'node:assert/strict';
import { aBlock } from '../records.testkit.js';
import type { ClusterEvent } from './events.js';
import { aBlockEvent, aListEvent } from './events.testkit.js';
import type { FleetState } from './merge.js';

export interface MergeCase {
  name: string;
  events: ClusterEvent[];
  /** True when the events must be applied in the given order (an unblock after its block). */
  orderMatters?: boolean;
  expect(s: FleetState): void;
}

const ip = '203.0.113.50';

export const MERGE_CASES: MergeCase[] = [
  {
    name: 'a re-added block extends to the later expiry, never shortens',
    events: [
      aBlockEvent('pbx-a', aBlock(ip, { blockedAt: 1000, expiresAt: 1600 })),
      aBlockEvent('pbx-b', aBlock(ip, { blockedAt: 1100, expiresAt: 1900 })),
      aBlockEvent('pbx-c', aBlock(ip, { blockedAt: 1200, expiresAt: 1300 })),
    ],
    expect(s) {
      const b = s.blocks.get(ip);
      assert.equal(b?.expiresAt, 1900);
      assert.equal(b?.host, 'pbx-a');
      assert.equal(b?.blockedAt, 1000);
      assert.equal(s.escalation.get(ip), 3);
    },
  },
  {
    name: 'permanent beats any expiry',
    events: [
      aBlockEvent('pbx-a', aBlock(ip, { blockedAt: 1000, expiresAt: 1600 })),
      aBlockEvent('pbx-b', aBlock(ip, { blockedAt: 1100, expiresAt: null, reason: 'threshold' })),
    ],
    expect(s) {
      assert.equal(s.blocks.get(ip)?.expiresAt, null);
    },
  },
  {
    name: 'a manual unblock removes the block and, forgetting history, its count',
    orderMatters: true,
    events: [
      aBlockEvent('pbx-a', aBlock(ip, { blockedAt: 1000, expiresAt: 1600 })),
      { v: 1, id: 'pbx-b:u1', host: 'pbx-b', at: 1010, type: 'unblock', ip, forgetHistory: true },
    ],
    expect(s) {
      assert.equal(s.blocks.has(ip), false);
      assert.equal(s.escalation.has(ip), false);
    },
  },
  {
    name: 'a block of an episode lifted by hand is stale whenever it arrives; a new episode is not',
    orderMatters: true,
    events: [
      aBlockEvent('pbx-a', aBlock(ip, { blockedAt: 1000, expiresAt: 1600 })),
      { v: 1, id: 'pbx-c:u1', host: 'pbx-c', at: 1010, type: 'unblock', ip, forgetHistory: false },
      // pbx-b was partitioned and renewed the old episode: it must not come back.
      aBlockEvent('pbx-b', aBlock(ip, { blockedAt: 1000, expiresAt: 5000 }), { action: 'extend', at: 1020 }),
      aBlockEvent('pbx-b', aBlock(ip, { blockedAt: 1010, expiresAt: 5000 }), { action: 'extend', at: 1020 }),
      // The attacker came back after the unblock: a new block.
      aBlockEvent('pbx-a', aBlock(ip, { blockedAt: 1030, expiresAt: 1630 })),
    ],
    expect(s) {
      assert.equal(s.blocks.get(ip)?.blockedAt, 1030);
      assert.equal(s.blocks.get(ip)?.expiresAt, 1630, 'the stale renewals changed nothing');
      assert.deepEqual(s.unblocked.get(ip), { at: 1010, host: 'pbx-c' });
    },
  },
  {
    name: 'list entries: the later write wins, removals stay as tombstones',
    events: [
      aListEvent('pbx-a', 'deny', 'add', [{ network: '198.51.100.0/24', note: 'first' }], 1000),
      aListEvent('pbx-b', 'deny', 'add', [{ network: '198.51.100.0/24', note: 'second' }], 1001),
      aListEvent('pbx-a', 'allow', 'add', [{ network: '192.0.2.15', note: 'office' }], 1000),
      aListEvent('pbx-c', 'allow', 'remove', [{ network: '192.0.2.15', note: '' }], 1002),
    ],
    expect(s) {
      assert.deepEqual(s.lists.deny.get('198.51.100.0/24'), {
        at: 1001,
        host: 'pbx-b',
        removed: false,
        value: 'second',
      });
      assert.deepEqual(s.lists.allow.get('192.0.2.15'), {
        at: 1002,
        host: 'pbx-c',
        removed: true,
        value: '',
      });
    },
  },
  {
    name: 'settings and recipients: last writer wins per key',
    events: [
      {
        v: 1,
        id: 'pbx-a:s1',
        host: 'pbx-a',
        at: 1000,
        type: 'settings',
        values: { HIT_COUNT: '5', BLOCKTIME: '60' },
      },
      { v: 1, id: 'pbx-b:s2', host: 'pbx-b', at: 1001, type: 'settings', values: { HIT_COUNT: '7' } },
      {
        v: 1,
        id: 'pbx-a:r1',
        host: 'pbx-a',
        at: 1000,
        type: 'recipient',
        email: 'NOC@example.org',
        name: 'NOC',
        removed: false,
      },
      {
        v: 1,
        id: 'pbx-b:r2',
        host: 'pbx-b',
        at: 999,
        type: 'recipient',
        email: 'noc@example.org',
        name: null,
        removed: true,
      },
    ],
    expect(s) {
      assert.equal(s.settings.get('HIT_COUNT')?.value, '7');
      assert.equal(s.settings.get('BLOCKTIME')?.value, '60');
      const r = s.recipients.get('noc@example.org');
      assert.equal(r?.removed, false);
      assert.equal(r?.value, 'NOC');
    },
  },
];

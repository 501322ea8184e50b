import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AccessLists } from '../lists/lists.js';
import { aBlock, blockedAt } from '../records.testkit.js';
import { exemptByLists } from './exempt.js';

const rec = (ip: string, expiresAt: number | null) =>
  aBlock(ip, { ...blockedAt(100), expiresAt, reason: expiresAt === null ? 'threshold' : 'auth-failures' });

describe('exemptByLists', () => {
  const held = {
    blocks: () => [rec('203.0.113.1', 700), rec('203.0.113.2', 700), rec('198.51.100.9', 700)],
    permanents: () => [rec('203.0.113.50', null), rec('203.0.113.51', null), rec('203.0.113.52', null)],
  };

  it('lifts dynamic blocks of allowed addresses and permanents no longer denied (or allowed)', () => {
    const lists = new AccessLists(
      [
        { network: '203.0.113.2', note: 'customer' },
        { network: '203.0.113.52', note: 'forgiven and allowed' },
      ],
      [
        { network: '203.0.113.50', note: 'sipprot: permanent' },
        { network: '203.0.113.52', note: 'sipprot: permanent' },
        { network: '198.51.100.0/24', note: 'denied net' },
      ],
    );
    assert.deepEqual(exemptByLists(held, lists), ['203.0.113.2', '203.0.113.51', '203.0.113.52']);
  });

  it('lifts nothing while the lists still cover every block', () => {
    const lists = new AccessLists(
      [],
      ['203.0.113.50', '203.0.113.51', '203.0.113.52'].map((network) => ({ network, note: '' })),
    );
    assert.deepEqual(exemptByLists(held, lists), []);
  });
});

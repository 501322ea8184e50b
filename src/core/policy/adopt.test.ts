/** Policy.adopt: a block decided on another host of a cluster, through this host's policy. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aBlock } from '../records.testkit.js';
import { type ListLookup, Policy } from './policy.js';

const IP = '203.0.113.7';
const lists = (allowed: string[] = [], denied: string[] = []): ListLookup => ({
  check: (ip) => ({ status: allowed.includes(ip) ? 'allowed' : denied.includes(ip) ? 'denied' : 'none' }),
});
const policy = (l = lists(), threshold = 5) =>
  new Policy(
    { blockTime: 600, blockThreshold: threshold, blockedCountries: [] },
    { lists: l, country: () => 'DE' },
  );
const peer = (over = {}) => ({
  ...aBlock(IP, { blockedAt: 1000, expiresAt: 1600, timesBlocked: 1 }),
  host: 'pbx-b',
  ...over,
});

describe('Policy.adopt (cluster)', () => {
  test('a peer block is a block decision here, with the peer host and facts', () => {
    const p = policy();
    const ds = p.adopt(peer(), 1000.2);
    assert.equal(ds.length, 1);
    assert.equal(ds[0]!.action, 'block');
    assert.equal(ds[0]!.host, 'pbx-b');
    assert.equal(ds[0]!.expiresAt, 1600);
    assert.equal(ds[0]!.userAgent, 'friendly-scanner');
    assert.equal(p.recordOf(IP)?.host, 'pbx-b');
    assert.equal(p.timesBlocked(IP), 1);
  });

  test("a decision's host is its last field, and no field at all without one (its JSON is in the store and the replay digest)", () => {
    const p = policy();
    const [fleet] = p.adopt(peer(), 1000);
    assert.equal(Object.keys(fleet!).at(-1), 'host');
    const [local] = p.adopt(peer({ host: undefined, ip: '203.0.113.8' }), 1000);
    assert.equal(local!.action, 'block');
    assert.equal('host' in local!, false);
    assert.equal(Object.keys(local!).at(-1), 'note');
  });

  test('the allow list here beats the peer; a deny-listed address needs no dynamic block', () => {
    assert.deepEqual(policy(lists([IP])).adopt(peer(), 1000), []);
    assert.deepEqual(policy(lists([], [IP])).adopt(peer(), 1000), []);
  });

  test('a running block extends to the later expiry and never shortens', () => {
    const p = policy();
    p.adopt(peer(), 1000);
    assert.deepEqual(p.adopt(peer({ expiresAt: 1500 }), 1001), []);
    assert.equal(p.recordOf(IP)?.expiresAt, 1600);
    const ds = p.adopt(peer({ expiresAt: 1900 }), 1002);
    assert.deepEqual(
      ds.map((d) => [d.action, d.expiresAt]),
      [['extend', 1900]],
    );
    assert.equal(p.timesBlocked(IP), 1, 'an extension is not a new episode');
  });

  test('a peer permanent block makes the running one permanent; an expired one is ignored', () => {
    const p = policy();
    p.adopt(peer(), 1000);
    const ds = p.adopt(peer({ expiresAt: null, reason: 'threshold' }), 1001);
    assert.deepEqual(
      ds.map((d) => d.action),
      ['permanent'],
    );
    assert.deepEqual(p.adopt(peer({ expiresAt: 1600 }), 1002), [], 'permanent stays');
    assert.deepEqual(policy().adopt(peer({ expiresAt: 999 }), 1000), []);
  });

  test('the count toward the threshold takes the peer count when higher', () => {
    const p = policy();
    p.adopt(peer({ timesBlocked: 4 }), 1000);
    assert.equal(p.timesBlocked(IP), 4);
    assert.equal(p.recordOf(IP)?.timesBlocked, 4);
  });
});

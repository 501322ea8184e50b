import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aBlock } from '../records.testkit.js';
import { type ClusterEvent, decodeEvent, encodeEvent } from './events.js';
import { aBlockEvent, aListEvent } from './events.testkit.js';

describe('cluster events: encode, decode, re-validate', () => {
  it('round-trips every event type unchanged', () => {
    const base = { v: 1 as const, host: 'pbx-1', at: 1000.5 };
    const events: ClusterEvent[] = [
      aBlockEvent('pbx-1', aBlock('203.0.113.9')),
      { ...base, id: 'pbx-1:2', type: 'unblock', ip: '203.0.113.9', forgetHistory: false },
      aListEvent('pbx-1', 'deny', 'add', [{ network: '198.51.100.0/24', note: 'abuse' }]),
      { ...base, id: 'pbx-1:4', type: 'settings', values: { HIT_COUNT: '7' } },
      { ...base, id: 'pbx-1:5', type: 'recipient', email: 'noc@example.org', name: 'NOC', removed: false },
      { ...base, id: 'pbx-1:6', type: 'geoip', sha256: 'a'.repeat(64), bytes: 1234 },
    ];
    for (const e of events) assert.deepEqual(decodeEvent(encodeEvent(e)), { ok: true, event: e }, e.type);
  });

  it('canonicalises addresses and networks (what reaches nft is what core/net printed)', () => {
    const e = aBlockEvent('pbx-1', aBlock('2001:DB8:0:0::1'));
    const r = decodeEvent(encodeEvent(e));
    assert.ok(r.ok);
    assert.equal(r.event.type === 'block' && r.event.block.ip, '2001:db8::1');
    const l = decodeEvent(
      encodeEvent(aListEvent('pbx-1', 'allow', 'add', [{ network: '::ffff:10.0.0.0/104', note: '' }])),
    );
    assert.ok(l.ok && l.event.type === 'list');
    assert.equal(l.event.entries[0]!.network, '10.0.0.0/8');
  });

  const cases: Array<[string, (e: Record<string, unknown>) => unknown, RegExp]> = [
    [
      'an nft injection in the address',
      (e) => ({ ...e, block: { ...(e.block as object), ip: '1.2.3.4 }; flush ruleset' } }),
      /ip is not/,
    ],
    [
      'a network with host bits',
      (e) => ({
        ...e,
        type: 'list',
        list: 'deny',
        op: 'add',
        entries: [{ network: '10.0.0.1/8', note: '' }],
      }),
      /host bits/,
    ],
    [
      'a list entry no packet comes from (loopback): the list file refuses it, and one failed the whole change on every host',
      (e) => ({ ...e, type: 'list', list: 'deny', op: 'add', entries: [{ network: '127.0.0.1', note: '' }] }),
      /no packet comes from it/,
    ],
    ['an unknown version', (e) => ({ ...e, v: 2 }), /version 2/],
    ['an unknown type', (e) => ({ ...e, type: 'shell' }), /type shell is unknown/],
    ['an id of another host', (e) => ({ ...e, id: 'pbx-2:1' }), /id is not/],
    ['a bad host id', (e) => ({ ...e, host: '../etc', id: '../etc:1' }), /host is not a host id/],
    [
      'a host-only setting',
      (e) => ({ ...e, type: 'settings', values: { STATE_DIR: '/tmp' } }),
      /STATE_DIR is not a fleet-wide/,
    ],
    ['an unknown setting', (e) => ({ ...e, type: 'settings', values: { NO_SUCH: '1' } }), /not a fleet-wide/],
    ['a time that is not a number', (e) => ({ ...e, at: 'now' }), /at is not a number/],
    [
      'an expiry past year 5138',
      (e) => ({ ...e, block: { ...(e.block as object), expiresAt: 1e12 } }),
      /expiresAt/,
    ],
    [
      'too many users',
      (e) => ({ ...e, block: { ...(e.block as object), users: Array(51).fill('1') } }),
      /users/,
    ],
    [
      'a reason outside the catalog',
      (e) => ({ ...e, block: { ...(e.block as object), reason: 'pwned' } }),
      /reason/,
    ],
    ['a bad digest', (e) => ({ ...e, type: 'geoip', sha256: 'zz', bytes: 1 }), /sha256/],
    ['a list that is not an object', () => [1, 2], /event is not an object/],
  ];
  for (const [what, mutate, reason] of cases) {
    it(`refuses ${what} as a value, never a throw`, () => {
      const e = JSON.parse(encodeEvent(aBlockEvent('pbx-1', aBlock('203.0.113.9')))) as Record<
        string,
        unknown
      >;
      const r = decodeEvent(JSON.stringify(mutate(e)));
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.reason, reason);
    });
  }

  it('refuses what is not JSON or too large', () => {
    assert.deepEqual(decodeEvent('{'), { ok: false, reason: 'not JSON' });
    assert.equal(decodeEvent(' '.repeat(4 * 1024 * 1024 + 1)).ok, false);
  });

  it('turns control characters in peer text into spaces (terminal, log and mail safety)', () => {
    const r = decodeEvent(
      encodeEvent(aBlockEvent('pbx-1', aBlock('203.0.113.9', { userAgent: 'x\u001b[2Jy', note: 'a\nb' }))),
    );
    assert.ok(r.ok && r.event.type === 'block');
    assert.equal(r.event.block.userAgent, 'x [2Jy');
    assert.equal(r.event.block.note, 'a b');
  });
});

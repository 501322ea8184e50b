/**
 * The one lock-out guard (issue 10 item 8): a change is refused only when it itself cuts
 * off a protected address, and allow beats deny — an allow-listed admin inside a denied
 * network is not locked out (the API and LocalAdmin used to disagree on exactly that).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { networkContains, parseNetwork } from '../net/ip.js';
import type { ListEntry } from '../types.js';
import { AccessLists } from './lists.js';
import { findLockouts, type GuardFacts, guardChange, LOOPBACK, type Protected } from './lockout.js';

function facts(
  allow: ListEntry[],
  deny: ListEntry[],
  opts: { countries?: Record<string, string>; blocked?: string[]; dynamic?: string[] } = {},
): GuardFacts {
  const lists = new AccessLists(allow, deny);
  return {
    allowCovering: (ip) => allow.filter((e) => networkContains(parseNetwork(e.network)!, ip)),
    denyOf: (ip) => lists.check(ip).deny ?? null,
    country: (ip) => opts.countries?.[ip] ?? null,
    blockedCountries: opts.blocked ?? [],
    dynamic: (ip) => (opts.dynamic ?? []).includes(ip),
  };
}

const e = (network: string, note = ''): ListEntry => ({ network, note });
const ME: Protected = { ip: '203.0.113.50', why: 'you are connected from it' };
const HOST: Protected = { ip: '10.77.1.5', why: "this host's address (eth0)" };

describe('lock-out guard', () => {
  it('deny add: refused when a new entry covers a protected address, naming who and why', () => {
    const found = findLockouts({ kind: 'deny-add', networks: ['10.77.1.0/24'] }, [ME, HOST], facts([], []));
    assert.deepEqual(found, [
      { ip: '10.77.1.5', why: "this host's address (eth0)", cause: 'denying 10.77.1.0/24' },
    ]);
    assert.throws(
      () => guardChange({ kind: 'deny-add', networks: ['10.77.1.0/24'] }, [HOST], facts([], [])),
      /SP_ERR_LOCKOUT|refused: denying 10\.77\.1\.0\/24 would cut off 10\.77\.1\.5 \(this host's address \(eth0\)\)/,
    );
  });

  it('allow beats deny: an allow-listed admin inside the denied network is not locked out', () => {
    const f = facts([e('203.0.113.50', 'me')], []);
    assert.deepEqual(findLockouts({ kind: 'deny-add', networks: ['203.0.113.0/24'] }, [ME], f), []);
  });

  it('loopback is protected: a network containing it is refused', () => {
    const found = findLockouts(
      { kind: 'deny-add', networks: ['0.0.0.0/1', '::/0'] },
      LOOPBACK,
      facts([], []),
    );
    assert.deepEqual(
      found.map((l) => [l.ip, l.cause]),
      [
        ['127.0.0.1', 'denying 0.0.0.0/1'],
        ['::1', 'denying ::/0'],
      ],
    );
  });

  it('allow remove: refused only when the last covering entry goes and something then drops the address', () => {
    const allow = [e('203.0.113.50'), e('203.0.113.0/25')];
    const denied = facts(allow, [e('203.0.113.0/24')]);
    assert.deepEqual(
      findLockouts({ kind: 'allow-remove', networks: ['203.0.113.50'] }, [ME], denied),
      [],
      'a /25 still covers',
    );
    const all = findLockouts({ kind: 'allow-remove', networks: null }, [ME], denied);
    assert.equal(all.length, 1);
    assert.equal(
      all[0]!.cause,
      'removing 203.0.113.50, 203.0.113.0/25 from the allow list (then the deny list entry 203.0.113.0/24 drops it)',
    );
    const nothingDrops = facts(allow, []);
    assert.deepEqual(findLockouts({ kind: 'allow-remove', networks: null }, [ME], nothingDrops), []);
    const country = facts(allow, [], { countries: { '203.0.113.50': 'NL' }, blocked: ['NL'] });
    assert.match(
      findLockouts({ kind: 'allow-remove', networks: null }, [ME], country)[0]!.cause,
      /blocked country NL/,
    );
    const dyn = facts(allow, [], { dynamic: ['203.0.113.50'] });
    assert.match(
      findLockouts({ kind: 'allow-remove', networks: null }, [ME], dyn)[0]!.cause,
      /a dynamic block/,
    );
  });

  it('countries: refused for a protected address in a newly blocked country, unless allowed', () => {
    const f = facts([], [], { countries: { '203.0.113.50': 'NL', '10.77.1.5': 'DE' } });
    const found = findLockouts({ kind: 'countries', countries: ['CN', 'NL'] }, [ME, HOST], f);
    assert.deepEqual(
      found.map((l) => [l.ip, l.cause]),
      [['203.0.113.50', 'blocking the country NL']],
    );
    const allowed = facts([e('203.0.113.0/24')], [], { countries: { '203.0.113.50': 'NL' } });
    assert.deepEqual(findLockouts({ kind: 'countries', countries: ['NL'] }, [ME], allowed), []);
  });

  it('what already dropped the address is not the change’s fault', () => {
    const f = facts([], [e('203.0.113.0/24')], { countries: { '203.0.113.50': 'NL' }, blocked: ['NL'] });
    assert.deepEqual(findLockouts({ kind: 'deny-add', networks: ['192.0.2.0/24'] }, [ME], f), []);
    assert.deepEqual(findLockouts({ kind: 'countries', countries: ['NL', 'CN'] }, [ME], f), []);
  });

  it('force overrides; the error lists every address and how to go ahead', () => {
    const change = { kind: 'deny-add', networks: ['0.0.0.0/0'] } as const;
    assert.doesNotThrow(() => guardChange(change, [ME, HOST], facts([], []), true));
    assert.throws(
      () => guardChange(change, [ME, HOST], facts([], [])),
      (err: Error & { code?: string; details?: { lockouts: unknown[] } }) => {
        assert.equal(err.code, 'SP_ERR_LOCKOUT');
        assert.equal(err.details?.lockouts.length, 2);
        assert.match(err.message, /Add 203\.0\.113\.50 to the allow list first, or repeat with --force/);
        return true;
      },
    );
  });
});

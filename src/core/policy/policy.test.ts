import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { aBlock } from '../records.testkit.js';
import type { Verdict } from '../types.js';
import { MinHeap } from './heap.js';
import { extendInterval, type ListLookup, Policy, type PolicyConfig } from './policy.js';

const IP = '203.0.113.7';

function lists(allowed: string[] = [], denied: string[] = []): ListLookup {
  return {
    check(ip: string) {
      if (ip === 'not-an-ip') throw new Error('invalid');
      if (allowed.includes(ip)) return { status: 'allowed' };
      if (denied.includes(ip)) return { status: 'denied' };
      return { status: 'none' };
    },
  };
}

function policy(over: Partial<PolicyConfig> = {}, l: ListLookup = lists(), geo: Record<string, string> = {}) {
  return new Policy(
    { blockTime: 600, blockThreshold: 5, blockedCountries: [], ...over },
    { lists: l, country: (ip) => geo[ip] ?? null },
  );
}

function verdict(at: number, over: Partial<Verdict> = {}): Verdict {
  return {
    at,
    ip: IP,
    rule: 'auth-failures',
    userAgent: 'friendly-scanner',
    attempts: 10,
    users: ['100', '101'],
    transport: 'udp',
    port: 5060,
    misconfiguredPhone: false,
    ...over,
  };
}

describe('Policy: verdicts', () => {
  test('a verdict blocks for BLOCKTIME with everything that explains it', () => {
    const p = policy({}, lists(), { [IP]: 'nl' });
    const d = p.onVerdict(verdict(100));
    assert.equal(d.length, 1);
    assert.deepEqual(d[0], {
      at: 100,
      ip: IP,
      action: 'block',
      reason: 'auth-failures',
      expiresAt: 700,
      userAgent: 'friendly-scanner',
      users: ['100', '101'],
      attempts: 10,
      transport: 'udp',
      port: 5060,
      country: 'nl',
      timesBlocked: 1,
      misconfiguredPhone: false,
      note: '10 failed authentication attempts for 100, 101, user agent "friendly-scanner"',
    });
    assert.ok(p.isBlocked(IP));
    assert.equal(p.recordOf(IP)?.blockedAt, 100);
  });

  test('the misconfigured-phone label is carried and explained', () => {
    const p = policy();
    const [d] = p.onVerdict(verdict(1, { misconfiguredPhone: true, users: ['205'] }));
    assert.equal(d!.misconfiguredPhone, true);
    assert.match(d!.note!, /misconfigured phone .* check extension 205/);
    assert.equal(p.recordOf(IP)?.misconfiguredPhone, true);
  });

  // [name, lists, countries, blocked countries, decisions expected]
  const gates: Array<[string, ListLookup, Record<string, string>, string[], number]> = [
    ['allow list wins', lists([IP]), {}, [], 0],
    ['allow list beats deny list and country', lists([IP], [IP]), { [IP]: 'CN' }, ['CN'], 0],
    ['deny-listed: the kernel already drops it', lists([], [IP]), {}, [], 0],
    ['country-blocked: the kernel already drops it', lists(), { [IP]: 'cn' }, ['CN'], 0],
    ['another country is blocked', lists(), { [IP]: 'DE' }, ['CN'], 1],
    ['invalid address: nothing, no throw', lists(), {}, [], 1],
  ];
  for (const [name, l, geo, countries, n] of gates) {
    test(name, () => {
      const p = policy({ blockedCountries: countries }, l, geo);
      assert.equal(p.onVerdict(verdict(1)).length, n);
    });
  }

  test('an invalid address decides nothing', () => {
    const p = policy();
    assert.deepEqual(p.onVerdict(verdict(1, { ip: 'not-an-ip' })), []);
    assert.equal(p.stats.invalid, 1);
  });

  test('a verdict about a blocked address adds nothing', () => {
    const p = policy();
    p.onVerdict(verdict(1));
    assert.deepEqual(p.onVerdict(verdict(2, { rule: 'scanner' })), []);
    assert.equal(p.timesBlocked(IP), 1);
  });
});

describe('Policy: renewal and expiry', () => {
  test('a new packet during the block renews it', () => {
    const p = policy();
    p.onVerdict(verdict(100));
    const d = p.onPacket(IP, 400);
    assert.equal(d.length, 1);
    assert.equal(d[0]!.action, 'extend');
    assert.equal(d[0]!.reason, 'auth-failures');
    assert.equal(d[0]!.expiresAt, 1000);
    assert.deepEqual(p.tick(999.9), []);
    const u = p.tick(1000);
    assert.deepEqual(
      u.map((x) => [x.action, x.reason, x.at, x.expiresAt]),
      [['unblock', 'expired', 1000, null]],
    );
    assert.equal(p.isBlocked(IP), false);
  });

  test('expiry after BLOCKTIME of silence, not before', () => {
    const p = policy({ blockTime: 60 });
    p.onVerdict(verdict(10));
    assert.deepEqual(p.tick(69.999), []);
    assert.equal(p.tick(70).length, 1);
    assert.deepEqual(p.tick(1e6), []);
  });

  test('packets from other addresses or non-attack traffic renew nothing', () => {
    const p = policy();
    p.onVerdict(verdict(0));
    assert.deepEqual(p.onPacket('203.0.113.8', 5), []);
    assert.deepEqual(p.onPacket(IP, 5, false), []);
    assert.equal(p.recordOf(IP)?.expiresAt, 600);
  });

  test('a flood renews exactly but reports a renewal at most every tenth of BLOCKTIME (1-60 s)', () => {
    for (const [blockTime, interval] of [
      [5, 1],
      [20, 2],
      [600, 60],
      [86_400, 60],
    ] as const) {
      assert.equal(extendInterval(blockTime), interval);
      const p = policy({ blockTime });
      p.onVerdict(verdict(0));
      const decisions = [];
      // Ten intervals of 100 pps (times in whole ms, so no sum of floats decides a boundary).
      for (let ms = 10; ms <= interval * 10_000; ms += 10) decisions.push(...p.onPacket(IP, ms / 1000));
      assert.equal(decisions.length, 10, `BLOCKTIME ${blockTime}: got ${decisions.length}`);
      assert.ok(
        decisions.every((d, i) => d.action === 'extend' && d.at === interval * (i + 1)),
        `BLOCKTIME ${blockTime}: one renewal each ${interval} s`,
      );
      assert.equal(p.recordOf(IP)?.expiresAt, blockTime + interval * 10);
      assert.equal(decisions.at(-1)!.expiresAt, blockTime + interval * 10);
    }
  });

  test('an unreported renewal is reported when the reported expiry comes due', () => {
    const p = policy({ blockTime: 600 });
    p.onVerdict(verdict(0));
    assert.deepEqual(p.onPacket(IP, 0.5), [], 'within the interval after the block: not reported');
    const d = p.tick(600);
    assert.deepEqual(
      d.map((x) => [x.action, x.at, x.expiresAt]),
      [['extend', 600, 600.5]],
    );
    assert.deepEqual(
      p.tick(600.5).map((x) => [x.action, x.reason, x.at]),
      [['unblock', 'expired', 600.5]],
    );
  });

  test('onPacket after the block ran out lifts it instead of renewing it', () => {
    const p = policy({ blockTime: 60 });
    p.onVerdict(verdict(0));
    const d = p.onPacket(IP, 100);
    assert.deepEqual(
      d.map((x) => [x.action, x.at]),
      [['unblock', 60]],
    );
    assert.equal(p.isBlocked(IP), false);
  });

  test('many blocks lift in expiry order', () => {
    const p = policy({ blockTime: 1000 });
    const ats = Array.from({ length: 500 }, (_, i) => (i * 7919) % 500);
    for (const at of ats) p.onVerdict(verdict(at, { ip: `10.0.${at >> 8}.${at & 255}` }));
    const lifted = p.tick(10_000).map((d) => d.at);
    assert.equal(lifted.length, 500);
    assert.deepEqual(
      lifted,
      [...lifted].sort((a, b) => a - b),
    );
    assert.equal(p.activeCount, 0);
  });
});

describe('Policy: threshold', () => {
  function blockTimes(p: Policy, n: number) {
    const out = [];
    for (let i = 0; i < n; i++) {
      const at = i * 1000;
      out.push(...p.onVerdict(verdict(at)));
      out.push(...p.tick(at + 700));
    }
    return out.filter((d) => d.action !== 'unblock');
  }

  test('the block that follows BLOCK_THRESHOLD earlier ones is permanent', () => {
    const p = policy({ blockThreshold: 5 });
    const d = blockTimes(p, 6);
    assert.deepEqual(
      d.map((x) => [x.action, x.timesBlocked]),
      [
        ['block', 1],
        ['block', 2],
        ['block', 3],
        ['block', 4],
        ['block', 5],
        ['permanent', 6],
      ],
    );
    const perm = d[5]!;
    assert.equal(perm.reason, 'threshold');
    assert.equal(perm.expiresAt, null);
    assert.match(
      perm.note!,
      /^permanent after 5 dynamic blocks \(auth-failures, user agent "friendly-scanner"\)/,
    );
    assert.ok(p.isBlocked(IP));
    assert.deepEqual(p.tick(1e9), [], 'permanent never expires');
    assert.deepEqual(p.onPacket(IP, 6000), [], 'nor renews');
    assert.deepEqual(p.onVerdict(verdict(7000)), []);
  });

  test('threshold 1: the second block is permanent', () => {
    const d = blockTimes(policy({ blockThreshold: 1 }), 2);
    assert.deepEqual(
      d.map((x) => x.action),
      ['block', 'permanent'],
    );
  });

  test('threshold 0: never permanent', () => {
    const d = blockTimes(policy({ blockThreshold: 0 }), 50);
    assert.equal(d.length, 50);
    assert.ok(d.every((x) => x.action === 'block'));
    assert.equal(d.at(-1)!.timesBlocked, 50);
  });
});

describe('Policy: by hand, and restore', () => {
  test('manual block, renewal, and unblock', () => {
    const p = policy();
    const [b] = p.block(IP, 5);
    assert.equal(b!.action, 'block');
    assert.equal(b!.reason, 'manual');
    assert.equal(b!.expiresAt, 605);
    const [e] = p.block(IP, 10);
    assert.equal(e!.action, 'extend');
    assert.equal(e!.expiresAt, 610);
    const [u] = p.unblock(IP, 20);
    assert.deepEqual([u!.action, u!.reason, u!.at], ['unblock', 'manual', 20]);
    assert.equal(p.isBlocked(IP), false);
    assert.deepEqual(p.tick(1e6), [], 'the lifted block does not expire again');
    assert.deepEqual(p.unblock(IP, 30), [], 'nothing to lift');
  });

  test('a manual block respects the allow list', () => {
    assert.deepEqual(policy({}, lists([IP])).block(IP, 1), []);
  });

  test('unblock keeps the history unless asked to forget it', () => {
    const p = policy({ blockThreshold: 1 });
    p.onVerdict(verdict(0));
    p.unblock(IP, 1);
    assert.equal(p.onVerdict(verdict(2))[0]!.action, 'permanent');
    p.unblock(IP, 3, { forgetHistory: true });
    assert.equal(p.timesBlocked(IP), 0);
    assert.equal(p.onVerdict(verdict(4))[0]!.action, 'block');
  });

  test('restore loads running blocks, permanent ones and counts', () => {
    const rec = (ip: string, expiresAt: number | null, timesBlocked: number) =>
      aBlock(ip, { firstSeen: 0, lastSeen: 0, blockedAt: 0, expiresAt, timesBlocked });
    const p = policy({ blockThreshold: 3 });
    p.restore(
      [rec('192.0.2.1', 500, 1), rec('192.0.2.2', 50, 2), rec('192.0.2.3', null, 4)],
      new Map([[IP, 3]]),
    );
    assert.ok(p.isBlocked('192.0.2.1') && p.isBlocked('192.0.2.2') && p.isBlocked('192.0.2.3'));
    assert.deepEqual(
      p.tick(100).map((d) => [d.ip, d.action, d.at]),
      [['192.0.2.2', 'unblock', 50]],
    );
    assert.equal(p.onPacket('192.0.2.1', 200)[0]!.expiresAt, 800);
    assert.equal(p.onVerdict(verdict(300))[0]!.action, 'permanent', 'three earlier blocks restored');
    assert.equal(p.onVerdict(verdict(300, { ip: '192.0.2.2' }))[0]!.timesBlocked, 3);
  });
});

describe('MinHeap', () => {
  test('pops in key order', () => {
    const h = new MinHeap<number>();
    let seed = 7;
    const keys: number[] = [];
    for (let i = 0; i < 1000; i++) {
      seed = (seed * 48271) % 2147483647;
      keys.push(seed % 10_000);
      h.push(keys[i]!, i);
    }
    const got: number[] = [];
    while (h.size > 0) got.push(keys[h.pop()!]!);
    assert.deepEqual(
      got,
      [...keys].sort((a, b) => a - b),
    );
    assert.equal(h.pop(), undefined);
    assert.equal(h.peekKey(), Number.POSITIVE_INFINITY);
  });
});

describe('Policy: per-source slots (held.ts)', () => {
  test('a renewal is seen in the record handed out, in start order, IPv4 and IPv6 alike, through growth', () => {
    const p = policy({ blockThreshold: 0 });
    const ips: string[] = [];
    for (let i = 0; i < 3000; i++)
      ips.push(i % 3 === 0 ? `2001:db8::${i.toString(16)}` : `198.51.${i >> 8}.${i & 255}`);
    for (const [i, ip] of ips.entries()) p.onVerdict(verdict(100 + i / 1000, { ip }));
    // Every third address sends again at 400: its block runs to 1000, the others' to ~700.
    const renewed = ips.filter((_, i) => i % 3 === 1);
    for (const ip of renewed)
      assert.deepEqual(
        p.packetIfBlocked(ip, 400)?.map((d) => d.action),
        ['extend'],
      );
    assert.equal(p.packetIfBlocked('198.51.200.1', 400), null);
    const recs = [...p.blocks()];
    assert.deepEqual(
      recs.map((r) => r.ip),
      ips,
      'start order',
    );
    for (const r of recs) {
      const again = renewed.includes(r.ip);
      assert.equal(r.expiresAt, again ? 1000 : r.blockedAt + 600, r.ip);
      assert.equal(r.lastSeen, again ? 400 : r.blockedAt, r.ip);
      assert.equal(p.recordOf(r.ip)?.expiresAt, r.expiresAt);
    }
    // At 800 the blocks not renewed lift, each at its own expiry; the renewed ones stay.
    const lifted = p.tick(800);
    assert.equal(lifted.length, ips.length - renewed.length);
    assert.ok(lifted.every((d) => d.action === 'unblock' && d.at <= 703));
    assert.equal(p.activeCount, renewed.length);
    for (const ip of ips) assert.equal(p.isBlocked(ip), renewed.includes(ip), ip);
    // The count toward the threshold outlives the block, and is forgotten on request.
    assert.equal(p.timesBlocked(ips[0]!), 1);
    p.unblock(ips[0]!, 900, { forgetHistory: true });
    assert.equal(p.timesBlocked(ips[0]!), 0);
    p.unblock(ips[1]!, 900, { forgetHistory: true });
    assert.equal(p.timesBlocked(ips[1]!), 0);
    assert.equal(p.isBlocked(ips[1]!), false);
    assert.equal(p.onVerdict(verdict(901, { ip: ips[1]! }))[0]?.timesBlocked, 1);
  });
});

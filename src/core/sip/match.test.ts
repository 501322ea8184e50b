import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { answer, invite, register } from '../detect/detect.testkit.js';
import { HASH, identityUser, RequestTable, requestKey, targetUser, uriUser } from './match.js';
import { callHash } from './match-hash.js';

describe('uriUser', () => {
  const cases: Array<[string | null, string | null]> = [
    ['sip:100@pbx.example.com', '100'],
    ['sips:alice@example.com;transport=tls', 'alice'],
    ['<sip:200@198.51.100.10:5060>', '200'],
    ['sip:bob:secret@host', 'bob'],
    ['SIP:300@host', '300'],
    ['sip:pbx.example.com', null],
    ['sip:@host', null],
    ['tel:+15551234567;phone-context=x', '+15551234567'],
    ['http://example.com', null],
    ['sipx:1@host', null],
    ['<tel:123>', '123'],
    ['sip:host;user=phone', null],
    ['garbage', null],
    [null, null],
  ];
  for (const [uri, want] of cases) {
    test(`${uri} → ${want}`, () => assert.equal(uriUser(uri), want));
  }
});

describe('identityUser / targetUser', () => {
  test('REGISTER: the To user; credentials username first for the target', () => {
    const r = { method: 'REGISTER', toUser: '100', uriUser: null, authUser: 'acct-7' };
    assert.equal(identityUser(r), '100');
    assert.equal(targetUser(r), 'acct-7');
  });
  test('INVITE: the Request-URI user (the number dialled)', () => {
    const r = { method: 'INVITE', toUser: '100', uriUser: '0044123456', authUser: null };
    assert.equal(identityUser(r), '0044123456');
    assert.equal(targetUser(r), '0044123456');
  });
});

describe('RequestTable', () => {
  test('an answer finds its request and what detection needs', () => {
    const t = new RequestTable();
    const req = register({ at: 10, ip: '203.0.113.5', user: '100', creds: 'u100', ua: 'friendly-scanner' });
    t.remember('203.0.113.5', req);
    const e = t.match('203.0.113.5', answer(req, 401).msg);
    assert.ok(e);
    assert.equal(e.method, 'REGISTER');
    assert.equal(e.hasCredentials, true);
    assert.equal(e.authUser, 'u100');
    assert.equal(e.toUser, '100');
    assert.equal(e.userAgent, 'friendly-scanner');
    assert.equal(e.port, 5060);
    assert.equal(e.transport, 'udp');
    assert.equal(e.at, 10);
    assert.equal(e.callHash, callHash(req.msg.callId));
    assert.notEqual(e.callHash, callHash(`${req.msg.callId}x`));
    assert.equal(e.cseq, 1);
  });

  test('INVITE keeps the Request-URI user', () => {
    const t = new RequestTable();
    const req = invite({ at: 1, ip: '203.0.113.5', user: '900441234' });
    t.remember('203.0.113.5', req);
    assert.equal(t.match('203.0.113.5', answer(req, 404).msg)?.uriUser, '900441234');
  });

  test('answers that belong to nothing are ignored', () => {
    const t = new RequestTable();
    const req = register({ at: 1, ip: '203.0.113.5' });
    t.remember('203.0.113.5', req);
    const resp = answer(req, 401);
    assert.equal(t.match('203.0.113.6', resp.msg), null, 'other remote address');
    assert.equal(t.match('203.0.113.5', { ...resp.msg, callId: 'other' }), null, 'other Call-ID');
    assert.equal(t.match('203.0.113.5', { ...resp.msg, cseq: 2 }), null, 'other CSeq');
    assert.equal(t.match('203.0.113.5', { ...resp.msg, method: 'INVITE' }), null, 'other method');
    assert.equal(t.match('203.0.113.5', { ...resp.msg, branch: 'z9hG4bK-old' }), null, 'other transaction');
  });

  test('a retransmitted request keeps its entry (and its answered state)', () => {
    const t = new RequestTable();
    const req = register({ at: 1, ip: '203.0.113.5' });
    t.remember('203.0.113.5', req);
    t.setAnswered(401);
    const b = t.remember('203.0.113.5', { ...req, at: 1.5 })!;
    assert.equal(b.answered, 401);
    assert.equal(b.at, 1, 'the first transmission');
    assert.equal(t.size, 1);
  });

  test('a new transaction reusing Call-ID and CSeq: the newer one answers', () => {
    const t = new RequestTable();
    const req = register({ at: 1, ip: '203.0.113.5' });
    t.remember('203.0.113.5', req);
    t.setAnswered(401);
    const req2 = { ...req, at: 2, msg: { ...req.msg, branch: 'z9hG4bK-new' } };
    const b = t.remember('203.0.113.5', req2)!;
    assert.equal(b.answered, 0);
    assert.equal(t.size, 2);
    assert.equal(t.match('203.0.113.5', answer(req2, 401).msg)?.at, 2);
    assert.equal(t.match('203.0.113.5', answer(req, 401).msg), null, 'late answer to the old one');
  });

  test('without Call-ID/CSeq the branch is the key; without any key nothing is kept', () => {
    const t = new RequestTable();
    const req = register({ at: 1, ip: '203.0.113.5' });
    const noIds = { ...req, msg: { ...req.msg, callId: null, cseq: null } };
    assert.ok(t.remember('203.0.113.5', noIds));
    assert.ok(t.match('203.0.113.5', answer(noIds, 403).msg));
    const nothing = { ...req, msg: { ...req.msg, callId: null, cseq: null, branch: null } };
    assert.equal(t.remember('203.0.113.5', nothing), null);
  });

  test('requests expire after the ttl in packet time', () => {
    const t = new RequestTable({ ttl: 32 });
    const req = register({ at: 100, ip: '203.0.113.5' });
    t.remember('203.0.113.5', req);
    t.expire(131.9);
    assert.ok(t.match('203.0.113.5', answer(req, 401).msg));
    t.expire(132);
    assert.equal(t.match('203.0.113.5', answer(req, 401).msg), null);
    assert.equal(t.size, 0);
  });

  test('the table is bounded: the oldest request is dropped first', () => {
    const t = new RequestTable({ maxEntries: 3 });
    const reqs = [1, 2, 3, 4].map((i) => register({ at: i, ip: '203.0.113.5' }));
    for (const r of reqs) t.remember('203.0.113.5', r);
    assert.equal(t.size, 3);
    assert.equal(t.evicted, 1);
    assert.equal(t.match('203.0.113.5', answer(reqs[0]!, 401).msg), null);
    assert.ok(t.match('203.0.113.5', answer(reqs[3]!, 401).msg));
  });

  test('grows past its first columns and still finds every request', () => {
    const t = new RequestTable({ maxEntries: 10_000 });
    const reqs = Array.from({ length: 5000 }, (_, i) => register({ at: i / 1000, ip: `203.0.113.${i % 7}` }));
    for (const r of reqs) t.remember(r.src, r);
    assert.equal(t.size, 5000);
    for (const r of reqs) assert.equal(t.match(r.src, answer(r, 401).msg)?.at, r.at);
  });

  test('grows through every ring shape: early (tail at the end, head moved), full and wrapped, with expiries between', () => {
    // Phases of arrivals at times chosen to move the head (expiry after 32 s), so that the
    // table doubles once before its tail wraps with the head past 0 (slots kept), once full
    // after wrapping (unwrapped), and once from a plain full ring; after every phase each
    // request still due is found with its own fields and every expired one is gone.
    const t = new RequestTable({ maxEntries: 20_000 });
    const kept: ReturnType<typeof register>[] = [];
    // Every tenth request is a new transaction on the key of the fifth before it (new
    // branch): the index must point at the newest slot of a chain, the older one unanswerable.
    const superseded = new Set<ReturnType<typeof register>>();
    // Call-IDs whose keys share the first hash (a birthday search): chained slots, walked
    // through `next`, which an unwrap must renumber.
    const remote = '203.0.113.77';
    const seen = new Map<number, string>();
    const pairs: Array<[string, string]> = [];
    for (let i = 0; pairs.length < 2; i++) {
      requestKey(remote, register({ at: 0, ip: remote, callId: `k${i}`, cseq: 1 }).msg);
      const other = seen.get(HASH.h1);
      if (other !== undefined) pairs.push([other, `k${i}`]);
      else seen.set(HASH.h1, `k${i}`);
    }
    const chained = (which: 0 | 1, at: number) => {
      for (const p of pairs) {
        const r = register({ at, ip: remote, callId: p[which], cseq: 1 });
        kept.push(r);
        t.remember(remote, r);
      }
    };
    let n = 0;
    const add = (count: number, at: number) => {
      for (let i = 0; i < count; i++, n++) {
        const base = n % 10 === 9 ? kept[n - 5] : undefined;
        const ip = base?.src ?? `198.51.${(n >> 8) & 255}.${n & 255}`;
        const callId = base?.msg.callId ?? `c${n}`;
        const r = register({
          at,
          ip,
          user: `u${n}`,
          callId,
          cseq: base?.msg.cseq ?? 1 + (n % 5),
          ua: `ua${n % 3}`,
        });
        if (base !== undefined) superseded.add(base);
        kept.push(r);
        t.remember(ip, r);
      }
    };
    const check = (now: number) => {
      t.expire(now);
      let live = 0;
      for (const r of kept) {
        const found = t.match(r.src, answer(r, 401).msg);
        if (r.at + 32 > now) live++;
        if (r.at + 32 > now && !superseded.has(r)) {
          assert.equal(found?.at, r.at, `request ${r.msg.callId} at ${r.at} is found`);
          assert.equal(found?.toUser, r.msg.toUser);
          assert.equal(found?.userAgent, r.msg.userAgent);
          assert.equal(found?.cseq, r.msg.cseq);
        } else {
          assert.equal(found, null, `request ${r.msg.callId} at ${r.at} expired or superseded`);
        }
      }
      assert.equal(t.size, live);
    };
    add(300, 0); // slots 0-299 of 1,024
    add(300, 40); // the first 300 expire at the check: head 300
    check(40);
    add(700, 41); // the tail reaches 1,024 with 1,000 held: doubles early, head still 300
    check(41);
    add(600, 80); // all but these expire at the check: head 1,300, 600 held
    chained(0, 80);
    check(80);
    chained(1, 81);
    add(1500, 81); // the tail reaches 2,048 with 748 held: wraps; full at 2,048: unwrapped
    check(81);
    add(6000, 82); // a plain full ring (head 0) doubles: 4,096 -> 8,192
    check(82);
    assert.equal(t.evicted, 0);
  });

  test('keys sharing the first hash are chained, matched and evicted apart', () => {
    // Find two Call-IDs whose keys collide on the first 30-bit hash (birthday search).
    const remote = '203.0.113.5';
    const seen = new Map<number, string>();
    let pair: [string, string] | null = null;
    for (let i = 0; pair === null; i++) {
      const callId = `c${i}`;
      const ev = register({ at: 0, ip: remote, callId, cseq: 1 });
      requestKey(remote, ev.msg);
      const other = seen.get(HASH.h1);
      if (other !== undefined) pair = [other, callId];
      else seen.set(HASH.h1, callId);
    }
    const t = new RequestTable({ maxEntries: 2 });
    const a = register({ at: 1, ip: remote, callId: pair[0], cseq: 1 });
    const b = register({ at: 2, ip: remote, callId: pair[1], cseq: 1 });
    t.remember(remote, a);
    t.remember(remote, b);
    assert.equal(t.size, 2);
    assert.equal(t.match(remote, answer(a, 401).msg)?.at, 1);
    assert.equal(t.match(remote, answer(b, 401).msg)?.at, 2);
    t.expire(1 + 32); // drops a, the tail of the chain
    assert.equal(t.match(remote, answer(a, 401).msg), null);
    assert.equal(t.match(remote, answer(b, 401).msg)?.at, 2);
    const c = register({ at: 3, ip: remote, callId: pair[0], cseq: 1 });
    t.remember(remote, c);
    t.remember(remote, register({ at: 4, ip: remote })); // full: evicts b, the tail of c's chain
    assert.equal(t.match(remote, answer(b, 401).msg), null);
    assert.equal(t.match(remote, answer(c, 401).msg)?.at, 3);
  });

  test('the index holds under churn: 60k requests through 1,000 slots, found while kept, gone once dropped', () => {
    // Small tables wrap the ring and the index thousands of times: every eviction empties or
    // shortens a probe run (backward shift) and every doubling rebuilds the index.
    const t = new RequestTable({ maxEntries: 1000 });
    const reqs: ReturnType<typeof register>[] = [];
    const ipOf = (i: number) => `198.51.${(i >> 8) & 255}.${i & 255}`;
    let lost = 0;
    let ghosts = 0;
    for (let i = 0; i < 60_000; i++) {
      const ip = ipOf(i % 3000);
      const r = register({ at: 1000 + i / 1000, ip, callId: `c${i}`, cseq: 1 + (i % 7) });
      reqs.push(r);
      t.remember(ip, r);
      if (i % 97 !== 0) continue;
      for (let j = Math.max(0, i - 1500); j <= i; j++) {
        const found = t.match(ipOf(j % 3000), answer(reqs[j]!, 401).msg);
        if (j > i - 1000 && found?.at !== reqs[j]!.at) lost++;
        if (j <= i - 1000 && found !== null) ghosts++;
      }
    }
    assert.equal(t.size, 1000);
    assert.equal(t.evicted, 59_000);
    assert.equal(lost, 0, 'every request still in the table is found');
    assert.equal(ghosts, 0, 'no dropped request is found');
    t.expire(1000 + 60 + 32);
    assert.equal(t.size, 0);
    assert.equal(t.match(ipOf(59_999 % 3000), answer(reqs[59_999]!, 401).msg), null);
  });
});

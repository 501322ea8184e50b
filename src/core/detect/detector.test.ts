import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SipEvent, Verdict } from '../types.js';
import {
  answer,
  challenge401,
  challenge407,
  crackAttempt,
  forbidden403,
  invite,
  manualOnly,
  notFound404,
  ok200,
  options,
  phoneRegistration,
  register,
  stale401,
  testConfig,
  trying100,
  uniq,
} from './detect.testkit.js';
import { Detector, type DetectorOptions } from './detector.js';
import { PortSet, remoteOf } from './ports.js';

const ATTACKER = '203.0.113.66';
const NAT = '192.0.2.200';

function detector(over: Parameters<typeof testConfig>[0] = {}, opts: DetectorOptions = {}): Detector {
  return new Detector(testConfig(over), opts);
}

/** Feeds events in time order (stable), the way the Engine does. */
function run(d: Detector, events: SipEvent[], until?: number): Verdict[] {
  const ports = new PortSet([{ from: 5060, to: 5060 }]);
  const out: Verdict[] = [];
  const sorted = events.map((e, i) => [e, i] as const).sort((a, b) => a[0].at - b[0].at || a[1] - b[1]);
  for (const [ev] of sorted) {
    d.advance(ev.at, out);
    const remote = remoteOf(ev, ports);
    if (remote === null) continue;
    if (ev.msg.kind === 'request') d.onRequest(ev, remote, out);
    else d.onResponse(ev, remote, out);
  }
  if (until !== undefined) d.advance(until, out);
  return out;
}

/** One failed attempt with credentials, answered `status` at `at` + 0.01. */
function failed(
  at: number,
  status = 401,
  o: { user?: string; ip?: string; method?: string } = {},
): SipEvent[] {
  const req = register({ at, ip: o.ip ?? ATTACKER, user: o.user ?? '100', creds: true, method: o.method });
  return [req, answer(req, status)];
}

describe('failed attempts: what counts', () => {
  // [name, events for one attempt, counts as failure]
  const cases: Array<[string, (at: number) => SipEvent[], boolean]> = [
    ['401 to a request with credentials', (at) => failed(at, 401), true],
    ['407 to a request with credentials', (at) => failed(at, 407), true],
    ['403 to a request with credentials', (at) => failed(at, 403), true],
    [
      '403 to a request without credentials',
      (at) => {
        const r = register({ at, ip: ATTACKER, user: '100' });
        return [r, forbidden403(r)];
      },
      true,
    ],
    [
      '404 to a REGISTER',
      (at) => {
        const r = register({ at, ip: ATTACKER, user: '100' });
        return [r, notFound404(r)];
      },
      true,
    ],
    [
      '404 to an INVITE without credentials',
      (at) => {
        const r = invite({ at, ip: ATTACKER, user: '100' });
        return [r, notFound404(r)];
      },
      false,
    ],
    [
      '401 with stale=true',
      (at) => {
        const r = register({ at, ip: ATTACKER, user: '100', creds: true });
        return [r, stale401(r)];
      },
      false,
    ],
    [
      '401 challenge to a request without credentials',
      (at) => {
        const r = register({ at, ip: ATTACKER, user: '100' });
        return [r, challenge401(r)];
      },
      false,
    ],
    [
      '407 challenge to an INVITE without credentials',
      (at) => {
        const r = invite({ at, ip: ATTACKER, user: '100' });
        return [r, challenge407(r)];
      },
      false,
    ],
    [
      'normal registration (REGISTER → 401 → REGISTER+creds → 200)',
      (at) => phoneRegistration(ATTACKER, '100', at),
      false,
    ],
    [
      'provisional answers only',
      (at) => {
        const r = invite({ at, ip: ATTACKER, user: '100', creds: true });
        return [r, trying100(r)];
      },
      false,
    ],
    [
      '401 from a remote party to a request the local server sent',
      (at) => {
        const r = register({ at, ip: ATTACKER, user: '100', creds: true, dport: 5070 });
        return [r, answer(r, 401)];
      },
      false,
    ],
  ];
  for (const [name, attempt, counts] of cases) {
    test(`${name}: ${counts ? 'counts' : 'does not count'}`, () => {
      const d = detector({ hitCount: 3, enumUsers: 1000, enumChallenges: 1000 });
      const events = [0, 1, 2].flatMap((i) => attempt(i * 5));
      const v = run(d, events, 30);
      assert.equal(d.stats.failures, counts ? 3 : 0);
      assert.equal(v.length, counts ? 1 : 0);
      if (counts) assert.equal(v[0]!.rule, 'auth-failures');
    });
  }
});

describe('auth-failures rule', () => {
  test('exactly the HIT_COUNT-th failure blocks, at that attempt', () => {
    const d = detector({ hitCount: 5 });
    const events = [0, 1, 2, 3].flatMap((i) => crackAttempt(ATTACKER, '100', i * 2, { ua: 'sipcrack-x' }));
    assert.deepEqual(run(d, events), [], 'four failures do not block');
    assert.equal(d.stats.failures, 4);
    const fifth = crackAttempt(ATTACKER, '101', 8, { ua: 'sipcrack-x', transport: 'tcp' });
    const v = run(d, fifth);
    assert.equal(v.length, 1);
    assert.deepEqual(v[0], {
      at: fifth[3]!.at,
      ip: ATTACKER,
      rule: 'auth-failures',
      userAgent: 'sipcrack-x',
      attempts: 5,
      users: ['101', '100'],
      transport: 'tcp',
      port: 5060,
      misconfiguredPhone: false,
    });
  });

  test('hit_count 1 blocks at the first failure', () => {
    const v = run(detector({ hitCount: 1 }), failed(3));
    assert.equal(v.length, 1);
    assert.equal(v[0]!.at, 3.01);
  });

  test('failures spread wider than MONIT_PERIOD never block', () => {
    // 5 failures span exactly 60 s: the window is (now - 60, now]. (40 at 4 a minute
    // would be a slow attack: that rule is off here, see slow.test.ts.)
    const d = detector({ hitCount: 5, monitPeriod: 60, detection: manualOnly() });
    const events = Array.from({ length: 40 }, (_, i) => failed(i * 15)).flat();
    assert.deepEqual(run(d, events), []);
    assert.equal(d.stats.failures, 40);
  });

  test('the same pace just inside the window blocks at the 5th', () => {
    const d = detector({ hitCount: 5, monitPeriod: 60 });
    const events = Array.from({ length: 5 }, (_, i) => failed(i * 14.9)).flat();
    const v = run(d, events);
    assert.equal(v.length, 1);
    assert.equal(v[0]!.at, 4 * 14.9 + 0.01);
  });

  test('the transition is reported once: the next verdict needs a full new window', () => {
    const d = detector({ hitCount: 3 });
    const events = Array.from({ length: 7 }, (_, i) => failed(i)).flat();
    const v = run(d, events);
    assert.deepEqual(
      v.map((x) => x.at),
      [2.01, 5.01],
    );
  });

  test('a retransmitted final answer is one failure', () => {
    const d = detector({ hitCount: 2 });
    const req = register({ at: 0, ip: ATTACKER, creds: true });
    const resp = answer(req, 403);
    run(d, [req, resp, { ...req, at: 0.5 }, { ...resp, at: 0.51 }, { ...resp, at: 1.01 }]);
    assert.equal(d.stats.failures, 1);
    assert.equal(d.stats.retransmissions, 2);
  });

  test('answers matching no request are ignored', () => {
    const d = detector({ hitCount: 1 });
    const req = register({ at: 0, ip: ATTACKER, creds: true });
    const v = run(d, [answer(req, 403), answer(req, 401)]);
    assert.deepEqual(v, []);
    assert.equal(d.stats.unmatched, 2);
  });

  test('failures from different addresses are counted apart', () => {
    const d = detector({ hitCount: 3 });
    const events = [0, 1, 2, 3, 4, 5].flatMap((i) =>
      failed(i, 401, { ip: i % 2 ? '203.0.113.1' : '203.0.113.2' }),
    );
    const v = run(d, events);
    assert.deepEqual(
      v.map((x) => [x.ip, x.at]),
      [
        ['203.0.113.2', 4.01],
        ['203.0.113.1', 5.01],
      ],
    );
  });

  test('users are capped at 16, most recent first', () => {
    const d = detector({ hitCount: 40, detection: manualOnly() });
    const events = Array.from({ length: 40 }, (_, i) => failed(i, 401, { user: `u${i}` })).flat();
    const v = run(d, events);
    assert.equal(v.length, 1);
    assert.equal(v[0]!.users.length, 16);
    assert.equal(v[0]!.users[0], 'u39');
    assert.equal(v[0]!.users[15], 'u24');
  });

  test('toll-fraud probing: INVITEs to outside numbers answered 403 count', () => {
    const d = detector({ hitCount: 4, enumUsers: 1000 });
    const events = Array.from({ length: 4 }, (_, i) => {
      const r = invite({ at: i, ip: ATTACKER, user: `00972${i}`, creds: 'sales' });
      return [r, forbidden403(r)];
    }).flat();
    const v = run(d, events);
    assert.equal(v.length, 1);
    assert.equal(v[0]!.users[0], 'sales');
  });
});

describe('misconfigured phone label', () => {
  function phoneRetries(
    n: number,
    gap: (i: number) => number,
    o: { sameCall?: boolean; status?: number } = {},
  ) {
    const callId = uniq('phone-');
    let at = 0;
    const events: SipEvent[] = [];
    for (let i = 0; i < n; i++) {
      const r = register({
        at,
        ip: NAT,
        user: '205',
        creds: true,
        callId: o.sameCall === false ? uniq('c') : callId,
        cseq: 10 + i * 2,
      });
      events.push(r, answer(r, o.status ?? 403));
      at += gap(i);
    }
    return events;
  }

  const cases: Array<[string, SipEvent[], boolean]> = [
    ['one user, one Call-ID, rising CSeq, every 5 s (403)', phoneRetries(10, () => 5), true],
    [
      'the same with a little jitter (404 to REGISTER)',
      phoneRetries(10, (i) => 5 + (i % 3) * 0.4, { status: 404 }),
      true,
    ],
    ['wrong password: 401 to credentials every 4 s', phoneRetries(10, () => 4, { status: 401 }), true],
    ['a new Call-ID each time (a cracker)', phoneRetries(10, () => 5, { sameCall: false }), false],
    ['irregular bursts', phoneRetries(10, (i) => (i % 2 ? 0.2 : 11)), false],
    ['too fast for a phone (a scripted loop)', phoneRetries(10, () => 0.05), false],
  ];
  for (const [name, events, phone] of cases) {
    test(`${name} → misconfiguredPhone ${phone}`, () => {
      const v = run(detector({ hitCount: 10 }), events);
      assert.equal(v.length, 1, 'still blocked');
      assert.equal(v[0]!.rule, 'auth-failures');
      assert.equal(v[0]!.misconfiguredPhone, phone);
    });
  }

  test('another user failing in between breaks the run', () => {
    const events = phoneRetries(10, () => 5);
    const other = failed(22.5, 403, { ip: NAT, user: '999' });
    const v = run(detector({ hitCount: 10 }), [...events, ...other]);
    assert.equal(v.length, 1);
    assert.equal(v[0]!.misconfiguredPhone, false);
  });
});

describe('scanner rule', () => {
  test('a scanner user agent is blocked at its first request', () => {
    const d = detector();
    const r = options({ at: 7, ip: ATTACKER, user: '100', ua: 'Friendly-Scanner', transport: 'udp' });
    const v = run(d, [r]);
    assert.deepEqual(v, [
      {
        at: 7,
        ip: ATTACKER,
        rule: 'scanner',
        userAgent: 'Friendly-Scanner',
        attempts: 1,
        users: ['100'],
        transport: 'udp',
        port: 5060,
        misconfiguredPhone: false,
      },
    ]);
  });

  test('ordinary user agents and requests without one pass', () => {
    const d = detector();
    const v = run(d, [
      options({ at: 1, ip: ATTACKER, ua: 'Asterisk PBX 18.9.0' }),
      options({ at: 2, ip: ATTACKER, ua: null }),
    ]);
    assert.deepEqual(v, []);
  });
});

describe('enumeration rule', () => {
  test('distinct users answered 404 (INVITE/OPTIONS) → enumeration at the ENUM_USERS-th', () => {
    const d = detector({ enumUsers: 5, hitCount: 100 });
    const events = Array.from({ length: 6 }, (_, i) => {
      const r = invite({ at: i, ip: ATTACKER, user: `${100 + i}`, ua: 'pplsip' });
      return [r, notFound404(r)];
    }).flat();
    const v = run(d, events);
    assert.equal(v.length, 1);
    assert.equal(v[0]!.rule, 'enumeration');
    assert.equal(v[0]!.at, 4.01);
    assert.equal(v[0]!.attempts, 5);
    assert.deepEqual(v[0]!.users, ['104', '103', '102', '101', '100']);
  });

  test('the same user probed again is one user', () => {
    const d = detector({ enumUsers: 3, hitCount: 100 });
    const events = Array.from({ length: 20 }, (_, i) => {
      const r = options({ at: i, ip: ATTACKER, user: i % 2 ? '100' : '101' });
      return [r, notFound404(r)];
    }).flat();
    assert.deepEqual(run(d, events), []);
  });

  test('distinct users spread wider than MONIT_PERIOD do not count together', () => {
    const d = detector({ enumUsers: 3, hitCount: 100, monitPeriod: 60 });
    const events = Array.from({ length: 10 }, (_, i) => {
      const r = options({ at: i * 30, ip: ATTACKER, user: `${100 + i}` });
      return [r, notFound404(r)];
    }).flat();
    assert.deepEqual(run(d, events), []);
  });

  test('svwar against a registrar that challenges every user: unanswered challenges', () => {
    const d = detector({ enumUsers: 10, enumChallenges: 1000, hitCount: 100 }, { followUpGrace: 10 });
    // 19 users: the 10th unanswered one is the verdict; the 9 after it start a new window.
    const events = Array.from({ length: 19 }, (_, i) => {
      const r = register({ at: i * 0.05, ip: ATTACKER, user: `${200 + i}`, ua: null });
      return [r, challenge401(r)];
    }).flat();
    assert.deepEqual(run(d, events), [], 'nothing is judged before the follow-up grace');
    const v = run(d, [], 20);
    assert.equal(v.length, 1);
    assert.equal(v[0]!.rule, 'enumeration');
    assert.equal(v[0]!.at, 9 * 0.05 + 0.01 + 10, 'judged when the 10th challenge went unanswered');
    assert.equal(v[0]!.attempts, 10);
  });

  test('many challenges for one user never answered → ENUM_CHALLENGES', () => {
    const d = detector({ enumUsers: 1000, enumChallenges: 8, hitCount: 100 }, { followUpGrace: 5 });
    const events = Array.from({ length: 8 }, (_, i) => {
      const r = register({ at: i, ip: ATTACKER, user: '100' });
      return [r, challenge401(r)];
    }).flat();
    const v = run(d, events, 100);
    assert.equal(v.length, 1);
    assert.equal(v[0]!.rule, 'enumeration');
    assert.equal(v[0]!.attempts, 8);
    assert.equal(v[0]!.at, 7.01 + 5);
  });

  test('a NAT with 200 phones registering within one second never triggers', () => {
    const d = detector({ enumUsers: 5, enumChallenges: 5, hitCount: 5 });
    const regs: SipEvent[] = [];
    const challenges: SipEvent[] = [];
    const followUps: SipEvent[] = [];
    const oks: SipEvent[] = [];
    for (let i = 0; i < 200; i++) {
      const callId = uniq('nat-');
      const at = i * 0.004;
      const r1 = register({ at, ip: NAT, sport: 10000 + i, user: `${1000 + i}`, callId, cseq: 1 });
      regs.push(r1);
      challenges.push(challenge401(r1, 0.2));
      const r2 = register({
        at: at + 0.3,
        ip: NAT,
        sport: 10000 + i,
        user: `${1000 + i}`,
        callId,
        cseq: 2,
        creds: true,
      });
      followUps.push(r2);
      oks.push(ok200(r2));
    }
    // Every REGISTER, then every challenge, then every follow-up: the worst interleaving.
    const v = run(d, [...regs, ...challenges, ...followUps, ...oks], 300);
    assert.deepEqual(v, []);
    assert.equal(d.stats.challenges, 200);
    assert.equal(d.stats.followUps, 200);
    assert.equal(d.stats.unansweredChallenges, 0);
    assert.equal(d.pendingChallenges, 0);
  });

  test('the NAT keeps re-registering for ten minutes: still nothing', () => {
    const d = detector({ enumUsers: 5, enumChallenges: 5, hitCount: 5 });
    const events: SipEvent[] = [];
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 50; i++)
        events.push(...phoneRegistration(NAT, `${1000 + i}`, round * 60 + i * 0.01));
    }
    assert.deepEqual(run(d, events, 1000), []);
  });

  test('a success forgets the probed user', () => {
    const d = detector({ enumUsers: 3, hitCount: 100 });
    const r1 = options({ at: 0, ip: ATTACKER, user: '100' });
    const r2 = options({ at: 1, ip: ATTACKER, user: '101' });
    const r3 = options({ at: 2, ip: ATTACKER, user: '100' });
    const r4 = options({ at: 3, ip: ATTACKER, user: '102' });
    const v = run(d, [r1, notFound404(r1), r2, notFound404(r2), r3, ok200(r3), r4, notFound404(r4)]);
    assert.deepEqual(v, []);
  });

  test('the pending-challenge table is bounded: overflow is judged, not lost', () => {
    const d = detector({ enumUsers: 1000, enumChallenges: 4, hitCount: 100 }, { maxPendingChallenges: 2 });
    const events = Array.from({ length: 6 }, (_, i) => {
      const r = register({ at: i * 0.1, ip: ATTACKER, user: `${i}` });
      return [r, challenge401(r)];
    }).flat();
    const v = run(d, events);
    assert.equal(d.pendingChallenges, 2);
    assert.equal(v.length, 1, 'four overflowed challenges were counted as unanswered');
  });
});

describe('state and memory', () => {
  test('idle addresses are dropped after MONIT_PERIOD of packet time (long windows off)', () => {
    const d = detector({ hitCount: 100, monitPeriod: 60, detection: manualOnly() });
    const events = Array.from({ length: 100 }, (_, i) =>
      failed(i * 0.01, 401, { ip: `203.0.113.${i}` }),
    ).flat();
    run(d, events);
    assert.equal(d.trackedIps, 100);
    run(d, [], 61);
    run(d, [], 122);
    assert.equal(d.trackedIps, 0);
  });

  test('an address active across generations keeps its window', () => {
    const d = detector({ hitCount: 4, monitPeriod: 60 });
    // Rotations happen at 0 and every 60 s after; failures straddle them.
    const events = [0, 50, 70, 100].flatMap((t) => failed(t));
    const other = failed(65, 401, { ip: '203.0.113.99' }); // moves time past a rotation
    const v = run(d, [...events, ...other]);
    assert.equal(v.length, 0, '0..100 spans more than 60 s');
    const v2 = run(d, failed(105));
    assert.equal(v2.length, 1, '50, 70, 100, 105 lie within 60 s');
  });

  test('requests are forgotten after their ttl; a late answer counts nothing', () => {
    const d = detector({ hitCount: 1 }, { requestTtl: 32 });
    const req = register({ at: 0, ip: ATTACKER, creds: true });
    const v = run(d, [req, { ...answer(req, 403), at: 40 }]);
    assert.deepEqual(v, []);
    assert.equal(d.stats.unmatched, 1);
  });
});

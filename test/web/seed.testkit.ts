/** Realistic data for the UI tests and screenshots: lists, recipients, blocks, a day of attacks. */
import type { FakeWorld } from '../../src/api/world.testkit.js';
import { aHistoryEvent } from '../../src/core/history/history.testkit.js';
import type { AttackRecord } from '../../src/core/records.js';
import { aDecision, anAttack } from '../../src/core/records.testkit.js';

const ATTACKERS: Array<{ ip: string; country: string; ua: string; rule: AttackRecord['rule'] }> = [
  { ip: '45.134.26.17', country: 'NL', ua: 'friendly-scanner', rule: 'scanner' },
  { ip: '185.53.88.141', country: 'DE', ua: 'sipcli/v1.8', rule: 'scanner' },
  { ip: '102.129.145.9', country: 'ZA', ua: 'pplsip', rule: 'auth-failures' },
  { ip: '212.83.165.204', country: 'FR', ua: 'Cisco-SIPGateway/IOS-12.x', rule: 'auth-failures' },
  { ip: '193.107.216.42', country: 'RU', ua: 'VaxSIPUserAgent/3.1', rule: 'enumeration' },
  { ip: '2001:db8:4f::9', country: 'CN', ua: 'sipvicious', rule: 'enumeration' },
  { ip: '77.247.110.60', country: 'NL', ua: 'friendly-scanner', rule: 'scanner' },
];

export async function seed(world: FakeWorld): Promise<void> {
  const now = Math.floor(world.clock.now());
  const { admin, store } = world;
  const feed = {
    enabled: true,
    max: 200000,
    lastAttempt: now - 700,
    warning: null,
    refused: 0,
    refusedExamples: [],
    held: 0,
    running: false,
  };
  world.feeds = [
    {
      ...feed,
      name: 'apiban',
      type: 'apiban',
      source: 'https://apiban.org/api',
      interval: 600,
      ttl: 604800,
      entries: 3412,
      lastSuccess: now - 120,
      nextRun: now + 480,
      lastError: null,
    },
    {
      ...feed,
      name: 'voipbl',
      type: 'list',
      source: 'https://voipbl.org/update/',
      interval: 14400,
      ttl: 86400,
      entries: 61234,
      lastSuccess: now - 3000,
      nextRun: now + 11400,
      lastError: null,
    },
    {
      ...feed,
      name: 'firehol1',
      type: 'list',
      source: 'https://iplists.firehol.org/files/firehol_level1.netset',
      interval: 3600,
      ttl: 10800,
      entries: 4521,
      lastSuccess: now - 5000,
      nextRun: now + 300,
      lastError: 'the server answered HTTP 503',
      refused: 14,
      refusedExamples: [
        '10.0.0.0/8 is inside 10.0.0.0/8 (private use)',
        '192.168.0.0/16 is inside 192.168.0.0/16 (private use)',
      ],
    },
  ];
  admin.lists.allow.set('192.0.2.10', 'Reception desk phone');
  admin.lists.allow.set('198.51.100.0/24', 'Branch office, all phones');
  admin.lists.allow.set('2001:db8:100::/48', 'Head office IPv6');
  admin.lists.deny.set('203.0.113.0/24', 'Repeated scanner, abuse report #4711');
  admin.lists.deny.set('45.95.147.229', 'permanent after 5 dynamic blocks (threshold)');
  await store.addRecipient('pbx-admin@example.com', 'PBX admin');
  await store.addRecipient('noc@example.net', null);

  // A day of attacks, busier in the night.
  let n = 0;
  for (let h = 23; h >= 0; h--) {
    const count = 2 + ((h * 7) % 5) + (h >= 2 && h <= 6 ? 6 : 0);
    for (let i = 0; i < count; i++) {
      const a = ATTACKERS[(h + i) % ATTACKERS.length]!;
      await store.recordAttack(
        anAttack(a.ip, now - h * 3600 - i * 97 - 30, {
          rule: a.rule,
          userAgent: a.ua,
          attempts: 10 + ((i * 13) % 40),
          users: a.rule === 'enumeration' ? ['100', '101', '102', '103'] : [String(200 + (i % 5))],
          transport: i % 3 === 0 ? 'tcp' : 'udp',
          country: a.country,
        }),
      );
      n++;
    }
  }
  await store.recordAttack(
    anAttack('198.18.7.21', now - 400, {
      userAgent: 'Yealink SIP-T46S 66.86.0.15',
      users: ['204'],
      misconfiguredPhone: true,
      country: 'GB',
    }),
  );
  // Attackers that send no User-Agent at all (most in a real trial): counted, not hidden.
  for (let i = 0; i < 6; i++) {
    await store.recordAttack(
      anAttack(`80.94.95.${7 + i}`, now - 1800 - i * 600, {
        rule: 'auth-failures',
        userAgent: null,
        attempts: i === 0 ? 12_345 : 15,
        users: ['100'],
        country: 'RO',
      }),
    );
  }
  for (const a of ATTACKERS.slice(0, 4)) {
    await store.recordDecision(aDecision(a.ip, now - 500, { reason: a.rule, country: a.country }));
  }

  await world.block('45.134.26.17', {
    reason: 'scanner',
    userAgent: 'friendly-scanner',
    country: 'NL',
    attempts: 1,
    users: ['100'],
  });
  await world.block('102.129.145.9', {
    reason: 'auth-failures',
    userAgent: 'pplsip',
    country: 'ZA',
    attempts: 37,
    users: ['200', '201', '202'],
    expiresAt: now + 240,
  });
  await world.block('198.18.7.21', {
    reason: 'auth-failures',
    userAgent: 'Yealink SIP-T46S 66.86.0.15',
    country: 'GB',
    attempts: 10,
    users: ['204'],
    misconfiguredPhone: true,
    expiresAt: now + 530,
  });
  await world.block('193.107.216.42', {
    reason: 'threshold',
    userAgent: 'VaxSIPUserAgent/3.1',
    country: 'RU',
    attempts: 120,
    users: ['100', '101', '102', '103', '104', '105'],
    expiresAt: null,
    timesBlocked: 6,
    note: 'permanent after 5 dynamic blocks',
  });
  void n;
  await seedHistory(world, now);
}

/** A week of history: blocks with evidence, expiries with renewals, lifts and changes by admins. */
async function seedHistory(world: FakeWorld, now: number): Promise<void> {
  const events = [];
  for (let d = 6; d >= 0; d--) {
    for (const [i, a] of ATTACKERS.entries()) {
      const at = now - d * 86400 - (i + 1) * 2700;
      events.push(
        aHistoryEvent(a.ip, at, {
          reason: a.rule,
          userAgent: a.ua,
          country: a.country,
          users: a.rule === 'enumeration' ? ['100', '101', '102', '103'] : [String(200 + i)],
          attempts: 10 + i * 7,
          samples:
            a.rule === 'scanner'
              ? []
              : [
                  'REGISTER 200 → 401 Unauthorized',
                  'REGISTER 200 → 403 Forbidden',
                  'REGISTER 201 → 401 Unauthorized',
                ],
        }),
        aHistoryEvent(a.ip, at + 600 + i * 30, {
          kind: 'expire',
          reason: 'expired',
          userAgent: a.ua,
          country: a.country,
          users: [],
          attempts: 0,
          expiresAt: null,
          renewals: i * 3,
          lastSeen: at + i * 30,
          samples: [],
        }),
      );
    }
  }
  events.push(
    aHistoryEvent('198.18.7.21', now - 400, {
      users: ['204'],
      userAgent: 'Yealink SIP-T46S 66.86.0.15',
      country: 'GB',
      misconfiguredPhone: true,
      samples: [
        'REGISTER 204 → 401 Unauthorized',
        'REGISTER 204 → 401 Unauthorized',
        'REGISTER 204 → 403 Forbidden',
      ],
    }),
    aHistoryEvent('203.0.113.0/24', now - 5 * 86400, {
      kind: 'deny-add',
      reason: null,
      actor: 'cli',
      country: null,
      userAgent: null,
      users: [],
      attempts: 0,
      expiresAt: null,
      samples: [],
      note: 'Repeated scanner, abuse report #4711',
    }),
    aHistoryEvent('212.83.165.204', now - 2 * 86400 + 120, {
      kind: 'unblock',
      reason: 'manual',
      actor: 'web:admin@192.0.2.10',
      renewals: 2,
      lastSeen: now - 2 * 86400,
      expiresAt: null,
      samples: [],
    }),
    aHistoryEvent(null, now - 3 * 86400, {
      kind: 'settings',
      reason: null,
      actor: 'web:admin@192.0.2.10',
      country: null,
      userAgent: null,
      users: [],
      attempts: 0,
      expiresAt: null,
      samples: [],
      note: 'BLOCKTIME=900, HIT_COUNT=8',
    }),
  );
  events.sort((a, b) => a.at - b.at);
  await world.store.recordHistory(events);
}

/**
 * The records the API sends, as JSON Schema: list entries and what a change did, dynamic
 * blocks, decisions and attacks, the status and check reports. The ports and the core keep
 * their own TypeScript types; wire.test.ts proves each derived type accepts exactly the
 * same values, so the two cannot drift apart without the type check failing.
 */
import { OpenAlert } from './alerts.js';
import { arrayOf, bool, type FromSchema, int, nullable, num, oneOf, record, str } from './schema.js';

export const Transport = oneOf('udp', 'tcp', 'tls', 'ws', 'sctp');
// The rules and reasons of core/types.ts (RULES), spelled out: the UI imports this file.
export const Rule = oneOf(
  'scanner',
  'auth-failures',
  'enumeration',
  'toll-fraud',
  'slow-attack',
  'distributed',
  'flood',
);
export const DecisionReason = oneOf(
  'scanner',
  'auth-failures',
  'enumeration',
  'toll-fraud',
  'slow-attack',
  'distributed',
  'flood',
  'prefix',
  'deny-list',
  'country',
  'manual',
  'expired',
  'threshold',
);

export const ListEntry = record({
  network: { ...str, description: 'canonical: 192.0.2.1, 198.51.100.0/24, 2001:db8::/32' },
  note: str,
});
export const ChangeResult = record({ added: arrayOf(ListEntry), updated: arrayOf(ListEntry) });
export const RemoveResult = record({ removed: arrayOf(str), missing: arrayOf(str) });
export const ListLineError = record({ line: { ...int, description: '1-based' }, text: str, message: str });
export const ImportResult = record({
  added: arrayOf(ListEntry),
  updated: arrayOf(ListEntry),
  errors: arrayOf(ListLineError),
  applied: { ...bool, description: 'false: the CSV had errors and nothing was applied' },
});

const blockFields = {
  ip: str,
  reason: DecisionReason,
  userAgent: nullable(str),
  country: nullable(str),
  attempts: int,
  users: arrayOf(str),
  transport: nullable(Transport),
  port: nullable(int),
  firstSeen: num,
  lastSeen: num,
  blockedAt: num,
  expiresAt: { ...nullable(num), description: 'epoch seconds; null when permanent' },
  timesBlocked: int,
  misconfiguredPhone: bool,
  note: nullable(str),
} as const;

/** Cluster mode: the host that decided a block or saw an attack (absent on a single host). */
const host = { host: { ...str, description: 'cluster mode: the host (CLUSTER_HOST_ID) that saw it' } };

export const DynamicBlock = record(
  {
    ...blockFields,
    timeLeft: { ...nullable(int), description: 'seconds until the block lifts; null when permanent' },
  },
  host,
);

export const Decision = record(
  {
    at: num,
    ip: str,
    action: {
      ...oneOf('block', 'extend', 'permanent', 'unblock', 'observe'),
      description: "observe: a 'would block' (OBSERVE), never enforced",
    },
    reason: DecisionReason,
    expiresAt: nullable(num),
    userAgent: nullable(str),
    users: arrayOf(str),
    attempts: int,
    transport: nullable(Transport),
    port: nullable(int),
    country: nullable(str),
    timesBlocked: int,
    misconfiguredPhone: bool,
    note: nullable(str),
  },
  host,
);

export const AttackRecord = record(
  {
    at: num,
    ip: str,
    rule: Rule,
    userAgent: nullable(str),
    attempts: int,
    users: arrayOf(str),
    transport: Transport,
    port: int,
    misconfiguredPhone: bool,
    country: nullable(str),
  },
  host,
);

export const Recipient = record({ email: str, name: nullable(str) });

// The kinds of core/history/events.ts (HISTORY_KINDS), spelled out: the UI imports this file.
export const HistoryKind = oneOf(
  'block',
  'permanent',
  'unblock',
  'expire',
  'allow-add',
  'allow-remove',
  'deny-add',
  'deny-remove',
  'settings',
  'alert-ack',
);

export const HistoryEvent = record({
  id: int,
  at: num,
  kind: HistoryKind,
  subject: { ...nullable(str), description: 'the address or network; null for settings' },
  reason: nullable(DecisionReason),
  actor: { ...str, description: 'sipprotd@HOST, cli, web:admin@ADDRESS, host:NAME' },
  country: nullable(str),
  userAgent: nullable(str),
  users: arrayOf(str),
  attempts: int,
  expiresAt: nullable(num),
  renewals: { ...nullable(int), description: 'unblock, expire: renewals while the block ran' },
  lastSeen: { ...nullable(num), description: 'unblock, expire: the last renewal' },
  misconfiguredPhone: bool,
  note: nullable(str),
  samples: { ...arrayOf(str), description: 'block: answers the server gave the address (evidence)' },
});

const dropCounter = record({ packets: int, bytes: int });
const LiveStats = record(
  {
    capture: nullable(record({ received: int, dropped: int, ifDropped: int, ringDrops: int })),
    hepReceived: nullable(int),
    hepErrors: {
      ...nullable(record({ count: int, last: nullable(str) })),
      description: 'HEP socket errors since the start and the last message; null without HEP_LISTEN',
    },
    sipMessages: int,
    drops: nullable({ type: 'object', additionalProperties: dropCounter }),
    loopLag: {
      ...nullable(
        record(
          { windowSeconds: num, p50: num, p99: num, max: num, p99SinceStart: num, maxSinceStart: num },
          { startMax: num },
        ),
      ),
      description:
        'event-loop delay in ms: the last 10 s window, p99 and max since the daemon started, and the max while it was starting',
    },
  },
  {
    protection: {
      ...record(
        {
          kernel: nullable(
            record({
              inSync: bool,
              losses: int,
              lastLoss: nullable(record({ at: num, reason: str })),
            }),
          ),
          store: record({ pending: int, failures: int, lastError: nullable(str), since: nullable(num) }),
        },
        {
          firewall: record({ inSync: bool, failures: int, lastError: nullable(str) }),
          capture: record({ running: bool, lastError: nullable(str) }),
        },
      ),
      description: "does protection hold: the kernel has sipprot's rules, the store took every decision",
    },
    writer: {
      ...nullable(
        record({
          bytes: int,
          peakBytes: int,
          turns: int,
          budgetBytes: int,
          shed: record({ history: int, attacks: int, decisions: int }),
          shedding: bool,
        }),
      ),
      description:
        'the store writer thread: staged bytes and turns not committed yet, the budget, rows shed since start to stay within it (never a block); null when commits run on the event loop',
    },
  },
);

export const StatusReport = record(
  {
    counts: record({ allow: int, deny: int, dynamicPermanent: int, dynamicTemporary: int }),
    daemon: record({ running: bool, pid: nullable(int), startedAt: nullable(num) }),
    countries: record({ blocked: arrayOf(str), ranges: int, database: nullable(str) }),
    mail: record({ configured: bool, message: str }),
    configSource: nullable(str),
    cluster: {
      ...nullable(record({ host: str, redis: oneOf('connecting', 'up', 'down', 'closed'), outbox: int })),
      description: 'cluster mode: this host, the Redis state, events waiting for Redis; null = single host',
    },
  },
  {
    live: { ...LiveStats, description: 'present while the daemon runs' },
    alerts: { ...arrayOf(OpenAlert), description: 'alerts not acknowledged yet, oldest first' },
    observe: {
      ...arrayOf(str),
      description:
        "OBSERVE: rules only reported ('would block'), never enforced; ['all'] = nothing detected is blocked",
    },
  },
);

export const FeedMatch = record({
  feed: { ...str, description: 'the feed (a name in FEEDS_FILE)' },
  network: str,
  since: { ...num, description: 'epoch seconds: first listed by the feed' },
  expiresAt: { ...num, description: 'epoch seconds: lapses unless a download lists it again' },
});

export const CheckResult = record({
  ip: str,
  blocked: { ...bool, description: 'is traffic from this address dropped by sipprot?' },
  allow: nullable(ListEntry),
  deny: nullable(ListEntry),
  dynamic: nullable(DynamicBlock),
  country: nullable(str),
  countryBlocked: bool,
  feeds: {
    ...arrayOf(FeedMatch),
    description: 'shared blocklist entries holding the address: which feed, since, until (epoch seconds)',
  },
  explanation: { ...arrayOf(str), description: 'one sentence per fact, allow list first' },
  recent: { ...arrayOf(HistoryEvent), description: "the address's newest history events (at most 5)" },
});

export const Unblocked = record({ ip: str, wasBlocked: bool });

export type ListEntry = FromSchema<typeof ListEntry>;
export type ChangeResult = FromSchema<typeof ChangeResult>;
export type RemoveResult = FromSchema<typeof RemoveResult>;
export type ImportResult = FromSchema<typeof ImportResult>;
export type DynamicBlock = FromSchema<typeof DynamicBlock>;
export type Decision = FromSchema<typeof Decision>;
export type AttackRecord = FromSchema<typeof AttackRecord>;
export type Recipient = FromSchema<typeof Recipient>;
export type HistoryEvent = FromSchema<typeof HistoryEvent>;
export type StatusReport = FromSchema<typeof StatusReport>;
export type CheckResult = FromSchema<typeof CheckResult>;

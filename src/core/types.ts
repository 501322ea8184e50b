/**
 * The vocabulary every stage shares. Times are epoch seconds (floats allowed) and are
 * always passed in: the core never reads a clock, so replaying a capture gives the
 * decisions the live daemon would have made.
 */

export type Transport = 'udp' | 'tcp' | 'tls' | 'ws' | 'sctp';

export interface PortRange {
  from: number;
  to: number;
}

/** A SIP message as detection needs it; parsing keeps only these fields. */
export interface SipMessage {
  kind: 'request' | 'response';
  /** Request method (upper case) for requests; the CSeq method for responses. */
  method: string;
  /** Request-URI (requests only). */
  uri: string | null;
  /** Status code (responses only). */
  status: number | null;
  callId: string | null;
  cseq: number | null;
  /** Top Via branch parameter. */
  branch: string | null;
  fromUser: string | null;
  toUser: string | null;
  userAgent: string | null;
  /** Request carried Authorization or Proxy-Authorization. */
  hasCredentials: boolean;
  /** username="..." of the credentials, if any. */
  authUser: string | null;
  /** A 401/407 challenge carrying stale=true. */
  stale: boolean;
  /**
   * The nonce of a request's credentials or of a 401/407 challenge: a request echoing one
   * the server sent to its address completed an exchange no forger can (core/detect/shield.ts).
   */
  nonce?: string | null;
  contact: string | null;
}

/** Where a SIP message was seen: the network facts around it. */
export interface SipEvent {
  at: number;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  transport: Transport;
  msg: SipMessage;
}

/**
 * Detection rules, in the order reports list them. The first three are the manual's;
 * the others came with issue 12 (src/core/detect/README in the header of detector.ts).
 */
export const RULES = [
  'scanner',
  'auth-failures',
  'enumeration',
  'toll-fraud',
  'slow-attack',
  'distributed',
  'flood',
] as const;

export type Rule = (typeof RULES)[number];

/** What detection concludes about one remote address at one moment. */
export interface Verdict {
  at: number;
  ip: string;
  rule: Rule;
  userAgent: string | null;
  /** Failed attempts (or probes) counted in the window that produced the verdict. */
  attempts: number;
  /** Users/extensions targeted (bounded, most recent first). */
  users: string[];
  transport: Transport;
  /** The local SIP port attacked. */
  port: number;
  /** One user, one Call-ID, rising CSeq at a regular pace: a phone with a wrong password. */
  misconfiguredPhone: boolean;
  /**
   * What the rule saw beyond the numbers, in words for the block note: the tool template
   * of a renamed scanner, the numbers a toll-fraud prober dialled, the extension attacked
   * from many addresses. Absent when the rule has nothing to add.
   */
  detail?: string;
}

/**
 * `observe` is a "would block": the verdict of a rule in observe mode (OBSERVE), reported
 * and recorded but never enforced. The Engine hands these to `onObserve` only, never in
 * the decisions it returns, so an enforcer that does not know them cannot act on them.
 */
export type DecisionAction = 'block' | 'extend' | 'permanent' | 'unblock' | 'observe';

export type DecisionReason = Rule | 'prefix' | 'deny-list' | 'country' | 'manual' | 'expired' | 'threshold';

/** What the policy decides; the firewall, store, notifier and UI all act on these. */
export interface Decision {
  at: number;
  ip: string;
  action: DecisionAction;
  reason: DecisionReason;
  /** When the dynamic block ends (epoch seconds); null for permanent or unblock. */
  expiresAt: number | null;
  userAgent: string | null;
  users: string[];
  attempts: number;
  transport: Transport | null;
  port: number | null;
  country: string | null;
  /** How many dynamic blocks this address has had, this one included. */
  timesBlocked: number;
  misconfiguredPhone: boolean;
  /** A human sentence explaining the decision, e.g. the deny-list note for a permanent block. */
  note: string | null;
  /** Cluster mode: the host (CLUSTER_HOST_ID) whose detection or admin made it; absent on a single host. */
  host?: string;
}

/** A dynamic block as the store keeps it. */
export interface BlockRecord {
  ip: string;
  reason: DecisionReason;
  userAgent: string | null;
  country: string | null;
  attempts: number;
  users: string[];
  transport: Transport | null;
  port: number | null;
  firstSeen: number;
  lastSeen: number;
  blockedAt: number;
  /** Epoch seconds when the block lifts; null when it became permanent. */
  expiresAt: number | null;
  timesBlocked: number;
  misconfiguredPhone: boolean;
  note: string | null;
  /** Cluster mode: the host (CLUSTER_HOST_ID) that saw the attack; absent on a single host. */
  host?: string;
}

export type ListName = 'allow' | 'deny';

export interface ListEntry {
  /** Canonical network text: `192.0.2.1`, `198.51.100.0/24`, `2001:db8::/32`. */
  network: string;
  note: string;
}

export type SmtpTls = 'none' | 'starttls' | 'tls';

/** A validated sipprot.conf. Key names in comments are the file's keys. */
export interface Config {
  /** PROTOCOLS */
  protocols: Array<'udp' | 'tcp'>;
  /** SIP_PORTS */
  sipPorts: PortRange[];
  /** INTERFACES */
  interfaces: string[];
  /** HIT_COUNT (hit_count) */
  hitCount: number;
  /** MONIT_PERIOD (monit_period), seconds */
  monitPeriod: number;
  /** BLOCKTIME (block_time), seconds */
  blockTime: number;
  /** BLOCK_THRESHOLD (block_threshold), 0 = never, 1-20 */
  blockThreshold: number;
  /** SCANNERS, lower-cased user-agent fragments */
  scanners: string[];
  /** ENUM_USERS: distinct users challenged without success within MONIT_PERIOD → enumeration */
  enumUsers: number;
  /** ENUM_CHALLENGES: challenges left unanswered within MONIT_PERIOD → enumeration */
  enumChallenges: number;
  /** BLOCKED_COUNTRIES, upper-case ISO 3166 alpha-2 */
  blockedCountries: string[];
  /** TFTP_PROTECTION, TFTP_RATE, TFTP_BURST */
  tftp: {
    enabled: boolean;
    rate: { count: number; per: 'second' | 'minute' | 'hour' | 'day' };
    burst: number;
  };
  /** DNS_PROTECTION */
  dnsProtection: boolean;
  /** NOTIFY_DAILY, NOTIFY_DAILY_AT (HH:MM local), NOTIFY_EACH_ATTACK, NOTIFY_INTERVAL (s) */
  notify: { daily: boolean; dailyAt: string; eachAttack: boolean; interval: number };
  /** SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_FROM, SMTP_TLS; host null = no mail */
  smtp: {
    host: string | null;
    port: number;
    user: string | null;
    password: string | null;
    from: string | null;
    tls: SmtpTls;
  };
  /** STATE_DIR */
  stateDir: string;
  /** WEB_LISTEN */
  webListen: { host: string; port: number };
  /** WEB_HOSTNAMES (Host headers accepted besides the listen address), WEB_TLS_CERT, WEB_TLS_KEY */
  web: { hostnames: string[]; tlsCert: string | null; tlsKey: string | null };
  /** PROTECTED_PEERS: networks single-packet evidence never blocks (an alert instead) */
  protectedPeers: string[];
  /** HEP_LISTEN: UDP address of a HEPv3 feed (SIP over TLS, as the SIP server saw it); null = off */
  hepListen: { host: string; port: number } | null;
  /** CLUSTER_REDIS_URL */
  clusterRedisUrl: string | null;
  /** CLUSTER_HOST_ID: this host's name in the cluster; null = the host name */
  clusterHostId: string | null;
  /** ALLOWLIST_FILE, DENYLIST_FILE: default beside the config file */
  allowlistFile: string;
  denylistFile: string;
  /** GEOIP_UPDATE_URL, GEOIP_UPDATE_INTERVAL (s, 0 = never), GEOIP_MMDB (an admin's .mmdb; null = shipped data) */
  geoip: { updateUrl: string | null; updateInterval: number; mmdb: string | null };
  /** FEEDS_FILE: the shared blocklists to import (issue 15 item 5); default beside the config file */
  feedsFile: string;
  /** Detection beyond the manual's rules (issue 12): keys in config/keys-detect.ts. */
  detection: DetectionConfig;
  /** HISTORY_DAYS: retention of the history, attack events and decisions. */
  historyDays: number;
  /** Logs, metrics, webhooks, the blocklist export (issue 15): keys in config/keys-ops.ts. */
  ops: OpsConfig;
  /** The file this config came from, or null for embedded defaults. */
  source: string | null;
}

/** The keys of the issue-12 rules; 0 switches a count off. README explains each default. */
export interface DetectionConfig {
  /** SLOW_HOUR_COUNT: failed dialogs from one source within an hour → slow-attack */
  slowHour: number;
  /** SLOW_DAY_COUNT: the same within a day */
  slowDay: number;
  /** DISTRIBUTED_SOURCES: sources failing on one extension within an hour → alert */
  distributedSources: number;
  /** DISTRIBUTED_BLOCK: block every (unauthenticated) source of such an attack */
  distributedBlock: boolean;
  /** TOLL_COUNT: failed INVITEs to outside numbers within MONIT_PERIOD → toll-fraud */
  tollCount: number;
  /** TOLL_MIN_DIGITS: digits that make a dialled number an outside number */
  tollMinDigits: number;
  /** TOLL_WATCH: destination prefixes (country codes, premium ranges), digits only */
  tollWatch: string[];
  /** FLOOD_RATE: requests a second from one source (averaged over 5 s) → flood */
  floodRate: number;
  /** SWEEP_TARGETS: distinct local address:port pairs probed by one source → scanner */
  sweepTargets: number;
  /** SCANNER_TEMPLATES: recognise attack tools by their request template (FINGERPRINTS.md) */
  scannerTemplates: boolean;
  /** PREFIX_V4, PREFIX_V6: the prefix length counters are kept per */
  prefixV4: number;
  prefixV6: number;
  /** PREFIX_BLOCK: addresses of one prefix blocked before every address of it is (0 = off) */
  prefixBlock: number;
  /** OBSERVE: rules whose verdicts are reported and not enforced ('all' = every rule) */
  observe: Array<Rule | 'all'>;
}

export const LOG_FORMATS = ['text', 'json'] as const;
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const WEBHOOK_FORMATS = ['json', 'slack', 'mattermost', 'teams', 'discord'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];
/** What a webhook is told about: decisions by action, and alerts (breach, distributed, watched call). */
export const WEBHOOK_EVENTS = ['block', 'permanent', 'unblock', 'observe', 'alert'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookTarget {
  format: WebhookFormat;
  /** An http:// or https:// URL (it may carry a secret token: shown masked). */
  url: string;
}

/** The operations keys (issue 15); README "Logs", "Metrics", "Webhooks", "Blocklist export". */
export interface OpsConfig {
  /** LOG_FORMAT, LOG_LEVEL */
  log: { format: (typeof LOG_FORMATS)[number]; level: (typeof LOG_LEVELS)[number] };
  /** METRICS_LISTEN: an own listener for /metrics; null = only on WEB_LISTEN (token or session) */
  metricsListen: { host: string; port: number } | null;
  /** METRICS_TOKEN: bearer token for /metrics; null = session (web) or loopback METRICS_LISTEN only */
  metricsToken: string | null;
  /** EXPORT_TOKEN: bearer token for /api/blocks/export on WEB_LISTEN; null = session only */
  exportToken: string | null;
  /** WEBHOOK_URLS, WEBHOOK_EVENTS, WEBHOOK_GROUP_SECONDS */
  webhooks: { targets: WebhookTarget[]; events: WebhookEvent[]; groupSeconds: number };
}

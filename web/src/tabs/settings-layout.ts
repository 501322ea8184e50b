/** How the General tab lays out the config keys: groups, labels and the control for each. */

export type Control =
  | { kind: 'text'; inputMode?: 'numeric' | 'email' | 'url'; placeholder?: string; seconds?: boolean }
  | { kind: 'bool' }
  | { kind: 'select'; options: Array<{ value: string; label: string }> }
  | { kind: 'textarea' }
  | { kind: 'countries' }
  | { kind: 'password' }
  | { kind: 'time' };

export interface FieldLayout {
  key: string;
  label: string;
  control: Control;
  /** Extra words shown above the key's own description (the manual's wording). */
  note?: string;
}

export interface Group {
  id: string;
  title: string;
  intro?: string;
  fields: FieldLayout[];
  /** Rarely changed: shown collapsed. */
  advanced?: boolean;
}

const seconds = { kind: 'text', inputMode: 'numeric', seconds: true } as const;
const numeric = { kind: 'text', inputMode: 'numeric' } as const;

export const GROUPS: Group[] = [
  {
    id: 'detection',
    title: 'Detection',
    intro: 'What is watched, and when an address is blocked.',
    fields: [
      {
        key: 'PROTOCOLS',
        label: 'Protocols',
        control: {
          kind: 'select',
          options: [
            { value: 'udp,tcp', label: 'UDP and TCP' },
            { value: 'udp', label: 'UDP only' },
            { value: 'tcp', label: 'TCP only' },
          ],
        },
      },
      { key: 'SIP_PORTS', label: 'SIP ports', control: { kind: 'text', placeholder: '5060,5080:5082' } },
      { key: 'INTERFACES', label: 'Capture interfaces', control: { kind: 'text', placeholder: 'any' } },
      {
        key: 'HIT_COUNT',
        label: 'SIP blocking rule: failed attempts',
        control: numeric,
        note: 'Unauthorized attempts within the period below before the address is blocked.',
      },
      { key: 'MONIT_PERIOD', label: 'Counted over (seconds)', control: seconds },
      { key: 'BLOCKTIME', label: 'Dynamic block time (seconds)', control: seconds },
      {
        key: 'BLOCK_THRESHOLD',
        label: 'Block threshold',
        control: numeric,
        note: 'How many dynamic blocks before the address is added to the deny list for good (1-20; 0 = never).',
      },
      { key: 'ENUM_USERS', label: 'Extension scan: distinct users', control: numeric },
      { key: 'ENUM_CHALLENGES', label: 'Extension scan: unanswered challenges', control: numeric },
    ],
  },
  {
    id: 'attacks',
    title: 'Slow, distributed, toll-fraud and flood attacks',
    intro: 'Defaults no office reaches (the README says why). 0 switches a count off.',
    advanced: true,
    fields: [
      { key: 'SLOW_HOUR_COUNT', label: 'Slow attack: failed attempts within an hour', control: numeric },
      { key: 'SLOW_DAY_COUNT', label: 'Slow attack: failed attempts within a day', control: numeric },
      {
        key: 'DISTRIBUTED_SOURCES',
        label: 'Distributed guessing: addresses on one extension',
        control: numeric,
      },
      {
        key: 'DISTRIBUTED_BLOCK',
        label: 'Block every address of a distributed attack',
        control: { kind: 'bool' },
      },
      { key: 'TOLL_COUNT', label: 'Toll fraud: refused calls to outside numbers', control: numeric },
      { key: 'TOLL_MIN_DIGITS', label: 'Toll fraud: digits of an outside number', control: numeric },
      {
        key: 'TOLL_WATCH',
        label: 'Watched destinations (prefixes)',
        control: { kind: 'text', placeholder: '+881,+882,+883' },
      },
      { key: 'FLOOD_RATE', label: 'Flood: requests a second from one address', control: numeric },
      { key: 'SWEEP_TARGETS', label: 'Sweep: local address:port pairs probed', control: numeric },
      {
        key: 'SCANNER_TEMPLATES',
        label: 'Recognise renamed scanners by their template',
        control: { kind: 'bool' },
      },
      { key: 'PREFIX_V4', label: 'IPv4 prefix counted together', control: numeric },
      { key: 'PREFIX_V6', label: 'IPv6 prefix counted together', control: numeric },
      { key: 'PREFIX_BLOCK', label: 'Blocked addresses before the whole prefix is', control: numeric },
      {
        key: 'OBSERVE',
        label: 'Observe only (would block)',
        control: { kind: 'text', placeholder: 'all' },
        note: "Rules named here are reported, not enforced: 'all' for a new install's first week.",
      },
    ],
  },
  {
    id: 'agents',
    title: 'Blocked user agents',
    fields: [
      {
        key: 'SCANNERS',
        label: 'Scanner user agents (comma-separated)',
        control: { kind: 'textarea' },
        note: 'A request whose User-Agent contains one of these is blocked at once. Keep the list short.',
      },
    ],
  },
  {
    id: 'countries',
    title: 'Blocked countries',
    intro: 'Every address range of these countries is blocked. The GEO-IP tab shows the database in use.',
    fields: [{ key: 'BLOCKED_COUNTRIES', label: 'Countries', control: { kind: 'countries' } }],
  },
  {
    id: 'protections',
    title: 'Additional protections',
    intro: 'If you are unsure what a protection is for, leave it as it is.',
    fields: [
      { key: 'TFTP_PROTECTION', label: 'TFTP brute-force protection', control: { kind: 'bool' } },
      {
        key: 'TFTP_RATE',
        label: 'TFTP rate per address',
        control: { kind: 'text', placeholder: '10/minute' },
      },
      { key: 'TFTP_BURST', label: 'TFTP burst', control: numeric },
      { key: 'DNS_PROTECTION', label: 'DNS protection (CVE-2015-7547)', control: { kind: 'bool' } },
    ],
  },
  {
    id: 'notifications',
    title: 'Notifications',
    intro: 'Mail goes to the Notification Recipients, through the SMTP server below.',
    fields: [
      { key: 'NOTIFY_DAILY', label: 'Send daily attack summary', control: { kind: 'bool' } },
      { key: 'NOTIFY_DAILY_AT', label: 'Daily summary at', control: { kind: 'time' } },
      { key: 'NOTIFY_EACH_ATTACK', label: 'Send log for every attack', control: { kind: 'bool' } },
      { key: 'NOTIFY_INTERVAL', label: 'At most one attack mail every (seconds)', control: seconds },
    ],
  },
  {
    id: 'webhooks',
    title: 'Webhooks',
    intro: 'What webhooks hear of. The webhooks themselves are under Notification Recipients.',
    advanced: true,
    fields: [
      {
        key: 'WEBHOOK_EVENTS',
        label: 'Events sent',
        control: { kind: 'text', placeholder: 'block,permanent,alert' },
        note: 'block, permanent, unblock, observe, alert (comma-separated), or all.',
      },
      {
        key: 'WEBHOOK_GROUP_SECONDS',
        label: 'Gather a burst into one message for (seconds)',
        control: seconds,
      },
    ],
  },
  {
    id: 'smtp',
    title: 'SMTP',
    fields: [
      { key: 'SMTP_HOST', label: 'SMTP server', control: { kind: 'text', placeholder: 'mail.example.com' } },
      {
        key: 'SMTP_PORT',
        label: 'Port',
        control: { kind: 'text', inputMode: 'numeric', placeholder: 'automatic' },
      },
      {
        key: 'SMTP_TLS',
        label: 'Security',
        control: {
          kind: 'select',
          options: [
            { value: '', label: 'Automatic' },
            { value: 'starttls', label: 'STARTTLS' },
            { value: 'tls', label: 'TLS' },
            { value: 'none', label: 'None (unencrypted)' },
          ],
        },
      },
      { key: 'SMTP_USER', label: 'User name', control: { kind: 'text' } },
      { key: 'SMTP_PASSWORD', label: 'Password', control: { kind: 'password' } },
      { key: 'SMTP_FROM', label: 'Sender address', control: { kind: 'text', inputMode: 'email' } },
    ],
  },
  {
    id: 'service',
    title: 'Service',
    advanced: true,
    intro: 'Where sipprot keeps its data and listens. Some of these take effect after a restart.',
    fields: [
      { key: 'WEB_LISTEN', label: 'Web UI address', control: { kind: 'text' } },
      { key: 'STATE_DIR', label: 'State directory', control: { kind: 'text' } },
      { key: 'ALLOWLIST_FILE', label: 'Allow list file', control: { kind: 'text' } },
      { key: 'DENYLIST_FILE', label: 'Deny list file', control: { kind: 'text' } },
      { key: 'CLUSTER_REDIS_URL', label: 'Cluster Redis URL', control: { kind: 'text', inputMode: 'url' } },
      { key: 'GEOIP_UPDATE_URL', label: 'GEO-IP update source', control: { kind: 'text', inputMode: 'url' } },
      { key: 'GEOIP_UPDATE_INTERVAL', label: 'GEO-IP update every (seconds)', control: seconds },
      {
        key: 'LOG_FORMAT',
        label: 'Log format',
        control: {
          kind: 'select',
          options: [
            { value: 'text', label: 'Readable lines' },
            { value: 'json', label: 'JSON (log shippers)' },
          ],
        },
      },
      { key: 'LOG_LEVEL', label: 'Log level', control: { kind: 'text', placeholder: 'info' } },
      { key: 'METRICS_LISTEN', label: 'Prometheus listener', control: { kind: 'text', placeholder: 'off' } },
      { key: 'METRICS_TOKEN', label: 'Prometheus bearer token', control: { kind: 'password' } },
      { key: 'EXPORT_TOKEN', label: 'Blocklist export bearer token', control: { kind: 'password' } },
    ],
  },
];

/** Keys edited elsewhere in the UI (WEBHOOK_URLS: the Webhooks section, which never shows a URL's secret). */
const ELSEWHERE = ['WEBHOOK_URLS'];

export const LAID_OUT = new Set([...GROUPS.flatMap((g) => g.fields.map((f) => f.key)), ...ELSEWHERE]);

const TRUE = new Set(['yes', 'true', '1', 'on']);
export const isOn = (v: string) => TRUE.has(v.trim().toLowerCase());

/**
 * The keys of sipprot.conf: metadata the UI and CLI show (name, legacy spellings,
 * default, what is allowed, what it does), and each key's parser and formatter.
 */
import {
  boolKey,
  type ConfigKey,
  DEFAULT_SCANNERS,
  EMAIL,
  formatPorts,
  IFNAME,
  int,
  intKey,
  isHost,
  list,
  parseHostPort,
  parsePorts,
  pathKey,
  RATE_UNITS,
} from './config-values.js';
import { countryName, isCountryCode, suggestCountryCode } from './countries.js';
import { parseAddress } from './ip.js';
import type { SmtpTls } from './types.js';

export { type ConfigKey, type Context, DEFAULT_SCANNERS, formatPorts, joinPath } from './config-values.js';

export const CONFIG_KEYS: readonly ConfigKey[] = [
  {
    key: 'PROTOCOLS',
    aliases: [],
    default: 'udp,tcp',
    allowed: 'udp, tcp or udp,tcp',
    description: 'Transport protocols to watch for SIP attacks.',
    parse(value, cfg) {
      const items = list(value.toLowerCase());
      const out = new Set<'udp' | 'tcp'>();
      for (const item of items) {
        if (item === 'udp' || item === 'tcp') out.add(item);
        else if (item === 'both') out.add('udp').add('tcp');
        else return `must be udp, tcp or udp,tcp ('${item}' is not one)`;
      }
      if (out.size === 0) return 'must be udp, tcp or udp,tcp';
      cfg.protocols = (['udp', 'tcp'] as const).filter((p) => out.has(p));
      return null;
    },
    format: (cfg) => cfg.protocols.join(','),
  },
  {
    key: 'SIP_PORTS',
    aliases: [],
    default: '5060',
    allowed: 'ports 1-65535 or ranges FROM:TO, comma-separated, e.g. 5060,5080:5082',
    description: 'Local SIP ports to watch.',
    parse(value, cfg) {
      const r = parsePorts(value);
      if (typeof r === 'string') return r;
      cfg.sipPorts = r;
      return null;
    },
    format: (cfg) => formatPorts(cfg.sipPorts),
  },
  {
    key: 'INTERFACES',
    aliases: [],
    default: 'any',
    allowed: "'any' or network interface names, comma-separated",
    description: 'Interfaces to capture SIP traffic on.',
    parse(value, cfg) {
      const items = list(value);
      if (items.length === 0) return "must be 'any' or network interface names, comma-separated";
      for (const i of items) {
        if (!IFNAME.test(i)) return `must be 'any' or interface names ('${i}' is not an interface name)`;
      }
      if (items.includes('any') && items.length > 1) {
        return "must be 'any' alone or a list of interfaces, not both (every packet would be seen twice)";
      }
      cfg.interfaces = [...new Set(items)];
      return null;
    },
    format: (cfg) => cfg.interfaces.join(','),
  },
  intKey(
    'HIT_COUNT',
    ['hit_count'],
    10,
    [1, 10000],
    'hitCount',
    'Failed attempts within MONIT_PERIOD that block an address.',
  ),
  intKey(
    'MONIT_PERIOD',
    ['monit_period'],
    60,
    [1, 86400],
    'monitPeriod',
    'Seconds over which failed attempts are counted.',
  ),
  intKey(
    'BLOCKTIME',
    ['block_time'],
    600,
    [1, 31536000],
    'blockTime',
    'Seconds a dynamic block lasts; each new attack packet restarts it.',
  ),
  intKey(
    'BLOCK_THRESHOLD',
    ['block_threshold'],
    5,
    [0, 20],
    'blockThreshold',
    'Dynamic blocks after which the next one is permanent (added to the deny list); 0 = never.',
  ),
  {
    key: 'SCANNERS',
    aliases: [],
    default: DEFAULT_SCANNERS.join(','),
    allowed: 'comma-separated User-Agent fragments of at least 3 characters (empty = none)',
    description: 'User-Agent fragments (case-insensitive) that are blocked at once. Keep the list short.',
    parse(value, cfg) {
      const items = list(value.toLowerCase());
      for (const i of items) {
        if (i.length < 3) {
          return `must be comma-separated User-Agent fragments of at least 3 characters ('${i}' would match ordinary phones)`;
        }
      }
      cfg.scanners = [...new Set(items)];
      return null;
    },
    format: (cfg) => cfg.scanners.join(','),
  },
  intKey(
    'ENUM_USERS',
    [],
    10,
    [2, 10000],
    'enumUsers',
    'Distinct users challenged without success within MONIT_PERIOD that count as enumeration.',
  ),
  intKey(
    'ENUM_CHALLENGES',
    [],
    30,
    [1, 100000],
    'enumChallenges',
    'Challenges left unanswered within MONIT_PERIOD that count as enumeration.',
  ),
  {
    key: 'BLOCKED_COUNTRIES',
    aliases: [],
    default: '',
    allowed: 'ISO 3166-1 alpha-2 country codes, comma-separated, e.g. CN,RU (empty = none)',
    description: 'Countries whose every address range is blocked.',
    parse(value, cfg) {
      const items = list(value.toUpperCase().replace(/\s+/g, ','));
      const bad = items.filter((code) => !isCountryCode(code));
      if (bad.length) {
        const hints = bad.flatMap((code) => {
          const hint = suggestCountryCode(code);
          return hint ? [`${hint} (${countryName(hint)}) for ${code}`] : [];
        });
        const what = bad.map((c) => `'${c}'`).join(', ');
        const tip = hints.length ? `; did you mean ${hints.join(', ')}?` : '';
        return `must be ISO 3166-1 alpha-2 country codes, comma-separated (unknown: ${what}${tip})`;
      }
      cfg.blockedCountries = [...new Set(items)].sort();
      return null;
    },
    format: (cfg) => cfg.blockedCountries.join(','),
  },
  boolKey(
    'TFTP_PROTECTION',
    true,
    'tftp.enabled',
    'Rate-limit TFTP (UDP 69) per source against provisioning brute force.',
  ),
  {
    key: 'TFTP_RATE',
    aliases: [],
    default: '10/minute',
    allowed: 'N/second, N/minute, N/hour or N/day with N 1-1000000',
    description: 'TFTP requests allowed per source.',
    parse(value, cfg) {
      const m = /^([0-9]{1,7})\s*\/\s*([a-z]+)$/.exec(value.toLowerCase());
      const count = m ? int(m[1]!, 1, 1000000) : null;
      const per = RATE_UNITS.find((u) => u === m?.[2]);
      if (count === null || !per) return 'must be N/second, N/minute, N/hour or N/day with N 1-1000000';
      cfg.tftp.rate = { count, per };
      return null;
    },
    format: (cfg) => `${cfg.tftp.rate.count}/${cfg.tftp.rate.per}`,
  },
  intKey(
    'TFTP_BURST',
    [],
    100,
    [1, 1000000],
    'tftp.burst',
    'TFTP requests a source may send in a burst above the rate.',
  ),
  boolKey('DNS_PROTECTION', true, 'dnsProtection', 'Drop oversized DNS answers (glibc CVE-2015-7547 guard).'),
  boolKey(
    'NOTIFY_DAILY',
    true,
    'notify.daily',
    'Mail a daily attack summary to the notification recipients.',
  ),
  {
    key: 'NOTIFY_DAILY_AT',
    aliases: [],
    default: '00:05',
    allowed: 'a local time HH:MM, 00:00-23:59',
    description: 'When the daily summary is sent (local time).',
    parse(value, cfg) {
      const m = /^([0-9]{1,2}):([0-9]{2})$/.exec(value);
      if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) return 'must be a local time HH:MM, 00:00-23:59';
      cfg.notify.dailyAt = `${m[1]!.padStart(2, '0')}:${m[2]}`;
      return null;
    },
    format: (cfg) => cfg.notify.dailyAt,
  },
  boolKey(
    'NOTIFY_EACH_ATTACK',
    false,
    'notify.eachAttack',
    'Mail about every attack, batched at most once per NOTIFY_INTERVAL.',
  ),
  intKey(
    'NOTIFY_INTERVAL',
    [],
    3600,
    [60, 604800],
    'notify.interval',
    'Least seconds between two per-attack mails.',
  ),
  {
    key: 'SMTP_HOST',
    aliases: [],
    default: '',
    allowed: 'a host name or IP address (empty = no mail)',
    description: 'SMTP server for notifications; unset means no mail is sent.',
    parse(value, cfg) {
      if (value === '') cfg.smtp.host = null;
      else if (isHost(value)) cfg.smtp.host = parseAddress(value)?.text ?? value.toLowerCase();
      else return 'must be a host name or IP address';
      return null;
    },
    format: (cfg) => cfg.smtp.host ?? '',
  },
  {
    key: 'SMTP_PORT',
    aliases: [],
    default: '',
    allowed: 'a port 1-65535 (default: 465 for SMTP_TLS=tls, 25 for none, else 587)',
    description: 'SMTP server port.',
    parse(value, cfg) {
      const n = int(value, 1, 65535);
      if (n === null) return 'must be a port 1-65535';
      cfg.smtp.port = n;
      return null;
    },
    format: (cfg) => String(cfg.smtp.port),
  },
  {
    key: 'SMTP_USER',
    aliases: [],
    default: '',
    allowed: 'any text (empty = no authentication)',
    description: 'SMTP user name.',
    parse(value, cfg) {
      cfg.smtp.user = value === '' ? null : value;
      return null;
    },
    format: (cfg) => cfg.smtp.user ?? '',
  },
  {
    key: 'SMTP_PASSWORD',
    aliases: [],
    default: '',
    allowed: 'any text; quote it if it contains spaces or #',
    description: 'SMTP password.',
    parse(value, cfg) {
      cfg.smtp.password = value === '' ? null : value;
      return null;
    },
    format: (cfg) => cfg.smtp.password ?? '',
  },
  {
    key: 'SMTP_FROM',
    aliases: [],
    default: '',
    allowed: 'an e-mail address, optionally as Name <user@example.com>',
    description: 'Sender address of notification mails.',
    parse(value, cfg) {
      const m = /^(?:[^<>]*<([^<>]+)>|([^<>]+))$/.exec(value);
      const addr = (m?.[1] ?? m?.[2] ?? '').trim();
      if (value === '') cfg.smtp.from = null;
      else if (EMAIL.test(addr)) cfg.smtp.from = value;
      else return 'must be an e-mail address, optionally as Name <user@example.com>';
      return null;
    },
    format: (cfg) => cfg.smtp.from ?? '',
  },
  {
    key: 'SMTP_TLS',
    aliases: [],
    default: '',
    allowed: 'none, starttls or tls (default: tls on port 465, else starttls)',
    description: 'How the SMTP connection is secured.',
    parse(value, cfg) {
      const v = value.toLowerCase();
      if (v !== 'none' && v !== 'starttls' && v !== 'tls') return 'must be none, starttls or tls';
      cfg.smtp.tls = v as SmtpTls;
      return null;
    },
    format: (cfg) => cfg.smtp.tls,
  },
  {
    key: 'STATE_DIR',
    aliases: [],
    default: '/var/lib/sipprot',
    allowed: 'an absolute directory path',
    description: 'Where the database and runtime files live.',
    parse(value, cfg) {
      if (!value.startsWith('/') || value.includes('\0')) return 'must be an absolute directory path';
      cfg.stateDir = value.length > 1 ? value.replace(/\/+$/, '') : value;
      return null;
    },
    format: (cfg) => cfg.stateDir,
  },
  {
    key: 'WEB_LISTEN',
    aliases: [],
    default: '127.0.0.1:8040',
    allowed: 'HOST:PORT, e.g. 127.0.0.1:8040 or [::1]:8040, or off (no web UI; the CLI socket stays)',
    description: 'Address of the web UI and HTTP API.',
    parse(value, cfg) {
      if (value.toLowerCase() === 'off') {
        cfg.webListen = { host: '', port: 0 };
        return null;
      }
      const hp = parseHostPort(value);
      if (!hp) return 'must be HOST:PORT, e.g. 127.0.0.1:8040 or [::1]:8040, with a port 1-65535, or off';
      cfg.webListen = hp;
      return null;
    },
    format: (cfg) => {
      if (cfg.webListen.port === 0) return 'off';
      return cfg.webListen.host.includes(':')
        ? `[${cfg.webListen.host}]:${cfg.webListen.port}`
        : `${cfg.webListen.host}:${cfg.webListen.port}`;
    },
  },
  {
    key: 'HEP_LISTEN',
    aliases: [],
    default: 'off',
    allowed: 'off, or HOST:PORT to receive HEPv3 on UDP, e.g. 127.0.0.1:9060',
    description:
      'HEPv3 feed from the SIP server (Kamailio siptrace, OpenSIPS, Asterisk res_hep, FreeSWITCH): covers SIP over TLS, which capture cannot read. Its ports must be in SIP_PORTS.',
    parse(value, cfg) {
      if (value.toLowerCase() === 'off' || value === '') {
        cfg.hepListen = null;
        return null;
      }
      const hp = parseHostPort(value);
      if (!hp) return 'must be off or HOST:PORT, e.g. 127.0.0.1:9060, with a port 1-65535';
      cfg.hepListen = hp;
      return null;
    },
    format: (cfg) => {
      const h = cfg.hepListen;
      if (!h) return 'off';
      return h.host.includes(':') ? `[${h.host}]:${h.port}` : `${h.host}:${h.port}`;
    },
  },
  {
    key: 'CLUSTER_REDIS_URL',
    aliases: [],
    default: '',
    allowed: 'a redis:// or rediss:// URL (empty = single host)',
    description: 'Redis shared by every host of a cluster.',
    parse(value, cfg) {
      if (value === '') {
        cfg.clusterRedisUrl = null;
        return null;
      }
      if (!/^rediss?:\/\/[^\s]+$/i.test(value) || !URL.canParse(value))
        return 'must be a redis:// or rediss:// URL';
      cfg.clusterRedisUrl = value;
      return null;
    },
    format: (cfg) => cfg.clusterRedisUrl ?? '',
  },
  pathKey('ALLOWLIST_FILE', 'sipprot.allowlist', 'The allow list file.', 'allowlistFile'),
  pathKey('DENYLIST_FILE', 'sipprot.denylist', 'The deny list file.', 'denylistFile'),
  {
    key: 'GEOIP_UPDATE_URL',
    aliases: [],
    default: '',
    allowed: 'an http://, https:// or file:// URL, or an absolute file path (empty = shipped table only)',
    description: 'Where geo-IP updates come from (CSV start,end,country).',
    parse(value, cfg) {
      if (value === '') cfg.geoip.updateUrl = null;
      else if (value.startsWith('/') || (/^(https?|file):\/\/\S+$/i.test(value) && URL.canParse(value))) {
        cfg.geoip.updateUrl = value;
      } else return 'must be an http://, https:// or file:// URL, or an absolute file path';
      return null;
    },
    format: (cfg) => cfg.geoip.updateUrl ?? '',
  },
  {
    key: 'GEOIP_UPDATE_INTERVAL',
    aliases: [],
    default: '604800',
    allowed: '0 (never) or an integer 3600-31536000 (seconds)',
    description: 'Seconds between scheduled geo-IP updates.',
    parse(value, cfg) {
      const n = value === '0' ? 0 : int(value, 3600, 31536000);
      if (n === null) return 'must be 0 (never) or an integer 3600-31536000 (seconds)';
      cfg.geoip.updateInterval = n;
      return null;
    },
    format: (cfg) => String(cfg.geoip.updateInterval),
  },
];

const BY_NAME = new Map<string, ConfigKey>();
for (const k of CONFIG_KEYS) {
  BY_NAME.set(k.key.toLowerCase(), k);
  for (const a of k.aliases) BY_NAME.set(a.toLowerCase(), k);
}

/** The key for a name as written in a file (any case, legacy spellings too), or undefined. */
export function findConfigKey(name: string): ConfigKey | undefined {
  return BY_NAME.get(name.toLowerCase());
}

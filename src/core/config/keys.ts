/**
 * The keys of sipprot.conf: metadata the UI and CLI show (name, legacy spellings,
 * default, what is allowed, what it does), and each key's parser and formatter.
 */

import { countryName, isCountryCode, suggestCountryCode } from '../geoip/countries.js';
import { CLUSTER_KEYS } from './keys-cluster.js';
import { DETECTION_KEYS } from './keys-detect.js';
import { OPS_KEYS } from './keys-ops.js';
import { SERVICE_KEYS } from './keys-service.js';
import { SOURCE_KEYS } from './keys-sources.js';
import { TRUST_KEYS } from './keys-trust.js';
import {
  boolKey,
  type ConfigKey,
  DEFAULT_SCANNERS,
  formatPorts,
  IFNAME,
  int,
  intKey,
  list,
  parsePorts,
  RATE_UNITS,
} from './values.js';

export { type ConfigKey, type Context, DEFAULT_SCANNERS, formatPorts, joinPath } from './values.js';

/** Detection and firewall keys here; mail, storage, listeners and geo-IP in config-keys-service.ts. */
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
    hostOnly: true,
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
  ...SERVICE_KEYS,
  ...DETECTION_KEYS,
  ...CLUSTER_KEYS,
  ...TRUST_KEYS,
  {
    key: 'HISTORY_DAYS',
    aliases: [],
    default: '365',
    allowed: 'an integer 1-3650 (days)',
    description:
      'Days the history (blocks, lifts, list and settings changes), the attack events and the decisions are kept.',
    parse(value, cfg) {
      const n = int(value, 1, 3650);
      if (n === null) return 'must be an integer 1-3650 (days)';
      cfg.historyDays = n;
      return null;
    },
    format: (cfg) => String(cfg.historyDays),
  },
  ...OPS_KEYS,
  ...SOURCE_KEYS,
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

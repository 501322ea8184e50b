/**
 * The keys of the detection rules that came with issue 12 (slow attacks, distributed
 * guessing, toll fraud, floods, sweeps, tool templates, prefixes, observe mode). Appended
 * after the manual's keys in keys.ts, so the UI shows them last. Every default is chosen
 * so that no office reaches it; README.md ("Detection keys") gives the reasoning, rule by
 * rule, and src/core/detect/ holds the rules themselves.
 */
import { type DetectionConfig, RULES, type Rule } from '../types.js';
import { bool, type ConfigKey, int, list } from './values.js';

const yn = (b: boolean) => (b ? 'yes' : 'no');

/** The defaults, as values (tests and benches build configs from them). */
export const DEFAULT_DETECTION: Readonly<DetectionConfig> = Object.freeze({
  slowHour: 30,
  slowDay: 100,
  distributedSources: 10,
  distributedBlock: true,
  tollCount: 3,
  tollMinDigits: 8,
  tollWatch: [],
  floodRate: 1000,
  sweepTargets: 4,
  scannerTemplates: true,
  prefixV4: 32,
  prefixV6: 64,
  prefixBlock: 3,
  observe: [],
});

type IntField =
  | 'slowHour'
  | 'slowDay'
  | 'distributedSources'
  | 'tollCount'
  | 'tollMinDigits'
  | 'floodRate'
  | 'sweepTargets'
  | 'prefixV4'
  | 'prefixV6'
  | 'prefixBlock';

function intField(
  key: string,
  field: IntField,
  [min, max]: [number, number],
  description: string,
  off = false,
): ConfigKey {
  const allowed = `an integer ${min}-${max}${off && min === 0 ? ' (0 = off)' : ''}`;
  return {
    key,
    aliases: [],
    default: String(DEFAULT_DETECTION[field]),
    allowed,
    description,
    parse(value, cfg) {
      const n = int(value, min, max);
      if (n === null) return `must be ${allowed}`;
      cfg.detection[field] = n;
      return null;
    },
    format: (cfg) => String(cfg.detection[field]),
  };
}

function boolField(
  key: string,
  field: 'distributedBlock' | 'scannerTemplates',
  description: string,
): ConfigKey {
  const allowed = 'yes or no (also true/false, on/off, 1/0)';
  return {
    key,
    aliases: [],
    default: yn(DEFAULT_DETECTION[field]),
    allowed,
    description,
    parse(value, cfg) {
      const b = bool(value);
      if (b === null) return `must be ${allowed}`;
      cfg.detection[field] = b;
      return null;
    },
    format: (cfg) => yn(cfg.detection[field]),
  };
}

const WATCH_ALLOWED =
  'destination prefixes of 1-15 digits, each with an optional leading +, comma-separated (empty = none)';

const OBSERVE_ALLOWED = `'all', or rule names comma-separated (${RULES.join(', ')}); empty = enforce every rule`;

export const DETECTION_KEYS: readonly ConfigKey[] = [
  intField(
    'SLOW_HOUR_COUNT',
    'slowHour',
    [0, 100000],
    'Failed attempts (new dialogs) from one source within an hour that block it as a slow attack.',
    true,
  ),
  intField(
    'SLOW_DAY_COUNT',
    'slowDay',
    [0, 1000000],
    'Failed attempts (new dialogs) from one source within a day that block it as a slow attack.',
    true,
  ),
  intField(
    'DISTRIBUTED_SOURCES',
    'distributedSources',
    [0, 10000],
    'Addresses failing on one extension within an hour that raise a distributed-guessing alert.',
    true,
  ),
  boolField(
    'DISTRIBUTED_BLOCK',
    'distributedBlock',
    'Block every source of a distributed attack on an extension (never a source whose phones authenticate).',
  ),
  intField(
    'TOLL_COUNT',
    'tollCount',
    [0, 1000],
    'Failed INVITEs to outside numbers within MONIT_PERIOD, from a source that never authenticated, that block it.',
    true,
  ),
  intField(
    'TOLL_MIN_DIGITS',
    'tollMinDigits',
    [4, 20],
    'Digits from which a dialled number counts as an outside number.',
  ),
  {
    key: 'TOLL_WATCH',
    aliases: [],
    default: '',
    allowed: WATCH_ALLOWED,
    description:
      'Destination prefixes to watch (premium, high-cost countries): one failed call to them blocks an unauthenticated source; a call to them that connects raises an alert.',
    parse(value, cfg) {
      const items = list(value);
      const out = new Set<string>();
      for (const item of items) {
        const digits = item.startsWith('+') ? item.slice(1) : item;
        if (!/^[0-9]{1,15}$/.test(digits)) return `must be ${WATCH_ALLOWED} ('${item}' is not one)`;
        out.add(digits);
      }
      cfg.detection.tollWatch = [...out];
      return null;
    },
    format: (cfg) => cfg.detection.tollWatch.map((p) => `+${p}`).join(','),
  },
  intField(
    'FLOOD_RATE',
    'floodRate',
    [0, 1000000],
    'SIP requests a second from one source (averaged over 5 s) that block it as a flood.',
    true,
  ),
  intField(
    'SWEEP_TARGETS',
    'sweepTargets',
    [0, 1000],
    'Local address:port pairs one unauthenticated source sends to within MONIT_PERIOD that make it a scanner.',
    true,
  ),
  boolField(
    'SCANNER_TEMPLATES',
    'scannerTemplates',
    'Recognise attack tools by their request template even with a renamed User-Agent (FINGERPRINTS.md).',
  ),
  intField('PREFIX_V4', 'prefixV4', [8, 32], 'IPv4 prefix length the detection counters are kept per.'),
  intField('PREFIX_V6', 'prefixV6', [16, 128], 'IPv6 prefix length the detection counters are kept per.'),
  intField(
    'PREFIX_BLOCK',
    'prefixBlock',
    [0, 1000],
    'Blocked addresses of one prefix after which every other address of it is blocked at its first request.',
    true,
  ),
  {
    key: 'OBSERVE',
    aliases: [],
    default: '',
    allowed: OBSERVE_ALLOWED,
    description:
      "Rules whose decisions are only reported ('would block'), not enforced: 'all' for a new install's first week.",
    parse(value, cfg) {
      const items = list(value.toLowerCase());
      const out = new Set<Rule | 'all'>();
      for (const item of items) {
        if (item !== 'all' && !(RULES as readonly string[]).includes(item)) {
          return `must be ${OBSERVE_ALLOWED} ('${item}' is not one)`;
        }
        out.add(item as Rule | 'all');
      }
      cfg.detection.observe = out.has('all') ? ['all'] : RULES.filter((r) => out.has(r));
      return null;
    },
    format: (cfg) => cfg.detection.observe.join(','),
  },
];

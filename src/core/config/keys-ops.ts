/**
 * Keys of issue 15 (operations): how the daemon logs, where Prometheus scrapes it, who may
 * read the blocklist export, and which webhooks hear of blocks and alerts.
 * - LOG_FORMAT, LOG_LEVEL: text (one readable line per event; under systemd with a syslog
 *   priority prefix) or json (pino's lines, for log shippers); `sipprotd run --log-format`
 *   overrides the file.
 * - METRICS_LISTEN, METRICS_TOKEN: /metrics is always on WEB_LISTEN (a session, or the
 *   bearer token); METRICS_LISTEN adds a listener of its own that serves only /metrics. Beyond
 *   loopback it needs METRICS_TOKEN (checked here: a metrics port open to the world without
 *   a token is refused at start, not discovered later).
 * - EXPORT_TOKEN: the bearer token of GET /api/blocks/export on WEB_LISTEN (else a session).
 * - WEBHOOK_URLS, WEBHOOK_EVENTS, WEBHOOK_GROUP_SECONDS: targets `FORMAT:URL`, what they hear,
 *   how long a burst is gathered into one message (alerts go out at once).
 * Listeners and tokens are hostOnly: a web session that could set them could open a port or
 * read the token it was meant to need. Webhooks are fleet-wide settings an admin sets in the UI.
 */
import { parseAddress } from '../net/ip.js';
import {
  LOG_FORMATS,
  LOG_LEVELS,
  WEBHOOK_EVENTS,
  WEBHOOK_FORMATS,
  type WebhookEvent,
  type WebhookTarget,
} from '../types.js';
import { type ConfigKey, int, list, parseHostPort } from './values.js';

/** Tokens: 16-256 characters a header and a config line carry unchanged. */
const TOKEN = /^[A-Za-z0-9._~+/=-]{16,256}$/;
const TOKEN_ALLOWED = '16-256 letters, digits or . _ ~ + / = - (e.g. openssl rand -hex 24); empty = none';
export const MAX_WEBHOOKS = 10;
const MAX_URL = 2048;

function tokenKey(key: string, which: 'metricsToken' | 'exportToken', description: string): ConfigKey {
  return {
    key,
    aliases: [],
    hostOnly: true,
    default: '',
    allowed: TOKEN_ALLOWED,
    description,
    parse(value, cfg) {
      if (value !== '' && !TOKEN.test(value)) return `must be ${TOKEN_ALLOWED}`;
      cfg.ops[which] = value === '' ? null : value;
      return null;
    },
    format: (cfg) => cfg.ops[which] ?? '',
  };
}

/**
 * A metrics listener beyond loopback without a token would publish the host's attack data
 * to anyone who can reach it: refused (parse.ts checks it once every key is read).
 */
export function metricsProblem(ops: {
  metricsListen: { host: string } | null;
  metricsToken: string | null;
}): string | null {
  const l = ops.metricsListen;
  if (!l || ops.metricsToken !== null) return null;
  const addr = parseAddress(l.host);
  const loopback = addr !== null && (addr.text === '::1' || (addr.family === 4 && addr.bytes[0] === 127));
  if (loopback || l.host === 'localhost') return null;
  return 'a metrics listener beyond loopback needs METRICS_TOKEN (or listen on 127.0.0.1)';
}

/** `FORMAT:URL` (or a bare URL: json), or the reason it is not one. */
export function parseWebhookTarget(item: string): WebhookTarget | string {
  const m = /^([a-z]+)[:=](https?:\/\/.*)$/i.exec(item);
  const format = m ? m[1]!.toLowerCase() : 'json';
  const url = m ? m[2]! : item;
  const f = WEBHOOK_FORMATS.find((x) => x === format);
  if (!f) return `'${format}' is not a format (${WEBHOOK_FORMATS.join(', ')})`;
  if (!/^https?:\/\//i.test(url)) return `'${shortUrl(url)}' must start with http:// or https://`;
  if (url.length > MAX_URL) return `a URL must be at most ${MAX_URL} characters`;
  if (!URL.canParse(url)) return `'${shortUrl(url)}' is not a valid URL`;
  const u = new URL(url);
  if (u.hostname === '') return `'${shortUrl(url)}' names no host`;
  return { format: f, url: u.toString() };
}

/** A URL in an error message: scheme and host only (the path may hold the webhook's token). */
function shortUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/[^/?#@]*@?[^/?#]*)/i.exec(url);
  return m ? `${m[1]!.replace(/^([^:]+:\/\/)[^@/]*@/, '$1')}/...` : url.slice(0, 12);
}

export function formatWebhookTargets(targets: readonly WebhookTarget[]): string {
  return targets.map((t) => `${t.format}:${t.url}`).join(' ');
}

export const OPS_KEYS: readonly ConfigKey[] = [
  {
    key: 'LOG_FORMAT',
    aliases: [],
    hostOnly: true,
    default: 'text',
    allowed: 'text or json',
    description:
      'text: one readable line per event (under systemd with a priority journalctl -p understands); json: one JSON object a line, for log shippers.',
    parse(value, cfg) {
      const v = LOG_FORMATS.find((f) => f === value.toLowerCase());
      if (!v) return 'must be text or json';
      cfg.ops.log = { ...cfg.ops.log, format: v };
      return null;
    },
    format: (cfg) => cfg.ops.log.format,
  },
  {
    key: 'LOG_LEVEL',
    aliases: [],
    hostOnly: true,
    default: 'info',
    allowed: 'debug, info, warn or error',
    description: 'The least important level logged.',
    parse(value, cfg) {
      const v = LOG_LEVELS.find((f) => f === value.toLowerCase());
      if (!v) return 'must be debug, info, warn or error';
      cfg.ops.log = { ...cfg.ops.log, level: v };
      return null;
    },
    format: (cfg) => cfg.ops.log.level,
  },
  {
    key: 'METRICS_LISTEN',
    aliases: [],
    hostOnly: true,
    default: 'off',
    allowed: 'off, or HOST:PORT (e.g. 127.0.0.1:9560); beyond loopback METRICS_TOKEN must be set',
    description:
      'A listener of its own for Prometheus (/metrics only). /metrics is also on WEB_LISTEN, with a session or METRICS_TOKEN.',
    parse(value, cfg) {
      if (value === '' || value.toLowerCase() === 'off') {
        cfg.ops.metricsListen = null;
        return null;
      }
      const hp = parseHostPort(value);
      if (!hp) return 'must be off or HOST:PORT, e.g. 127.0.0.1:9560, with a port 1-65535';
      cfg.ops.metricsListen = hp;
      return null;
    },
    format: (cfg) => {
      const l = cfg.ops.metricsListen;
      if (!l) return 'off';
      return l.host.includes(':') ? `[${l.host}]:${l.port}` : `${l.host}:${l.port}`;
    },
  },
  tokenKey(
    'METRICS_TOKEN',
    'metricsToken',
    'Bearer token Prometheus sends for /metrics (Authorization: Bearer TOKEN); needed on METRICS_LISTEN beyond loopback.',
  ),
  tokenKey(
    'EXPORT_TOKEN',
    'exportToken',
    'Bearer token for GET /api/blocks/export on WEB_LISTEN (an SBC or router pulling the blocklist); empty = a web session only.',
  ),
  {
    key: 'WEBHOOK_URLS',
    aliases: [],
    default: '',
    allowed: `up to ${MAX_WEBHOOKS} FORMAT:URL entries separated by spaces, FORMAT one of ${WEBHOOK_FORMATS.join(', ')} (a bare URL is json); empty = none`,
    description:
      'Webhooks told about blocks and alerts: generic JSON (schema sipprot.webhook/v1), Slack, Mattermost, Teams or Discord incoming webhooks.',
    parse(value, cfg) {
      const items = value.split(/[\s,]+/).filter((s) => s !== '');
      if (items.length > MAX_WEBHOOKS) return `must be at most ${MAX_WEBHOOKS} webhooks`;
      const targets: WebhookTarget[] = [];
      for (const item of items) {
        const t = parseWebhookTarget(item);
        if (typeof t === 'string') return `must be FORMAT:URL entries: ${t}`;
        if (!targets.some((x) => x.url === t.url && x.format === t.format)) targets.push(t);
      }
      cfg.ops.webhooks = { ...cfg.ops.webhooks, targets };
      return null;
    },
    format: (cfg) => formatWebhookTargets(cfg.ops.webhooks.targets),
  },
  {
    key: 'WEBHOOK_EVENTS',
    aliases: [],
    default: 'block,permanent,alert',
    allowed: `any of ${WEBHOOK_EVENTS.join(', ')}, comma-separated, or all`,
    description:
      'What webhooks hear of: decisions by action (block, permanent, unblock, observe) and alerts.',
    parse(value, cfg) {
      const items = list(value.toLowerCase());
      const events: WebhookEvent[] = [];
      for (const item of items) {
        if (item === 'all') {
          events.push(...WEBHOOK_EVENTS);
          continue;
        }
        const e = WEBHOOK_EVENTS.find((x) => x === item);
        if (!e) return `must be any of ${WEBHOOK_EVENTS.join(', ')} or all ('${item}' is not one)`;
        events.push(e);
      }
      cfg.ops.webhooks = { ...cfg.ops.webhooks, events: WEBHOOK_EVENTS.filter((e) => events.includes(e)) };
      return null;
    },
    format: (cfg) => cfg.ops.webhooks.events.join(','),
  },
  {
    key: 'WEBHOOK_GROUP_SECONDS',
    aliases: [],
    default: '30',
    allowed: 'an integer 0-3600 (0 = a message per batch of decisions)',
    description:
      'Seconds a burst of blocks is gathered into one message, counted from its first block. Alerts never wait.',
    parse(value, cfg) {
      const n = int(value, 0, 3600);
      if (n === null) return 'must be an integer 0-3600';
      cfg.ops.webhooks = { ...cfg.ops.webhooks, groupSeconds: n };
      return null;
    },
    format: (cfg) => String(cfg.ops.webhooks.groupSeconds),
  },
];

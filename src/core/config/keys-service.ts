/**
 * The keys of sipprot.conf for the services around detection: notifications and SMTP,
 * state and listeners (web UI, HEP), cluster, list files and geo-IP updates.
 */

import { parseAddress } from '../net/ip.js';
import type { SmtpTls } from '../types.js';
import { isInside, localSourcePath } from './paths.js';
import { boolKey, type ConfigKey, EMAIL, int, intKey, isHost, parseHostPort, pathKey } from './values.js';

export const SERVICE_KEYS: readonly ConfigKey[] = [
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
    hostOnly: true,
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
    hostOnly: true,
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
    hostOnly: true,
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
    hostOnly: true,
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
    allowed:
      'an http:// or https:// URL, or a file in the config directory (path or file:// URL); empty = shipped table only',
    description: 'Where geo-IP updates come from (CSV start,end,country).',
    parse(value, cfg, ctx) {
      if (value === '') {
        cfg.geoip.updateUrl = null;
        return null;
      }
      if (/^https?:\/\/\S+$/i.test(value) && URL.canParse(value)) {
        cfg.geoip.updateUrl = value;
        return null;
      }
      const path = localSourcePath(value);
      if (path === null) return 'must be an http:// or https:// URL, or a file path in the config directory';
      // A file anywhere would let whoever edits this key make root read any file.
      if (!isInside(path, ctx.dir)) return `must be a file in the config directory ${ctx.dir}`;
      cfg.geoip.updateUrl = value;
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

/**
 * sipprot.conf text → a validated Config, and back. Pure: the file is read by
 * src/config/load.ts. Validation collects every problem before failing, and a config
 * that fails is never partly applied: parseConfig returns a whole Config or throws.
 *
 * Syntax: KEY=VALUE a line; blank lines and `#` comments; `#` after whitespace ends an
 * unquoted value; values may be "double-quoted" (with \" and \\ escapes) or
 * 'single-quoted' (literal); `export KEY=VALUE` is accepted for shell-style files. Keys
 * are case-insensitive and the legacy sipPROT spellings (block_time, ...) work.
 * A key set twice: the last one wins, with a warning. Unknown keys: a warning, ignored.
 */

import { SipprotError } from '../errors.js';
import type { Config } from '../types.js';
import { CONFIG_KEYS, type ConfigKey, findConfigKey, joinPath } from './keys.js';
import { DEFAULT_DETECTION } from './keys-detect.js';
import { metricsProblem } from './keys-ops.js';
import { shownValue } from './secrets.js';
import { didYouMean } from './suggest.js';

/** Where the lists live when there is no config file. */
const DEFAULT_CONFIG_DIR = '/etc/sipprot';

export interface ConfigProblem {
  /** The key as written in the file ('' for a line that is not KEY=VALUE). */
  key: string;
  value: string;
  /** What the key allows. */
  allowed: string;
  /** 1-based line number; 0 when the problem is not on one line. */
  line: number;
  /** The whole sentence, as in the error message. */
  message: string;
}

export interface ConfigWarning {
  key: string;
  line: number;
  message: string;
}

interface ParsedConfig {
  config: Config;
  warnings: ConfigWarning[];
}

/** Directory part of a path ('.' for a bare file name). */
function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '.' : i === 0 ? '/' : path.slice(0, i);
}

/** The config file's directory (the default one without a file): lists and update files live there. */
export function configDir(source: string | null): string {
  return source ? dirOf(source) : DEFAULT_CONFIG_DIR;
}

/** SMTP_TLS and SMTP_PORT default from each other. */
function settleSmtp(cfg: Config, set: Set<string>): void {
  if (!set.has('SMTP_TLS')) cfg.smtp.tls = set.has('SMTP_PORT') && cfg.smtp.port === 465 ? 'tls' : 'starttls';
  if (!set.has('SMTP_PORT'))
    cfg.smtp.port = cfg.smtp.tls === 'tls' ? 465 : cfg.smtp.tls === 'none' ? 25 : 587;
}

function skeleton(source: string | null): Config {
  return {
    protocols: [],
    sipPorts: [],
    interfaces: [],
    hitCount: 0,
    monitPeriod: 0,
    blockTime: 0,
    blockThreshold: 0,
    scanners: [],
    enumUsers: 0,
    enumChallenges: 0,
    blockedCountries: [],
    tftp: { enabled: false, rate: { count: 0, per: 'minute' }, burst: 0 },
    dnsProtection: false,
    notify: { daily: false, dailyAt: '', eachAttack: false, interval: 0 },
    smtp: { host: null, port: 0, user: null, password: null, from: null, tls: 'starttls' },
    stateDir: '',
    webListen: { host: '', port: 0 },
    web: { hostnames: [], tlsCert: null, tlsKey: null },
    protectedPeers: [],
    hepListen: null,
    clusterRedisUrl: null,
    clusterHostId: null,
    allowlistFile: '',
    denylistFile: '',
    geoip: { updateUrl: null, updateInterval: 0, mmdb: null },
    feedsFile: '',
    detection: { ...DEFAULT_DETECTION, tollWatch: [], observe: [] },
    historyDays: 0,
    ops: {
      log: { format: 'text', level: 'info' },
      metricsListen: null,
      metricsToken: null,
      exportToken: null,
      webhooks: { targets: [], events: [], groupSeconds: 0 },
    },
    source,
  };
}

/**
 * The embedded defaults. Lists default to `dir` (the config file's directory, or
 * /etc/sipprot without a file). Built by parsing each key's documented default, so the
 * CONFIG_KEYS table and the defaults cannot disagree.
 */
export function defaultConfig(source: string | null, dir: string = configDir(source)): Config {
  const cfg = skeleton(source);
  for (const k of CONFIG_KEYS) {
    if (k.key === 'SMTP_PORT' || k.key === 'SMTP_TLS') continue;
    const problem = k.parse(k.default, cfg, { dir });
    if (problem) throw new Error(`built-in default of ${k.key} is invalid: ${problem}`);
  }
  settleSmtp(cfg, new Set());
  return cfg;
}

type Value = { ok: true; value: string } | { ok: false; reason: string };

function splitValue(raw: string): Value {
  const rest = raw.trim();
  const tail = (after: string): Value | null => {
    const t = after.trim();
    return t === '' || t.startsWith('#')
      ? null
      : { ok: false, reason: 'unexpected text after the closing quote' };
  };
  if (rest.startsWith('"')) {
    let out = '';
    let i = 1;
    for (; i < rest.length; i++) {
      const c = rest[i]!;
      if (c === '\\' && (rest[i + 1] === '"' || rest[i + 1] === '\\')) out += rest[++i];
      else if (c === '"') break;
      else out += c;
    }
    if (i >= rest.length) return { ok: false, reason: 'a quoted value is not closed (missing ")' };
    return tail(rest.slice(i + 1)) ?? { ok: true, value: out };
  }
  if (rest.startsWith("'")) {
    const end = rest.indexOf("'", 1);
    if (end < 0) return { ok: false, reason: "a quoted value is not closed (missing ')" };
    return tail(rest.slice(end + 1)) ?? { ok: true, value: rest.slice(1, end) };
  }
  const m = /(^|\s)#/.exec(rest);
  return { ok: true, value: (m ? rest.slice(0, m.index) : rest).trim() };
}

const shown = (key: ConfigKey | undefined, value: string) => (key ? shownValue(key.key, value) : value);

/** One non-blank, non-comment line of the file, read. */
type Line =
  | { ok: false; problem: Omit<ConfigProblem, 'message'>; reason: string }
  | { ok: true; written: string; key: ConfigKey | undefined; value: string };

function readLine(trimmed: string, line: number): Line {
  const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(trimmed);
  if (!m) {
    const problem = { key: '', value: `'${trimmed}'`, allowed: 'KEY=VALUE', line };
    return { ok: false, problem, reason: 'not a KEY=VALUE line' };
  }
  const written = m[1]!;
  const key = findConfigKey(written);
  const v = splitValue(m[2]!);
  if (!v.ok) {
    const problem = {
      key: written,
      value: shown(key, m[2]!.trim()),
      allowed: key?.allowed ?? 'KEY=VALUE',
      line,
    };
    return { ok: false, problem, reason: v.reason };
  }
  return { ok: true, written, key, value: v.value };
}

/** Where each key was set: its line and its spelling there. */
type Seen = Map<string, { line: number; written: string }>;

/** Collects every problem, so that one error names them all. */
class Problems {
  readonly list: ConfigProblem[] = [];

  add(p: Omit<ConfigProblem, 'message'>, what: string): void {
    const where = p.line ? `line ${p.line}: ` : '';
    const message = p.key ? `${where}${p.key}=${p.value}: ${what}` : `${where}${p.value}: ${what}`;
    this.list.push({ ...p, message });
  }

  /** SP_ERR_CONFIG_INVALID listing every problem, when there is one. */
  throwIfAny(source: string | null): void {
    const problems = this.list;
    if (problems.length === 0) return;
    const where = source ?? 'the configuration';
    const n = problems.length === 1 ? '1 invalid setting' : `${problems.length} invalid settings`;
    const body = problems.map((p) => `  ${p.message}`).join('\n');
    throw new SipprotError('SP_ERR_CONFIG_INVALID', `${where}: ${n}; nothing was applied:\n${body}`, {
      details: problems,
    });
  }
}

/** The checks that span keys, once every line is read. */
function checkAcross(cfg: Config, seen: Seen, problems: Problems, warnings: ConfigWarning[]): void {
  settleSmtp(cfg, new Set(seen.keys()));
  if (cfg.allowlistFile === cfg.denylistFile) {
    const at = seen.get('DENYLIST_FILE') ?? seen.get('ALLOWLIST_FILE');
    problems.add(
      {
        key: at?.written ?? 'DENYLIST_FILE',
        value: cfg.denylistFile,
        allowed: 'a different file from ALLOWLIST_FILE',
        line: at?.line ?? 0,
      },
      'must be a different file from ALLOWLIST_FILE',
    );
  }
  if ((cfg.web.tlsCert === null) !== (cfg.web.tlsKey === null)) {
    const at = seen.get('WEB_TLS_CERT') ?? seen.get('WEB_TLS_KEY');
    problems.add(
      {
        key: at?.written ?? 'WEB_TLS_CERT',
        value: cfg.web.tlsCert ?? cfg.web.tlsKey ?? '',
        allowed: 'WEB_TLS_CERT and WEB_TLS_KEY both set, or neither',
        line: at?.line ?? 0,
      },
      'needs both WEB_TLS_CERT and WEB_TLS_KEY (HTTPS needs the certificate and its key)',
    );
  }
  const metrics = metricsProblem(cfg.ops);
  if (metrics) {
    const at = seen.get('METRICS_LISTEN');
    problems.add(
      {
        key: at?.written ?? 'METRICS_LISTEN',
        value: findConfigKey('METRICS_LISTEN')!.format(cfg),
        allowed: findConfigKey('METRICS_LISTEN')!.allowed,
        line: at?.line ?? 0,
      },
      metrics,
    );
  }
  if (cfg.smtp.user && !cfg.smtp.password) {
    const at = seen.get('SMTP_USER')!;
    warnings.push({ key: at.written, line: at.line, message: 'SMTP_USER is set but SMTP_PASSWORD is not' });
  }
}

/** Like parseConfig, but also returns the warnings (unknown keys, keys set twice). */
export function parseConfigDetailed(
  text: string,
  opts: { source: string | null; dir?: string },
): ParsedConfig {
  const dir = opts.dir ?? configDir(opts.source);
  const cfg = defaultConfig(opts.source, dir);
  const problems = new Problems();
  const warnings: ConfigWarning[] = [];
  const seen: Seen = new Map();
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
  lines.forEach((rawLine, idx) => {
    const line = idx + 1;
    const trimmed = rawLine.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const r = readLine(trimmed, line);
    if (!r.ok) {
      problems.add(r.problem, r.reason);
      return;
    }
    const { written, key } = r;
    if (!key) {
      const tip = didYouMean(written);
      warnings.push({ key: written, line, message: `${written} (line ${line}): unknown key, ignored${tip}` });
      return;
    }
    const prev = seen.get(key.key);
    if (prev) {
      warnings.push({
        key: written,
        line,
        message: `${written} (line ${line}) sets ${key.key} again: the value on line ${prev.line} is ignored`,
      });
    }
    seen.set(key.key, { line, written });
    const what = key.parse(r.value, cfg, { dir });
    if (what) problems.add({ key: written, value: shown(key, r.value), allowed: key.allowed, line }, what);
  });
  checkAcross(cfg, seen, problems, warnings);
  problems.throwIfAny(opts.source);
  return { config: cfg, warnings };
}

/** Parses and validates sipprot.conf text. Throws SP_ERR_CONFIG_INVALID listing every problem. */
export function parseConfig(text: string, opts: { source: string | null; dir?: string }): Config {
  return parseConfigDetailed(text, opts).config;
}

/** A value as sipprot.conf writes it: bare when safe, else double-quoted with escapes. */
function quoteValue(value: string): string {
  if (value === '' || !/[\s#"'\\]/.test(value)) return value;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * A canonical sipprot.conf for the config (what the UI writes when settings are saved).
 * Every key is written with its description; list files at their default place are
 * written commented out, so they keep following the config file.
 */
export function renderConfig(config: Config): string {
  const dir = configDir(config.source);
  const out = [
    '# sipprot configuration',
    '# KEY=VALUE, one a line. Keys are case-insensitive; # starts a comment.',
    '# Written by sipprot: comments here are regenerated when settings are saved.',
  ];
  for (const k of CONFIG_KEYS) {
    const value = k.format(config);
    const def = k.key.endsWith('LIST_FILE') ? joinPath(dir, k.default) : k.default;
    out.push('', `# ${k.description}`, `# Allowed: ${k.allowed}. Default: ${def === '' ? '(unset)' : def}.`);
    const line = `${k.key}=${quoteValue(value)}`;
    out.push(k.key.endsWith('LIST_FILE') && value === def ? `# ${line}` : line);
  }
  return `${out.join('\n')}\n`;
}

/**
 * The config with some keys changed (values as the file writes them), validated as a
 * whole like a file: a bad value throws SP_ERR_CONFIG_INVALID naming key, value and
 * what is allowed, and nothing is half-applied. Unknown keys are refused.
 */
export function withChanges(config: Config, changes: Readonly<Record<string, string>>): Config {
  const unknown = Object.keys(changes).filter((k) => !findConfigKey(k));
  if (unknown.length > 0) {
    throw new SipprotError(
      'SP_ERR_CONFIG_INVALID',
      unknown.map((k) => `${k}: not a sipprot setting${didYouMean(k)}`).join('\n'),
      {
        details: unknown.map((k) => ({
          key: k,
          value: changes[k],
          allowed: 'a key of sipprot.conf',
          line: 0,
          message: 'unknown key',
        })),
      },
    );
  }
  const lines = Object.entries(changes).map(([k, v]) => `${k}=${quoteValue(v)}`);
  return parseConfig(`${renderConfig(config)}\n${lines.join('\n')}\n`, { source: config.source });
}

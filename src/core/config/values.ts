/**
 * Value parsers and key factories for sipprot.conf (config-keys.ts holds the table).
 * A parser writes into the Config being built, or returns what is wrong with the value
 * in a sentence that says what is allowed.
 */
import { parseAddress } from '../net/ip.js';
import type { Config, PortRange } from '../types.js';

/** Lower-cased User-Agent fragments of SIP scanners and cracking tools. */
export const DEFAULT_SCANNERS: readonly string[] = [
  'friendly-scanner', // SIPVicious svmap/svwar/svcrack default
  'sipvicious',
  'sip-scan',
  'sipscan',
  'sipcli',
  'sundayddr',
  'iwar',
  'sivus',
  'smap',
  'pplsip', // sippts (pepelux)
  'vaxsipuseragent',
  'siparmyknife',
  'fdgddfg546df4g8d5f', // a fixed random-looking UA of a long-running cracking campaign
];
// Deliberately absent: sipsak, sipp (diagnostic tools admins run against their own
// servers) and generic SDK names such as PortSIP or Ozeki (real softphones use them).

export interface Context {
  /** Directory of the config file (relative list paths are resolved against it). */
  dir: string;
}

export interface ConfigKey {
  /** Canonical upper-case name. */
  key: string;
  /** Other accepted spellings (case-insensitive), e.g. legacy sipPROT names. */
  aliases: readonly string[];
  /** Default as written in the file; '' means unset or empty. */
  default: string;
  /** What values are allowed, for error messages and the UI. */
  allowed: string;
  description: string;
  /** Writes the parsed value into cfg, or returns the problem. */
  parse(value: string, cfg: Config, ctx: Context): string | null;
  /** The value as the file writes it. */
  format(cfg: Config): string;
  /**
   * Set only in the config file on the host, never from the web UI: paths, listen
   * addresses, interfaces, the cluster's Redis. A web session that could change them
   * could make root write or read any file, open a listener, or join another cluster.
   */
  hostOnly?: true;
}

const TRUE = new Set(['yes', 'true', '1', 'on']);
const FALSE = new Set(['no', 'false', '0', 'off']);

export function bool(value: string): boolean | null {
  const v = value.toLowerCase();
  return TRUE.has(v) ? true : FALSE.has(v) ? false : null;
}

export function int(value: string, min: number, max: number): number | null {
  if (!/^[0-9]{1,10}$/.test(value)) return null;
  const n = Number(value);
  return n >= min && n <= max ? n : null;
}

export function list(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function joinPath(dir: string, file: string): string {
  if (file.startsWith('/')) return file;
  return dir.endsWith('/') ? `${dir}${file}` : `${dir}/${file}`;
}

const yn = (b: boolean) => (b ? 'yes' : 'no');
const BOOL_ALLOWED = 'yes or no (also true/false, on/off, 1/0)';

type BoolPath = 'tftp.enabled' | 'dnsProtection' | 'notify.daily' | 'notify.eachAttack';
type IntPath =
  | 'hitCount'
  | 'monitPeriod'
  | 'blockTime'
  | 'blockThreshold'
  | 'enumUsers'
  | 'enumChallenges'
  | 'tftp.burst'
  | 'notify.interval';

// Paths are one or two levels deep; the union types above keep them to real fields.
function getPath(cfg: Config, path: string): unknown {
  const [a, b] = path.split('.') as [string, string?];
  const top = (cfg as unknown as Record<string, unknown>)[a];
  return b === undefined ? top : (top as Record<string, unknown>)[b];
}

function setPath(cfg: Config, path: string, value: unknown): void {
  const [a, b] = path.split('.') as [string, string?];
  const rec = cfg as unknown as Record<string, unknown>;
  if (b === undefined) rec[a] = value;
  else (rec[a] as Record<string, unknown>)[b] = value;
}

export function boolKey(key: string, def: boolean, path: BoolPath, description: string): ConfigKey {
  return {
    key,
    aliases: [],
    default: yn(def),
    allowed: BOOL_ALLOWED,
    description,
    parse(value, cfg) {
      const b = bool(value);
      if (b === null) return `must be ${BOOL_ALLOWED}`;
      setPath(cfg, path, b);
      return null;
    },
    format: (cfg) => yn(getPath(cfg, path) as boolean),
  };
}

export function intKey(
  key: string,
  aliases: readonly string[],
  def: number,
  [min, max]: [number, number],
  path: IntPath,
  description: string,
): ConfigKey {
  const allowed = `an integer ${min}-${max}`;
  return {
    key,
    aliases,
    default: String(def),
    allowed,
    description,
    parse(value, cfg) {
      const n = int(value, min, max);
      if (n === null) return `must be ${allowed}`;
      setPath(cfg, path, n);
      return null;
    },
    format: (cfg) => String(getPath(cfg, path)),
  };
}

export const IFNAME = /^[A-Za-z0-9_.:-]{1,15}$/;
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
export const EMAIL = /^[^\s<>@]+@[^\s<>@]+$/;

export function isHost(text: string): boolean {
  return parseAddress(text) !== null || HOSTNAME.test(text);
}

export function parsePorts(value: string): PortRange[] | string {
  const allowed = 'ports 1-65535 or ranges FROM:TO, comma-separated, e.g. 5060,5080:5082';
  const items = list(value);
  if (items.length === 0) return `must be ${allowed}`;
  const out: PortRange[] = [];
  for (const item of items) {
    const m = /^([0-9]{1,5})(?:\s*[:-]\s*([0-9]{1,5}))?$/.exec(item);
    if (!m) return `must be ${allowed} ('${item}' is not a port or range)`;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (const p of [from, to]) {
      if (p < 1 || p > 65535) return `must be ${allowed} (${p} is out of range)`;
    }
    if (from > to) return `must be ${allowed} (range ${item} runs backwards)`;
    out.push({ from, to });
  }
  return out;
}

export function formatPorts(ports: PortRange[]): string {
  return ports.map((p) => (p.from === p.to ? String(p.from) : `${p.from}:${p.to}`)).join(',');
}

export const RATE_UNITS = ['second', 'minute', 'hour', 'day'] as const;

export function parseHostPort(value: string): { host: string; port: number } | null {
  const m = /^\[([^\]]+)\]:([0-9]{1,5})$/.exec(value) ?? /^([^:[\]]+):([0-9]{1,5})$/.exec(value);
  if (!m) return null;
  const host = m[1]!;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return null;
  const bracketed = value.startsWith('[');
  const addr = parseAddress(host);
  if (bracketed ? addr?.family !== 6 || host.includes('.') : !isHost(host)) return null;
  return { host: addr ? addr.text : host.toLowerCase(), port };
}

export function pathKey(
  key: string,
  def: string,
  description: string,
  which: 'allowlistFile' | 'denylistFile',
): ConfigKey {
  return {
    key,
    aliases: [],
    default: def,
    allowed: 'a file path (relative paths are beside the config file)',
    description,
    hostOnly: true,
    parse(value, cfg, ctx) {
      if (value === '' || value.includes('\0')) return 'must be a file path';
      cfg[which] = joinPath(ctx.dir, value);
      return null;
    },
    format: (cfg) => cfg[which],
  };
}

/**
 * The feeds file (FEEDS_FILE, default `sipprot.feeds` beside the config): which shared
 * blocklists sipprot imports, one feed a line, so that any number of feeds fit without a
 * config key per feed and the web UI never rewrites them (feeds name URLs and API keys:
 * host-only, like the lists). Pure: the adapter reads the file.
 *
 *   # NAME   TYPE    SOURCE                                   OPTIONS
 *   voipbl   list    https://voipbl.org/update/               interval=4h ttl=1d
 *   apiban   apiban  https://apiban.org/api                   key=0123abcd interval=10m ttl=7d
 *   mine     list    /etc/sipprot/our-partners-bad.txt        enabled=no
 *
 * - TYPE `list`: plain text, one address or CIDR a line, `#` or `;` comments (VoIPBL,
 *   FireHOL netsets, Spamhaus DROP); each download replaces the feed's entries.
 * - TYPE `apiban`: the APIBAN REST API (https://apiban.org/doc.html) at SOURCE with `key=`;
 *   sipprot keeps APIBAN's ID cursor and adds what is new, 250 addresses a batch.
 * - SOURCE: an http(s) URL, or a file in the config directory (root reads nothing else).
 * - interval: between downloads (default 1h list, 10m apiban; 1m-7d). ttl: how long an
 *   entry stays after the last download that listed it (default: 3 × interval for a list,
 *   7 days for APIBAN, which names an address once; 10m-90d), also the kernel timeout of
 *   its element, so a feed that stops
 *   answering ages out instead of blocking forever. max: entries kept (default 200,000;
 *   at most 1,000,000). min_ratio: a download with fewer entries than this share of the
 *   current ones is refused unless the next download confirms it (default 0.5; 0 = off).
 */
import { isInside, localSourcePath } from '../config/paths.js';

export type FeedType = 'list' | 'apiban';

export interface FeedSpec {
  name: string;
  type: FeedType;
  /** An http(s) URL, or an absolute path inside the config directory. */
  source: string;
  enabled: boolean;
  /** Seconds between downloads. */
  interval: number;
  /** Seconds an entry lives after the download that last listed it. */
  ttl: number;
  /** Entries kept at most. */
  max: number;
  /** Refuse a list download that shrinks the feed below this share (0 = never refuse). */
  minRatio: number;
  /** APIBAN key (secret: never logged or shown). */
  key: string | null;
  /** 1-based line in the feeds file. */
  line: number;
}

export interface FeedsFileProblem {
  line: number;
  message: string;
}

export const FEED_LIMITS = {
  minInterval: 60,
  maxInterval: 7 * 86400,
  minTtl: 600,
  maxTtl: 90 * 86400,
  defaultMax: 200_000,
  maxMax: 1_000_000,
  maxFeeds: 32,
} as const;

const DEFAULT_INTERVAL: Record<FeedType, number> = { list: 3600, apiban: 600 };
const NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
const OPTIONS = new Set(['interval', 'ttl', 'max', 'min_ratio', 'key', 'enabled']);

/** `90`, `30s`, `10m`, `4h`, `7d` → seconds, or null. */
export function parseDuration(text: string): number | null {
  const m = /^([0-9]{1,7})([smhd]?)$/.exec(text.trim().toLowerCase());
  if (!m) return null;
  return Number(m[1]) * (UNITS[m[2] || 's'] as number);
}

/** Seconds as the feeds file writes them (`4h`, `90m`, `45s`). */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

type Parsed = { ok: true; spec: FeedSpec } | { ok: false; message: string };

function parseSource(raw: string, dir: string): string | null {
  if (/^https?:\/\/\S+$/i.test(raw) && URL.canParse(raw)) return raw;
  if (/^[a-z][a-z0-9+.-]*:/i.test(raw) && !/^file:/i.test(raw)) return null;
  // A relative path is beside the feeds file (the config directory).
  const abs = raw.startsWith('/') || /^file:/i.test(raw) ? raw : `${dir.replace(/\/$/, '')}/${raw}`;
  const path = localSourcePath(abs);
  return path !== null && isInside(path, dir) ? path : null;
}

function applyOption(spec: FeedSpec, name: string, value: string, set: Set<string>): string | null {
  if (!OPTIONS.has(name)) return `unknown option '${name}' (allowed: ${[...OPTIONS].join(', ')})`;
  if (set.has(name)) return `option '${name}' is given twice`;
  set.add(name);
  switch (name) {
    case 'interval': {
      const s = parseDuration(value);
      if (s === null || s < FEED_LIMITS.minInterval || s > FEED_LIMITS.maxInterval)
        return `interval=${value}: must be a duration from 1m to 7d (e.g. 30m, 4h)`;
      spec.interval = s;
      return null;
    }
    case 'ttl': {
      const s = parseDuration(value);
      if (s === null || s < FEED_LIMITS.minTtl || s > FEED_LIMITS.maxTtl)
        return `ttl=${value}: must be a duration from 10m to 90d (e.g. 1d, 7d)`;
      spec.ttl = s;
      return null;
    }
    case 'max': {
      const n = /^[0-9]{1,7}$/.test(value) ? Number(value) : Number.NaN;
      if (!(n >= 1 && n <= FEED_LIMITS.maxMax)) return `max=${value}: must be a whole number 1-1000000`;
      spec.max = n;
      return null;
    }
    case 'min_ratio': {
      const n = /^(0|1|0?\.[0-9]{1,3})$/.test(value) ? Number(value) : Number.NaN;
      if (Number.isNaN(n)) return `min_ratio=${value}: must be a number from 0 to 1 (e.g. 0.5)`;
      spec.minRatio = n;
      return null;
    }
    case 'key':
      // Shown nowhere: a problem names the option, never the value.
      if (!/^[A-Za-z0-9_-]{8,128}$/.test(value)) return 'key=…: must be 8-128 letters, digits, - or _';
      spec.key = value;
      return null;
    default: {
      const v = value.toLowerCase();
      if (!['yes', 'no', 'true', 'false', 'on', 'off', '1', '0'].includes(v))
        return `enabled=${value}: must be yes or no`;
      spec.enabled = ['yes', 'true', 'on', '1'].includes(v);
      return null;
    }
  }
}

function parseLine(words: string[], line: number, dir: string): Parsed {
  const [name, type, source, ...options] = words as [string, ...string[]];
  if (!NAME.test(name)) {
    return { ok: false, message: `feed name '${name}' must be 1-32 of a-z, 0-9, - and _ (lower case)` };
  }
  if (type !== 'list' && type !== 'apiban') {
    return { ok: false, message: `feed ${name}: type must be list or apiban, not '${type ?? ''}'` };
  }
  if (!source) return { ok: false, message: `feed ${name}: the source (URL or file) is missing` };
  const src = parseSource(source, dir);
  if (src === null) {
    return {
      ok: false,
      message: `feed ${name}: source must be an http:// or https:// URL, or a file in the config directory ${dir}`,
    };
  }
  const spec: FeedSpec = {
    name,
    type,
    source: src,
    enabled: true,
    interval: DEFAULT_INTERVAL[type],
    ttl: 0,
    max: FEED_LIMITS.defaultMax,
    minRatio: 0.5,
    key: null,
    line,
  };
  const set = new Set<string>();
  for (const opt of options) {
    const eq = opt.indexOf('=');
    if (eq <= 0) return { ok: false, message: `feed ${name}: '${opt}' is not OPTION=VALUE` };
    const why = applyOption(spec, opt.slice(0, eq).toLowerCase(), opt.slice(eq + 1), set);
    if (why) return { ok: false, message: `feed ${name}: ${why}` };
  }
  if (!set.has('ttl')) {
    // APIBAN names each address once (after the cursor): it must outlive many intervals.
    const ttl = type === 'apiban' ? 7 * 86400 : 3 * spec.interval;
    spec.ttl = Math.min(FEED_LIMITS.maxTtl, Math.max(FEED_LIMITS.minTtl, ttl, spec.interval));
  }
  if (spec.ttl < spec.interval) {
    return {
      ok: false,
      message: `feed ${name}: ttl (${formatDuration(spec.ttl)}) is shorter than interval (${formatDuration(spec.interval)}): entries would lapse between downloads`,
    };
  }
  if (type === 'apiban' && spec.key === null)
    return { ok: false, message: `feed ${name}: apiban needs key=YOUR_KEY` };
  return { ok: true, spec };
}

/** The feeds file's text → specs, and every problem (file line, what is wrong). */
export function parseFeedsFile(
  text: string,
  dir: string,
): { specs: FeedSpec[]; problems: FeedsFileProblem[] } {
  const specs: FeedSpec[] = [];
  const problems: FeedsFileProblem[] = [];
  const names = new Map<string, number>();
  const lines = (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text).split('\n');
  lines.forEach((raw, i) => {
    const line = i + 1;
    const hash = raw.search(/(^|\s)#/);
    const body = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (body === '') return;
    const r = parseLine(body.split(/\s+/), line, dir);
    if (!r.ok) {
      problems.push({ line, message: r.message });
      return;
    }
    const first = names.get(r.spec.name);
    if (first !== undefined) {
      problems.push({ line, message: `feed ${r.spec.name} is already defined on line ${first}` });
      return;
    }
    names.set(r.spec.name, line);
    specs.push(r.spec);
  });
  if (specs.length > FEED_LIMITS.maxFeeds) {
    problems.push({ line: 0, message: `${specs.length} feeds: at most ${FEED_LIMITS.maxFeeds} are allowed` });
  }
  return { specs, problems };
}

/** A spec as status and logs show it: the source without the key, never the key. */
export function describeSource(spec: Pick<FeedSpec, 'type' | 'source'>): string {
  return spec.source;
}

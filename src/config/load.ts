/**
 * Finding and reading sipprot.conf. Order: --config, SIPPROT_CONFIG,
 * /etc/sipprot/sipprot.conf, /home/sipprot.conf (the manual's layout); with none of
 * them the embedded defaults are used and the lists live in /etc/sipprot.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ConfigWarning, parseConfigDetailed, renderConfig } from '../core/config/parse.js';
import { SipprotError } from '../core/errors.js';
import type { Config } from '../core/types.js';
import { writeFileAtomic } from '../platform/atomic-write.js';
import { assertSafeFile } from '../platform/file-safety.js';

export const SYSTEM_CONFIG = '/etc/sipprot/sipprot.conf';
export const LEGACY_CONFIG = '/home/sipprot.conf';

export interface ConfigLocation {
  /** --config PATH. */
  flag?: string | undefined | null;
  /** Alias of `flag`. */
  path?: string | undefined | null;
  env?: NodeJS.ProcessEnv;
  exists?: (path: string) => boolean;
}

export interface LoadOptions extends ConfigLocation {
  readFile?: (path: string) => string;
  /** Called for each warning (unknown key, key set twice); the daemon logs them. */
  onWarning?: (w: ConfigWarning, file: string) => void;
}

export interface LoadedConfig {
  config: Config;
  warnings: ConfigWarning[];
  /** The file read, or null for the embedded defaults. */
  path: string | null;
  /** How the path was chosen. */
  from: 'flag' | 'env' | 'system' | 'legacy' | 'defaults';
}

function explicit(opts: ConfigLocation): { path: string; from: 'flag' | 'env' } | null {
  const flag = opts.flag ?? opts.path;
  if (flag) return { path: resolve(flag), from: 'flag' };
  const env = (opts.env ?? process.env).SIPPROT_CONFIG;
  if (env) return { path: resolve(env), from: 'env' };
  return null;
}

function locate(opts: ConfigLocation): { path: string | null; from: LoadedConfig['from'] } {
  const given = explicit(opts);
  if (given) return given;
  const exists = opts.exists ?? existsSync;
  if (exists(SYSTEM_CONFIG)) return { path: SYSTEM_CONFIG, from: 'system' };
  if (exists(LEGACY_CONFIG)) return { path: LEGACY_CONFIG, from: 'legacy' };
  return { path: null, from: 'defaults' };
}

/**
 * The config file to read, or null for the embedded defaults. An explicit path (flag or
 * SIPPROT_CONFIG) is returned whether or not it exists: loadConfig reports it missing.
 */
export function resolveConfigPath(opts: ConfigLocation = {}): string | null {
  return locate(opts).path;
}

export function loadConfigDetailed(opts: LoadOptions = {}): LoadedConfig {
  const { path, from } = locate(opts);
  if (path === null) {
    const r = parseConfigDetailed('', { source: null });
    return { ...r, path, from };
  }
  // A config anyone may write would let anyone steer a root daemon (issue 10 item 15).
  if (!opts.readFile) assertSafeFile(path, 'the config file');
  let text: string;
  try {
    text = (opts.readFile ?? ((p) => readFileSync(p, 'utf8')))(path);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const via = from === 'flag' ? ' (given with --config)' : from === 'env' ? ' (from SIPPROT_CONFIG)' : '';
    if (err.code === 'ENOENT') {
      throw new SipprotError('SP_ERR_CONFIG_NOT_FOUND', `config file ${path}${via} does not exist`);
    }
    if (err.code === 'EISDIR') {
      throw new SipprotError('SP_ERR_CONFIG_NOT_FOUND', `config file ${path}${via} is a directory`);
    }
    if (err.code === 'EACCES' || err.code === 'EPERM') {
      throw new SipprotError(
        'SP_ERR_PERMISSION',
        `cannot read config file ${path}: permission denied (run as root?)`,
      );
    }
    throw new SipprotError('SP_ERR_CONFIG_NOT_FOUND', `cannot read config file ${path}: ${err.message}`, {
      cause: e,
    });
  }
  const r = parseConfigDetailed(text, { source: path });
  for (const w of r.warnings) opts.onWarning?.(w, path);
  return { ...r, path, from };
}

/** The validated config. Throws SP_ERR_CONFIG_NOT_FOUND, SP_ERR_PERMISSION or SP_ERR_CONFIG_INVALID. */
export function loadConfig(opts: LoadOptions = {}): Config {
  return loadConfigDetailed(opts).config;
}

/**
 * Writes the config as a canonical sipprot.conf (atomic replace; a new file is 0600
 * because it may hold the SMTP password). Returns the text written. A failed write is
 * SP_ERR_CONFIG_IO (or SP_ERR_PERMISSION) and leaves the old file as it was.
 */
export async function saveConfig(path: string, config: Config): Promise<string> {
  const text = renderConfig({ ...config, source: path });
  await writeFileAtomic(path, text, { mode: 0o600, code: 'SP_ERR_CONFIG_IO' });
  return text;
}

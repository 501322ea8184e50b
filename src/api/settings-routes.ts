/**
 * General settings: read with the metadata the UI shows, validate one key at a time for
 * inline errors, and change (the daemon writes the file and applies it live). Values are
 * checked here with each key's own parser first, so a bad value never reaches the file;
 * the daemon's full parse then catches what only the whole file can tell.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CONFIG_KEYS, type ConfigKey, findConfigKey } from '../core/config/keys.js';
import { configDir } from '../core/config/parse.js';
import { SECRET_KEYS, SECRET_MASK, shownValue } from '../core/config/secrets.js';
import { SipprotError } from '../core/errors.js';
import { COUNTRIES, EXTRA_COUNTRIES } from '../core/geoip/countries.js';
import { ACTORS } from '../core/history/events.js';
import { type Address, parseAddress } from '../core/net/ip.js';
import type { Config } from '../core/types.js';
import { bad } from './admin-routes.js';
import type { SettingsView } from './types.js';
import type { WireTypes } from './validation.js';
import { answers } from './wire/errors.js';
import {
  ChangesBody,
  type SettingError,
  type SettingField,
  SettingsResponse,
  Validation,
} from './wire/settings.js';

export interface SettingsPort {
  read(): Promise<SettingsView>;
  /**
   * Writes and applies the changes. A BLOCKED_COUNTRIES change passes the one lock-out
   * guard first (core/lists/lockout.ts, run by the daemon's Admin): SP_ERR_LOCKOUT unless forced.
   */
  update(
    changes: Record<string, string>,
    requester: string | null,
    opts?: { force?: boolean },
  ): Promise<SettingsView>;
}

const countryList = Object.entries({ ...COUNTRIES, ...EXTRA_COUNTRIES } as Record<string, string>)
  .map(([code, name]) => ({ code, name }))
  .sort((a, b) => a.name.localeCompare(b.name, 'en'));

function toResponse(view: SettingsView): SettingsResponse {
  const known = new Set(CONFIG_KEYS.map((k) => k.key));
  const fields: SettingField[] = CONFIG_KEYS.map((k) => field(k.key, k, view.values[k.key] ?? k.default));
  for (const [key, value] of Object.entries(view.values)) {
    if (!known.has(key)) fields.push(field(key, undefined, value));
  }
  const out: SettingsResponse = {
    source: view.source,
    fields,
    restartRequired: view.restartRequired ?? [],
    countries: countryList,
  };
  if (view.message) out.message = view.message;
  return out;
}

function field(key: string, meta: ConfigKey | undefined, value: string): SettingField {
  // A secret is never sent to the browser, not even masked; left out of a change it keeps its value.
  const secret = SECRET_KEYS.has(key);
  return {
    key,
    value: secret ? '' : shownValue(key, value),
    default: meta?.default ?? '',
    allowed: meta?.allowed ?? 'any text',
    description: meta?.description ?? '',
    secret,
    secretSet: secret && value !== '',
    hostOnly: meta?.hostOnly === true,
  };
}

/** A Config for the key parsers to write into; only the nested objects they expect matter. */
function scratchConfig(): Config {
  return { tftp: { rate: {} }, notify: {}, smtp: {}, geoip: {}, webListen: {}, web: {} } as unknown as Config;
}

/** Keys that say where mail goes: changing one must not carry the stored password along. */
const SMTP_DESTINATION = ['SMTP_HOST', 'SMTP_PORT', 'SMTP_TLS', 'SMTP_USER'];

export interface Validated {
  /** Canonical key → value (trimmed; an empty value replaced by the key's default). */
  changes: Record<string, string>;
  errors: SettingError[];
  /** The parsed result, for checks across keys (blocked countries vs. the requester). */
  parsed: Config;
}

/** Who asks: the web UI may not touch host-only keys; the root-only socket may. */
type SettingsOrigin = 'web' | 'socket';

/** `raw` is body.changes, an object (its schema says so); the values are checked here, key by key. */
function validateChanges(
  raw: Record<string, unknown>,
  source: string | null,
  origin: SettingsOrigin,
): Validated {
  const changes: Record<string, string> = {};
  const errors: SettingError[] = [];
  const parsed = scratchConfig();
  for (const [name, rawValue] of Object.entries(raw)) {
    const meta = findConfigKey(name);
    const value = typeof rawValue === 'number' || typeof rawValue === 'boolean' ? String(rawValue) : rawValue;
    const key = meta?.key ?? name.toUpperCase();
    const allowed = meta?.allowed ?? '';
    if (!meta) {
      errors.push({ key, value: String(value), allowed, message: `unknown setting ${name}` });
      continue;
    }
    if (typeof value !== 'string') {
      errors.push({ key, value: String(value), allowed, message: 'must be text' });
      continue;
    }
    if (meta.hostOnly && origin === 'web') {
      errors.push({
        key,
        value,
        allowed,
        message: `${key} is set in the config file on the host (${source ?? 'sipprot.conf'}), not from the web UI`,
      });
      continue;
    }
    const v = value.trim();
    if (/[\u0000-\u001f\u007f]/.test(v)) {
      errors.push({ key, value: v, allowed, message: 'must be one line without control characters' });
      continue;
    }
    if (key === 'CLUSTER_REDIS_URL' && v.includes(SECRET_MASK)) {
      errors.push({ key, value: v, allowed, message: 'retype the password part of the URL' });
      continue;
    }
    if (key === 'WEBHOOK_URLS' && v.includes(SECRET_MASK)) {
      errors.push({
        key,
        value: v,
        allowed,
        message: 'retype the whole webhook URLs (or use the Webhooks section)',
      });
      continue;
    }
    // Empty means "back to the default"; a key whose default is empty is then unset.
    const effective = v === '' ? meta.default : v;
    const problem = effective === '' ? null : meta.parse(effective, parsed, { dir: configDir(source) });
    if (problem) errors.push({ key, value: v, allowed, message: `${key} ${problem}` });
    else changes[key] = effective;
  }
  return { changes, errors, parsed };
}

/**
 * A change of where mail goes (host, port, TLS, user) must come with the SMTP password
 * (a new one, or the same typed again): otherwise a web session could send the stored
 * password to a server of its choice with "send test mail".
 */
function smtpPasswordProblem(
  changes: Record<string, string>,
  current: Record<string, string>,
): SettingError | null {
  if ((current.SMTP_PASSWORD ?? '') === '' || 'SMTP_PASSWORD' in changes) return null;
  const moved = SMTP_DESTINATION.filter((k) => k in changes && changes[k] !== (current[k] ?? ''));
  if (moved.length === 0) return null;
  return {
    key: 'SMTP_PASSWORD',
    value: '',
    allowed: 'the SMTP password, typed again',
    message: `changing ${moved.join(', ')} needs the SMTP password again (type it, or a new one, in the same change)`,
  };
}

function invalid(errors: SettingError[]): SipprotError {
  const first = errors[0]!;
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new SipprotError(
    'SP_ERR_CONFIG_INVALID',
    `invalid value '${first.value}' for ${first.key}: ${first.message}${more}`,
    { details: { errors } },
  );
}

export function settingsRoutes(
  settings: SettingsPort,
  requesterOf: (req: FastifyRequest) => Address | null,
  origin: SettingsOrigin,
  /** Writes a change to the history (values as shown: secrets masked), with who made it. */
  record?: (changes: Record<string, string>, actor: string) => Promise<void>,
) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<WireTypes>();
    const read = { summary: 'every setting with its metadata', response: answers({ 200: SettingsResponse }) };
    app.get('/api/settings', { schema: read }, async () => toResponse(await settings.read()));

    const validate = {
      summary: 'check values without saving',
      body: ChangesBody,
      response: answers({ 200: Validation }),
    };
    app.post('/api/settings/validate', { schema: validate }, async (req) => {
      const { source } = await settings.read();
      const { errors } = validateChanges(req.body.changes, source, origin);
      return { ok: errors.length === 0, errors };
    });

    const change = {
      summary: 'change settings; applied live (restartRequired lists keys that need a restart)',
      body: ChangesBody,
      response: answers({ 200: SettingsResponse }),
    };
    app.patch('/api/settings', { schema: change }, async (req) => {
      const { source, values } = await settings.read();
      const { changes, errors } = validateChanges(req.body.changes, source, origin);
      const smtp = origin === 'web' ? smtpPasswordProblem(changes, values) : null;
      if (smtp) errors.push(smtp);
      if (errors.length > 0) throw invalid(errors);
      if (Object.keys(changes).length === 0) throw bad('nothing to change: body.changes is empty');
      const force = req.body.force === true ? { force: true } : {};
      // On the root-only socket the CLI names its user's SSH client; TCP peers are what they are.
      const named = origin === 'socket' && req.body.requester ? parseAddress(req.body.requester) : null;
      const requester = (requesterOf(req) ?? named)?.text ?? null;
      const view = await settings.update(changes, requester, force);
      req.log.info({ keys: Object.keys(changes) }, 'settings changed');
      const shown = Object.fromEntries(Object.entries(changes).map(([k, v]) => [k, shownValue(k, v)]));
      await record?.(shown, origin === 'web' ? ACTORS.web(requester) : ACTORS.cli);
      return toResponse(view);
    });
  };
}

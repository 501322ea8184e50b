/**
 * What the API exchanges with the daemon (ApiDeps) and with the web UI. Types only, so
 * the UI can import them (type-only) without pulling server code into the bundle.
 */

import type { Decision, ListName } from '../core/types.js';
import type { DynamicBlock } from '../ports/admin.js';

/** The daemon's settings as sipprot.conf writes them. */
export interface SettingsView {
  /** The config file the values come from and changes are written to; null = defaults only. */
  source: string | null;
  /** Every key of CONFIG_KEYS (canonical upper-case names), value as the file writes it. */
  values: Record<string, string>;
  /** Keys whose new value takes effect only after a restart (e.g. WEB_LISTEN, STATE_DIR). */
  restartRequired?: string[];
  /** After an update: what was applied, in a sentence for the admin. */
  message?: string;
}

/** One setting as the UI shows it: value plus the metadata of CONFIG_KEYS. */
export interface SettingField {
  key: string;
  /** Current value; '' for a secret that is set (see `secretSet`). */
  value: string;
  default: string;
  allowed: string;
  description: string;
  /** True for SMTP_PASSWORD: never sent back; leave it out of a change to keep it. */
  secret: boolean;
  /** A secret that has a value. */
  secretSet: boolean;
  /** Set in the config file on the host only (paths, listeners, interfaces, cluster): read-only in the UI. */
  hostOnly: boolean;
}

export interface SettingsResponse {
  source: string | null;
  fields: SettingField[];
  restartRequired: string[];
  message?: string;
  /** For the blocked-countries picker: ISO code and English name. */
  countries: Array<{ code: string; name: string }>;
}

export interface SettingError {
  key: string;
  value: string;
  allowed: string;
  message: string;
}

/** The geo-IP database in use. */
export interface GeoStatus {
  /** Where the data came from (package@version or URL). */
  source: string;
  /** Date of the data, YYYY-MM-DD. */
  date: string;
  v4Ranges: number;
  v6Ranges: number;
  /** 'shipped' with the package, or 'state' (an update under STATE_DIR). */
  origin: 'shipped' | 'state';
  /** Epoch seconds of the update that produced the table; null for the shipped data. */
  updatedAt: number | null;
  /** GEOIP_UPDATE_URL; null = no update source configured. */
  updateUrl: string | null;
  /** After an update: things the admin should know that did not stop it. */
  warnings?: string[];
}

/**
 * What the daemon publishes as it happens. The API turns decisions into full dynamic
 * list rows (from the store) for the live view; the other kinds tell the UI to refetch.
 */
export type LiveEvent =
  | { type: 'decision'; decision: Decision }
  | { type: 'lists'; list: ListName }
  | { type: 'settings' };

/** Server-Sent Events the UI receives on /api/dynamic/events (event name: data). */
export type StreamEvent =
  | { event: 'block'; data: { block: DynamicBlock; now: number } }
  | { event: 'unblock'; data: { ip: string; reason: string; now: number } }
  | { event: 'lists'; data: { list: ListName } }
  | { event: 'settings'; data: Record<string, never> };

export interface SessionInfo {
  /** False (and nothing else) when the request carries no live session. */
  authenticated: true;
  /** Send as X-CSRF-Token on every POST/PUT/PATCH/DELETE. */
  csrfToken: string;
  /** The generated first-start password is still in use: ask the admin to change it. */
  mustChangePassword: boolean;
  /** 'socket' (root, CLI) or 'tcp' (web UI, logged in). */
  transport: 'socket' | 'tcp';
  expiresAt: number | null;
}

export type SessionAnswer = SessionInfo | { authenticated: false };

export interface DashboardData {
  now: number;
  blocks: { permanent: number; temporary: number };
  lists: { allow: number; deny: number };
  today: {
    from: number;
    attacks: number;
    attempts: number;
    distinctIps: number;
    attacksByRule: Record<string, number>;
    blocksByReason: Record<string, number>;
  };
  range: { from: number; to: number; bucketSeconds: number; label: string };
  series: Array<{ at: number; attacks: number }>;
  topCountries: Array<{ country: string; name: string | null; events: number }>;
  topUserAgents: Array<{ userAgent: string; events: number }>;
  misconfiguredPhones: Array<{ ip: string; users: string[]; userAgent: string | null; attempts: number }>;
}

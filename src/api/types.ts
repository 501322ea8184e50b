/**
 * The types the web UI and the daemon import from the API, types only (the UI's bundle
 * gets no server code). The wire types are derived from the route schemas in ./wire/ (the
 * one description of the HTTP contract); the last two say what the daemon hands the API.
 */
import type { Decision, ListName } from '../core/types.js';

export type { OpenAlert } from './wire/alerts.js';
export type { ClusterAnswer, ClusterStatus } from './wire/cluster.js';
export type { DashboardData } from './wire/dashboard.js';
export type { ApiErrorBody } from './wire/errors.js';
export type { StreamEvent } from './wire/events.js';
export type { FeedStatus, FeedsAnswer } from './wire/feeds.js';
export type { HistoryAnswer, HistoryQuery } from './wire/history.js';
export type { GeoStatus } from './wire/ops.js';
export type {
  AttackRecord,
  ChangeResult,
  CheckResult,
  DynamicBlock,
  HistoryEvent,
  ImportResult,
  ListEntry,
  Recipient,
  RemoveResult,
  StatusReport,
} from './wire/records.js';
export type { SessionAnswer, SessionInfo } from './wire/session.js';
export type { SettingError, SettingField, SettingsResponse, Validation } from './wire/settings.js';
export type { WebhooksView, WebhookTestResults } from './wire/webhooks.js';

/** The daemon's settings as sipprot.conf writes them (what SettingsPort reads and writes). */
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

/**
 * What the daemon publishes as it happens. The API turns decisions into full dynamic
 * list rows (from the store) for the live view; the other kinds tell the UI to refetch.
 */
export type LiveEvent =
  | { type: 'decision'; decision: Decision }
  | { type: 'lists'; list: ListName }
  | { type: 'settings' }
  /** The open alerts changed (raised, counted up, acknowledged): the stream sends the list. */
  | { type: 'alerts' }
  /**
   * A part protection depends on stopped or works again (daemon/protection.ts): the kernel
   * lost sipprot's rules (nft flush ruleset, ...), the firewall is out of sync, the store
   * refuses writes, capture stopped.
   */
  | {
      type: 'protection';
      part: 'kernel' | 'firewall' | 'store' | 'capture';
      state: 'lost' | 'restored';
      reason: string;
      at: number;
    };

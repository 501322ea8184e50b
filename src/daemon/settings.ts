/**
 * Settings from the web UI or the API: the view (every key formatted from the config in
 * force) and a change (validate the whole new config, write sipprot.conf atomically, then
 * reload: one reconcile, blocks kept). A change of BLOCKED_COUNTRIES passes the one
 * lock-out guard first (LocalAdmin.guardCountries: core/lists/lockout.ts).
 */
import type { SettingsView } from '../api/types.js';
import { SYSTEM_CONFIG, saveConfig } from '../config/load.js';
import { CONFIG_KEYS } from '../core/config/keys.js';
import { withChanges } from '../core/config/parse.js';
import type { Config } from '../core/types.js';

/** Settings that only a restart can apply (they decide where the daemon lives and listens). */
const RESTART_KEYS = ['STATE_DIR', 'WEB_LISTEN', 'CLUSTER_REDIS_URL'];

/** What a settings change needs of the running daemon. */
export interface SettingsTarget {
  config(): Config;
  reload(next: Config): Promise<string>;
  /**
   * SP_ERR_LOCKOUT when blocking these countries cuts off a protected address (unless
   * forced). The warnings (LANs, allow entries' neighbours) come with the reload's answer.
   */
  guardCountries(countries: readonly string[]): Promise<unknown>;
}

export function settingsView(config: Config, message?: string): SettingsView {
  const values: Record<string, string> = {};
  for (const k of CONFIG_KEYS) values[k.key] = k.format(config);
  return { source: config.source, values, restartRequired: RESTART_KEYS, ...(message ? { message } : {}) };
}

export async function updateSettings(
  target: SettingsTarget,
  changes: Record<string, string>,
): Promise<SettingsView> {
  const current = target.config();
  const next = withChanges(current, changes);
  if (next.blockedCountries.join(',') !== current.blockedCountries.join(',')) {
    await target.guardCountries(next.blockedCountries);
  }
  const path = current.source ?? SYSTEM_CONFIG;
  await saveConfig(path, next);
  const saved = { ...next, source: path };
  // restartRequired in the view tells which of the changes wait for a restart.
  return settingsView(saved, await target.reload(saved));
}

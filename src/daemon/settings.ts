import type { SettingsView } from '../api/types.js';
import { SYSTEM_CONFIG, saveConfig } from '../config/load.js';
import { CONFIG_KEYS } from '../core/config/keys.js';
import { withChanges } from '../core/config/parse.js';
import type { Config } from '../core/types.js';
import type { Daemon } from './daemon.js';

/** Settings that only a restart can apply (they decide where the daemon lives and listens). */
const RESTART_KEYS = ['STATE_DIR', 'WEB_LISTEN', 'CLUSTER_REDIS_URL'];

export function settingsView(config: Config, message?: string): SettingsView {
  const values: Record<string, string> = {};
  for (const k of CONFIG_KEYS) values[k.key] = k.format(config);
  return { source: config.source, values, restartRequired: RESTART_KEYS, ...(message ? { message } : {}) };
}

/**
 * Changing settings from the UI: validate the whole new config, write sipprot.conf
 * atomically, then reload (a reconcile; blocks kept). The API refuses a country change
 * that would lock the requester out before it gets here (api/lockout.ts guardCountries).
 */
export async function updateSettings(daemon: Daemon, changes: Record<string, string>): Promise<SettingsView> {
  const next = withChanges(daemon.config, changes);
  const path = daemon.config.source ?? SYSTEM_CONFIG;
  saveConfig(path, next);
  const saved = { ...next, source: path };
  // restartRequired in the view tells which of the changes wait for a restart.
  return settingsView(saved, await daemon.reload(saved));
}

import type { SettingsView } from '../api/types.js';
import { SYSTEM_CONFIG, saveConfig } from '../config/load.js';
import { CONFIG_KEYS, withChanges } from '../core/config.js';
import { SipprotError } from '../core/errors.js';
import { parseAddress } from '../core/ip.js';
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
 * Changing settings from the UI: validate the whole new config, refuse what would lock
 * the requester out, write sipprot.conf atomically, then reload (a reconcile; blocks kept).
 */
export async function updateSettings(
  daemon: Daemon,
  changes: Record<string, string>,
  requester: string | null,
): Promise<SettingsView> {
  const next = withChanges(daemon.config, changes);
  refuseCountryLockout(daemon, next, requester);
  const path = daemon.config.source ?? SYSTEM_CONFIG;
  saveConfig(path, next);
  const saved = { ...next, source: path };
  // restartRequired in the view tells which of the changes wait for a restart.
  return settingsView(saved, await daemon.reload(saved));
}

/** Blocking the country the administrator connects from would cut them off. */
function refuseCountryLockout(daemon: Daemon, next: Config, requester: string | null): void {
  if (!requester || !daemon.geo) return;
  const addr = parseAddress(requester);
  if (!addr) return;
  if (daemon.access.check(addr).status === 'allowed') return;
  const country = daemon.geo.country(addr.text);
  if (country && next.blockedCountries.includes(country)) {
    throw new SipprotError(
      'SP_ERR_LOCKOUT',
      `refusing to block ${country}: you are connected from ${addr.text} in ${country}; add your address to the allow list first`,
    );
  }
}

/**
 * The daemon's geo-IP database: loaded at start and on reload (STATE_DIR's table, else the
 * shipped one: ~550,000 ranges), and refreshed every GEOIP_UPDATE_INTERVAL from
 * GEOIP_UPDATE_URL when both are set. Without a usable database countries are unknown and
 * BLOCKED_COUNTRIES does nothing: an error in the log, not a failed start.
 */
import { configDir } from '../core/config/parse.js';
import type { Config } from '../core/types.js';
import { GeoDatabase } from '../geoip/database.js';
import { type GeoSchedule, scheduleGeoipUpdates } from '../geoip/schedule.js';
import type { Logger } from '../ports/logger.js';

/** The geo-IP database of STATE_DIR (or the shipped one); null if none is usable. */
export async function loadGeo(stateDir: string, log: Logger): Promise<GeoDatabase | null> {
  try {
    const db = await GeoDatabase.load(stateDir);
    for (const w of db.warnings) log.warn({}, w);
    return db;
  } catch (e) {
    log.error({ err: e }, 'no geo-IP database: countries are unknown and BLOCKED_COUNTRIES has no effect');
    return null;
  }
}

/** GEOIP_UPDATE_URL every GEOIP_UPDATE_INTERVAL; `updated` refills the kernel's sets. */
export function scheduleGeo(
  db: GeoDatabase | null,
  config: Config,
  log: Logger,
  updated: () => void,
  /** Cluster mode: asked before each run (true on one host of the fleet per interval). */
  mayRun?: ((intervalSec: number) => Promise<boolean>) | null,
): GeoSchedule | null {
  const { updateUrl, updateInterval } = config.geoip;
  if (!db || !updateUrl || updateInterval <= 0) return null;
  return scheduleGeoipUpdates({
    db,
    from: updateUrl,
    update: { confineTo: configDir(config.source) },
    intervalSec: updateInterval,
    ...(mayRun ? { mayRun: () => mayRun(updateInterval * 0.9) } : {}),
    onResult: (o) => {
      if (!o.ok) {
        log.warn({ err: o.error }, 'scheduled geo-IP update failed; keeping the current database');
        return;
      }
      log.info({ source: o.result.meta.source, date: o.result.meta.date }, 'geo-IP database updated');
      updated();
    },
  });
}

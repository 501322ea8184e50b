/**
 * The daemon's geo-IP database: loaded at start and on reload (the admin's GEOIP_MMDB when
 * set and usable, else STATE_DIR's table, else the shipped one: ~550,000 ranges), and
 * refreshed every GEOIP_UPDATE_INTERVAL from GEOIP_UPDATE_URL when both are set (GEOIP_MMDB:
 * re-read when the file changes). Without a usable database countries are unknown and
 * BLOCKED_COUNTRIES does nothing: an error in the log, not a failed start.
 * GeoInForce holds the database in use and its schedule for the Daemon: a reload that finds
 * no usable database keeps the one in use (a broken file never forgets every country).
 */
import { configDir } from '../core/config/parse.js';
import type { CountryRanges } from '../core/geoip/table.js';
import type { Config } from '../core/types.js';
import { GeoDatabase } from '../geoip/database.js';
import { type GeoSchedule, scheduleGeoipUpdates } from '../geoip/schedule.js';
import type { Logger } from '../ports/logger.js';

/** GEOIP_MMDB is looked at this often (a stat; the file is read again only when it changed). */
const MMDB_CHECK_SECONDS = 3600;

/** The networks of `codes` (BLOCKED_COUNTRIES) in `db`; none without a database or codes. */
export function countryRanges(db: GeoDatabase | null, codes: readonly string[]): CountryRanges {
  return db && codes.length > 0 ? db.table.rangesFor(codes) : { v4: [], v6: [] };
}

/** The database in use and its refresh schedule (the Daemon owns one). */
export class GeoInForce {
  db: GeoDatabase | null = null;
  private schedule: GeoSchedule | null = null;

  constructor(
    private readonly log: Logger,
    /** Told of every database loaded (cluster mode publishes the table to the fleet). */
    private readonly loaded: (db: GeoDatabase | null) => void,
  ) {}

  /** Loads the configured database; one that cannot be read keeps the database in use. */
  async load(config: Pick<Config, 'stateDir' | 'geoip'>): Promise<void> {
    this.db = (await loadGeo(config, this.log)) ?? this.db;
    this.loaded(this.db);
  }

  /** (Re)starts the refresh for `config`; `updated` refills the kernel's sets. */
  reschedule(
    config: Config,
    updated: () => void,
    mayRun?: ((intervalSec: number) => Promise<boolean>) | null,
  ) {
    this.schedule?.stop();
    this.schedule = scheduleGeo(this.db, config, this.log, updated, mayRun);
  }

  stop(): void {
    this.schedule?.stop();
  }
}

/** The admin's GEOIP_MMDB, else STATE_DIR's table, else the shipped one; null if none is usable. */
export async function loadGeo(
  config: Pick<Config, 'stateDir' | 'geoip'>,
  log: Logger,
): Promise<GeoDatabase | null> {
  try {
    const db = await GeoDatabase.load(config.stateDir, { mmdb: config.geoip.mmdb });
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
  if (db?.mmdbPath) return watchMmdb(db, log, updated);
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

/**
 * GEOIP_MMDB: the admin's tool (geoipupdate) replaces the file; sipprot notices within an
 * hour and re-reads it, checked like any update (a broken or collapsed file is refused and
 * the table in use stays). Each host reads its own file: nothing is published to a cluster.
 */
function watchMmdb(db: GeoDatabase, log: Logger, updated: () => void): GeoSchedule {
  let stopped = false;
  const timer = setInterval(() => {
    db.refreshMmdb().then(
      (r) => {
        if (!r || stopped) return;
        for (const w of r.warnings) log.warn({}, w);
        log.info({ source: r.meta.source, date: r.meta.date }, 'geo-IP database re-read from GEOIP_MMDB');
        updated();
      },
      (e) => log.warn({ err: e }, 'GEOIP_MMDB changed but was refused; keeping the current table'),
    );
  }, MMDB_CHECK_SECONDS * 1000);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
    get nextInSec() {
      return stopped ? null : MMDB_CHECK_SECONDS;
    },
  };
}

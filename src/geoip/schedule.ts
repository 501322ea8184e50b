/**
 * GEOIP_UPDATE_URL every GEOIP_UPDATE_INTERVAL seconds. One update at a time (the next
 * is planned when the last has finished); the timer never keeps the process alive.
 */
import { isSipprotError, SipprotError } from '../core/errors.js';
import type { GeoDatabase, GeoUpdateOptions, GeoUpdateResult } from './database.js';

export type GeoScheduleOutcome = { ok: true; result: GeoUpdateResult } | { ok: false; error: SipprotError };

interface GeoScheduleOptions {
  db: GeoDatabase;
  /** GEOIP_UPDATE_URL; null or empty: no schedule. */
  from: string | readonly string[] | null;
  /** GEOIP_UPDATE_INTERVAL in seconds; 0: no schedule. */
  intervalSec: number;
  /** Passed on to every update (timeouts, caps, fetch for tests). */
  update?: Omit<GeoUpdateOptions, 'from'>;
  onResult?: (outcome: GeoScheduleOutcome) => void;
  /** Asked before each run; false skips it until the next interval (cluster: another host updates). */
  mayRun?: () => Promise<boolean>;
  /** Earliest first run after start, seconds (default 60: let the daemon settle). */
  firstDelaySec?: number;
  /** Wait after a failed run before trying again, seconds (default min(interval, 3600)). */
  retrySec?: number;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

export interface GeoSchedule {
  stop(): void;
  /** Seconds until the next run from the moment it was planned; null when stopped or off. */
  readonly nextInSec: number | null;
}

/**
 * Delay of the first run: when the table came from an update, the rest of its interval
 * (so a restart does not download again), never less than firstDelaySec.
 */
export function firstDelay(
  updatedAt: number | null,
  intervalSec: number,
  nowSec: number,
  firstDelaySec: number,
): number {
  if (updatedAt === null) return firstDelaySec;
  return Math.max(firstDelaySec, Math.min(intervalSec, updatedAt + intervalSec - nowSec));
}

export function scheduleGeoipUpdates(opts: GeoScheduleOptions): GeoSchedule {
  const { db, intervalSec } = opts;
  const sources =
    opts.from === null ? [] : typeof opts.from === 'string' ? [opts.from.trim()] : [...opts.from];
  const from = sources.filter((s) => s !== '');
  const now = opts.now ?? (() => Date.now() / 1000);
  const setTimer =
    opts.setTimer ??
    ((fn: () => void, ms: number) => {
      const t = setTimeout(fn, ms);
      t.unref();
      return t;
    });
  const clearTimer = opts.clearTimer ?? ((h: unknown) => clearTimeout(h as NodeJS.Timeout));
  let handle: unknown = null;
  let stopped = false;
  let next: number | null = null;

  if (from.length === 0 || !(intervalSec > 0)) {
    return { stop() {}, nextInSec: null };
  }

  const plan = (sec: number) => {
    if (stopped) return;
    next = sec;
    handle = setTimer(() => void run(), sec * 1000);
  };

  const run = async () => {
    handle = null;
    if (opts.mayRun && !(await opts.mayRun().catch(() => true))) return plan(intervalSec);
    let outcome: GeoScheduleOutcome;
    try {
      outcome = { ok: true, result: await db.update({ ...opts.update, from }) };
    } catch (e) {
      const error = isSipprotError(e)
        ? e
        : new SipprotError('SP_ERR_GEOIP', `geo-IP update failed: ${(e as Error).message}`, { cause: e });
      outcome = { ok: false, error };
    }
    try {
      opts.onResult?.(outcome);
    } catch {
      // A reporting failure must not stop the schedule.
    }
    plan(outcome.ok ? intervalSec : (opts.retrySec ?? Math.min(intervalSec, 3600)));
  };

  plan(firstDelay(db.meta.updatedAt, intervalSec, now(), opts.firstDelaySec ?? 60));
  return {
    stop() {
      stopped = true;
      next = null;
      if (handle !== null) clearTimer(handle);
      handle = null;
    },
    get nextInSec() {
      return next;
    },
  };
}

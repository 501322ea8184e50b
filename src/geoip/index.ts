/** The geo-IP adapters: the database the daemon holds, its updates and their schedule. */
export {
  type GeoChangeListener,
  GeoDatabase,
  type GeoLoadOptions,
  type GeoMeta,
  type GeoUpdateOptions,
  type GeoUpdateResult,
  updateGeoDatabase,
} from './database.js';
export { SHIPPED_TABLE } from './files.js';
export {
  type GeoSchedule,
  type GeoScheduleOptions,
  type GeoScheduleOutcome,
  scheduleGeoipUpdates,
} from './schedule.js';
export { DEFAULT_MAX_BYTES, DEFAULT_TIMEOUT_MS } from './source.js';

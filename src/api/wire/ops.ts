/** Recipients and test mail, the geo-IP database, the daily report, reload. */
import { arrayOf, bool, type FromSchema, int, nullable, num, oneOf, record, str } from './schema.js';

export const RecipientBody = {
  type: 'object',
  properties: {
    email: { ...str, pattern: '\\S', 'x-expects': 'an e-mail address' },
    name: { anyOf: [str, { type: 'null' }], 'x-expects': 'text' },
  },
  required: ['email'],
} as const;

export const RecipientRemoved = record({ removed: str });

export const NotifyTestBody = {
  type: ['object', 'null'],
  properties: {
    to: { ...str, 'x-expects': 'an e-mail address', description: 'one address instead of the recipients' },
  },
} as const;

export const NotifyTestResult = record({ ok: bool, message: str });

export const GeoStatus = record(
  {
    source: { ...str, description: 'where the data came from (package@version or URL)' },
    date: { ...str, description: 'date of the data, YYYY-MM-DD' },
    v4Ranges: int,
    v6Ranges: int,
    origin: {
      ...oneOf('shipped', 'state', 'mmdb'),
      description: "shipped with the package, an update in STATE_DIR, or the admin's GEOIP_MMDB file",
    },
    updatedAt: { ...nullable(num), description: 'epoch seconds of the update; null for the shipped data' },
    updateUrl: { ...nullable(str), description: 'GEOIP_UPDATE_URL; null = no update source configured' },
  },
  { warnings: { ...arrayOf(str), description: 'after an update: what did not stop it but matters' } },
);

export const ReportQuery = {
  type: 'object',
  properties: {
    // The calendar check (no 2026-02-30) is the route's: JSON Schema has no calendar.
    day: { ...str, description: 'YYYY-MM-DD, local (today)' },
    format: { ...oneOf('json', 'text', 'html'), 'x-expects': 'json, text or html' },
  },
} as const;

export const ReportJson = record({ day: str, text: str, model: { description: 'the report model' } });

export const Reloaded = record({ reloaded: bool, message: str });

export type GeoStatus = FromSchema<typeof GeoStatus>;

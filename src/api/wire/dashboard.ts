/** The dashboard and the recent attacks and decisions. */
import { arrayOf, type FromSchema, int, nullable, num, oneOf, record, str } from './schema.js';

const counts = { type: 'object', additionalProperties: int } as const;

export const DashboardQuery = {
  type: 'object',
  properties: { range: { ...oneOf('24h', '7d', '30d'), description: 'the range of the series (24h)' } },
} as const;

export const DashboardData = record({
  now: num,
  blocks: record({ permanent: int, temporary: int }),
  lists: record({ allow: int, deny: int }),
  today: record({
    from: { ...num, description: 'local midnight' },
    attacks: int,
    attempts: int,
    distinctIps: int,
    attacksByRule: counts,
    blocksByReason: counts,
  }),
  range: record({ from: num, to: num, bucketSeconds: int, label: str }),
  series: arrayOf(record({ at: num, attacks: int })),
  topCountries: arrayOf(record({ country: str, name: nullable(str), events: int })),
  topUserAgents: arrayOf(
    record({
      userAgent: { ...nullable(str), description: 'null: attacks that sent no user agent' },
      events: int,
    }),
  ),
  misconfiguredPhones: arrayOf(
    record({ ip: str, users: arrayOf(str), userAgent: nullable(str), attempts: int }),
  ),
});

const limit = { ...int, minimum: 1, maximum: 1000, default: 50, description: 'how many, newest first' };
const hours = { ...int, minimum: 1, maximum: 24 * 366, default: 24 * 7, description: 'how far back' };

export const AttacksQuery = { type: 'object', properties: { limit, hours } } as const;
export const DecisionsQuery = {
  type: 'object',
  properties: { limit, hours, ip: { ...str, description: 'one address' } },
} as const;

export type DashboardData = FromSchema<typeof DashboardData>;

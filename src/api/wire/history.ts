/** The history route: its filters (a query string, so links and the CLI can carry them) and a page. */
import { HistoryEvent } from './records.js';
import { arrayOf, type FromSchema, int, nullable, num, record, str } from './schema.js';

export const HistoryQuery = {
  type: 'object',
  properties: {
    ip: { ...str, maxLength: 64, description: 'events about exactly this address (or network text)' },
    network: { ...str, maxLength: 64, description: 'events about addresses in this CIDR network' },
    kind: {
      ...str,
      maxLength: 200,
      pattern: '^[a-z-]+(,[a-z-]+)*$',
      'x-expects': 'kinds, comma-separated (block,permanent,unblock,expire,allow-add,...)',
      description: 'comma-separated kinds',
    },
    reason: { ...str, maxLength: 32, pattern: '^[a-z-]+$', description: 'rule or cause, e.g. scanner' },
    country: { ...str, pattern: '^[A-Za-z]{2}$', 'x-expects': 'a two-letter country code' },
    ua: { ...str, maxLength: 100, description: 'part of the user agent (ASCII case ignored)' },
    user: { ...str, maxLength: 64, description: 'one user/extension' },
    actor: { ...str, maxLength: 80, description: 'cli, web:admin@ADDRESS, sipprotd@HOST, host:NAME' },
    since: { ...num, description: 'epoch seconds, inclusive' },
    until: { ...num, description: 'epoch seconds, exclusive' },
    limit: { ...int, minimum: 1, maximum: 1000, default: 50, description: 'events a page holds at most' },
    page: {
      ...str,
      maxLength: 40,
      pattern: '^[0-9.]+_[0-9]+$',
      'x-expects': 'the "next" of the previous page',
      description: 'the "next" of the previous page',
    },
  },
} as const;

export const HistoryAnswer = record({
  events: arrayOf(HistoryEvent),
  next: {
    ...nullable(str),
    description: 'the next page (may be asked even when this one is short); null at the end',
  },
});

export const HistoryExportQuery = {
  type: 'object',
  properties: {
    ...HistoryQuery.properties,
    max: {
      ...int,
      minimum: 1,
      maximum: 1_000_000,
      default: 100_000,
      description: 'events the CSV holds at most, newest first',
    },
  },
} as const;

export type HistoryQuery = FromSchema<typeof HistoryQuery>;
export type HistoryAnswer = FromSchema<typeof HistoryAnswer>;

/**
 * The shared blocklists (issue 15 item 5) as GET /api/feeds and POST /api/feeds/update
 * answer them: one status per feed of FEEDS_FILE (ports/feeds.ts FeedStatus; wire.test.ts
 * ties the two types together). Times are epoch seconds, durations seconds.
 */
import { arrayOf, bool, type FromSchema, int, nullable, num, oneOf, record, str } from './schema.js';

export const FeedStatus = record({
  name: str,
  type: oneOf('list', 'apiban'),
  source: { ...str, description: 'the URL or file (never an API key)' },
  enabled: bool,
  interval: { ...int, description: 'seconds between downloads' },
  ttl: { ...int, description: 'seconds an entry lives after the last download that listed it' },
  max: int,
  entries: { ...int, description: 'live entries' },
  lastSuccess: { ...nullable(num), description: 'the last download taken; null = never' },
  lastAttempt: nullable(num),
  nextRun: nullable(num),
  lastError: { ...nullable(str), description: 'why the last run was not taken (the entries in force stay)' },
  warning: nullable(str),
  refused: { ...int, description: 'entries refused in the last run (special-purpose, too large)' },
  refusedExamples: arrayOf(str),
  held: { ...int, description: 'entries kept out of the kernel: they would drop a protected address' },
  running: bool,
});

export const FeedsAnswer = record({ feeds: arrayOf(FeedStatus) });

export const FeedUpdateBody = {
  type: ['object', 'null'],
  properties: {
    name: {
      ...str,
      pattern: '^[a-z0-9][a-z0-9_-]{0,31}$',
      'x-expects': 'a feed name of the feeds file',
      description: 'one feed; absent: every enabled feed',
    },
  },
  additionalProperties: false,
} as const;

export type FeedStatus = FromSchema<typeof FeedStatus>;
export type FeedsAnswer = FromSchema<typeof FeedsAnswer>;

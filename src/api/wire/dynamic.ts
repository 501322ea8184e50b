/**
 * The Dynamic Denylist a page at a time (GET /api/dynamic/page) and lifted many at once
 * (POST /api/dynamic/unblock): what the web UI reads instead of the whole list, which in
 * a flood is 100k–1M blocks (a 19 MB JSON for 52k). Order, keyset and search are
 * core/block-view.ts's; the UI places live blocks by the same functions (re-exported here:
 * the UI imports only the wire).
 *
 * A keyset (`after`) is "value,address": the sort value of the previous page's last row
 * (a number for blockedAt, attempts, expiresAt — a permanent block's is 1e300 — else text)
 * and its address. The answer's `next` is exactly that, so a client just passes it on.
 */
import type { BlockSortKey } from '../../core/block-view.js';
import { asciiLower, BLOCK_SORT_KEYS, sortValue } from '../../core/block-view.js';
import type { BlockRecord, DecisionReason } from '../../core/types.js';
import { DynamicBlock } from './records.js';
import { arrayOf, bool, type FromSchema, int, nullable, num, oneOf, record, str } from './schema.js';

export {
  asciiLower,
  BLOCK_SORT_KEYS,
  type BlockSortKey,
  blockMatches,
  compareBlocks,
  type SortDir,
} from '../../core/block-view.js';

/** Rows a page holds at most (a row is ~250–400 bytes of JSON). */
export const MAX_PAGE_ROWS = 500;
/** Addresses one bulk unblock lifts at most (the UI sends a bigger selection in parts). */
export const MAX_UNBLOCK = 1000;

/** The reasons in words (the UI shows them; a search matches them). */
export const REASON_WORDS: Record<string, string> = {
  scanner: 'Scanner user agent',
  'auth-failures': 'Password guessing',
  enumeration: 'Extension scan',
  'deny-list': 'Deny list',
  country: 'Blocked country',
  manual: 'Blocked by hand',
  expired: 'Expired',
  threshold: 'Repeat offender',
  'toll-fraud': 'Toll-fraud probing',
  'slow-attack': 'Slow password guessing',
  distributed: 'Distributed guessing',
  flood: 'Request flood',
  prefix: 'Same prefix as attackers',
};

/**
 * The reasons whose words hold the (ASCII-lowered) search text: a search for "extension"
 * finds enumeration. The server's filter and the UI's placing of live blocks both use it.
 */
export function reasonsWorded(text: string): DecisionReason[] {
  if (text === '') return [];
  return Object.entries(REASON_WORDS)
    .filter(([, words]) => asciiLower(words).includes(text))
    .map(([code]) => code as DecisionReason);
}

/** The keyset text of a row: where the page after it starts. */
export function keysetOf(b: Pick<BlockRecord, BlockSortKey>, key: BlockSortKey): string {
  return `${sortValue(b, key)},${b.ip}`;
}

export const DynamicPageQuery = {
  type: 'object',
  properties: {
    sort: {
      ...oneOf(...BLOCK_SORT_KEYS),
      default: 'blockedAt',
      'x-expects': `one of ${BLOCK_SORT_KEYS.join(', ')}`,
      description:
        'the order (ties by the address text ascending); ip is address order: IPv4 by number, then IPv6 by number; expiresAt puts permanent blocks last',
    },
    dir: { ...oneOf('asc', 'desc'), default: 'desc', 'x-expects': 'asc or desc' },
    q: {
      ...str,
      maxLength: 100,
      description:
        'search: part of the address, country code, user agent, reason (code or words) or a user; ASCII case ignored',
    },
    phones: { ...bool, default: false, description: 'only blocks that look like a misconfigured phone' },
    limit: {
      ...int,
      minimum: 0,
      maximum: MAX_PAGE_ROWS,
      default: 100,
      description: 'rows at most (0: only the counts)',
    },
    after: {
      ...str,
      maxLength: 120,
      pattern: '^[^,]{0,40},[0-9A-Fa-f.:/]{1,64}$',
      'x-expects': 'the "next" of the previous page (value,address)',
      description: 'the "next" of the previous page, asked with the same sort and dir',
    },
  },
} as const;

export const DynamicPage = record({
  blocks: { ...arrayOf(DynamicBlock), description: 'the blocks in force that match, in the order asked' },
  next: { ...nullable(str), description: 'the `after` of the next page; null when this is the last' },
  counts: {
    ...nullable(
      record({
        inForce: { ...int, description: 'every block in force' },
        matched: { ...int, description: 'those matching q and phones' },
        phones: { ...int, description: 'those that look like a misconfigured phone' },
      }),
    ),
    description: 'on a first page (no `after`); null on the pages after it',
  },
  now: { ...num, description: 'the time the rows were read at (epoch seconds; timeLeft counts from it)' },
});

export const UnblockBody = {
  type: 'object',
  properties: {
    ips: {
      ...arrayOf({ ...str, maxLength: 64 }),
      minItems: 1,
      maxItems: MAX_UNBLOCK,
      'x-expects': `a list of 1-${MAX_UNBLOCK} addresses`,
    },
  },
  required: ['ips'],
  additionalProperties: false,
} as const;

export const Unblocks = record({
  unblocked: { ...int, description: 'blocks lifted' },
  notBlocked: { ...arrayOf(str), description: 'addresses that were no longer blocked' },
});

export type DynamicPageQuery = FromSchema<typeof DynamicPageQuery>;
export type DynamicPage = FromSchema<typeof DynamicPage>;
export type Unblocks = FromSchema<typeof Unblocks>;

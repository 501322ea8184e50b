/**
 * The Dynamic Denylist as an admin pages through it: the order of its rows (a sort key, a
 * direction, ties by address), what a search matches, and the keyset a page continues
 * after. One definition for the three places that must agree: the fake store (the SQLite
 * store's SQL says the same, held to it by store-records.contract.ts), the API's cursor,
 * and the web UI, which places a live block in the rows it shows (or only counts it) by
 * these same rules.
 *
 * Why a keyset and not an offset: the list changes under the reader (a flood adds
 * hundreds of blocks a second); "the rows after (value, ip)" never shows a row twice and
 * never skips one that was there all along, where "rows 100–199" shifts with every block.
 *
 * Address order (sort by `ip`): every IPv4 address by its number (9.1.1.1 before
 * 10.0.0.1, 10.0.3.99 before 10.0.3.230), then every IPv6 address by its 128-bit number
 * (::2 before ::10 before 2001:db8::); the text's order, which an admin does not expect,
 * only breaks ties between two spellings of one address. addressOrderKey() is that order
 * as one value (a number for IPv4, 32 hex digits for IPv6: numbers before text, as SQLite
 * orders its values too), so the SQLite store sorts and compares its keyset by this very
 * function, registered on its connection. Ties of the other sorts stay by text (exact and
 * cheap: the address's own index).
 *
 * Matching is ASCII case-insensitive (SQLite's lower() folds ASCII only; both sides fold
 * the same way): a search is contained in the address, the country code, the user agent,
 * the reason code or one user name, or names a reason in words (the UI's labels, passed
 * in as the reasons they match).
 */
import { u32be } from './net/bytes.js';
import { canonicalV4Number, parseAddress } from './net/ip.js';
import type { BlockRecord, DecisionReason } from './types.js';

export const BLOCK_SORT_KEYS = ['blockedAt', 'ip', 'country', 'reason', 'attempts', 'expiresAt'] as const;
export type BlockSortKey = (typeof BLOCK_SORT_KEYS)[number];
export type SortDir = 'asc' | 'desc';

/** A permanent block's end, as a number that sorts after every real one (and JSON can carry). */
export const NEVER = 1e300;

export interface BlockSort {
  key: BlockSortKey;
  dir: SortDir;
}

/** Where a page starts: strictly after the row with this sort value and address. */
export interface BlockKeyset {
  value: string | number;
  ip: string;
}

export interface BlockFilter {
  /** Contained (ASCII case-insensitively) in ip, country, user agent, reason or a user. */
  text?: string;
  /** Reasons whose words contain the text: a row with one of them matches too. */
  textReasons?: readonly DecisionReason[];
  /** Only blocks that look like a misconfigured phone. */
  phonesOnly?: boolean;
}

/** Lower case for A–Z only: the fold SQLite's lower() makes. */
export function asciiLower(s: string): string {
  return /[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (c) => c.toLowerCase()) : s;
}

/** The value a row sorts by (null country: ''; permanent: NEVER). */
export function sortValue(b: Pick<BlockRecord, BlockSortKey>, key: BlockSortKey): string | number {
  switch (key) {
    case 'country':
      return b.country ?? '';
    case 'expiresAt':
      return b.expiresAt ?? NEVER;
    default:
      return b[key];
  }
}

/**
 * An address as the value it sorts by: IPv4 its number (0 – 2^32-1), IPv6 its 16 bytes as
 * 32 lower-case hex digits, anything else (no store holds one) "~" and its text, last.
 * Numbers before text, text by code unit: the order SQLite gives the same values.
 */
export function addressOrderKey(ip: string): number | string {
  const n = canonicalV4Number(ip);
  if (n >= 0) return n;
  const a = parseAddress(ip);
  if (a === null) return `~${ip}`;
  if (a.family === 4) return u32be(a.bytes);
  let hex = '';
  for (const b of a.bytes) hex += (b < 16 ? '0' : '') + b.toString(16);
  return hex;
}

function cmpValues(x: string | number, y: string | number): number {
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  if (typeof x === 'number') return -1;
  if (typeof y === 'number') return 1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Two sort values of a key compared (addresses in address order). */
function cmpKey(key: BlockSortKey, x: string | number, y: string | number): number {
  return key === 'ip' ? cmpValues(addressOrderKey(String(x)), addressOrderKey(String(y))) : cmpValues(x, y);
}

/** The rows' order: by the key in its direction, then by the address's text ascending. */
export function compareBlocks(
  a: Pick<BlockRecord, BlockSortKey>,
  b: Pick<BlockRecord, BlockSortKey>,
  s: BlockSort,
): number {
  const c = cmpKey(s.key, sortValue(a, s.key), sortValue(b, s.key));
  if (c !== 0) return s.dir === 'asc' ? c : -c;
  return a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0;
}

/** Whether a row comes strictly after the keyset in the order. */
export function isAfter(b: Pick<BlockRecord, BlockSortKey>, k: BlockKeyset, s: BlockSort): boolean {
  const c = cmpKey(s.key, sortValue(b, s.key), k.value);
  if (c !== 0) return s.dir === 'asc' ? c > 0 : c < 0;
  return b.ip > k.ip;
}

/** Whether a block matches the filter (an empty one matches every block). */
export function blockMatches(
  b: Pick<BlockRecord, 'ip' | 'country' | 'userAgent' | 'reason' | 'users' | 'misconfiguredPhone'>,
  f: BlockFilter,
): boolean {
  if (f.phonesOnly && !b.misconfiguredPhone) return false;
  const t = asciiLower(f.text ?? '');
  if (t === '') return true;
  if (f.textReasons?.includes(b.reason)) return true;
  const has = (s: string | null) => s !== null && asciiLower(s).includes(t);
  return has(b.ip) || has(b.country) || has(b.userAgent) || has(b.reason) || b.users.some(has);
}

/**
 * The APIBAN REST API (https://apiban.org/doc.html), as far as sipprot uses it:
 *
 *   GET {base}/{KEY}/banned          the oldest 250 banned addresses, and an ID
 *   GET {base}/{KEY}/banned/{ID}     the next 250 after ID, and the next ID
 *   200 {"ipaddress":["192.0.2.1",…], "ID":"1700000123"}
 *   400 {"ipaddress":["no new bans"], "ID":"none"}        nothing after ID (caught up)
 *   403 {"ipaddress":"none", "ID":"unauthorized"}          wrong key
 *   429 {"ipaddress":"rate limit exceeded", …}             11 requests in 2 minutes
 *
 * The ID is a cursor: sipprot stores it with the feed and asks for what came after it, a
 * few batches per run (the rate limit), so a restart never downloads the list again.
 * Pure: the adapter does the HTTP and passes status and body here.
 */

export type ApibanAnswer =
  /** A batch: addresses as APIBAN wrote them (checked later) and the cursor after them. */
  | { kind: 'batch'; ips: string[]; next: string }
  /** Nothing newer than the cursor. */
  | { kind: 'done' }
  /** `retry`: worth trying again at the next run (rate limit, server error); else the admin acts. */
  | { kind: 'error'; reason: string; retry: boolean };

/** APIBAN's documented batch is 250; more than this is not APIBAN. */
export const APIBAN_MAX_BATCH = 1000;
const ID = /^[0-9]{1,20}$/;

/** The URL of one request; the key is in the path (as the API wants), so callers never log it. */
export function apibanUrl(base: string, key: string, cursor: string | null): string {
  const b = base.replace(/\/+$/, '');
  return `${b}/${encodeURIComponent(key)}/banned${cursor === null ? '' : `/${encodeURIComponent(cursor)}`}`;
}

function json(body: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(body);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** One HTTP answer of `banned` → what it means. */
export function parseApibanAnswer(status: number, body: string): ApibanAnswer {
  const doc = json(body);
  if (status === 403 || status === 401 || doc?.ID === 'unauthorized') {
    if (status === 429) return { kind: 'error', reason: 'APIBAN rate limit exceeded', retry: true };
    return {
      kind: 'error',
      reason: 'APIBAN refused the key (unauthorized): check key= in the feeds file',
      retry: false,
    };
  }
  if (status === 429) return { kind: 'error', reason: 'APIBAN rate limit exceeded', retry: true };
  if (status >= 500) return { kind: 'error', reason: `APIBAN answered HTTP ${status}`, retry: true };
  if (status === 400 && doc?.ID === 'none') return { kind: 'done' };
  if (status !== 200) return { kind: 'error', reason: `APIBAN answered HTTP ${status}`, retry: true };
  if (!doc)
    return { kind: 'error', reason: 'APIBAN answered something that is not a JSON object', retry: true };
  const { ipaddress: ips, ID: next } = doc;
  if (next === 'none') return { kind: 'done' };
  if (typeof next !== 'string' || !ID.test(next)) {
    return { kind: 'error', reason: 'APIBAN answered without a valid ID', retry: true };
  }
  if (!Array.isArray(ips) || ips.length > APIBAN_MAX_BATCH || !ips.every((x) => typeof x === 'string')) {
    return {
      kind: 'error',
      reason: `APIBAN's ipaddress is not a list of at most ${APIBAN_MAX_BATCH} strings`,
      retry: true,
    };
  }
  return { kind: 'batch', ips: ips as string[], next };
}

/**
 * The Dynamic Denylist for a view of any size: GET /api/dynamic/page gives one page of the
 * blocks in force (sorted, searched, after a keyset: wire/dynamic.ts), POST
 * /api/dynamic/unblock lifts up to 1,000 at once. Both need a session like every route not
 * public by name (server.ts).
 *
 * Why: the live view read the whole list for every view opened — 52,407 blocks were a
 * 19 MB string handed to the event loop (0.2–0.3 s of it at load 28) and 52k rows for the
 * browser. A page is ≤ 500 rows; the daemon reads it on a thread of its own (`pageOf`,
 * daemon/api.ts → QueueWriter.pageBlocks): the loop only gets the page. The bulk unblock
 * replaces thousands of DELETEs, one request each, for a selection of thousands.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { asciiLower, type BlockKeyset, type BlockSortKey } from '../core/block-view.js';
import { parseAddress, parseNetwork } from '../core/net/ip.js';
import type { Admin } from '../ports/admin.js';
import { dynamicBlock } from '../ports/admin.js';
import type { BlockPage, BlockPageQuery, Store } from '../ports/store.js';
import { bad } from './admin-routes.js';
import type { WireTypes } from './validation.js';
import {
  DynamicPage,
  DynamicPageQuery,
  keysetOf,
  reasonsWorded,
  UnblockBody,
  Unblocks,
} from './wire/dynamic.js';
import { answers } from './wire/errors.js';

export interface DynamicDeps {
  admin: Pick<Admin, 'unblock'>;
  store: Pick<Store, 'pageBlocks'>;
  clock(): number;
  /** Reads a page off the event loop (the daemon: a thread of its own); absent: the store. */
  pageBlocks?: (q: BlockPageQuery) => Promise<BlockPage>;
}

const SCHEMAS = {
  page: {
    summary:
      'a page of the dynamic deny list: sorted, searched, after the previous page (counts on the first)',
    querystring: DynamicPageQuery,
    response: answers({ 200: DynamicPage }),
  },
  unblock: {
    summary: 'lift up to 1,000 dynamic blocks now',
    body: UnblockBody,
    response: answers({ 200: Unblocks }),
  },
} as const;

const NUMERIC: ReadonlySet<BlockSortKey> = new Set(['blockedAt', 'attempts', 'expiresAt']);

/** `after` as the store's keyset; a value that cannot be one of this sort's is a 400 naming it. */
function keysetFrom(after: string, key: BlockSortKey): BlockKeyset {
  const cut = after.lastIndexOf(',');
  const raw = after.slice(0, cut);
  const ip = after.slice(cut + 1);
  if (!NUMERIC.has(key)) return { value: raw, ip };
  const value = raw === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(value)) {
    throw bad(
      `after must be the "next" of a page sorted by ${key} (a number before the comma), got "${raw}"`,
    );
  }
  return { value, ip };
}

export function pageQuery(q: DynamicPageQuery, activeAt: number): BlockPageQuery {
  const key = q.sort ?? 'blockedAt';
  const text = asciiLower((q.q ?? '').trim());
  const out: BlockPageQuery = {
    activeAt,
    sort: { key, dir: q.dir ?? 'desc' },
    limit: q.limit ?? 100,
    filter: { text, textReasons: reasonsWorded(text), phonesOnly: q.phones === true },
    count: q.after === undefined,
  };
  if (q.after !== undefined) out.after = keysetFrom(q.after, key);
  return out;
}

export function dynamicRoutes(deps: DynamicDeps, actor: (req: FastifyRequest) => string) {
  const read = deps.pageBlocks ?? ((q: BlockPageQuery) => deps.store.pageBlocks(q));
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<WireTypes>();
    app.get('/api/dynamic/page', { schema: SCHEMAS.page }, async (req) => {
      const now = deps.clock();
      const q = pageQuery(req.query, now);
      const page = await read(q);
      const last = page.blocks.at(-1);
      return {
        blocks: page.blocks.map((b) => dynamicBlock(b, now)),
        next: page.more && last ? keysetOf(last, q.sort.key) : null,
        counts: page.counts,
        now,
      };
    });
    app.post('/api/dynamic/unblock', { schema: SCHEMAS.unblock }, async (req) => {
      // Every address checked before any block is lifted: a typo lifts nothing.
      req.body.ips.forEach((ip, i) => {
        if (!parseAddress(ip.trim()) && !(ip.includes('/') && parseNetwork(ip.trim()))) {
          throw bad(`body.ips[${i}] must be an IPv4 or IPv6 address, got "${ip}"`);
        }
      });
      const notBlocked: string[] = [];
      let unblocked = 0;
      for (const ip of req.body.ips) {
        const r = await deps.admin.unblock(ip, { actor: actor(req) });
        if (r.wasBlocked) unblocked++;
        else notBlocked.push(r.ip);
      }
      return { unblocked, notBlocked };
    });
  };
}

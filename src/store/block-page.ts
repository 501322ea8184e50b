/**
 * Store.pageBlocks over records in memory (the fake store's): filter, order and keyset as
 * core/block-view.ts defines them — the SQL of sqlite-block-page.ts says the same, and
 * store-records.contract.ts holds both to it.
 */
import { blockMatches, compareBlocks, isAfter } from '../core/block-view.js';
import type { BlockRecord } from '../core/types.js';
import type { BlockPage, BlockPageQuery } from '../ports/store.js';

export function pageOf(all: Iterable<BlockRecord>, q: BlockPageQuery): BlockPage {
  const filter = q.filter ?? {};
  let inForce = 0;
  let phones = 0;
  const matched: BlockRecord[] = [];
  for (const b of all) {
    if (b.expiresAt !== null && b.expiresAt <= q.activeAt) continue;
    inForce++;
    if (b.misconfiguredPhone) phones++;
    if (blockMatches(b, filter)) matched.push(b);
  }
  const after = q.after;
  const rows = (after ? matched.filter((b) => isAfter(b, after, q.sort)) : matched).sort((a, b) =>
    compareBlocks(a, b, q.sort),
  );
  return {
    blocks: rows.slice(0, q.limit),
    more: rows.length > q.limit,
    counts: q.count ? { inForce, matched: matched.length, phones } : null,
  };
}

/**
 * Several turns' store batches as one (store-writer.ts, enforcer.ts): the writer thread
 * commits the turns that waited for it in one transaction, with the same result as
 * committing them one after another. Within one batch the enforcer never lists an address
 * both in `blocks` and `deleteBlocks` (enforcer.ts batchOf); across batches the later one
 * wins, so a block lifted in a later turn stays lifted and one re-blocked stays blocked.
 * Rows (decisions, attacks, history, block counts) keep their order.
 */
import type { BlockRecord } from '../core/types.js';
import type { StoreBatch } from '../ports/store.js';

export function mergeBatches(batches: readonly StoreBatch[]): StoreBatch {
  if (batches.length === 1) return batches[0]!;
  const blocks = new Map<string, BlockRecord>();
  const deletes = new Set<string>();
  const out: Required<Omit<StoreBatch, 'blocks' | 'deleteBlocks'>> = {
    incrementTimesBlocked: [],
    decisions: [],
    attacks: [],
    history: [],
  };
  for (const b of batches) {
    for (const ip of b.deleteBlocks ?? []) {
      blocks.delete(ip);
      deletes.add(ip);
    }
    for (const rec of b.blocks ?? []) {
      deletes.delete(rec.ip);
      blocks.set(rec.ip, rec);
    }
    for (const x of b.incrementTimesBlocked ?? []) out.incrementTimesBlocked.push(x);
    for (const x of b.decisions ?? []) out.decisions.push(x);
    for (const x of b.attacks ?? []) out.attacks.push(x);
    for (const x of b.history ?? []) out.history.push(x);
  }
  return { blocks: [...blocks.values()], deleteBlocks: [...deletes], ...out };
}

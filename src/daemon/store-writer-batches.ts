/**
 * A turn's decisions as a store batch (`batchOf`), and several turns' batches as one
 * (`mergeBatches`, store-writer.ts, enforcer.ts): the writer thread
 * commits the turns that waited for it in one transaction, with the same result as
 * committing them one after another. Within one batch the enforcer never lists an address
 * both in `blocks` and `deleteBlocks` (enforcer.ts batchOf); across batches the later one
 * wins, so a block lifted in a later turn stays lifted and one re-blocked stays blocked.
 * Rows (decisions, attacks, history, block counts) keep their order.
 */
import { blockRecordOf } from '../core/policy/block-record.js';
import type { AttackRecord } from '../core/records.js';
import type { BlockRecord, Decision, ListEntry } from '../core/types.js';
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

/**
 * One turn's decisions and attacks as a store batch, and the deny-list entries of its
 * threshold-permanent blocks. A block's record is the policy's current one (`recordOf`:
 * extends carry only new times); an address blocked and lifted in the same turn is only
 * deleted, one lifted and blocked again only written.
 */
export function batchOf(
  ds: readonly Decision[],
  attacks: AttackRecord[],
  recordOf: (ip: string) => BlockRecord | undefined,
): { store: StoreBatch; deny: ListEntry[] } {
  const blocks = new Map<string, BlockRecord>();
  const deleteBlocks: string[] = [];
  const increments: Array<{ ip: string; at: number }> = [];
  const decisions: Decision[] = [];
  const deny: ListEntry[] = [];
  for (const dec of ds) {
    if (dec.action === 'observe') {
      decisions.push(dec);
      continue;
    }
    if (dec.action === 'unblock') {
      blocks.delete(dec.ip);
      deleteBlocks.push(dec.ip);
      decisions.push(dec);
      continue;
    }
    const rec = recordOf(dec.ip) ?? blockRecordOf(dec);
    const host = rec.host ?? dec.host;
    blocks.set(dec.ip, { ...rec, users: rec.users.slice(), ...(host === undefined ? {} : { host }) });
    const idx = deleteBlocks.indexOf(dec.ip);
    if (idx >= 0) deleteBlocks.splice(idx, 1);
    if (dec.action === 'extend') continue;
    decisions.push(dec);
    if (dec.reason !== 'manual') increments.push({ ip: dec.ip, at: dec.at });
    if (dec.action === 'permanent')
      deny.push({ network: dec.ip, note: `sipprot: ${dec.note ?? dec.reason}` });
  }
  return {
    store: {
      deleteBlocks,
      blocks: [...blocks.values()],
      incrementTimesBlocked: increments,
      decisions,
      attacks,
    },
    deny,
  };
}

/**
 * A turn's decisions as a store batch (`batchOf`), and several turns' batches as one
 * (`mergeBatches`, store-writer.ts, enforcer-commits.ts): the writer thread
 * commits the turns that waited for it in one transaction, with the same result as
 * committing them one after another. Within one batch the enforcer never lists an address
 * both in `blocks` and `deleteBlocks` (enforcer-commits.ts, batchOf); across batches the later one
 * wins, so a block lifted in a later turn stays lifted and one re-blocked stays blocked.
 * Rows (decisions, attacks, history, block counts) keep their order. The records a batch
 * holds are copies made here (`attackRecordOf`, the block records of `batchOf`).
 */
import { blockRecordOf } from '../core/policy/block-record.js';
import type { AttackRecord } from '../core/records.js';
import type { BlockRecord, Decision, ListEntry, Verdict } from '../core/types.js';
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
    blocks.set(dec.ip, blockCopy(rec, rec.host ?? dec.host));
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

/*
 * The two copies below are made for every block (a flood: 52k in the daemon-path bench):
 * written out field by field, one object shape, where `{ ...v, users, ...(host ? { host } :
 * {}) }` cost ~1.6–2.3 µs each on this machine (0.25–0.65 µs as literals; the enforcer's
 * `attack` was 2.5% of the main thread's profile). A field added to BlockRecord or Verdict
 * must be added here too: the types name the required ones; `detail` and `host` are the
 * optional ones today.
 */

/** The policy's block record as the batch keeps it: its own users list; `host` when set. */
function blockCopy(rec: BlockRecord, host: string | undefined): BlockRecord {
  const out: BlockRecord = {
    ip: rec.ip,
    reason: rec.reason,
    userAgent: rec.userAgent,
    country: rec.country,
    attempts: rec.attempts,
    users: rec.users.slice(),
    transport: rec.transport,
    port: rec.port,
    firstSeen: rec.firstSeen,
    lastSeen: rec.lastSeen,
    blockedAt: rec.blockedAt,
    expiresAt: rec.expiresAt,
    timesBlocked: rec.timesBlocked,
    misconfiguredPhone: rec.misconfiguredPhone,
    note: rec.note,
  };
  if (host !== undefined) out.host = host;
  return out;
}

/**
 * An attack as detection saw it, for the store and the fleet: the verdict with its own
 * users list (the engine's may change later), the country, and in cluster mode the host.
 */
export function attackRecordOf(v: Verdict, country: string | null, host: string | undefined): AttackRecord {
  const a: AttackRecord = {
    at: v.at,
    ip: v.ip,
    rule: v.rule,
    userAgent: v.userAgent,
    attempts: v.attempts,
    users: v.users.slice(),
    transport: v.transport,
    port: v.port,
    misconfiguredPhone: v.misconfiguredPhone,
    country,
  };
  if (v.detail !== undefined) a.detail = v.detail;
  if (host !== undefined) a.host = host;
  return a;
}

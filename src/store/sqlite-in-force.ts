/**
 * The blocks in force read in parts (Store.blocksInForceChunks): a start hands each part
 * to the kernel while it reads the next (daemon/kernel-first.ts; 100k running blocks: the
 * store read and the kernel's inserts each took ~0.2-0.3 s, one after the other). A part
 * is the next `rows` rowids, so a part never holds an address twice and every row is in
 * exactly one; each is read as blocksInForce reads them all (the addresses as one text,
 * the expiries as one array: no array a row). One read transaction holds them to one
 * snapshot across the caller's turns of the event loop: a start reads before anything
 * else uses the connection, and the iteration's end (or its return) ends it.
 */
import type Database from 'better-sqlite3';
import type { BlockRecord } from '../core/types.js';
import type { Statements } from './sqlite-statements.js';

type InForce = Pick<BlockRecord, 'ip' | 'expiresAt'>;

export async function* inForceChunks(
  db: Database.Database,
  st: Statements,
  activeAt: number,
  rows: number,
  read: <T>(fn: () => T) => T,
): AsyncGenerator<InForce[]> {
  read(() => db.exec('BEGIN'));
  try {
    let after = Number.MIN_SAFE_INTEGER;
    for (;;) {
      const part = read(() => {
        const end = st.chunkEnd.get(after, rows) ?? null;
        if (end === null) return null;
        const out = inForceBetween(st, after, end, activeAt);
        after = end;
        return out;
      });
      if (part === null) return;
      if (part.length > 0) yield part;
    }
  } finally {
    if (db.open && db.inTransaction) db.exec('COMMIT');
  }
}

/** Every rowid: blocksInForce is the one part that holds them all. */
export const ALL_ROWIDS = { after: -(2n ** 63n), end: 2n ** 63n - 1n };

/** The blocks in force among rowids (after, end]; the caller holds one snapshot for its two reads. */
export function inForceBetween(
  st: Statements,
  after: number | bigint,
  end: number | bigint,
  activeAt: number,
): InForce[] {
  const [count, joined] = st.chunkIps.get(after, end, activeAt) as [number, string | null];
  const ips = count === 0 ? [] : (joined ?? '').split('\n');
  const expiries = st.chunkExpiries.all(after, end, activeAt);
  // An address holding a line break (never written by sipprot) splits wrong: then the rows as they are.
  if (ips.length !== count || expiries.length !== count)
    return st.blocksInForceRange
      .all(after, end, activeAt)
      .map((c) => ({ ip: c[0] as string, expiresAt: c[1] as number | null }));
  const out = new Array<InForce>(count);
  for (let i = 0; i < count; i++) out[i] = { ip: ips[i]!, expiresAt: expiries[i]! };
  return out;
}

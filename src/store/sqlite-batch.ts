/**
 * A StoreBatch's rows on SQLite: what the store writer thread commits for the daemon's
 * blocks (a flood block is five rows: its record, its count, a decision, an attack and a
 * history event; ~25–30 µs of the writer's CPU, nearly all SQLite's b-trees and WAL,
 * bench/RESULTS.md). Runs inside the caller's write transaction (SqliteStore.commit and
 * commitEach); a batch is checked (validate.ts checkBatch) before any of its rows is written,
 * so a refused one writes nothing of itself and rolls back the transaction (a commit of one
 * batch is checked before its first row as when the check ran before the transaction).
 */
import type { NewHistoryEvent } from '../core/history/events.js';
import type { StoreBatch } from '../ports/store.js';
import type { SqliteHistory } from './sqlite-history.js';
import { ATTACKS, BLOCKS, DECISIONS } from './sqlite-rows.js';
import type { Statements } from './sqlite-statements.js';
import { checkBatch } from './validate.js';

export class SqliteBatches {
  constructor(
    private readonly st: Statements,
    private readonly hist: SqliteHistory,
  ) {}

  /**
   * Batches in order (call inside one write transaction): the rows of committing them one
   * after another. Each is taken only once the one before is written: a lazy iterable (the
   * writer thread's staged turns) holds one batch's objects at a time.
   */
  putEach(batches: Iterable<StoreBatch>): void {
    for (const b of batches) this.put(b, checkBatch(b));
  }

  private put(batch: StoreBatch, history: readonly NewHistoryEvent[]): void {
    for (const b of batch.blocks ?? []) this.st.putBlock.run(BLOCKS.values(b));
    for (const ip of batch.deleteBlocks ?? []) this.st.deleteBlock.run(ip);
    for (const i of batch.incrementTimesBlocked ?? []) this.st.count.run(i.ip, i.at);
    for (const d of batch.decisions ?? []) this.st.putDecision.run(DECISIONS.values(d));
    for (const a of batch.attacks ?? []) this.st.putAttack.run(ATTACKS.values(a));
    this.hist.append(history);
  }
}

/**
 * Decisions the kernel already enforces but the store could not take (issue 10 item 13:
 * with STATE_DIR full a block reached nft but not the store, and was lost at restart).
 * They wait here, merged, and are written again with a backoff (1 s doubling to 60 s)
 * until the store takes them; while anything waits, every later batch joins the queue
 * instead of being written around it, so an older block can never overwrite a newer
 * unblock. Memory is bounded: block records one per address (the latest wins: that is
 * what a restart needs), history-like rows (decisions, attacks, history, counts) at
 * most MAX_ROWS each — the oldest are dropped first and counted, never a block.
 * SHED_ORDER is the rule every bounded queue of store rows follows (the writer's backlog,
 * store-writer-backlog.ts, sheds by it too): which rows may go, least value first.
 */
import type { NewHistoryEvent } from '../core/history/events.js';
import type { Decision, DecisionReason, ListEntry } from '../core/types.js';
import type { Protection } from '../ports/admin.js';
import type { StoreBatch } from '../ports/store.js';

const MAX_ROWS = 20_000;

/**
 * The rows a bounded queue may let go, least value first: the history events (evidence of
 * a decision), the attack and decision rows (the reports' and `history`'s), the block
 * counts (a repeat offender's escalation). Never a block record or a lifted block
 * (`blocks`, `deleteBlocks`): the kernel's state at restart is made from those.
 */
export const SHED_ORDER = ['history', 'attacks', 'decisions', 'incrementTimesBlocked'] as const;
export type SheddableRow = (typeof SHED_ORDER)[number];

/**
 * A row an admin made — a manual block or unblock (reason 'manual'), a list or settings
 * change (a history event with no reason) — is never shed: it is the audit trail of who
 * did what, and there are a few a day, not thousands a second like the daemon's own.
 */
function adminMade(row: { reason: DecisionReason | null }): boolean {
  return row.reason === 'manual' || row.reason === null;
}

/**
 * `b` without the rows of `kinds` (a copy; `b` is not changed), and how many of each went.
 * Decision and history rows an admin made stay (adminMade).
 */
export function withoutRows(
  b: StoreBatch,
  kinds: readonly SheddableRow[],
): { batch: StoreBatch; shed: Record<SheddableRow, number> } {
  const shed = { history: 0, attacks: 0, decisions: 0, incrementTimesBlocked: 0 };
  if (kinds.length === 0) return { batch: b, shed };
  const batch = { ...b };
  for (const k of kinds) {
    const rows = b[k];
    if (!rows) continue;
    const kept =
      k === 'decisions' || k === 'history'
        ? (rows as Array<Decision | NewHistoryEvent>).filter(adminMade)
        : [];
    shed[k] = rows.length - kept.length;
    if (kept.length > 0) (batch as Record<string, unknown>)[k] = kept;
    else delete batch[k];
  }
  return { batch, shed };
}
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 60_000;

type Rows = Required<Pick<StoreBatch, 'incrementTimesBlocked' | 'decisions' | 'attacks' | 'history'>>;

export class UnsavedQueue {
  private readonly blocks = new Map<string, NonNullable<StoreBatch['blocks']>[number]>();
  private readonly deletes = new Set<string>();
  private rows: Rows = { incrementTimesBlocked: [], decisions: [], attacks: [], history: [] };
  private readonly deny = new Map<string, ListEntry>();
  /** Rows dropped to stay bounded (decisions and history, never blocks). */
  dropped = 0;
  failures = 0;
  lastError: string | null = null;
  since: number | null = null;
  private delay = FIRST_RETRY_MS;

  get empty(): boolean {
    return this.size === 0 && this.deny.size === 0;
  }

  /** Everything waiting, counted as rows a commit would write. */
  get size(): number {
    const r = this.rows;
    return (
      this.blocks.size +
      this.deletes.size +
      r.incrementTimesBlocked.length +
      r.decisions.length +
      r.attacks.length +
      r.history.length
    );
  }

  /** A batch the store refused, or one that must wait behind those. */
  add(b: StoreBatch): void {
    for (const ip of b.deleteBlocks ?? []) {
      this.blocks.delete(ip);
      this.deletes.add(ip);
    }
    for (const rec of b.blocks ?? []) {
      this.deletes.delete(rec.ip);
      this.blocks.set(rec.ip, rec);
    }
    for (const k of SHED_ORDER) {
      const list = this.rows[k] as unknown[];
      for (const x of (b[k] ?? []) as unknown[]) list.push(x);
      if (list.length > MAX_ROWS) this.dropped += list.splice(0, list.length - MAX_ROWS).length;
    }
  }

  addDeny(entries: readonly ListEntry[]): void {
    for (const e of entries) this.deny.set(e.network, e);
  }

  /** The whole queue as one batch (the store writes it in one transaction). */
  batch(): StoreBatch {
    return {
      deleteBlocks: [...this.deletes],
      blocks: [...this.blocks.values()],
      ...this.rows,
    };
  }

  denyEntries(): ListEntry[] {
    return [...this.deny.values()];
  }

  /** The store took the batch (the deny list may still wait). */
  saved(): void {
    this.blocks.clear();
    this.deletes.clear();
    this.rows = { incrementTimesBlocked: [], decisions: [], attacks: [], history: [] };
    if (this.deny.size === 0) this.settled();
  }

  denySaved(): void {
    this.deny.clear();
    if (this.size === 0) this.settled();
  }

  /** A write failed at `now`: returns the milliseconds until the next try. */
  failed(e: unknown, now: number): number {
    this.failures++;
    this.lastError = e instanceof Error ? e.message : String(e);
    this.since ??= now;
    const wait = this.delay;
    this.delay = Math.min(MAX_RETRY_MS, this.delay * 2);
    return wait;
  }

  state(): Protection['store'] {
    return {
      pending: this.size + this.deny.size,
      failures: this.failures,
      lastError: this.lastError,
      since: this.since,
    };
  }

  private settled(): void {
    this.since = null;
    this.lastError = null;
    this.delay = FIRST_RETRY_MS;
  }
}

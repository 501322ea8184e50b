/**
 * What waits for the store writer thread, bounded by a byte budget (issue 13 target 1:
 * memory stays bounded during a flood).
 *
 * Why: in a flood the writer falls behind by seconds by design (it runs at nice 10: it
 * yields its core to the packet path; ~35 µs of SQLite a block) and catches up after; the
 * turns that wait are staged bytes (~0.7 KB a flood block, store-writer-codec.ts) and
 * nothing capped them: a long flood of new addresses, each blocked, grew them without
 * bound, and with them the writer's commits (all that waited, read back at once).
 *
 * The rule (the unsaved queue's, unsaved.ts SHED_ORDER): over budget, the rows of least
 * value go first — from HISTORY_AT of the budget the history events (the evidence of each
 * decision), from the whole budget the decision and attack rows too. Never a block record,
 * a lifted block or a block count: the kernel's state at restart is made from those (and
 * the counts make a repeat offender permanent), and every address has one of each at most
 * a turn, so what still grows past the budget grows by the blocks alone (~0.35 KB each,
 * bounded by the addresses the kernel holds anyway). Rows an admin made (a manual block or
 * unblock, a list or settings change) are never shed either (unsaved.ts adminMade). Only
 * new turns shed: the bytes already staged stay as they are (re-encoding them would cost
 * the event loop what staging saved).
 *
 * Shedding is an episode: it starts when the backlog reaches HISTORY_AT of the budget and
 * ends when it has fallen to CALM_AT (the writer caught up), logged once at each end with
 * the counts, never per row; every row shed since start is counted for `sipprot status`.
 */
import type { StoreBacklog } from '../ports/admin.js';
import type { Logger } from '../ports/logger.js';
import type { StoreBatch } from '../ports/store.js';
import { SHED_ORDER, type SheddableRow, withoutRows } from './unsaved.js';

/**
 * The default budget: 64 MB of staged bytes, ~90k flood blocks with all their rows. The
 * issue-13 flood stages ~6–9 MB a second at 150k packets/s (~12k blocks a second) and the
 * writer needs seconds to catch up after (bench/RESULTS.md, "the backlog's budget"): 64 MB
 * is ~7 s of such a flood with every row kept, then the history goes, then the rest.
 */
export const BACKLOG_BUDGET_BYTES = 64 * 1024 * 1024;
/** From this share of the budget the history rows are shed. */
export const HISTORY_AT = 0.5;
/** The episode ends when the backlog has fallen to this share of the budget. */
export const CALM_AT = 0.25;

/** The rows shed at each level: history first, then attacks and decisions; never counts. */
const LEVELS: ReadonlyArray<readonly SheddableRow[]> = [[], SHED_ORDER.slice(0, 1), SHED_ORDER.slice(0, 3)];

/** The rows the writer's backlog sheds (never the block counts: SHED_ORDER's last). */
export type WriterShed = keyof StoreBacklog['shed'];
const WRITER_SHEDS: readonly WriterShed[] = ['history', 'attacks', 'decisions'];

export class WriterBacklog {
  /** Each staged turn's bytes until its commit is answered or it is read back. */
  private readonly live = new Set<Uint8Array>();
  private bytes = 0;
  private peak = 0;
  private readonly shed = zero();
  /** The episode in progress: when it started and what it shed. */
  private episode: { since: number; level: number; shed: Record<WriterShed, number> } | null = null;

  constructor(
    readonly budgetBytes: number,
    private readonly log: Logger,
    /** Milliseconds, for the episode's length in the log. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The batch as it may wait now: with its least valued rows left out while over budget. */
  admit(batch: StoreBatch): StoreBatch {
    const level = this.level();
    if (level === 0) return batch;
    const e = this.episode ?? this.begin(level);
    if (level > e.level) {
      e.level = level;
      this.log.warn(
        { backlogBytes: this.bytes, budgetBytes: this.budgetBytes },
        'store writer backlog over budget: shedding decision and attack rows too (blocks are kept)',
      );
    }
    const { batch: kept, shed } = withoutRows(batch, LEVELS[level]!);
    for (const k of WRITER_SHEDS) {
      this.shed[k] += shed[k];
      e.shed[k] += shed[k];
    }
    return kept;
  }

  /** A turn staged: its bytes wait from now on. */
  held(staged: Uint8Array): void {
    this.live.add(staged);
    this.bytes += staged.byteLength;
    if (this.bytes > this.peak) this.peak = this.bytes;
  }

  /** A turn committed, refused or read back: its bytes no longer wait here. */
  released(staged: Uint8Array): void {
    if (!this.live.delete(staged)) return;
    this.bytes -= staged.byteLength;
    if (this.episode && this.bytes <= this.budgetBytes * CALM_AT) this.end();
  }

  state(): StoreBacklog {
    return {
      bytes: this.bytes,
      peakBytes: this.peak,
      turns: this.live.size,
      budgetBytes: this.budgetBytes,
      shed: { ...this.shed },
      shedding: this.episode !== null,
    };
  }

  private level(): number {
    if (this.bytes >= this.budgetBytes) return 2;
    if (this.bytes >= this.budgetBytes * HISTORY_AT || this.episode) return 1;
    return 0;
  }

  private begin(level: number): NonNullable<WriterBacklog['episode']> {
    this.episode = { since: this.now(), level, shed: zero() };
    this.log.warn(
      { backlogBytes: this.bytes, budgetBytes: this.budgetBytes, turns: this.live.size },
      level === 2
        ? 'store writer backlog over budget: shedding history, decision and attack rows until it catches up (blocks are kept)'
        : 'store writer far behind: shedding history rows until it catches up (blocks are kept)',
    );
    return this.episode;
  }

  private end(): void {
    const e = this.episode!;
    this.episode = null;
    this.log.warn(
      {
        shedRows: e.shed.history + e.shed.attacks + e.shed.decisions,
        ...e.shed,
        seconds: Math.round(this.now() - e.since) / 1000,
        backlogBytes: this.bytes,
      },
      'store writer caught up: shedding ended',
    );
  }
}

function zero(): Record<WriterShed, number> {
  return { history: 0, attacks: 0, decisions: 0 };
}

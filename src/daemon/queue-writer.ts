/**
 * The mail and webhook queues' writes off the event loop: the store the notifiers get
 * (mail.ts, ops.ts) sends its QUEUE_WRITES (enqueue, mark sent or failed, the webhooks'
 * cursor) to a writer thread of its own (store-writer.ts), everything else to the store.
 *
 * Why: every alert queued a mail and a webhook message, and every delivery marked one
 * sent: each a synchronous SQLite transaction with its fsync on the event loop (~1–3 ms
 * here), and in a flood, while the enforcer's commits hold the database, the busy timeout
 * made the event loop itself wait for them (up to 5 s). A flood's distributed alerts
 * (900 in the bench's) were thousands of such writes beside the packets.
 *
 * The thread starts at the first queue write and ends after IDLE_MS without one: with no
 * SMTP and no webhooks (the usual case) none runs, and a daemon stopped in a test leaves
 * none behind. Writes keep their order (one thread, one queue) and resolve when durable,
 * with what the store method returns; the reads that follow them (the due messages) see
 * them, as before. Another store than STATE_DIR's SQLite file (tests' fakes) is used as is.
 */
import { dirname } from 'node:path';
import type { Logger } from '../ports/logger.js';
import type { BlockPage, BlockPageQuery, Store } from '../ports/store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { dynamicJsonOf, type ExportJob, exportTextOf } from './off-loop-reads.js';
import { storeWith } from './store-with.js';
import { QUEUE_WRITES, type QueueWrite, StoreWriter } from './store-writer.js';

/** The thread ends after this long without a queue write. */
const IDLE_MS = 10_000;

export class QueueWriter {
  /** The store for the notifiers: queue writes through the thread, the rest direct. */
  readonly store: Store;
  private writer: StoreWriter | null = null;
  private inFlight = 0;
  private idle: NodeJS.Timeout | null = null;

  constructor(
    private readonly base: Store,
    private readonly log: Logger,
    private readonly idleMs = IDLE_MS,
  ) {
    if (!(base instanceof SqliteStore)) {
      this.store = base;
      return;
    }
    const overrides: Record<string, unknown> = {};
    for (const m of QUEUE_WRITES) overrides[m] = (...args: unknown[]) => this.write(m, args);
    this.store = storeWith(base, overrides as Partial<Store>);
  }

  /** Whether a writer thread is running now (tests). */
  get running(): boolean {
    return this.writer !== null;
  }

  /** Waits for the writes in flight, then ends the thread. */
  async close(): Promise<void> {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    const w = this.writer;
    this.writer = null;
    await w?.close();
  }

  /**
   * A page of the live view's list (Store.pageBlocks) read on the thread: its scan of
   * every block in force (100k: ~45 ms, 1M: ~0.3 s; a search more) is not the event
   * loop's. Another store than SQLite (tests' fakes) answers as is.
   */
  pageBlocks(q: BlockPageQuery): Promise<BlockPage> {
    if (this.store === this.base) return this.base.pageBlocks(q);
    return this.onThread((w) => w.pageBlocks(q));
  }

  /** GET /api/dynamic's JSON read and serialized on the thread (StoreWriter.dynamicJson). */
  dynamicJson(activeAt: number): Promise<string> {
    if (this.store === this.base) return dynamicJsonOf(this.base, activeAt);
    return this.onThread((w) => w.dynamicJson(activeAt));
  }

  /** GET /api/blocks/export's body made on the thread (StoreWriter.exportText). */
  exportText(j: ExportJob): Promise<string | null> {
    if (this.store === this.base) return exportTextOf(this.base, j);
    return this.onThread((w) => w.exportText(j));
  }

  private write(method: QueueWrite, args: unknown[]): Promise<unknown> {
    return this.onThread<unknown>((w) => w.call(method, args as never) as Promise<unknown>);
  }

  private async onThread<T>(job: (w: StoreWriter) => Promise<T>): Promise<T> {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    const file = (this.base as SqliteStore).file;
    this.writer ??= new StoreWriter(dirname(file), this.base, this.log);
    this.inFlight++;
    try {
      return await job(this.writer);
    } finally {
      if (--this.inFlight === 0) {
        this.idle = setTimeout(() => void this.close(), this.idleMs);
        this.idle.unref();
      }
    }
  }
}

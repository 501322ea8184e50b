/**
 * The enforcer's store commits on a worker thread with its own SQLite connection.
 *
 * Why: a commit is synchronous SQLite work on the thread that runs it (~23 µs of CPU a
 * block: its record, decision, attack, count and history rows; ~7 µs a renewal). In the
 * issue-13 flood (100k addresses, each blocked as a distributed attack) that is seconds
 * of commits, and on the event loop every one of them held the packet path: frames
 * piled up in the capture ring until it overflowed. Here the event loop only hands the
 * batch over and goes back to packets; the worker commits. WAL lets the daemon's own
 * connection keep reading meanwhile.
 *
 * The hand-over is paid per turn, not per commit: `stage` encodes one turn's batch when
 * the turn ends (store-writer-codec.ts: ~1.3 µs and ~0.7 KB a flood block; v8.serialize,
 * the structured clone postMessage would do, was ~4–5 µs and ~1.3 KB), and
 * `commitStaged` hands the turns that waited while the worker was busy over as bytes
 * to be committed in transactions of up to COMMIT_BYTES. Cloning them all at once when the
 * worker freed up held the event loop for tens of ms in a flood (thousands of blocks),
 * and what waits is bytes outside the JS heap, not objects the GC promotes and walks
 * while the writer is behind (in a flood it is, by seconds). The bytes are staged in
 * shared memory (SharedArrayBuffer): the hand-over passes them, it does not copy them —
 * postMessage copied every byte, and a slow writer's commit carried 100+ turns (23 MB:
 * 45–177 ms of the loop at load 8, bench/RESULTS.md). They stay readable here until the
 * commit is answered: a refused one is read back (`unstage`) for the retry. What waits is
 * bounded by a byte budget (store-writer-backlog.ts): over it, new turns leave their
 * history rows out, then their decision and attack rows, never a block; counted for status.
 *
 * Contract kept: commits are applied in the order they were made (one worker, one queue)
 * and `commit` resolves once the transaction is durable, or rejects with the store's
 * error (SP_ERR_STORE...). If the worker cannot start or dies, commits go to the
 * daemon's own connection, as before, and the failure is logged once.
 */
import { Worker } from 'node:worker_threads';
import { ERROR_CODES, SipprotError, type SipprotErrorCode } from '../core/errors.js';
import type { StoreBacklog } from '../ports/admin.js';
import type { Logger } from '../ports/logger.js';
import type { BlockPage, BlockPageQuery, Store, StoreBatch } from '../ports/store.js';
import { dynamicJsonOf, type ExportJob, exportTextOf } from './off-loop-reads.js';
import { storeWith } from './store-with.js';
import { BACKLOG_BUDGET_BYTES, WriterBacklog } from './store-writer-backlog.js';
import { mergeBatches } from './store-writer-batches.js';
import { encodeBatch } from './store-writer-codec.js';
import { decodeBatch } from './store-writer-decode.js';

interface Waiter {
  resolve: (value: unknown) => void;
  reject: (e: unknown) => void;
  /** A read (a page, the list, an export): its refusal keeps its code (threadError). */
  read: boolean;
}

type Answer = { id: number; value?: unknown; error?: { message: string; code?: string } };

/**
 * The store's queue writes another thread may make for the event loop (queue-writer.ts):
 * the mail and webhook outboxes and the settings beside them. Each is one small
 * transaction with its fsync, ~1–3 ms of the loop each (far more while the commits hold
 * the database: the busy timeout waits on the calling thread).
 */
export const QUEUE_WRITES = [
  'enqueueMail',
  'markMailSent',
  'markMailFailed',
  'enqueueWebhooks',
  'markWebhookSent',
  'markWebhookFailed',
  'setSetting',
] as const satisfies ReadonlyArray<keyof Store>;
export type QueueWrite = (typeof QUEUE_WRITES)[number];
/** What the worker is asked (store-writer-worker.ts): a batch to commit, or a setting. */
export type Job = { id: number } & (
  | { batch: StoreBatch }
  /** Turns' batches encoded by `stage` (store-writer-codec.ts), committed in order in one transaction. */
  | { staged: Uint8Array[] }
  | { setting: { key: string; value: string | null } }
  /** One of the store's queue writes, answered with what it returns. */
  | { call: { method: QueueWrite; args: unknown[] } }
  /** A page of the live view's list (Store.pageBlocks). */
  | { page: BlockPageQuery }
  /** The whole dynamic list at `activeAt`, as the JSON text GET /api/dynamic answers. */
  | { dynamicJson: { activeAt: number } }
  /** GET /api/blocks/export's body (off-loop-reads.ts). */
  | { exportText: ExportJob }
);

/**
 * A transaction's staged bytes at most: 4 MB is ~6k flood blocks with all their rows
 * (~0.25 s of the writer's SQLite, one fsync), read back into ~8 MB of objects on the
 * writer's heap, where a whole budget's commit (64 MB) was ~130 MB at once.
 */
export const COMMIT_BYTES = 4 * 1024 * 1024;

export class StoreWriter {
  private worker: Worker | null = null;
  /** The thread starts at the first commit: not during the start's restore, which it would slow. */
  private started = false;
  private seq = 0;
  private readonly waiting = new Map<number, Waiter>();
  /** The staged turns not committed yet, within their byte budget. */
  private readonly backlog: WriterBacklog;
  /** A transaction's staged bytes at most (COMMIT_BYTES). */
  private readonly commitBytes: number;
  /** Turns a refused commit had already made durable: its retry reads them back as nothing to write. */
  private readonly durable = new WeakSet<Uint8Array>();

  constructor(
    private readonly stateDir: string,
    /** The daemon's own store: the fallback. */
    private readonly fallback: Pick<Store, 'commit' | 'pageBlocks' | 'listBlocks' | QueueWrite>,
    private readonly log: Logger,
    limits: { budgetBytes?: number; commitBytes?: number } = {},
  ) {
    this.backlog = new WriterBacklog(limits.budgetBytes ?? BACKLOG_BUDGET_BYTES, log);
    this.commitBytes = limits.commitBytes ?? COMMIT_BYTES;
  }

  /** What waits for the thread, and what was shed to bound it (`sipprot status`). */
  backlogState(): StoreBacklog {
    return this.backlog.state();
  }

  commit(batch: StoreBatch): Promise<void> {
    return this.send({ batch }, () => this.fallback.commit(batch));
  }

  /**
   * One turn's batch encoded now, in shared memory, for a later `commitStaged` (null once
   * the worker is lost: the batch itself is then committed on the event loop).
   */
  stage(batch: StoreBatch): Uint8Array | null {
    if (this.started && this.worker === null) return null;
    const staged = encodeBatch(this.backlog.admit(batch));
    this.backlog.held(staged);
    return staged;
  }

  /**
   * A staged batch read back (a refused commit's batches join the unsaved queue); one a
   * transaction already made durable (an earlier part of the refused commit) is empty.
   */
  unstage(staged: Uint8Array): StoreBatch {
    this.backlog.released(staged);
    return this.durable.has(staged) ? {} : decodeBatch(staged);
  }

  /**
   * Commits staged turns in order (on the event loop once the worker is lost): in parts of
   * at most `commitBytes`, each its own transaction, the next sent once the one before is
   * durable. After a flood a commit carries everything that waited (up to the backlog's
   * budget), and the thread reads a transaction's turns back into objects all at once:
   * ~2× their bytes on its heap. A refused part stops the rest: the parts before it are
   * durable (they read back as nothing), it and the later ones are retried in order.
   */
  async commitStaged(staged: readonly Uint8Array[]): Promise<void> {
    const done: Uint8Array[] = [];
    for (const part of partsOf(staged, this.commitBytes)) {
      try {
        await this.send({ staged: part }, () =>
          this.fallback.commit(mergeBatches(part.map((b) => decodeBatch(b)))),
        );
      } catch (e) {
        for (const b of done) this.durable.add(b);
        throw e;
      } finally {
        // Answered (committed or refused, then read back by the retry): no longer waiting here.
        for (const b of part) this.backlog.released(b);
      }
      done.push(...part);
    }
  }

  /**
   * A setting written on the writer thread, in order with the commits (the alert board's
   * document: a synchronous write with its fsync held the event loop ~3 ms each).
   */
  setSetting(key: string, value: string | null): Promise<void> {
    return this.send({ setting: { key, value } }, () => this.fallback.setSetting(key, value));
  }

  /** A queue write (mail, webhooks) on the writer thread; its answer is the store method's. */
  call<M extends QueueWrite>(method: M, args: Parameters<Store[M]>): ReturnType<Store[M]> {
    const direct = () => (this.fallback[method] as (...a: unknown[]) => Promise<unknown>)(...args);
    return this.send({ call: { method, args } }, direct) as ReturnType<Store[M]>;
  }

  /**
   * A page of the live view's list read on the writer thread (queue-writer.ts): a scan of
   * every block in force for its order and counts (100k blocks ~45 ms, 1M ~0.3 s), on the
   * event loop it held every packet meanwhile. At most 500 rows come back.
   */
  pageBlocks(q: BlockPageQuery): Promise<BlockPage> {
    return this.send({ page: q }, () => this.fallback.pageBlocks(q));
  }

  /**
   * The whole dynamic list as JSON text, read and serialized on the writer thread: for 1M
   * blocks that is seconds of reading and hundreds of MB of objects, which on the event
   * loop held every packet meanwhile (an admin's `status --dynamic` in an attack). The
   * loop only gets the string.
   */
  dynamicJson(activeAt: number): Promise<string> {
    return this.send({ dynamicJson: { activeAt } }, () => dynamicJsonOf(this.fallback, activeAt));
  }

  /** An export of the blocks in force made on the writer thread (off-loop-reads.ts). */
  exportText(j: ExportJob): Promise<string | null> {
    return this.send({ exportText: j }, () => exportTextOf(this.fallback, j));
  }

  private send<T>(m: Omit<Job, 'id'>, fallback: () => Promise<T>): Promise<T> {
    const read = 'page' in m || 'dynamicJson' in m || 'exportText' in m;
    if (!this.started) {
      this.started = true;
      this.worker = this.spawn(this.stateDir);
    }
    const w = this.worker;
    if (w === null) return fallback();
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      // A commit in flight keeps the process alive; an idle writer does not.
      if (this.waiting.size === 0) w.ref();
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, read });
      w.postMessage({ id, ...m });
    });
  }

  /** Waits for the commits in flight, then closes the worker's connection. */
  async close(): Promise<void> {
    const w = this.worker;
    if (w === null) return;
    this.worker = null;
    await new Promise<void>((resolve) => {
      w.once('exit', () => resolve());
      w.ref();
      w.postMessage({ close: true });
    });
  }

  private spawn(stateDir: string): Worker | null {
    let w: Worker;
    try {
      w = newWorker(new URL('./store-writer-worker.js', import.meta.url), { stateDir });
    } catch (e) {
      this.log.error({ err: e }, 'store writer thread did not start: committing on the event loop');
      return null;
    }
    w.unref();
    w.on('message', (m: Answer) => this.answer(m));
    w.on('error', (e) => this.lost(w, e));
    w.on('exit', (code) => {
      if (this.worker === w) this.lost(w, new Error(`store writer thread exited (code ${code})`));
    });
    return w;
  }

  private answer(m: Answer): void {
    const waiter = this.waiting.get(m.id);
    if (!waiter) return;
    this.waiting.delete(m.id);
    if (this.waiting.size === 0) this.worker?.unref();
    if (m.error === undefined) waiter.resolve(m.value);
    else waiter.reject(threadError(m.error, waiter.read));
  }

  /** The worker is gone: what it had not answered fails, and later commits stay here. */
  private lost(w: Worker, e: unknown): void {
    if (this.worker !== w) return;
    this.worker = null;
    this.log.error({ err: e }, 'store writer thread failed: committing on the event loop from now on');
    for (const [, waiter] of this.waiting) waiter.reject(e);
    this.waiting.clear();
  }
}

/** Consecutive turns of at most `max` bytes together (a bigger turn alone). */
function partsOf(staged: readonly Uint8Array[], max: number): Uint8Array[][] {
  const parts: Uint8Array[][] = [];
  let part: Uint8Array[] = [];
  let bytes = 0;
  for (const b of staged) {
    if (part.length > 0 && bytes + b.byteLength > max) {
      parts.push(part);
      part = [];
      bytes = 0;
    }
    part.push(b);
    bytes += b.byteLength;
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

/**
 * A worker on a sibling module: the built .js, or, when this file itself runs as .ts
 * (tests and the e2e daemon under `node --import tsx`), the .ts source, which a worker
 * can load only after registering the parent's loader itself (Node 20 passes no --import
 * hooks on to worker threads). The loader is named by the parent's own --import flag, so
 * the shipped build names no devDependency.
 */
function newWorker(js: URL, workerData: unknown): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(js, { workerData });
  const ts = js.href.replace(/\.js$/, '.ts');
  const args = process.execArgv;
  const loader = args.find((a, i) => i > 0 && args[i - 1] === '--import' && /tsx/.test(a));
  if (!loader) throw new Error(`${ts}: a .ts worker needs the parent's --import loader`);
  const api = JSON.stringify(`${loader}/esm/api`);
  const boot = `import(${api}).then((t) => { t.register(); return import(${JSON.stringify(ts)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

/**
 * The store as the admin use cases get it in the daemon: the history they write goes
 * through `commit` (the writer thread), in order with the enforcer's commits. A list
 * import of 100k entries is 100k history rows, ~3.5 s of SQLite on a quiet machine (over
 * 30 s on a loaded one): on the event loop it held every packet meanwhile.
 */
export function historyThrough(store: Store, commit: (b: StoreBatch) => Promise<void>): Store {
  return storeWith(store, { recordHistory: (history) => commit({ history }) });
}

/**
 * An error the thread answered, as the caller's error. A write's is the store's failure
 * (SP_ERR_STORE: the enforcer's retry and the status count those). A read refused with
 * one of our codes keeps it, as on the event loop: an allow list every user may write
 * is SP_ERR_PERMISSION, answered 403 with its reason, not a failed commit.
 */
function threadError(e: { message: string; code?: string }, read: boolean): SipprotError {
  const code = e.code as SipprotErrorCode | undefined;
  if (read && code !== undefined && ERROR_CODES.includes(code)) return new SipprotError(code, e.message);
  return new SipprotError('SP_ERR_STORE', `store commit failed: ${e.message}`);
}

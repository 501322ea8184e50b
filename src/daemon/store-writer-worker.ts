/**
 * The worker side of store-writer.ts: its own connection to STATE_DIR's database, one
 * commit at a time, in the order they came, each answered when durable. Staged turns
 * (encoded on the event loop, one per turn: store-writer-codec.ts) are committed in one
 * transaction, each turn read back into objects only when the one before is written
 * (`decodedInTurn`); malformed bytes refuse the whole commit with SP_ERR_STORE.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { setThreadNice } from '../platform/thread-priority.js';
import type { StoreBatch } from '../ports/store.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { dynamicJsonOf, exportTextOf } from './off-loop-reads.js';
import { type Job, QUEUE_WRITES } from './store-writer.js';
import { decodeBatch } from './store-writer-decode.js';

type Message = Job | { close: true };

/**
 * The writer yields a core to the judging of packets when they contend (a flood: the writer
 * falls behind by design and catches up after) and runs at full speed when they do not.
 * Nice 10 weighs ~1/9 of a nice-0 thread in Linux's scheduler (bench/RESULTS.md, A/B). Only
 * after its first job: the daemon's start waits for that one (the warm-up's empty commit,
 * which opens the database and compiles the writer's code), and at nice 10 on a loaded host
 * the start took over 30 s (CI at load 20).
 */
const WRITER_NICE = 10;
let niced = false;

const port = parentPort!;
const store = SqliteStore.open((workerData as { stateDir: string }).stateDir);
let queue: Promise<void> = Promise.resolve();

port.on('message', (m: Message) => {
  queue = queue.then(async () => {
    if ('close' in m) {
      await store.close();
      port.close();
      return;
    }
    try {
      let value: unknown;
      if ('batch' in m) await store.commit(m.batch);
      else if ('staged' in m) await store.commitEach(decodedInTurn(m.staged));
      else if ('setting' in m) await store.setSetting(m.setting.key, m.setting.value);
      else if ('page' in m) value = await store.pageBlocks(m.page);
      else if ('dynamicJson' in m) value = await dynamicJsonOf(store, m.dynamicJson.activeAt);
      else if ('exportText' in m) value = await exportTextOf(store, m.exportText);
      else if (QUEUE_WRITES.includes(m.call.method)) {
        const write = store[m.call.method] as (...a: unknown[]) => Promise<unknown>;
        value = await write.apply(store, m.call.args);
      }
      port.postMessage({ id: m.id, value });
    } catch (e) {
      const err = e as { message?: string; code?: string };
      port.postMessage({ id: m.id, error: { message: String(err.message ?? e), code: err.code } });
    }
    if (!niced) {
      niced = true;
      setThreadNice(WRITER_NICE);
    }
  });
});

/**
 * The staged turns read back one at a time, as the transaction reaches each. Read all at
 * once and merged (as before), a commit's objects were ~2× its bytes (a 4 MB part: ~8 MB)
 * alive across the whole transaction, and the scavenges its own SQLite work triggered
 * copied up to 63% of them (bench/RESULTS.md, helper lag3): on V8's GC threads, at nice 0,
 * beside the nice-10 writer. One turn's objects (a few blocks) now die young. Same rows:
 * the merge was defined as the turns committed one after another.
 */
function* decodedInTurn(staged: readonly Uint8Array[]): Generator<StoreBatch> {
  for (const b of staged) yield decodeBatch(b);
}

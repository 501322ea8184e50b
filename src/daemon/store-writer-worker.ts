/**
 * The worker side of store-writer.ts: its own connection to STATE_DIR's database, one
 * commit at a time, in the order they came, each answered when durable. Staged turns
 * (serialized on the event loop, one per turn) are merged here into one transaction.
 */
import { deserialize } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore } from '../store/sqlite-store.js';
import type { Job } from './store-writer.js';
import { mergeBatches } from './store-writer-batches.js';

type Message = Job | { close: true };

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
      if ('batch' in m) await store.commit(m.batch);
      else if ('staged' in m) await store.commit(mergeBatches(m.staged.map((b) => deserialize(b))));
      else await store.setSetting(m.setting.key, m.setting.value);
      port.postMessage({ id: m.id });
    } catch (e) {
      const err = e as { message?: string; code?: string };
      port.postMessage({ id: m.id, error: { message: String(err.message ?? e), code: err.code } });
    }
  });
});

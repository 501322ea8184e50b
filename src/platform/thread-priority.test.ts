import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { threadId } from './thread-priority.js';

/** Field 19 of /proc/PID/task/TID/stat is the task's nice value (after the comm in parens). */
function niceOf(tid: number): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

/** Runs setThreadNice(nice) in a worker; resolves with the worker's task id while it still lives. */
async function inWorker(nice: number): Promise<{ tid: number; ok: boolean; worker: Worker }> {
  const ts = JSON.stringify(new URL('./thread-priority.ts', import.meta.url).href);
  // Node 20 passes no --import hooks on to a worker: it registers tsx itself (as store-writer.ts does).
  const src = `
    const { parentPort } = require('node:worker_threads');
    import('tsx/esm/api').then((t) => { t.register(); return import(${ts}); }).then(({ setThreadNice, threadId }) => {
      const ok = setThreadNice(${nice});
      parentPort.postMessage({ tid: threadId(), ok });
    });`;
  const worker = new Worker(src, { eval: true });
  const m = await new Promise<{ tid: number; ok: boolean }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return { ...m, worker };
}

describe('thread priority', () => {
  it('names the calling thread: the main thread is the process', () => {
    assert.equal(threadId(), process.pid);
  });

  it("sets the calling thread's nice value and leaves the rest of the process alone", async () => {
    const before = niceOf(process.pid);
    const { tid, ok, worker } = await inWorker(before + 7);
    try {
      assert.equal(ok, true);
      assert.notEqual(tid, process.pid);
      assert.equal(niceOf(tid), before + 7);
      assert.equal(niceOf(process.pid), before, 'the main thread keeps its nice value');
    } finally {
      await worker.terminate();
    }
  });

  it('reports a refused change as false, not a throw', async () => {
    const { ok, worker } = await inWorker(99);
    await worker.terminate();
    assert.equal(ok, false);
  });
});

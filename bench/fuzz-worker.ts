/**
 * The worker thread of bench/fuzz.ts: loads the corpus, runs the seeded stream against the
 * real Decoder (SIP ports 5060–5061, UDP and TCP), stores the index of each input before
 * running it in the shared progress cell (the watchdog's view), and posts a progress line
 * every 500k inputs and the report at the end.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runFuzz } from '../src/capture/fuzz.testkit.js';
import { loadCorpus } from '../src/capture/fuzz-corpus.testkit.js';
import { Decoder } from '../src/core/packet/decoder.js';

const { seed, count, seconds, slowMs, progress } = workerData as {
  seed: number;
  count: number;
  seconds: number;
  slowMs: number;
  progress: Int32Array;
};
const corpus = await loadCorpus();
let peak = 0;
const heap = () => {
  const mib = Math.round(process.memoryUsage().heapUsed / 2 ** 20);
  peak = Math.max(peak, mib);
  return mib;
};
const report = runFuzz({
  seed,
  count,
  seconds,
  corpus,
  slowMs,
  makeDecoder: (limits) => {
    const d = new Decoder({ sipPorts: [{ from: 5060, to: 5061 }], protocols: ['udp', 'tcp'], limits });
    // Fifteen datagrams in sixteen go through parseSipStart with each choice of kinds (the
    // blocked-source start lines, the lean answers and requests), as
    // Engine.decidedByAddress would ask: from the ports, so the fresh and the reused
    // decoder of a pair answer alike.
    d.startOnly = (_at, _src, sport, _dst, dport) => (sport + dport) & 15;
    return d;
  },
  onInput: (i) => {
    Atomics.store(progress, 0, i);
    if (i > 0 && i % 500_000 === 0) parentPort?.postMessage({ progress: { inputs: i, heapMiB: heap() } });
  },
});
heap();
parentPort?.postMessage({ report, peakHeapMiB: peak });

/**
 * The long fuzz run of the packet decoders and the SIP parser (issue 10: ≥ 10M inputs with
 * the reused-buffer harness). Seeded and bounded by count and time; the fuzzing runs in a
 * worker thread so that this thread can watch it: an input that does not return within
 * --hang seconds is a hang, reported like a crash; one that returns but took over --slow
 * ms is a finding too (default 5000: on a shared 2-core machine at load 9 a 0.02 ms input
 * was once measured at 558 ms, so a tighter wall-clock bound reports the neighbours).
 *
 *   node --import tsx bench/fuzz.ts [--count 10000000] [--seconds 3600] [--seed N] [--hang 10] [--slow 5000]
 *
 * Prints the seed first; on a failure (throw, hang, kept reference, broken bound) prints
 * the input's index, the failing input as hex and the command that replays the stream up
 * to it, and exits 1. The stream and the oracles are src/capture/fuzz*.testkit.ts.
 */
import { randomInt } from 'node:crypto';
import { arch, cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { type FuzzFailure, type FuzzReport, inputAt } from '../src/capture/fuzz.testkit.js';
import { loadCorpus } from '../src/capture/fuzz-corpus.testkit.js';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '10000000' },
    seconds: { type: 'string', default: '3600' },
    seed: { type: 'string' },
    hang: { type: 'string', default: '10' },
    slow: { type: 'string', default: '5000' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(
    'usage: node --import tsx bench/fuzz.ts [--count N] [--seconds S] [--seed N] [--hang S] [--slow MS]',
  );
  process.exit(0);
}
const count = Number(values.count);
const seconds = Number(values.seconds);
const hangS = Number(values.hang);
const slowMs = Number(values.slow);
const seed = values.seed === undefined ? randomInt(2 ** 31) : Number(values.seed);
for (const [k, v] of Object.entries({ count, seconds, hang: hangS, slow: slowMs, seed }))
  if (!Number.isInteger(v) || v < 0) throw new Error(`--${k} must be a non-negative integer`);

console.log(`seed ${seed}  (replay: node --import tsx bench/fuzz.ts --seed ${seed} --count ${count})`);
console.log(
  `machine: ${cpus().length}x ${cpus()[0]?.model ?? '?'} ${arch()}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`,
);

const progress = new Int32Array(new SharedArrayBuffer(8));
progress[0] = -1;
// The worker is TypeScript too: its thread registers tsx's loader before importing it
// (a .ts worker entry is not run through the loader of the thread that starts it).
const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((t) => { t.register(); return import(${JSON.stringify(new URL('./fuzz-worker.ts', import.meta.url).href)}); })`;
const worker = new Worker(boot, { eval: true, workerData: { seed, count, seconds, slowMs, progress } });

function printFailure(f: FuzzFailure, kind: string): void {
  console.log(
    `FAILURE (${kind}) at input ${f.index} (op ${f.op}${f.linkType === null ? '' : `, link type ${f.linkType}`}, ${f.sinceReset} inputs since the decoders were made)`,
  );
  console.log(f.message);
  console.log(`input hex: ${f.hex}`);
  console.log(`replay: node --import tsx bench/fuzz.ts --seed ${seed} --count ${f.index + 1}`);
}

const started = Date.now();
let last = -1;
let lastMoved = Date.now();
const watch = setInterval(async () => {
  const at = Atomics.load(progress, 0);
  if (at !== last) {
    last = at;
    lastMoved = Date.now();
    return;
  }
  if (at >= 0 && Date.now() - lastMoved > hangS * 1000) {
    clearInterval(watch);
    await worker.terminate();
    const input = inputAt(seed, await loadCorpus(), at);
    const hex = input && input.op !== 'reset' ? Buffer.from(input.bytes).toString('hex') : '';
    printFailure(
      {
        index: at,
        op: input?.op ?? 'reset',
        linkType: input?.op === 'frame' ? input.linkType : null,
        message: `no return within ${hangS} s`,
        hex,
        sinceReset: -1,
      },
      'hang',
    );
    process.exit(1);
  }
}, 1000);

worker.on(
  'message',
  (m: { progress?: { inputs: number; heapMiB: number }; report?: FuzzReport; peakHeapMiB?: number }) => {
    if (m.progress) {
      const s = (Date.now() - started) / 1000;
      console.log(
        `${m.progress.inputs} inputs, ${s.toFixed(0)} s, ${(m.progress.inputs / s).toFixed(0)}/s, heap ${m.progress.heapMiB} MiB`,
      );
      return;
    }
    const r = m.report;
    if (!r) return;
    clearInterval(watch);
    console.log(
      `done: ${r.inputs} inputs in ${r.seconds.toFixed(1)} s (${(r.inputs / r.seconds).toFixed(0)}/s), ${r.events} SIP events/messages/records (inputs: ${JSON.stringify(r.byOp)}), slowest input ${r.slowestMs.toFixed(2)} ms (#${r.slowestIndex}), peak heap ${m.peakHeapMiB} MiB`,
    );
    if (r.failure) {
      printFailure(r.failure, r.failure.message.startsWith('threw') ? 'crash' : 'oracle');
      process.exitCode = 1;
    } else console.log('findings: none');
  },
);
worker.on('error', (e) => {
  clearInterval(watch);
  console.log(`FAILURE (worker died): ${e.stack ?? e.message}`);
  console.log(`last input started: ${Atomics.load(progress, 0)}`);
  process.exitCode = 1;
});

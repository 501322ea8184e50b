/**
 * Is the daemon's lag figure a true measure? (issue 13 target 4.) A loop with known
 * stalls: busy chunks of CHUNK ms (a spin on the clock) with a turn of the loop
 * (setImmediate) between them, and every EVERY ms one chunk of STALL ms instead. The
 * truth is known: a 10 ms timer can be late at most by the chunk it falls in, so its p99
 * must be ≤ the chunk (no stalls) or ≈ the stall when stalls cover more than 1% of samples.
 * Beside each other: the daemon's own sampler (src/daemon/loop-lag.ts, from ROOT's dist),
 * bench/lag-trace.mjs (the attribution's sampler) and monitorEventLoopDelay at 10 ms
 * resolution (the daemon-path bench's and the probe's). Each case in a fresh process.
 *
 *   node --import tsx bench/lag-sampler-check.ts [--root DIR] [--seconds 5]
 */
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { attributionReport } from './lag-attribution.js';
import { startLagTrace } from './lag-trace.mjs';

const HERE = dirname(new URL(import.meta.url).pathname);
const { values } = parseArgs({
  options: {
    root: { type: 'string', default: dirname(HERE) },
    seconds: { type: 'string', default: '5' },
    case: { type: 'string' },
  },
});

const CASES: Array<{ name: string; chunk: number; stall: number; every: number }> = [
  { name: 'idle (no work)', chunk: 0, stall: 0, every: 0 },
  { name: '1 ms chunks', chunk: 1, stall: 0, every: 0 },
  { name: '2 ms chunks', chunk: 2, stall: 0, every: 0 },
  { name: '2 ms chunks, an 8 ms stall every 200 ms', chunk: 2, stall: 8, every: 200 },
  { name: '2 ms chunks, a 20 ms stall every 100 ms', chunk: 2, stall: 20, every: 100 },
  { name: '4 ms chunks', chunk: 4, stall: 0, every: 0 },
];

function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // busy
  }
}

async function one(c: (typeof CASES)[number], seconds: number): Promise<string> {
  const { LoopLag } = await import(pathToFileURL(join(values.root!, 'dist/daemon/loop-lag.js')).href);
  const daemon = new LoopLag();
  daemon.start();
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  const trace = startLagTrace({ spans: false });
  const t0 = performance.now();
  let nextStall = t0 + c.every;
  let stalls = 0;
  const keepAlive = setInterval(() => {}, 1000);
  await new Promise<void>((done) => {
    const step = () => {
      const now = performance.now();
      if (now - t0 > seconds * 1000) return done();
      if (c.chunk === 0) return void setTimeout(step, 50);
      if (c.every > 0 && now >= nextStall) {
        spin(c.stall);
        stalls++;
        nextStall += c.every;
      } else spin(c.chunk);
      setImmediate(step);
    };
    step();
  });
  clearInterval(keepAlive);
  eld.disable();
  daemon.roll();
  const s = daemon.stats();
  daemon.stop();
  const tr = trace.stop();
  const late = tr.samples.map((x) => x[1]! - x[0]!).sort((a, b) => a - b);
  const p = (q: number) => late[Math.min(late.length - 1, Math.floor((q / 100) * late.length))] ?? 0;
  const eldMs = (ns: number) => Math.max(0, ns / 1e6 - 10);
  const stallShare = c.every ? ((c.stall / c.every) * 100).toFixed(0) : '0';
  return (
    `${c.name}: daemon status p99 ${s.p99SinceStart.toFixed(1)} / max ${s.maxSinceStart.toFixed(1)} ms; ` +
    `trace sampler p50 ${p(50).toFixed(1)} / p99 ${p(99).toFixed(1)} / max ${(late.at(-1) ?? 0).toFixed(1)} ms (${late.length} samples); ` +
    `monitorEventLoopDelay(10) p99 ${eldMs(eld.percentile(99)).toFixed(1)} / max ${eldMs(eld.max).toFixed(1)} ms; ` +
    `stalls ${stalls} (${stallShare}% of the time), truth: p99 ≤ ${Math.max(c.chunk, c.stall && Number(stallShare) >= 1 ? c.stall : 0)} ms\n` +
    attributionReport(tr, 5)
      .slice(0, 5)
      .map((l) => `  ${l}\n`)
      .join('')
  );
}

if (values.case !== undefined) {
  console.log(await one(CASES[Number(values.case)]!, Number(values.seconds)));
} else {
  for (let i = 0; i < CASES.length; i++) {
    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        new URL(import.meta.url).pathname,
        '--case',
        `${i}`,
        '--seconds',
        values.seconds!,
        '--root',
        values.root!,
      ],
      { encoding: 'utf8' },
    );
    process.stdout.write(out);
  }
}

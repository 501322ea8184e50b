import assert from 'node:assert/strict';
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { test } from 'node:test';
import { type LagSource, LoopLag } from './loop-lag.js';

/** Histograms fed by hand: `fire(ms)` is one firing of the 10 ms timer, `ms` late. */
function fedSource(): LagSource & { fire(lateMs: number, n?: number): void } {
  const hs: RecordableHistogram[] = [];
  return {
    histogram() {
      const h = createHistogram();
      hs.push(h);
      return h;
    },
    every: () => ({ stop() {} }),
    fire(lateMs, n = 1) {
      for (let i = 0; i < n; i++) for (const h of hs) h.record(Math.round((10 + lateMs) * 1e6));
    },
  };
}

test('loop lag: percentiles of the samples — a flood stays in p99 since start after its window has passed', () => {
  const src = fedSource();
  const lag = new LoopLag(src);
  assert.equal(lag.stats(), null);
  lag.start();
  // A flood: 1,000 firings on time and 30 held 50 ms (3%).
  src.fire(0, 1000);
  src.fire(50, 30);
  lag.roll();
  let s = lag.stats()!;
  assert.equal(s.p99, 50);
  assert.equal(s.max, 50);
  assert.equal(s.p50, 0);
  // Ten quiet seconds after it: the window forgets the flood, "since start" does not.
  src.fire(0.5, 1000);
  lag.roll();
  s = lag.stats()!;
  assert.equal(s.p99, 0.5);
  assert.equal(s.max, 0.5);
  assert.equal(s.maxSinceStart, 50);
  // 30 of 2,030 samples (1.5%) were 50 ms late: the p99 over the whole run is 50, not a mean.
  assert.equal(s.p99SinceStart, 50);
  lag.stop();
  assert.equal(lag.stats(), null);
});

test('loop lag: before the first window ends, the figures so far', () => {
  const src = fedSource();
  const lag = new LoopLag(src);
  lag.start();
  src.fire(3, 200);
  const s = lag.stats()!;
  assert.deepEqual(
    { p50: s.p50, p99: s.p99, max: s.max, p99SinceStart: s.p99SinceStart, maxSinceStart: s.maxSinceStart },
    { p50: 3, p99: 3, max: 3, p99SinceStart: 3, maxSinceStart: 3 },
  );
});

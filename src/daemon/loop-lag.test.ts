import assert from 'node:assert/strict';
import { createHistogram } from 'node:perf_hooks';
import { test } from 'node:test';
import { BUSY_MS, IDLE_MS, type LagSource, LoopLag } from './loop-lag.js';

/**
 * A loop turned by hand: `run(lateMs, activeMs)` fires the pending sample `lateMs` after it
 * was due, the loop having been active `activeMs` since the previous firing.
 */
function handLoop(): LagSource & {
  run(lateMs: number, activeMs: number, n?: number): void;
  pending(): number;
} {
  let now = 0;
  let active = 0;
  let timer: { at: number; fn: () => void } | null = null;
  return {
    now: () => now,
    active: () => active,
    after(ms, fn) {
      const t = { at: now + ms, fn };
      timer = t;
      return {
        stop: () => {
          if (timer === t) timer = null;
        },
      };
    },
    every: () => ({ stop() {} }),
    histogram: () => createHistogram(),
    run(lateMs, activeMs, n = 1) {
      for (let i = 0; i < n; i++) {
        const t = timer;
        if (!t) throw new Error('no sample pending');
        now = t.at + lateMs;
        active += activeMs;
        timer = null;
        t.fn();
      }
    },
    pending: () => (timer ? timer.at - now : -1),
  };
}

test('loop lag: percentiles of the samples — a flood stays in p99 since start after its window has passed', () => {
  const src = handLoop();
  const lag = new LoopLag(src);
  assert.equal(lag.stats(), null);
  lag.start();
  // A flood: 1,000 firings on time and 30 held 50 ms (3%), the loop busy throughout.
  src.run(0, 5, 1000);
  src.run(50, 50, 30);
  lag.roll();
  let s = lag.stats()!;
  assert.equal(s.p99, 50);
  assert.equal(s.max, 50);
  assert.equal(s.p50, 0);
  // Ten quiet seconds after it: the window forgets the flood, "since start" does not.
  src.run(0.5, 5, 1000);
  lag.roll();
  s = lag.stats()!;
  assert.equal(s.p99, 0.5);
  assert.equal(s.max, 0.5);
  assert.equal(s.maxSinceStart, 50);
  // 30 of 2,030 samples (1.5%) were 50 ms late: the p99 over the whole run is 50, not a mean.
  assert.equal(s.p99SinceStart, 50);
  lag.stop();
  assert.equal(lag.stats(), null);
  assert.equal(src.pending(), -1, 'stop cancels the pending sample');
});

test('loop lag: before the first window ends, the figures so far', () => {
  const src = handLoop();
  const lag = new LoopLag(src);
  lag.start();
  src.run(3, 5, 200);
  const s = lag.stats()!;
  assert.deepEqual(
    { p50: s.p50, p99: s.p99, max: s.max, p99SinceStart: s.p99SinceStart, maxSinceStart: s.maxSinceStart },
    { p50: 3, p99: 3, max: 3, p99SinceStart: 3, maxSinceStart: 3 },
  );
});

test('loop lag: an idle loop is sampled every IDLE_MS, a working one every BUSY_MS, and a stall after quiet is seen', () => {
  const src = handLoop();
  const lag = new LoopLag(src);
  lag.start();
  assert.equal(src.pending(), BUSY_MS);
  // Asleep: 0.1 ms active in a 10 ms interval (1%) — the next sample waits IDLE_MS.
  src.run(0, 0.1);
  assert.equal(lag.sampling, IDLE_MS);
  assert.equal(src.pending(), IDLE_MS);
  src.run(0, 0.5, 50);
  assert.equal(lag.sampling, IDLE_MS, '0.5 ms in 100 ms is idle');
  // Traffic starts: 3 ms active in 100 ms — sampled every BUSY_MS again.
  src.run(0, 3);
  assert.equal(lag.sampling, BUSY_MS);
  assert.equal(src.pending(), BUSY_MS);
  // The loop is held 40 ms right after the quiet: that sample is 40 ms late, and counted.
  src.run(40, 40);
  assert.equal(lag.stats()!.max, 40);
  assert.equal(lag.sampling, BUSY_MS);
  // Work stops: one interval later the sampling is sparse again.
  src.run(0, 0);
  assert.equal(lag.sampling, IDLE_MS);
  lag.stop();
});

test('loop lag: a timer that fires early (the loop clock is cached per turn) counts as on time', () => {
  const src = handLoop();
  const lag = new LoopLag(src);
  lag.start();
  src.run(-0.7, 5, 10);
  const s = lag.stats()!;
  assert.equal(s.max, 0);
  assert.equal(s.p99, 0);
  lag.stop();
});

test('loop lag: a frame after quiet re-arms the sampler at BUSY_MS, so its stall is measured', () => {
  const src = handLoop();
  const lag = new LoopLag(src);
  lag.start();
  src.run(0, 0, 5);
  assert.equal(src.pending(), IDLE_MS);
  lag.poke();
  assert.equal(lag.sampling, BUSY_MS);
  assert.equal(src.pending(), BUSY_MS);
  lag.poke();
  assert.equal(src.pending(), BUSY_MS, 'a poke while busy changes nothing');
  src.run(30, 30);
  assert.equal(lag.stats()!.max, 30);
  lag.stop();
  lag.poke();
  assert.equal(src.pending(), -1, 'a poke after stop arms nothing');
});

test('loop lag: the daemon source samples a real loop held 30 ms after a quiet stretch (a frame pokes it)', async () => {
  const lag = new LoopLag();
  lag.start();
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(lag.sampling, IDLE_MS, 'a quiet loop is sampled sparsely');
  lag.poke();
  const until = performance.now() + 30;
  while (performance.now() < until) {
    // holds the loop, as a stall would
  }
  await new Promise((r) => setTimeout(r, 150));
  const s = lag.stats()!;
  lag.stop();
  assert.ok(s.max >= 15, `a 30 ms stall shows (max ${s.max} ms)`);
  assert.ok(s.maxSinceStart >= s.max);
});

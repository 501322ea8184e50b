import assert from 'node:assert/strict';
import { createHistogram } from 'node:perf_hooks';
import { test } from 'node:test';
import { BUSY_MS, IDLE_MS, type LagSource, LoopLag, NODE_SOURCE } from './loop-lag.js';

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
  lag.started();
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

test('loop lag: the start is its own figure — "since start" counts from started(), the window holds both', () => {
  const src = handLoop();
  const lag = new LoopLag(src);
  lag.start();
  // The start's last part (the capture is open, the API still starting): 20 samples, 3 held long.
  src.run(0, 5, 17);
  src.run(400, 400);
  src.run(40, 40, 2);
  let s = lag.stats()!;
  assert.equal(s.startMax, 400);
  assert.equal(s.max, 400, 'the first window shows the start');
  assert.equal(s.p99SinceStart, 0, 'nothing since start yet');
  assert.equal(s.maxSinceStart, 0);
  lag.started();
  // Running: 500 samples, 2 of them 12 ms late (0.4%) — the start's 3 of 520 (0.6%) would have made the p99 40.
  src.run(0, 5, 498);
  src.run(12, 12, 2);
  s = lag.stats()!;
  assert.equal(s.p99SinceStart, 0);
  assert.equal(s.maxSinceStart, 12);
  assert.equal(s.startMax, 400);
  assert.equal(s.max, 400);
  lag.roll();
  src.run(1, 5, 10);
  lag.roll();
  s = lag.stats()!;
  assert.equal(s.max, 1, 'later windows are the running daemon');
  assert.equal(s.startMax, 400, 'the start stays in its own figure');
  lag.stop();
});

test('loop lag: before the first window ends, the figures so far', () => {
  const src = handLoop();
  const lag = new LoopLag(src);
  lag.start();
  lag.started();
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

/**
 * Node's source, watched: `idle` resolves when the sampler first arms IDLE_MS (the loop went
 * quiet), `fired()` when the next sample runs, with the time it ran. The test waits for these
 * events, not for fixed sleeps: at load 15-30 a quiet loop's own 10 ms wake-ups (0.2-0.3 ms
 * of ELU "active" each when the process is preempted) can keep it above 2% of BUSY_MS for
 * longer than any fixed wait (the old 250 ms sleep saw BUSY_MS in 11 of 15 runs at load 17-27).
 */
function watchedNodeSource(): LagSource & { idle: Promise<void>; fired(): Promise<number> } {
  let quiet: () => void = () => undefined;
  let onFire: ((at: number) => void) | null = null;
  return {
    ...NODE_SOURCE,
    idle: new Promise<void>((r) => (quiet = r)),
    fired: () => new Promise<number>((r) => (onFire = r)),
    after(ms, fn) {
      if (ms === IDLE_MS) quiet();
      return NODE_SOURCE.after(ms, () => {
        const at = performance.now();
        fn();
        const f = onFire;
        onFire = null;
        f?.(at);
      });
    },
  };
}

test('loop lag: the daemon source samples a real loop held 30 ms after a quiet stretch (a frame pokes it)', async (t) => {
  const src = watchedNodeSource();
  const lag = new LoopLag(src);
  t.after(() => lag.stop());
  lag.start();
  lag.started();
  // The sampler's timers do not keep the process alive (unref): this one does, and bounds
  // the waits. It never fires in a passing run, so it adds no wake-up to the quiet loop.
  let bound: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timed out'>((r) => (bound = setTimeout(() => r('timed out'), 20_000)));
  t.after(() => clearTimeout(bound));
  // A quiet loop goes to sparse sampling (it must, however loaded the machine).
  const first = await Promise.race([src.idle.then(() => 'idle' as const), timedOut]);
  assert.equal(first, 'idle', 'a quiet loop is sampled sparsely (IDLE_MS armed within 20 s)');
  // Right after the idle sample was armed (its callback has just returned): a fresh window,
  // a frame, and the loop held 30 ms. The poke's sample is due 10 ms after the poke, so it
  // runs at least 20 ms late; the only sample in the window, its lateness is the window's max.
  assert.equal(lag.sampling, IDLE_MS);
  lag.roll();
  const fired = src.fired();
  const pokedFrom = performance.now();
  lag.poke();
  const pokedTo = performance.now();
  assert.equal(lag.sampling, BUSY_MS, 'a frame brings the sampler back to BUSY_MS');
  while (performance.now() < pokedTo + 30) {
    // holds the loop, as a stall would
  }
  const ranAt = await Promise.race([fired, timedOut]);
  assert.ok(typeof ranAt === 'number', "the poke's sample ran");
  lag.roll();
  const s = lag.stats()!;
  // Due between pokedFrom + 10 and pokedTo + 10; ran at ranAt (± the 0.1 ms the figures are rounded to).
  const lo = ranAt - pokedTo - BUSY_MS;
  const hi = ranAt - pokedFrom - BUSY_MS;
  assert.ok(lo >= 20, `the poke's sample ran after the stall (${lo.toFixed(2)} ms after it was due)`);
  assert.ok(
    s.max >= lo - 0.1 && s.max <= hi + 0.1,
    `the 30 ms stall shows as the sample's lateness: max ${s.max} ms, measured ${lo.toFixed(2)}-${hi.toFixed(2)} ms`,
  );
  assert.equal(s.p99, s.max, 'one sample in the window');
  assert.ok(s.maxSinceStart >= s.max);
});

/**
 * The daemon's own event-loop delay, for status (issue 13: "nothing on the packet path
 * waits", measured and shown). Everything the daemon does runs on one event loop: while
 * it is held (a store commit, a GC, a burst of work) frames wait in the capture ring and
 * API requests wait too, so the delay is the daemon's responsiveness.
 *
 * One timer samples it: each firing records how late it ran (ms after it was due) into
 * two histograms — one read and reset every 10 s (the last full window: p50, p99, max),
 * one never (p99 and max over every sample since start). Both are percentiles of real
 * samples, never means: a flood's stalls are neither averaged away by the quiet after it
 * nor lost when the window moves on.
 *
 * "Since start" counts from the daemon's "sipprotd started" (`started()`); how late the loop
 * ran before it — the sampler starts with the capture, while the start still opens the API
 * and the periodic jobs — is a figure of its own, `startMax` (and in the first window).
 * Apart because the start's few busy samples outweighed the running daemon's in the
 * since-start p99: idle samples come 10× sparser, so a fresh daemon at load 15 read p99
 * 31 ms since start for its whole idle life (a 423 ms stall and a few of 20-60 ms in the
 * start's last part), and a 20k/s flood's p99 carried them too (bench/RESULTS.md, lag3).
 *
 * The timer fires every BUSY_MS (10 ms) while the loop works, every IDLE_MS (100 ms) while
 * it sleeps (it was active less than IDLE_ACTIVE of the last interval: ELU, libuv's own
 * idle-time count). A frame arriving (`poke`, from inputs.ts) brings a sleeping sampler
 * back to BUSY_MS at once: the stall a first frame causes (the first block after a quiet
 * stretch) is sampled as densely as any other; a stall while no frame arrives (an API
 * request, a periodic job) is seen when it overlaps a sample, one every 100 ms.
 *
 * Why: on this 2-core KVM guest each wake-up of an idle loop costs ~50 µs of CPU; Node's
 * two monitors (monitorEventLoopDelay, 10 ms, before this) woke the idle daemon 100 times
 * a second — 0.5% of a core with no traffic, a quarter of issue 13's 2% budget at 1k msg/s
 * (bench/RESULTS.md "Issue 13: one wake-up a packet"). A loop that works is awake anyway:
 * its samples ride on wake-ups it has, and it is sampled as densely as before. Idle
 * samples are 10× sparser, so a quiet stretch weighs less in the percentiles than it did:
 * the figures lean towards the busy stretches (the worse side), never towards quiet ones.
 */
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';
import type { LoopLagStats } from '../ports/admin.js';

/** Sampling interval while the loop works (ms). */
export const BUSY_MS = 10;
/** Sampling interval while the loop sleeps (ms). */
export const IDLE_MS = 100;
/** Below this share of an interval active, the loop counts as sleeping. */
export const IDLE_ACTIVE = 0.02;
const WINDOW_MS = 10_000;

type Histogram = Pick<RecordableHistogram, 'count' | 'max' | 'percentile' | 'reset' | 'record'>;

/** The clock, the loop's active time and the timers: Node's in the daemon, turned by hand in tests. */
export interface LagSource {
  /** Monotonic ms. */
  now(): number;
  /** ms the event loop has been active (not waiting for I/O or timers) since it started. */
  active(): number;
  /** Calls `fn` once after `ms` (must not keep the process alive). */
  after(ms: number, fn: () => void): { stop(): void };
  /** Calls `fn` every `ms` until stopped. */
  every(ms: number, fn: () => void): { stop(): void };
  histogram(): Histogram;
}

export const NODE_SOURCE: LagSource = {
  now: () => performance.now(),
  active: () => performance.eventLoopUtilization().active,
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { stop: () => clearTimeout(t) };
  },
  every(ms, fn) {
    const t = setInterval(fn, ms);
    t.unref();
    return { stop: () => clearInterval(t) };
  },
  histogram: () => createHistogram(),
};

export class LoopLag {
  private window: Histogram | null = null;
  private total: Histogram | null = null;
  private roller: { stop(): void } | null = null;
  private sampler: { stop(): void } | null = null;
  /** The samples before `started()` (the start's last part): their max is shown. */
  private starting: Histogram | null = null;
  private running = false;
  private last: Window | null = null;
  private due = 0;
  private interval = BUSY_MS;
  private activeAt = 0;

  constructor(private readonly source: LagSource = NODE_SOURCE) {}

  start(): void {
    if (this.window) return;
    this.window = this.source.histogram();
    this.total = this.source.histogram();
    this.starting = this.source.histogram();
    this.running = false;
    this.roller = this.source.every(WINDOW_MS, () => this.roll());
    this.activeAt = this.source.active();
    this.arm(BUSY_MS);
  }

  /** The daemon has started: from now on the samples are the running daemon's ("since start"). */
  started(): void {
    this.running = true;
  }

  stop(): void {
    this.window = null;
    this.total = null;
    this.starting = null;
    this.roller?.stop();
    this.roller = null;
    this.sampler?.stop();
    this.sampler = null;
  }

  /**
   * Work arrived (a frame): a sampler waiting IDLE_MS is re-armed for BUSY_MS from now, so
   * whatever this work holds the loop for is measured. One comparison a frame while busy.
   */
  poke(): void {
    if (this.interval === BUSY_MS || !this.sampler) return;
    this.sampler.stop();
    this.arm(BUSY_MS);
  }

  /** The interval the next sample waits (ms): BUSY_MS or IDLE_MS. */
  get sampling(): number {
    return this.interval;
  }

  /** The last full window (before the first one ends, what was seen so far), since start, while starting. */
  stats(): LoopLagStats | null {
    const { window, total, starting } = this;
    if (!window || !total || !starting) return null;
    const w = this.last ?? windowOf(window);
    return {
      ...w,
      p99SinceStart: late(total, 99),
      maxSinceStart: total.count > 0 ? lateMs(total.max) : 0,
      startMax: starting.count > 0 ? lateMs(starting.max) : 0,
    };
  }

  /** The window ends: its figures are kept, a new one starts. */
  roll(): void {
    if (!this.window) return;
    this.last = windowOf(this.window);
    this.window.reset();
  }

  private arm(ms: number): void {
    this.interval = ms;
    this.due = this.source.now() + ms;
    this.sampler = this.source.after(ms, () => this.sample());
  }

  /** The timer fired: how late, into both histograms; the next interval from how busy the loop was. */
  private sample(): void {
    if (!this.window || !this.total || !this.starting) return;
    const now = this.source.now();
    const ns = Math.max(1, Math.round((now - this.due) * 1e6));
    this.window.record(ns);
    (this.running ? this.total : this.starting).record(ns);
    const active = this.source.active();
    const busy = active - this.activeAt >= this.interval * IDLE_ACTIVE;
    this.activeAt = active;
    this.arm(busy ? BUSY_MS : IDLE_MS);
  }
}

type Window = Pick<LoopLagStats, 'windowSeconds' | 'p50' | 'p99' | 'max'>;

function windowOf(h: Histogram): Window {
  return {
    windowSeconds: WINDOW_MS / 1000,
    p50: late(h, 50),
    p99: late(h, 99),
    max: h.count > 0 ? lateMs(h.max) : 0,
  };
}

/** A sample is how late the timer fired, in ns (≥ 1: a histogram takes no 0). */
function lateMs(ns: number): number {
  return ns <= 1 ? 0 : Math.round(ns / 1e5) / 10;
}

function late(h: Histogram, p: number): number {
  return h.count > 0 ? lateMs(h.percentile(p)) : 0;
}

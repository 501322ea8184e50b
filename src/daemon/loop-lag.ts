/**
 * The daemon's own event-loop delay, for status (issue 13: "nothing on the packet path
 * waits", measured and shown). Everything the daemon does runs on one event loop: while
 * it is held (a store commit, a GC, a burst of work) frames wait in the capture ring and
 * API requests wait too, so the delay is the daemon's responsiveness.
 *
 * Node's histogram (monitorEventLoopDelay) samples with a 10 ms libuv timer in C++ (no
 * JavaScript per sample) and records how late each firing was. Two run side by side
 * (a C++ timer each, ~1 µs a firing): one is read and reset every 10 s (the last full
 * window: p50, p99, max), the other never (p99 and max over every sample since start).
 * Both are percentiles of real samples, never means: a flood's stalls are neither
 * averaged away by the quiet after it nor lost when the window moves on. (Node cannot
 * merge a monitor's histogram into another, so one monitor could not give both.)
 */
import { type IntervalHistogram, monitorEventLoopDelay, type RecordableHistogram } from 'node:perf_hooks';
import type { LoopLagStats } from '../ports/admin.js';

const RESOLUTION_MS = 10;
const WINDOW_MS = 10_000;

type Histogram = Pick<IntervalHistogram | RecordableHistogram, 'count' | 'max' | 'percentile' | 'reset'>;

/** Where the histograms come from: Node's monitors in the daemon, fed ones in tests. */
export interface LagSource {
  /** A new histogram of timer firings (ns between two firings of a RESOLUTION_MS timer). */
  histogram(): Histogram & { disable?(): void };
  /** Calls `fn` every `ms` until stopped (tests call `roll` themselves). */
  every(ms: number, fn: () => void): { stop(): void };
}

const NODE_SOURCE: LagSource = {
  histogram() {
    const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    h.enable();
    return h;
  },
  every(ms, fn) {
    const t = setInterval(fn, ms);
    t.unref();
    return { stop: () => clearInterval(t) };
  },
};

export class LoopLag {
  private window: (Histogram & { disable?(): void }) | null = null;
  private total: (Histogram & { disable?(): void }) | null = null;
  private timer: { stop(): void } | null = null;
  private last: Omit<LoopLagStats, 'p99SinceStart' | 'maxSinceStart'> | null = null;
  private worst = 0;

  constructor(private readonly source: LagSource = NODE_SOURCE) {}

  start(): void {
    if (this.window) return;
    this.window = this.source.histogram();
    this.total = this.source.histogram();
    this.timer = this.source.every(WINDOW_MS, () => this.roll());
  }

  stop(): void {
    this.window?.disable?.();
    this.total?.disable?.();
    this.window = null;
    this.total = null;
    this.timer?.stop();
    this.timer = null;
  }

  /** The last full window (before the first one ends, what was seen so far) and since start. */
  stats(): LoopLagStats | null {
    const { window, total } = this;
    if (!window || !total) return null;
    const w = this.last ?? windowOf(window);
    // Two timers see a stall a few µs apart: the worst since start is never below a window's.
    this.worst = Math.max(this.worst, w.max, total.count > 0 ? lateMs(total.max) : 0);
    return { ...w, p99SinceStart: late(total, 99), maxSinceStart: this.worst };
  }

  /** The window ends: its figures are kept, a new one starts. */
  roll(): void {
    if (!this.window) return;
    this.last = windowOf(this.window);
    this.worst = Math.max(this.worst, this.last.max);
    this.window.reset();
  }
}

function windowOf(h: Histogram): Omit<LoopLagStats, 'p99SinceStart' | 'maxSinceStart'> {
  return {
    windowSeconds: WINDOW_MS / 1000,
    p50: late(h, 50),
    p99: late(h, 99),
    max: h.count > 0 ? lateMs(h.max) : 0,
  };
}

/** Each sample is the time between two firings of a RESOLUTION_MS timer, in ns. */
function lateMs(ns: number): number {
  return Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 10) / 10);
}

function late(h: Histogram, p: number): number {
  return h.count > 0 ? lateMs(h.percentile(p)) : 0;
}

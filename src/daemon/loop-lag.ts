/**
 * The daemon's own event-loop delay, for status (issue 13: "nothing on the packet path
 * waits", measured and shown). Everything the daemon does runs on one event loop: while
 * it is held (a store commit, a GC, a burst of work) frames wait in the capture ring and
 * API requests wait too, so the delay is the daemon's responsiveness.
 *
 * Node's histogram (monitorEventLoopDelay) samples with a 10 ms libuv timer in C++ (no
 * JavaScript per sample) and records how late each firing was. Reported: the last full
 * 10-second window (p50, p99, max) and the worst delay since start.
 */
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 10;
const WINDOW_MS = 10_000;

export interface LoopLagStats {
  windowSeconds: number;
  p50: number;
  p99: number;
  max: number;
  maxSinceStart: number;
}

export class LoopLag {
  private histogram: IntervalHistogram | null = null;
  private timer: NodeJS.Timeout | null = null;
  private last: LoopLagStats | null = null;
  private worst = 0;

  start(): void {
    if (this.histogram) return;
    const h = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    h.enable();
    this.histogram = h;
    this.timer = setInterval(() => this.roll(), WINDOW_MS);
    this.timer.unref();
  }

  stop(): void {
    this.histogram?.disable();
    this.histogram = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** The last full window; before the first one ends, what was seen so far. */
  stats(): LoopLagStats | null {
    if (!this.histogram) return null;
    return this.last ?? this.window(this.histogram);
  }

  private roll(): void {
    const h = this.histogram;
    if (!h) return;
    this.last = this.window(h);
    h.reset();
  }

  private window(h: IntervalHistogram): LoopLagStats {
    // Each sample is the time between two firings of a RESOLUTION_MS timer, in ns.
    const late = (ns: number) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 10) / 10);
    const max = h.count > 0 ? late(h.max) : 0;
    this.worst = Math.max(this.worst, max);
    return {
      windowSeconds: WINDOW_MS / 1000,
      p50: h.count > 0 ? late(h.percentile(50)) : 0,
      p99: h.count > 0 ? late(h.percentile(99)) : 0,
      max,
      maxSinceStart: this.worst,
    };
  }
}

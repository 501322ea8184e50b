/**
 * A probe the benches load into the daemon under test with `node --import` (nothing of
 * it is in src/: the daemon has no event-loop lag or GC figures of its own yet), so that
 * they can see stalls from inside the process:
 *
 * - event-loop lag: `monitorEventLoopDelay` (a 10 ms timer; Node records each interval
 *   between two firings, so the 10 ms are subtracted here: a sample is how late the timer
 *   fired, and a loop blocked for 300 ms shows as one sample of ~290 ms);
 * - garbage collection: every pause the `gc` performance entries report, by kind;
 * - CPU of the process (`process.cpuUsage`) and its memory;
 * - with SIPPROT_BENCH_PROFILE=1, a V8 CPU profile (1 ms sampling) through the in-process
 *   inspector, per period.
 *
 * - with SIPPROT_BENCH_TRACE=1, the main thread's timeline (bench/lag-trace.mjs: lag samples,
 *   GC pauses, callbacks, the wait for a core) per period, DIR/trace-N.json, for
 *   bench/lag-attribution.ts.
 *
 * Active only when SIPPROT_BENCH_PROBE=DIR is set. Each SIGUSR2 closes a period: it writes
 * DIR/probe-N.json (and DIR/profile-N.cpuprofile when profiling) and starts the next one.
 * The signal is handled on the event loop, so a report comes once the loop is free.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import { startLagTrace } from '../lag-trace.mjs';

const dir = process.env.SIPPROT_BENCH_PROBE;
if (dir) start(dir, process.env.SIPPROT_BENCH_PROFILE === '1', process.env.SIPPROT_BENCH_TRACE === '1');

function start(out, profile, tracing) {
  let trace = tracing ? startLagTrace() : null;
  const RESOLUTION_MS = 10;
  const lag = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  lag.enable();
  const kinds = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb', 15: 'all' };
  let gc = newGc();
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = kinds[e.detail?.kind ?? e.kind] ?? 'other';
      gc.count++;
      gc.totalMs += e.duration;
      gc.maxMs = Math.max(gc.maxMs, e.duration);
      if (!gc.byKind[kind]) gc.byKind[kind] = { count: 0, totalMs: 0, maxMs: 0 };
      const k = gc.byKind[kind];
      k.count++;
      k.totalMs += e.duration;
      k.maxMs = Math.max(k.maxMs, e.duration);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  let session = null;
  if (profile) {
    session = new Session();
    session.connect();
    session.post('Profiler.enable');
    session.post('Profiler.setSamplingInterval', { interval: 1000 });
    session.post('Profiler.start');
  }
  // When the first profile began, on the process's clock (performance.now(): 0 = the
  // process's start): a profile's samples then line up with the daemon's start phases.
  let profileOriginMs = performance.now();
  let seq = 0;
  let from = Date.now();
  let cpu = process.cpuUsage();
  process.on('SIGUSR2', () => {
    const n = ++seq;
    const ms = (ns) => Math.max(0, Math.round((ns / 1e6 - RESOLUTION_MS) * 100) / 100);
    const c = process.cpuUsage(cpu);
    const report = {
      seq: n,
      fromMs: from,
      toMs: Date.now(),
      lagMs: {
        count: lag.count,
        min: ms(lag.min),
        mean: ms(lag.mean),
        p50: ms(lag.percentile(50)),
        p90: ms(lag.percentile(90)),
        p99: ms(lag.percentile(99)),
        p999: ms(lag.percentile(99.9)),
        max: ms(lag.max),
      },
      gc: { ...gc, totalMs: Math.round(gc.totalMs), maxMs: Math.round(gc.maxMs * 10) / 10 },
      cpuMs: { user: c.user / 1000, system: c.system / 1000 },
      memory: process.memoryUsage(),
      maxRssKb: process.resourceUsage().maxRSS,
      profileOriginMs,
    };
    lag.reset();
    if (trace) {
      writeFileSync(join(out, `trace-${n}.json`), JSON.stringify(trace.stop()));
      trace = startLagTrace();
    }
    gc = newGc();
    from = Date.now();
    cpu = process.cpuUsage();
    const write = () => writeFileSync(join(out, `probe-${n}.json`), `${JSON.stringify(report)}\n`);
    if (!session) return write();
    session.post('Profiler.stop', (err, res) => {
      if (!err) writeFileSync(join(out, `profile-${n}.cpuprofile`), JSON.stringify(res.profile));
      session.post('Profiler.start');
      profileOriginMs = performance.now();
      write();
    });
  });
}

function newGc() {
  return { count: 0, totalMs: 0, maxMs: 0, byKind: {} };
}

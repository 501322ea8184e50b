/**
 * A timeline of the main thread for issue 13 target 4 (event-loop lag p99 ≤ 5 ms in a
 * flood): what the loop did while a lag sample was late. Plain JS so that both the daemon
 * under the live flood (bench/live/probe.mjs, loaded with `node --import`) and the
 * in-process daemon-path bench can record it; bench/lag-attribution.ts reads it.
 *
 * Recorded, each with performance.now() times (ms):
 * - samples: a 10 ms timer armed the way the daemon's own sampler is (src/daemon/loop-lag.ts:
 *   setTimeout, unref, `due` = now + 10 at arming, re-armed when it fires): due and fired;
 *   with the main thread's schedstat (ns on a core, ns runnable but waiting for one) read
 *   when it fires and at the last callback edge before `due` (the edges within EDGE_MS of
 *   it), so a late sample's wait for a core is the difference of two readings ~at its ends;
 * - GC pauses (perf_hooks 'gc' entries): start, duration, kind (1 scavenge, 2 mark-compact,
 *   4 incremental marking, 8 weak callbacks);
 * - spans: every top-level callback the loop ran (async_hooks before/after at depth 0), with
 *   a label: `timer <fn>` / `immediate <fn>` (the callback's first characters), the handle's
 *   class for I/O (Pipe, TCP, MessagePort, FSReqCallback…), `native` for an addon's
 *   napi_make_callback (in sipprotd: the capture's wake-up), `promise`, `tick`.
 *
 * Cost: two hooks a callback and a promise (async_hooks), ~12 µs a schedstat read, 100 to
 * ~300 reads a second. bench/lag-attribution.ts prints the p99 with and without spans
 * recorded beside each other when asked (`--no-spans`), so the cost is measured, not assumed.
 */
import { createHook, executionAsyncResource } from 'node:async_hooks';
import { openSync, readSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';

const INTERVAL_MS = 10;
/** Callback edges this close before a sample's due time read schedstat. */
const EDGE_MS = 3;

export function startLagTrace(opts = {}) {
  const spansOn = opts.spans !== false;
  const samples = []; // [due, fired, runBefore, waitBefore, runAt, waitAt] (ms, ns)
  const gcs = []; // [start, ms, kind]
  const spans = []; // [start, end, label index]
  const labels = [];
  const labelIx = new Map();
  let fd = -1;
  try {
    fd = openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    // not Linux: no wait figures
  }
  const buf = Buffer.alloc(96);
  const sched = [0, 0];
  const readSched = () => {
    if (fd < 0) return;
    const n = readSync(fd, buf, 0, buf.length, 0);
    const s = buf.toString('latin1', 0, n).split(' ');
    sched[0] = Number(s[0]);
    sched[1] = Number(s[1]);
  };
  let due = 0;
  let edge = [0, 0, 0]; // the last reading before due: [t, run, wait]
  let timer = null;
  let stopped = false;
  const nearDue = (t) => {
    if (t < due && t >= due - EDGE_MS) {
      readSched();
      edge = [t, sched[0], sched[1]];
    }
  };
  const arm = () => {
    due = performance.now() + INTERVAL_MS;
    timer = setTimeout(fire, INTERVAL_MS);
    timer.unref();
  };
  const fire = () => {
    if (stopped) return;
    const t = performance.now();
    readSched();
    samples.push([due, t, edge[1], edge[2], sched[0], sched[1], edge[0]]);
    edge = [t, sched[0], sched[1]];
    arm();
  };
  readSched();
  edge = [performance.now(), sched[0], sched[1]];
  arm();
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push([e.startTime, e.duration, e.detail?.kind ?? 0]);
  });
  obs.observe({ entryTypes: ['gc'] });

  const labelOf = (r) => {
    let key;
    if (r === undefined || r === null) key = 'other';
    else if (typeof r._onTimeout === 'function') key = `timer ${fnText(r._onTimeout)}`;
    else if (typeof r._onImmediate === 'function') key = `immediate ${fnText(r._onImmediate)}`;
    else if (r instanceof Promise) key = 'promise';
    else {
      const c = r.constructor?.name ?? '';
      key = c === 'Object' || c === '' ? 'native' : c === 'TickObject' ? 'tick' : c;
    }
    let ix = labelIx.get(key);
    if (ix === undefined) {
      ix = labels.length;
      labels.push(key);
      labelIx.set(key, ix);
    }
    return ix;
  };
  let depth = 0;
  let spanStart = 0;
  let spanLabel = 0;
  const hook = spansOn
    ? createHook({
        before() {
          if (depth++ !== 0) return;
          spanStart = performance.now();
          nearDue(spanStart);
          spanLabel = labelOf(executionAsyncResource());
        },
        after() {
          // Enabled inside a callback (the probe's SIGUSR2), its `after` comes without a `before`.
          if (depth === 0 || --depth !== 0) return;
          const end = performance.now();
          spans.push([spanStart, end, spanLabel]);
          nearDue(end);
        },
      })
    : null;
  hook?.enable();
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      hook?.disable();
      obs.disconnect();
      return {
        timeOrigin: performance.timeOrigin,
        intervalMs: INTERVAL_MS,
        schedstat: fd >= 0,
        spansRecorded: spansOn,
        samples,
        gcs,
        spans,
        labels,
      };
    },
  };
}

const texts = new WeakMap();
/** A callback's name, or its first characters (an arrow has no name). */
function fnText(f) {
  let t = texts.get(f);
  if (t === undefined) {
    t = f.name || String(f).replace(/\s+/g, ' ').slice(0, 48);
    texts.set(f, t);
  }
  return t;
}

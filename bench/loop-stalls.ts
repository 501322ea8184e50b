/**
 * What held the event loop, turn by turn (issue 13 target 4: lag p99 ≤ 5 ms during a
 * flood). A V8 profile alone cannot say it during a flood: the loop never idles (the
 * capture's drain keeps an immediate queued), so "stretches without idle" are the whole
 * run. Here a 1 ms JavaScript interval records when it really fired (process.hrtime, the
 * clock V8's profile timestamps use) and every GC pause (perf_hooks); a gap between two
 * firings longer than the threshold is a stall, and the profile's samples inside that
 * gap say what ran in it (inclusive: a function counts once per sample it is on the
 * stack of). Used by bench/daemon-path.bench.ts --stalls.
 */
import { readFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { type ProfileNode, stackResolver } from './cpu-profile.js';

export interface StallWatch {
  /** hrtime µs of each firing of the 1 ms interval. */
  ticks: number[];
  /** GC pauses: [start hrtime µs, ms, kind]. */
  gcs: Array<[number, number, number]>;
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

export function watchStalls(): { stop(): StallWatch } {
  const w: StallWatch = { ticks: [], gcs: [] };
  // performance.now() (GC entries) → hrtime µs.
  const offsetUs = nowUs() - performance.now() * 1000;
  const t = setInterval(() => w.ticks.push(nowUs()), 1);
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = (e as { detail?: { kind?: number } }).detail?.kind ?? 0;
      w.gcs.push([e.startTime * 1000 + offsetUs, e.duration, kind]);
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  return {
    stop() {
      clearInterval(t);
      obs.disconnect();
      return w;
    },
  };
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

function keyOf(f: ProfileNode['callFrame']): string {
  const file = f.url.replace(/^file:\/\/.*?\/(src|bench|node_modules|dist)\//, '$1/').replace(/^node:/, '');
  return `${f.functionName || '(anon)'} ${file}${f.lineNumber > 0 ? `:${f.lineNumber + 1}` : ''}`.trim();
}

/** Frames on every path of a drain or a timer: they say nothing about a stall. */
const PLUMBING =
  /^(\(root\)|\(program\)|processImmediate |processTimers |listOnTimeout |drain dist\/capture|drainFor |\(anon\) dist\/capture\/live|\(anon\) dist\/daemon\/inputs|onFrame dist\/daemon\/packet-walk|judge dist\/daemon\/pipeline)/;

/**
 * Gaps between firings ≥ `minMs`: a histogram of their lengths, and with a profile the
 * functions inside the longest `n` and inside all of them together.
 */
export function stallReport(w: StallWatch, profileFile: string | null, minMs: number, n: number): string[] {
  const gaps: Array<{ from: number; to: number; ms: number }> = [];
  for (let i = 1; i < w.ticks.length; i++) {
    const ms = (w.ticks[i]! - w.ticks[i - 1]!) / 1000;
    if (ms >= minMs) gaps.push({ from: w.ticks[i - 1]!, to: w.ticks[i]!, ms });
  }
  const out: string[] = [];
  const lens = gaps.map((g) => g.ms).sort((a, b) => a - b);
  const all = w.ticks
    .slice(1)
    .map((t, i) => (t - w.ticks[i]!) / 1000)
    .sort((a, b) => a - b);
  const pct = (p: number) => all[Math.min(all.length - 1, Math.floor((p / 100) * all.length))] ?? 0;
  out.push(
    `loop turns seen by a 1 ms timer: ${all.length.toLocaleString('en')}, gap p50 ${pct(50).toFixed(1)} / p99 ${pct(99).toFixed(1)} / p99.9 ${pct(99.9).toFixed(1)} / max ${(all.at(-1) ?? 0).toFixed(1)} ms; ` +
      `${gaps.length} gaps ≥ ${minMs} ms (${(lens.reduce((a, b) => a + b, 0) / 1000).toFixed(2)} s)`,
  );
  const gcIn = (g: { from: number; to: number }) =>
    w.gcs.filter(([s]) => s >= g.from && s < g.to).reduce((a, [, d]) => a + d, 0);
  const gcAll = gaps.reduce((a, g) => a + gcIn(g), 0);
  out.push(`  GC pauses inside those gaps: ${gcAll.toFixed(0)} ms`);
  if (!profileFile) return out;
  const p = JSON.parse(readFileSync(profileFile, 'utf8')) as Profile;
  const stackOf = stackResolver(p.nodes, keyOf);
  // Sample times (µs, the hrtime clock), in order.
  const times: number[] = [];
  let t = p.startTime;
  for (const d of p.timeDeltas) {
    t += d;
    times.push(t);
  }
  const inGap = (g: { from: number; to: number }, into: Map<string, number>) => {
    let lo = 0;
    let hi = times.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid]! < g.from) lo = mid + 1;
      else hi = mid;
    }
    let count = 0;
    for (let i = lo; i < times.length && times[i]! < g.to; i++) {
      count++;
      for (const k of stackOf(p.samples[i]!)) into.set(k, (into.get(k) ?? 0) + 1);
    }
    return count;
  };
  const top = (m: Map<string, number>, total: number, k: number) =>
    [...m.entries()]
      .filter(([key]) => !PLUMBING.test(key))
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([key, c]) => `${key} ${((c / Math.max(1, total)) * 100).toFixed(0)}%`)
      .join(', ');
  const sum = new Map<string, number>();
  let samples = 0;
  for (const g of gaps) samples += inGap(g, sum);
  out.push(`  inside all gaps (${samples} samples): ${top(sum, samples, 16)}`);
  for (const g of [...gaps].sort((a, b) => b.ms - a.ms).slice(0, n)) {
    const m = new Map<string, number>();
    const c = inGap(g, m);
    out.push(
      `  ${g.ms.toFixed(1)} ms at +${((g.from - p.startTime) / 1e6).toFixed(2)} s (GC ${gcIn(g).toFixed(1)} ms, ${c} samples): ${top(m, c, 7)}`,
    );
  }
  return out;
}

/**
 * What allocates on the packet path: V8's sampling heap profiler over the feed, objects
 * that died in a scavenge or a full GC included (every young object a message makes is
 * what fills the semi-space and sets the scavenges' pace); with ALLOC_SURVIVORS=1 only
 * what outlived its first scavenge (what a scavenge copies: its pause). Written to `file`.
 */
export async function sampleAllocations(file: string): Promise<{ stop(): Promise<void> }> {
  const { Session } = await import('node:inspector');
  const { writeFileSync } = await import('node:fs');
  const s = new Session();
  s.connect();
  const post = (m: string, p?: object) =>
    new Promise<unknown>((res, rej) => s.post(m, p ?? {}, (e, r) => (e ? rej(e) : res(r))));
  await post('HeapProfiler.enable');
  await post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: process.env.ALLOC_SURVIVORS !== '1',
  });
  return {
    async stop() {
      const r = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
      writeFileSync(file, JSON.stringify(r.profile));
      s.disconnect();
    },
  };
}

interface AllocNode {
  callFrame: ProfileNode['callFrame'];
  selfSize: number;
  children: AllocNode[];
}

/** Bytes allocated by function (self), the top `n`, per message. */
export function allocationReport(file: string, messages: number, n: number): string[] {
  const p = JSON.parse(readFileSync(file, 'utf8')) as { head: AllocNode };
  const self = new Map<string, number>();
  const walk = (x: AllocNode) => {
    const k = keyOf(x.callFrame);
    self.set(k, (self.get(k) ?? 0) + x.selfSize);
    for (const c of x.children) walk(c);
  };
  walk(p.head);
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  return [
    `allocated ${(total / 2 ** 20).toFixed(0)} MB sampled, ${(total / messages).toFixed(0)} B a message; by function (self):`,
    ...[...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(
        ([k, v]) =>
          `  ${(v / messages).toFixed(0).padStart(6)} B/msg ${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`,
      ),
  ];
}

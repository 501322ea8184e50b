/**
 * What the event-loop lag's late samples are made of (issue 13 target 4: p99 ≤ 5 ms in a
 * flood). Reads a timeline from bench/lag-trace.mjs (the daemon-path bench's `--trace`, the
 * live flood bench's `--trace`, or files given here) and, for every sample later than the
 * threshold, splits its lateness (from when the timer was due to when it fired) into:
 *
 * - wait: the main thread runnable but not on a core (its schedstat between the last
 *   reading before `due` and the firing; ≤ 3 ms of the interval before `due` may count, so
 *   this leans high), taken out of each part below in proportion;
 * - scavenge / mark-compact / other GC: the GC pauses inside the interval;
 * - each callback label (its time inside the interval, its GC pauses taken out);
 * - uncovered: time in no recorded callback (libuv, microtasks of no hook, the kernel).
 *
 * Each late sample is counted once under its largest part ("dominant"), and once under every
 * part whose removal alone would have brought it to the threshold ("sufficient"). Prints the
 * samples' percentiles, the parts summed over the late samples, the GC pauses and the
 * longest callbacks by label.
 *
 *   node --import tsx bench/lag-attribution.ts [--threshold 5] TRACE.json...
 */
import { readFileSync } from 'node:fs';

export interface LagTrace {
  timeOrigin: number;
  intervalMs: number;
  schedstat: boolean;
  spansRecorded: boolean;
  /** [due, fired, run ns, wait ns at the reading before due, run ns, wait ns at firing, reading's time]. */
  samples: number[][];
  /** [start, ms, kind]. */
  gcs: number[][];
  /** [start, end, label index]. */
  spans: number[][];
  labels: string[];
}

/** Labels shown together: the capture's slices and the daemon-path feed are one cause each. */
export type LabelGroup = (label: string) => string;

const GC_KIND: Record<number, string> = {
  1: 'scavenge',
  2: 'mark-compact',
  4: 'GC incremental',
  8: 'GC weak callbacks',
};

export function defaultGroup(label: string): string {
  if (label === 'native' || label.includes('this.drain(')) return 'capture slice';
  if (label === 'tick') return 'nextTick';
  return label;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function overlap(a0: number, a1: number, b0: number, b1: number): number {
  return Math.max(0, Math.min(a1, b1) - Math.max(a0, b0));
}

export interface Attribution {
  samples: number;
  late: number[];
  lateCount: number;
  /** Summed ms over the late samples, by part. */
  parts: Map<string, number>;
  dominant: Map<string, number>;
  sufficient: Map<string, number>;
}

export function attribute(t: LagTrace, thresholdMs = 5, group: LabelGroup = defaultGroup): Attribution {
  const gcs = [...t.gcs].sort((a, b) => a[0]! - b[0]!);
  const spans = t.spans; // in order of their end; starts are ordered too (depth 0)
  const late = t.samples.map((s) => Math.max(0, s[1]! - s[0]!));
  const parts = new Map<string, number>();
  const dominant = new Map<string, number>();
  const sufficient = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  let lateCount = 0;
  let si = 0;
  let gi = 0;
  for (const s of [...t.samples].sort((a, b) => a[0]! - b[0]!)) {
    const [due, fired] = [s[0]!, s[1]!];
    const ms = fired - due;
    if (ms <= thresholdMs) continue;
    lateCount++;
    const mine = new Map<string, number>();
    // GC pauses in [due, fired]
    while (gi < gcs.length && gcs[gi]![0]! + gcs[gi]![1]! < due - 1000) gi++;
    const gcIn: number[][] = [];
    for (let i = gi; i < gcs.length && gcs[i]![0]! < fired; i++) {
      const g = gcs[i]!;
      const o = overlap(due, fired, g[0]!, g[0]! + g[1]!);
      if (o <= 0) continue;
      gcIn.push(g);
      add(mine, GC_KIND[g[2]!] ?? `GC kind ${g[2]}`, o);
    }
    // callbacks in [due, fired], their GC taken out
    while (si < spans.length && spans[si]![1]! < due) si++;
    for (let i = si; i < spans.length && spans[i]![0]! < fired; i++) {
      const sp = spans[i]!;
      const a = Math.max(due, sp[0]!);
      const b = Math.min(fired, sp[1]!);
      if (b <= a) continue;
      let o = b - a;
      for (const g of gcIn) o -= overlap(a, b, g[0]!, g[0]! + g[1]!);
      o = Math.max(0, o);
      add(mine, group(t.labels[sp[2]!] ?? '?'), o);
    }
    {
      let sum = 0;
      for (const v of mine.values()) sum += v;
      if (ms - sum > 0.001) add(mine, t.spansRecorded ? 'uncovered' : 'not GC (no spans recorded)', ms - sum);
    }
    // the wait for a core, taken out of every part in proportion
    let total = 0;
    for (const v of mine.values()) total += v;
    const wait = t.schedstat ? Math.min(ms, Math.max(0, (s[5]! - s[3]!) / 1e6)) : 0;
    const scale = total > 0 ? (ms - wait) / total : 0;
    for (const [k, v] of mine) mine.set(k, v * scale);
    if (wait > 0) mine.set('wait for a core', wait);
    let best = '';
    let bestMs = -1;
    for (const [k, v] of mine) {
      add(parts, k, v);
      if (v > bestMs) [best, bestMs] = [k, v];
      if (ms - v <= thresholdMs) add(sufficient, k, 1);
    }
    add(dominant, best || 'nothing recorded', 1);
  }
  return { samples: t.samples.length, late, lateCount, parts, dominant, sufficient };
}

/** The report's lines. */
export function attributionReport(t: LagTrace, thresholdMs = 5, group: LabelGroup = defaultGroup): string[] {
  const a = attribute(t, thresholdMs, group);
  const sorted = [...a.late].sort((x, y) => x - y);
  const out: string[] = [];
  out.push(
    `lag samples ${a.samples.toLocaleString('en')} (10 ms timer as the daemon's): late p50 ${pct(sorted, 50).toFixed(1)} / p90 ${pct(sorted, 90).toFixed(1)} / p99 ${pct(sorted, 99).toFixed(1)} / max ${(sorted.at(-1) ?? 0).toFixed(1)} ms; ` +
      `${a.lateCount} over ${thresholdMs} ms (${((100 * a.lateCount) / Math.max(1, a.samples)).toFixed(2)}%)` +
      (t.spansRecorded ? '' : ' [spans not recorded]') +
      (t.schedstat ? '' : ' [no schedstat: wait for a core unknown]'),
  );
  const lateMs = [...a.parts.values()].reduce((x, y) => x + y, 0);
  const rows = [...a.parts.entries()].sort((x, y) => y[1] - x[1]);
  out.push(
    `  late samples' time by part (${lateMs.toFixed(0)} ms in all): share of time, dominant in, alone would cut:`,
  );
  for (const [k, v] of rows.slice(0, 12)) {
    const d = a.dominant.get(k) ?? 0;
    const c = a.sufficient.get(k) ?? 0;
    out.push(
      `    ${((100 * v) / Math.max(1e-9, lateMs)).toFixed(1).padStart(5)}%  ${String(d).padStart(4)} (${((100 * d) / Math.max(1, a.lateCount)).toFixed(0).padStart(3)}%)  ${String(c).padStart(4)} (${((100 * c) / Math.max(1, a.lateCount)).toFixed(0).padStart(3)}%)  ${k}`,
    );
  }
  // GC pauses by kind
  const byKind = new Map<string, number[]>();
  for (const g of t.gcs) {
    const k = GC_KIND[g[2]!] ?? `kind ${g[2]}`;
    const l = byKind.get(k) ?? [];
    l.push(g[1]!);
    byKind.set(k, l);
  }
  out.push(
    `  GC pauses: ${[...byKind.entries()]
      .map(([k, l]) => {
        l.sort((x, y) => x - y);
        return `${k} ${l.length} (${l.reduce((x, y) => x + y, 0).toFixed(0)} ms, p50 ${pct(l, 50).toFixed(1)}, p99 ${pct(l, 99).toFixed(1)}, max ${(l.at(-1) ?? 0).toFixed(1)})`;
      })
      .join('; ')}`,
  );
  if (t.spansRecorded) {
    const byLabel = new Map<string, number[]>();
    for (const sp of t.spans) {
      const k = group(t.labels[sp[2]!] ?? '?');
      const l = byLabel.get(k) ?? [];
      l.push(sp[1]! - sp[0]!);
      byLabel.set(k, l);
    }
    const longest = [...byLabel.entries()]
      .map(([k, l]) => {
        l.sort((x, y) => x - y);
        return {
          k,
          n: l.length,
          sum: l.reduce((x, y) => x + y, 0),
          p99: pct(l, 99),
          max: l.at(-1) ?? 0,
          over: l.filter((x) => x > thresholdMs).length,
        };
      })
      .sort((x, y) => y.sum - x.sum)
      .slice(0, 8);
    out.push('  callbacks by label (GC inside included): count, total, p99, max, over the threshold:');
    for (const r of longest)
      out.push(
        `    ${String(r.n).padStart(7)}  ${r.sum.toFixed(0).padStart(6)} ms  p99 ${r.p99.toFixed(1).padStart(5)}  max ${r.max.toFixed(1).padStart(6)}  ${String(r.over).padStart(4)}  ${r.k}`,
      );
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  let threshold = 5;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--threshold') threshold = Number(args[++i]);
    else files.push(args[i]!);
  }
  for (const f of files) {
    console.log(f);
    for (const l of attributionReport(JSON.parse(readFileSync(f, 'utf8')) as LagTrace, threshold))
      console.log(l);
  }
}

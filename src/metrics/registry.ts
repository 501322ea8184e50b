/**
 * A small Prometheus registry and text exposition writer (format 0.0.4), ~150 lines
 * instead of prom-client. Why our own (issue 15 item 3):
 * - the live path counts per packet and per SIP message; here a hot counter is a handle
 *   (`counter.labels('INVITE')`) holding a number, so an increment is one addition with no
 *   label hashing or object allocation, where prom-client hashes the label object on every
 *   `inc({...})` call;
 * - most values are read at scrape time from parts that already count (capture, engine,
 *   nft counters, the store): a `collect` callback sets them, nothing runs between scrapes;
 * - label values can come from the network (a SIP method): escaping and cardinality are
 *   ours to bound (callers map unknown values to "other"), and the writer is tested here;
 * - no dependency to pin, audit and ship in the .deb.
 * Metric and label names are checked once at definition; label values are escaped as the
 * format says (backslash, double quote, newline).
 */

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

type Kind = 'counter' | 'gauge' | 'histogram';

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function number(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

abstract class Metric<S> {
  protected readonly series = new Map<string, { values: string[]; s: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly kind: Kind,
    readonly labelNames: readonly string[],
  ) {
    if (!NAME.test(name)) throw new Error(`bad metric name ${name}`);
    for (const l of labelNames) if (!LABEL.test(l) || l === 'le') throw new Error(`bad label ${l}`);
  }

  protected abstract fresh(): S;

  /** The series of these label values (created at first use; keep the handle on hot paths). */
  labels(...values: string[]): S {
    if (values.length !== this.labelNames.length) {
      throw new Error(`${this.name} takes ${this.labelNames.length} label values`);
    }
    const key = values.join('\u0000');
    let e = this.series.get(key);
    if (!e) {
      e = { values, s: this.fresh() };
      this.series.set(key, e);
    }
    return e.s;
  }

  /** Forgets every series (gauges that are rebuilt at each collect). */
  clear(): void {
    this.series.clear();
  }

  protected labelText(values: readonly string[], extra = ''): string {
    const parts = this.labelNames.map((n, i) => `${n}="${escapeLabel(values[i]!)}"`);
    if (extra) parts.push(extra);
    return parts.length ? `{${parts.join(',')}}` : '';
  }

  render(): string {
    let out = `# HELP ${this.name} ${escapeHelp(this.help)}\n# TYPE ${this.name} ${this.kind}\n`;
    for (const { values, s } of this.series.values()) out += this.lines(values, s);
    return out;
  }

  protected abstract lines(values: readonly string[], s: S): string;
}

export interface Value {
  value: number;
}

/** Only goes up (a restart starts again at 0; Prometheus' rate() knows resets). */
export class Counter extends Metric<Value> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, 'counter', labelNames);
  }
  protected fresh(): Value {
    return { value: 0 };
  }
  inc(n = 1, ...values: string[]): void {
    this.labels(...values).value += n;
  }
  /** Sets a counter that something else counts (read at scrape time; never lowered here). */
  set(n: number, ...values: string[]): void {
    this.labels(...values).value = n;
  }
  protected lines(values: readonly string[], s: Value): string {
    return `${this.name}${this.labelText(values)} ${number(s.value)}\n`;
  }
}

export class Gauge extends Metric<Value> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, 'gauge', labelNames);
  }
  protected fresh(): Value {
    return { value: 0 };
  }
  set(n: number, ...values: string[]): void {
    this.labels(...values).value = n;
  }
  protected lines(values: readonly string[], s: Value): string {
    return `${this.name}${this.labelText(values)} ${number(s.value)}\n`;
  }
}

export interface Buckets {
  counts: Float64Array;
  sum: number;
  count: number;
}

/** Cumulative buckets, as Prometheus wants them; `observe` is a short scan, no allocation. */
export class Histogram extends Metric<Buckets> {
  readonly bounds: readonly number[];

  constructor(name: string, help: string, bounds: readonly number[], labelNames: readonly string[] = []) {
    super(name, help, 'histogram', labelNames);
    this.bounds = [...bounds].sort((a, b) => a - b);
  }
  protected fresh(): Buckets {
    return { counts: new Float64Array(this.bounds.length), sum: 0, count: 0 };
  }
  observe(v: number, ...values: string[]): void {
    observeInto(this.labels(...values), this.bounds, v);
  }
  protected lines(values: readonly string[], s: Buckets): string {
    let out = '';
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += s.counts[i]!;
      out += `${this.name}_bucket${this.labelText(values, `le="${number(this.bounds[i]!)}"`)} ${cumulative}\n`;
    }
    out += `${this.name}_bucket${this.labelText(values, 'le="+Inf"')} ${s.count}\n`;
    out += `${this.name}_sum${this.labelText(values)} ${number(s.sum)}\n`;
    out += `${this.name}_count${this.labelText(values)} ${s.count}\n`;
    return out;
  }
}

/** One observation into a series' buckets (exported for hot paths that hold the series). */
export function observeInto(b: Buckets, bounds: readonly number[], v: number): void {
  b.sum += v;
  b.count++;
  for (let i = 0; i < bounds.length; i++) {
    if (v <= bounds[i]!) {
      b.counts[i]!++;
      return;
    }
  }
}

export class Registry {
  private readonly metrics: Array<Metric<unknown>> = [];
  private readonly collectors: Array<() => void | Promise<void>> = [];

  add<M extends Counter | Gauge | Histogram>(m: M): M {
    if (this.metrics.some((x) => x.name === m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.metrics.push(m as Metric<unknown>);
    return m;
  }

  /** Runs before every render: sets what is read at scrape time. */
  onCollect(fn: () => void | Promise<void>): void {
    this.collectors.push(fn);
  }

  names(): string[] {
    return this.metrics.map((m) => m.name);
  }

  /** Every family with its type and label names (the dashboard test checks queries against them). */
  families(): Array<{ name: string; kind: Kind; labels: readonly string[] }> {
    return this.metrics.map((m) => ({ name: m.name, kind: m.kind, labels: m.labelNames }));
  }

  /** The exposition text; a collector that fails leaves its metrics as they were. */
  async render(): Promise<string> {
    for (const c of this.collectors) {
      try {
        await c();
      } catch {
        // one broken source must not take the whole scrape down
      }
    }
    return this.metrics.map((m) => m.render()).join('');
  }
}

/** The media type of the text exposition format. */
export const EXPOSITION_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/**
 * Geo-IP benchmarks. Run: node --expose-gc --import tsx bench/geo.bench.ts
 * Prints one line per result. Bounded: fixed counts, the shipped table, no network.
 *
 * 1. load of the shipped table (read + gunzip + typed-array views + structure check)
 * 2. memory of the loaded table
 * 3. lookups: IPv4 text, IPv6 text, IPv4 bytes (1M random addresses each; IPv6 ones
 *    drawn from allocated ranges, where attackers come from)
 * 4. rangesFor('US'): time and nft element count (and the CIDR-only count)
 * 5. the update path: the whole table as CSV text (~23 MB) → parse → flatten → table
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseGeoCsvAny } from '../src/core/geoip/csv.js';
import { GeoTable } from '../src/core/geoip/table.js';
import { checkGeoUpdate } from '../src/core/geoip/validate.js';
import { formatBigint } from '../src/core/net/ip-range.js';
import { readTableFile, SHIPPED_TABLE } from '../src/geoip/files.js';

const gc = (globalThis as { gc?: () => void }).gc;
const line = (name: string, value: string) => process.stdout.write(`geo ${name}: ${value}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

let seed = 4242;
function rand32(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  const hi = seed >>> 16;
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return ((hi << 16) | (seed >>> 16)) >>> 0;
}

line(
  'machine',
  `${cpus().length} cores, load average ${loadavg()[0]?.toFixed(2)} at start (wall times below include the neighbours)`,
);

// 1. Load, 2. Memory ----------------------------------------------------------------
gc?.();
const ab0 = process.memoryUsage().arrayBuffers;
let t = performance.now();
const { table, meta } = await readTableFile(SHIPPED_TABLE);
const firstLoad = performance.now() - t;
gc?.();
const ab1 = process.memoryUsage().arrayBuffers;
const loads: number[] = [];
for (let i = 0; i < 5; i++) {
  t = performance.now();
  await readTableFile(SHIPPED_TABLE);
  loads.push(performance.now() - t);
}
line(
  'load',
  `first ${firstLoad.toFixed(1)} ms, then median ${median(loads).toFixed(1)} ms (${meta.source}, ${meta.date}, ${table.v4Ranges} IPv4 + ${table.v6Ranges} IPv6 ranges)`,
);
line(
  'memory',
  `${(table.byteLength / 1e6).toFixed(2)} MB of typed arrays (${table.v4Starts.length} IPv4 + ${table.v6Country.length} IPv6 segments, 2 x 256 kB index); ` +
    `arrayBuffers +${((ab1 - ab0) / 1e6).toFixed(2)} MB after load${gc ? '' : ' (run with --expose-gc for a clean figure)'}`,
);

// 3. Lookups ----------------------------------------------------------------------
const N = 1_000_000;
const v4Text = Array.from({ length: N }, () => formatBigint(BigInt(rand32()), 4));
// IPv6 attackers come from allocated space: a random address inside a random range.
const ranges6 = table.toRanges(6);
const v6Text = Array.from({ length: N }, () => {
  const r = ranges6[rand32() % ranges6.length] as (typeof ranges6)[number];
  const span = r.end - r.start + 1n;
  const off =
    ((BigInt(rand32()) << 96n) | (BigInt(rand32()) << 64n) | (BigInt(rand32()) << 32n) | BigInt(rand32())) %
    span;
  return formatBigint(r.start + off, 6);
});
const v4Bytes = Array.from({ length: N }, () => {
  const x = rand32();
  return Uint8Array.of(x >>> 24, (x >>> 16) & 255, (x >>> 8) & 255, x & 255);
});
// Lookups are timed in CPU time of this process: on a shared 2-core machine wall time
// mostly measures the neighbours. One loop per input type keeps the call site
// monomorphic, as in the daemon.
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
function textRate(name: string, inputs: string[]) {
  let hits = 0;
  for (let i = 0; i < 100_000; i++) if (table.country(inputs[i] as string)) hits++;
  // First pass: strings built by formatting are ropes that V8 flattens on first read,
  // as a freshly formatted address in the daemon would be; second pass: flat strings.
  const times: number[] = [];
  for (let pass = 0; pass < 2; pass++) {
    hits = 0;
    const s = cpuMs();
    for (let i = 0; i < N; i++) if (table.country(inputs[i] as string)) hits++;
    times.push(cpuMs() - s);
  }
  const [first, second] = times as [number, number];
  line(
    `lookup ${name}`,
    `${(N / second / 1000).toFixed(2)} M/s, ${((second * 1e6) / N).toFixed(0)} ns each ` +
      `(${((first * 1e6) / N).toFixed(0)} ns on first touch of each string; ${((hits / N) * 100).toFixed(0)}% had a country)`,
  );
}
function bytesRate(name: string, inputs: Uint8Array[]) {
  let hits = 0;
  for (let i = 0; i < 100_000; i++) if (table.country(inputs[i] as Uint8Array)) hits++;
  hits = 0;
  const s = cpuMs();
  for (let i = 0; i < N; i++) if (table.country(inputs[i] as Uint8Array)) hits++;
  const ms = cpuMs() - s;
  line(
    `lookup ${name}`,
    `${(N / ms / 1000).toFixed(2)} M/s, ${((ms * 1e6) / N).toFixed(0)} ns each (${((hits / N) * 100).toFixed(0)}% had a country)`,
  );
}
textRate('IPv4 text', v4Text);
textRate('IPv6 text', v6Text);
bytesRate('IPv4 bytes', v4Bytes);

// 4. rangesFor --------------------------------------------------------------------
table.rangesFor(['DE']); // warm-up
t = performance.now();
const us = table.rangesFor(['US']);
const usMs = performance.now() - t;
const cidrs = table.cidrsFor(['US']);
line(
  "rangesFor('US')",
  `${usMs.toFixed(0)} ms, ${us.v4.length} IPv4 + ${us.v6.length} IPv6 nft elements (as CIDRs only: ${cidrs.v4.length} + ${cidrs.v6.length})`,
);

// 5. Update path ------------------------------------------------------------------
const csv = [
  ...table.toRanges(4).map((r) => `${formatBigint(r.start, 4)},${formatBigint(r.end, 4)},${r.country}`),
  ...table.toRanges(6).map((r) => `${formatBigint(r.start, 6)},${formatBigint(r.end, 6)},${r.country}`),
].join('\n');
t = performance.now();
const parsed = parseGeoCsvAny(csv);
const parseMs = performance.now() - t;
t = performance.now();
const check = checkGeoUpdate([{ what: 'bench', parsed }], {
  current: { v4Ranges: table.v4Ranges, v6Ranges: table.v6Ranges },
});
const checkMs = performance.now() - t;
if (!check.ok || !check.v4 || !check.v6) throw new Error('bench CSV refused');
t = performance.now();
const rebuilt = GeoTable.fromRanges(check.v4, check.v6);
const buildMs = performance.now() - t;
if (rebuilt.v4Ranges !== table.v4Ranges || rebuilt.v6Ranges !== table.v6Ranges)
  throw new Error('round trip changed the table');
line(
  'update from CSV',
  `${(csv.length / 1e6).toFixed(1)} MB text: parse ${parseMs.toFixed(0)} ms, check+flatten ${checkMs.toFixed(0)} ms, build ${buildMs.toFixed(0)} ms`,
);

/**
 * How the detection state's table (src/core/detect/state.ts, IpTable) grows: N random
 * IPv4 sources added one by one, each add timed by process CPU (`process.cpuUsage`, µs;
 * what the add cost, not the wait for a core on a loaded machine) and by wall clock.
 * The keys are made one by one and die young (the harness keeps none), so what the heap
 * holds is the table. Prints the worst adds and the adds over 1 ms, with the table size at each, so a growth
 * in one piece (every column copied and the index rebuilt at 131k, 262k, 524k sources)
 * shows as a spike at that size and a growth in steps does not. Issue 13, target 4.
 *
 *   node bench/state-growth.ts [--root DIR] [--sources 1000000] [--seed N]
 *
 * --root: a checkout with dist/ built (A/B: run once per root, alternating).
 */
import { cpuUsage } from 'node:process';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    root: { type: 'string', default: process.cwd() },
    sources: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
  },
});
const n = Number(values.sources);
const mod = await import(pathToFileURL(`${values.root}/dist/core/detect/state.js`).href);
const t = new mod.IpTable(3600, 10);

// The keys first (mulberry32, so both roots add the same sources in the same order).
let a = Number(values.seed) >>> 0;
const rnd = () => {
  a = (a + 0x6d2b79f5) | 0;
  let x = Math.imul(a ^ (a >>> 15), 1 | a);
  x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
  return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
};
// As numbers: 1M strings kept by the harness would bring their own full collections.
const keys = new Uint32Array(n);
for (let i = 0; i < n; i++) keys[i] = Math.floor(rnd() * 2 ** 32);

const cpu = new Float64Array(n);
const wall = new Float64Array(n);
const t0 = cpuUsage();
const w0 = performance.now();
for (let i = 0; i < n; i++) {
  const v = keys[i]!;
  const key = `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  const c0 = cpuUsage();
  const p0 = performance.now();
  t.getOrCreate(key);
  wall[i] = performance.now() - p0;
  const c1 = cpuUsage(c0);
  cpu[i] = (c1.user + c1.system) / 1000;
}
const total = cpuUsage(t0);
const order = [...cpu.keys()].sort((x, y) => cpu[y]! - cpu[x]!);
const fmt = (x: number) => x.toFixed(2);
console.log(
  `root ${values.root}: ${n} adds, ${fmt((total.user + total.system) / 1000)} ms CPU, ${fmt(performance.now() - w0)} ms wall (timing included), size ${t.size}`,
);
console.log(
  `worst adds by CPU (ms, at size): ${order
    .slice(0, 8)
    .map((i) => `${fmt(cpu[i]!)}@${i}`)
    .join(' ')}`,
);
const wOrder = [...wall.keys()].sort((x, y) => wall[y]! - wall[x]!);
console.log(
  `worst adds by wall (ms, at size): ${wOrder
    .slice(0, 8)
    .map((i) => `${fmt(wall[i]!)}@${i}`)
    .join(' ')}`,
);
const over = [...cpu.keys()].filter((i) => cpu[i]! >= 1);
console.log(
  `adds ≥ 1 ms CPU: ${over.length}; their CPU sum ${fmt(over.reduce((s, i) => s + cpu[i]!, 0))} ms`,
);
for (const mark of [65_536, 131_072, 262_144, 524_288]) {
  if (mark >= n) break;
  let worst = 0;
  for (let i = mark - 64; i < mark + 64; i++) worst = Math.max(worst, cpu[i]!);
  console.log(`  around ${mark}: worst add ${fmt(worst)} ms CPU`);
}

/**
 * What a generation rotation of the detection state (src/core/detect/state.ts,
 * IpTable.rotate) costs the loop: the one call that rotates, the worst single packet
 * after it, and the whole cycle's CPU, so a rotation in one piece shows as one long call
 * and a rotation swept in steps as packets a little dearer until the sweep is done.
 * Issue 13, target 4 (loop lag ≤ 5 ms).
 *
 * The table holds `--sources` S sources at each rotation, half of them idle for a whole
 * period, which the rotation drops. A cycle is one rotation then S/2 packets; a packet is
 * what the detector does with a source: `rotate(now)` (its advance, not due), a `get` of a
 * source dropped at this rotation (absent; in a swept table it may still wait for the
 * sweep), and `getOrCreate` of a new source. Cycles 0 and 1 fill the table; cycle 2 is the
 * first rotation that drops (cold code: the first event), cycles 3.. the steady state.
 * Each packet, each `rotate` call and the rotating call are timed by process CPU
 * (`process.cpuUsage`, what it cost, not the wait for a core on a loaded machine; on the
 * shared KVM guest single calls that do nothing still read up to ~10 ms now and then, so
 * the means and sums say more than one worst call).
 *
 *   node --import tsx bench/state-rotation.ts [--root DIR] [--sources 1000000] [--cycles 6]
 *
 * --root: a checkout with dist/ built (A/B: run once per root, alternating, fresh processes).
 */
import { cpuUsage } from 'node:process';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    root: { type: 'string', default: process.cwd() },
    sources: { type: 'string', default: '1000000' },
    cycles: { type: 'string', default: '6' },
  },
});
const total = Number(values.sources);
const half = Math.floor(total / 2);
const cycles = Number(values.cycles);
const mod = await import(pathToFileURL(`${values.root}/dist/core/detect/state.js`).href);
const PERIOD = 3600;
const t = new mod.IpTable(PERIOD, 10);

/** Source i's key: distinct, spread over the IPv4 space (an odd multiplier is a bijection). */
const keyOf = (i: number) => {
  const v = Math.imul(i + 1, 0x9e3779b1) >>> 0;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
};
/** The packets right after a rotation, where a sweep in steps runs (~500 at 1M). */
const EARLY = 2000;
const ms = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
const fmt = (x: number) => x.toFixed(2);

console.log(`root ${values.root}: ${total} sources at each rotation, ${half} dropped`);
let now = 0;
for (let cycle = 0; cycle < cycles; cycle++) {
  const c0 = cpuUsage();
  t.rotate(now);
  const rot = ms(cpuUsage(c0));
  const sizeAfter = t.size;
  let worst = 0;
  let worstAt = -1;
  let over1 = 0;
  let sweptBy = -1;
  let early = 0;
  let earlyWorst = 0;
  /** The worst `rotate` call alone (a sweep step, with no key made and no add). */
  let stepWorst = 0;
  let stepAt = -1;
  /** The `rotate` calls while the sweep runs: their CPU and count. */
  let stepSum = 0;
  let stepN = 0;
  for (let p = 0; p < half; p++) {
    const p0 = cpuUsage();
    t.rotate(now + 1 + p / half);
    const r = ms(cpuUsage(p0));
    if (t.sweeping > 0 || p === 0) {
      stepSum += r;
      stepN++;
    }
    if (r > stepWorst) {
      stepWorst = r;
      stepAt = p;
    }
    if (cycle >= 2) t.get(keyOf((cycle - 2) * half + p));
    t.getOrCreate(keyOf(cycle * half + p));
    const d = ms(cpuUsage(p0));
    if (d > worst) {
      worst = d;
      worstAt = p;
    }
    if (d >= 1) over1++;
    if (p < EARLY) {
      early += d;
      earlyWorst = Math.max(earlyWorst, d);
    }
    if (sweptBy < 0 && !(t.sweeping > 0)) sweptBy = p;
  }
  const all = ms(cpuUsage(c0));
  console.log(
    `cycle ${cycle}${cycle === 2 ? ' (first drop)' : cycle > 2 ? ' (steady)' : ' (fill)'}: rotate ${fmt(rot)} ms, ` +
      `first ${EARLY} packets ${fmt(early)} ms (worst ${fmt(earlyWorst)}), ` +
      `worst rotate call ${fmt(stepWorst)} ms @${stepAt}, ` +
      `${stepN} calls while sweeping ${fmt(stepSum)} ms (mean ${fmt(stepN > 0 ? stepSum / stepN : 0)}), ` +
      `sweep done by packet ${t.sweeping === undefined ? '-' : sweptBy}; live after ${sizeAfter}; ` +
      `cycle: worst packet ${fmt(worst)} ms @${worstAt}, packets ≥1 ms ${over1}, CPU ${fmt(all)} ms`,
  );
  now += PERIOD;
}

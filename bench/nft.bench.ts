/**
 * nftables enforcement speed, in a network namespace this script creates (root only).
 * Run: node --import tsx bench/nft.bench.ts
 * Prints one line per result. Bounded: fixed counts, no traffic, namespace removed at the end.
 */

import { renderInit } from '../src/firewall/nft-render-init.js';
import { NftablesFirewall } from '../src/firewall/nftables.js';
import { prepareState } from '../src/firewall/state.js';
import type { FirewallState } from '../src/ports/firewall.js';
import { emptyFirewallState } from '../src/ports/firewall.js';
import { Netns } from '../test/netns.testkit.js';

const DYNAMIC = 100_000;
const DENY = 10_000;
const SINGLE = 1000;
const COUNTRY_RANGES = 50_000;

let seed = 4242;
function rand(): number {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed;
}

/** Unicast IPv4 in 1-99.x (deny uses 128-206.x). */
function randomV4(): string {
  const x = rand();
  const first = 1 + ((x >>> 24) % 99);
  return `${first}.${(x >>> 16) & 255}.${(x >>> 8) & 255}.${(x & 255) | 1}`;
}

function randomV6(): string {
  const w = () => (rand() & 0xffff).toString(16);
  return `2001:db8:${w()}:${w()}:${w()}:${w()}:${w()}:${w()}`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const ms = (n: number) => n.toFixed(n < 10 ? 2 : 0);

async function main(): Promise<void> {
  const ns = await Netns.create('nftbench');
  const fw = new NftablesFirewall({ command: ns.command('nft') });
  try {
    await fw.check();
    const unique = new Set<string>();
    while (unique.size < DYNAMIC) unique.add(unique.size % 10 === 9 ? randomV6() : randomV4());
    const dynamic = [...unique].map((ip, i) => ({ ip, expiresIn: i % 20 === 0 ? null : 600 + (i % 3600) }));
    // Distinct, non-adjacent /24s so that none merge: 10k deny entries stay 10k ranges.
    const deny = Array.from({ length: DENY }, (_, i) => `${128 + (i >> 7)}.${(i & 127) * 2}.0.0/24`);
    const desired: FirewallState = { ...emptyFirewallState(), deny, dynamic };

    let t = performance.now();
    const { script } = renderInit(prepareState(desired));
    const prep = performance.now() - t;
    t = performance.now();
    await fw.init(desired);
    const init = performance.now() - t;
    console.log(
      `nft init: ${DYNAMIC} dynamic + ${DENY} deny CIDRs in one transaction: ${ms(init)} ms ` +
        `(validate+render ${ms(prep)} ms, script ${(script.length / 1e6).toFixed(1)} MB)`,
    );

    // Country-like ranges: runs of 1-12 whole /24s (RIR allocations are mostly /24
    // multiples), so each becomes one to three CIDRs.
    const countries: string[] = [];
    for (let i = 0; i < COUNTRY_RANGES; i++) {
      const start = 0xd0000000 + i * 16 * 256;
      const end = start + (1 + (rand() % 12)) * 256 - 1;
      const v4 = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
      countries.push(`${v4(start)}-${v4(end)}`);
    }
    t = performance.now();
    await fw.setCountries(countries);
    const countryMs = performance.now() - t;
    const snapC = await fw.snapshot();
    const rules = (await ns.exec(['nft', 'list', 'chain', 'inet', 'sipprot', 'prerouting'])).stdout
      .split('\n')
      .filter((l) => l.includes('@country')).length;
    console.log(
      `nft setCountries: ${COUNTRY_RANGES} ranges → ${snapC.countries.length} CIDRs in ${rules} prefix-length sets: ${ms(countryMs)} ms`,
    );

    const lat: number[] = [];
    for (let i = 0; i < SINGLE; i++) {
      const ip = `203.0.${i >> 8}.${i & 255}`;
      const s = performance.now();
      await fw.block(ip, 600);
      lat.push(performance.now() - s);
    }
    lat.sort((a, b) => a - b);
    console.log(
      `nft block, one at a time (${DYNAMIC} blocks, ${DENY} deny, countries loaded): p50 ${ms(percentile(lat, 50))} ms, ` +
        `p99 ${ms(percentile(lat, 99))} ms, max ${ms(lat[lat.length - 1]!)} ms over ${SINGLE}`,
    );

    t = performance.now();
    await Promise.all(Array.from({ length: SINGLE }, (_, i) => fw.block(`198.18.${i >> 8}.${i & 255}`, 600)));
    console.log(`nft block, ${SINGLE} in one tick (one transaction): ${ms(performance.now() - t)} ms`);

    t = performance.now();
    await fw.setList('deny', deny.slice(0, DENY / 2));
    console.log(`nft setList deny: replace ${DENY} CIDRs with ${DENY / 2}: ${ms(performance.now() - t)} ms`);

    t = performance.now();
    const snap = await fw.snapshot();
    console.log(
      `nft snapshot: ${snap.dynamic.length} dynamic + ${snap.deny.length} deny read back: ${ms(performance.now() - t)} ms`,
    );

    t = performance.now();
    await fw.shutdown();
    console.log(
      `nft shutdown (delete table with ${snap.dynamic.length} elements): ${ms(performance.now() - t)} ms`,
    );
  } finally {
    await fw.shutdown().catch(() => {});
    await ns.destroy();
  }
}

await main();

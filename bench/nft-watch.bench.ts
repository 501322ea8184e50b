/**
 * The kernel watch's check and the status counters with N blocks in sipprot's table
 * (issue 13): over netlink (kernel-watch-probe.ts, native/src/nft-watch.c: a rule dump
 * per chain, one dump of the counter objects) against the nft CLI they replace (nft 1.0.6
 * reads every set element for `nft list chain` and `nft list counters`). Root only; in a
 * namespace it creates (sptest-nftwatch-PID-N), removed at the end.
 *
 *   node --import tsx bench/nft-watch.bench.ts [--sizes 100000,1000000] [--nft-limit-s 300]
 *
 * Per size: the table loaded with N dynamic blocks (netlink bulk load); then the check
 * over netlink (both chains, 20 times: p50 and max, wall time), the counters over netlink
 * (20 times), and once each `nft list chain` of both chains and `nft -j list counters`
 * (wall time and the nft process's CPU, killed at --nft-limit-s). Prints one line per size.
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { NetlinkProbe } from '../src/firewall/kernel-watch-probe.js';
import { NftNetlink } from '../src/firewall/nft-netlink.js';
import { NftablesFirewall } from '../src/firewall/nftables.js';
import { emptyFirewallState } from '../src/ports/firewall.js';
import { Netns, run } from '../test/netns.testkit.js';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100000,1000000' },
    'nft-limit-s': { type: 'string', default: '300' },
  },
});
const SIZES = values.sizes!.split(',').map(Number);
const LIMIT_MS = Number(values['nft-limit-s']) * 1000;
if (SIZES.some((n) => !(n >= 0 && n <= 4_000_000)) || !(LIMIT_MS >= 1000 && LIMIT_MS <= 3_600_000))
  throw new Error('nft-watch.bench: --sizes 0-4000000 each, --nft-limit-s 1-3600');
if (process.getuid?.() !== 0) throw new Error('nft-watch.bench: needs root (a network namespace)');

function blocks(n: number) {
  return Array.from({ length: n }, (_, i) => ({
    ip: `${10 + (i >> 24)}.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    expiresIn: 3600,
  }));
}

async function timesMs(times: number, f: () => Promise<unknown> | unknown): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = performance.now();
    await f();
    out.push(performance.now() - t);
  }
  return out.sort((a, b) => a - b);
}

/** One nft command in the namespace: wall ms and its CPU ms (time -f), or null when killed. */
async function nftOnce(ns: Netns, args: string[]): Promise<{ wallMs: number; cpuMs: number } | null> {
  const t = performance.now();
  const r = await run(['/usr/bin/time', '-f', '%U %S', ...ns.command('nft', ...args)], {
    timeoutMs: LIMIT_MS,
    allowFail: true,
  });
  if (r.code !== 0) return null;
  const [u, s] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { wallMs: performance.now() - t, cpuMs: ((u ?? 0) + (s ?? 0)) * 1000 };
}

const f1 = (x: number) => x.toFixed(x < 10 ? 2 : 0);
const nftText = (r: { wallMs: number; cpuMs: number } | null) =>
  r ? `${f1(r.wallMs)} ms (CPU ${f1(r.cpuMs)} ms)` : `killed after ${LIMIT_MS / 1000} s`;

console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model}, load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const ns = await Netns.create('nftwatch');
try {
  for (const n of SIZES) {
    const fw = new NftablesFirewall({ command: ns.command('nft'), netns: ns.name });
    await fw.init({ ...emptyFirewallState(), dynamic: blocks(n) });
    const netlink = new NftNetlink(ns.name);
    if (netlink.count('dyn4') !== n) throw new Error(`dyn4 holds ${netlink.count('dyn4')}, not ${n}`);
    const probe = new NetlinkProbe(netlink);
    const check = await timesMs(20, async () => {
      for (const chain of ['prerouting', 'output']) {
        const r = await probe.chain(chain, 'dyn4');
        if (r.kind !== 'rules' || r.lookups !== 1) throw new Error(`check of ${chain}: ${JSON.stringify(r)}`);
      }
    });
    const counters = await timesMs(20, () => fw.counters());
    const pre = await nftOnce(ns, ['list', 'chain', 'inet', 'sipprot', 'prerouting']);
    const out = await nftOnce(ns, ['list', 'chain', 'inet', 'sipprot', 'output']);
    const cnt = await nftOnce(ns, ['-j', 'list', 'counters', 'table', 'inet', 'sipprot']);
    console.log(
      `${n.toLocaleString('en')} blocks: check over netlink (both chains) p50 ${f1(check[10]!)} / max ${f1(check.at(-1)!)} ms, ` +
        `counters over netlink p50 ${f1(counters[10]!)} / max ${f1(counters.at(-1)!)} ms; ` +
        `nft list chain prerouting ${nftText(pre)}, output ${nftText(out)}; nft -j list counters ${nftText(cnt)}; ` +
        `load ${loadavg()[0]!.toFixed(2)}`,
    );
    await fw.shutdown();
  }
} finally {
  await ns.destroy();
}

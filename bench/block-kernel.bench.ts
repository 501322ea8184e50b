/**
 * What the kernel call of a block costs (issue 13): `NftablesFirewall.block` over netlink in
 * a network namespace this bench creates (root only), turns of `--turn` blocks of new
 * addresses handed over in one synchronous stretch (as the enforcer does: one transaction a
 * turn), then the same addresses renewed, then lifted. µs of CPU a block (a renewal, a lift)
 * of this process, the kernel's transaction included (it runs inside sendmsg on this thread).
 *
 *   node --import tsx bench/block-kernel.bench.ts [--blocks 40000] [--turn 1,40] [--runs 2]
 *        [--root DIR[,DIR2]]
 *
 * With two --root checkouts (each with dist/ and its native addon built) the runs alternate
 * A, B, A, B… in fresh processes. Bounded: ≤ 200k blocks, one namespace a run, removed.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Netns } from '../test/netns.testkit.js';

const HERE = dirname(new URL(import.meta.url).pathname);
const { values } = parseArgs({
  options: {
    blocks: { type: 'string', default: '40000' },
    turn: { type: 'string', default: '1,40' },
    runs: { type: 'string', default: '2' },
    root: { type: 'string', default: dirname(HERE) },
    measure: { type: 'boolean', default: false },
  },
});

async function measure(root: string, blocks: number, turn: number): Promise<void> {
  const load = (f: string) => import(pathToFileURL(join(root, 'dist', f)).href);
  const { NftablesFirewall } = await load('firewall/nftables.js');
  const { emptyFirewallState } = await load('ports/firewall.js');
  const ns = await Netns.create('blockcost-bench');
  try {
    const fw = new NftablesFirewall({ command: ns.command('nft'), netns: ns.name });
    await fw.init(emptyFirewallState());
    const ips = Array.from(
      { length: blocks },
      (_, i) => `198.${18 + ((i >> 16) & 1)}.${(i >> 8) & 255}.${i & 255}`,
    );
    const run = async (what: 'block' | 'renew' | 'lift'): Promise<number> => {
      const c0 = process.cpuUsage();
      for (let i = 0; i < blocks; i += turn) {
        const end = Math.min(blocks, i + turn);
        const calls: Promise<void>[] = [];
        for (let k = i; k < end; k++)
          calls.push(
            what === 'lift'
              ? fw.unblock(ips[k]!)
              : fw.block(ips[k]!, what === 'block' ? 600 : 1200, what === 'block'),
          );
        await Promise.all(calls);
      }
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / blocks;
    };
    const block = await run('block');
    const renew = await run('renew');
    const lift = await run('lift');
    await fw.shutdown();
    process.stdout.write(`${JSON.stringify({ block, renew, lift })}\n`);
  } finally {
    await ns.destroy();
  }
}

async function main(): Promise<void> {
  const blocks = Number(values.blocks);
  if (!(blocks >= 1 && blocks <= 200_000)) throw new Error('block-kernel.bench: --blocks 1-200000');
  if (values.measure) return measure(values.root!, blocks, Number(values.turn));
  const roots = values.root!.split(',');
  const turns = values.turn!.split(',').map(Number);
  console.log(
    `block kernel machine: ${cpus().length} × ${cpus()[0]?.model.split(' ').slice(0, 2).join(' ')}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, node ${process.version}; ${blocks.toLocaleString('en')} blocks`,
  );
  for (const turn of turns)
    for (let run = 1; run <= Number(values.runs); run++)
      for (const [i, root] of roots.entries()) {
        const out = execFileSync(
          process.execPath,
          [
            '--import',
            'tsx',
            join(HERE, 'block-kernel.bench.ts'),
            '--measure',
            '--root',
            root,
            '--blocks',
            String(blocks),
            '--turn',
            String(turn),
          ],
          { cwd: dirname(HERE), encoding: 'utf8' },
        );
        const r = JSON.parse(out.trim().split('\n').at(-1)!) as {
          block: number;
          renew: number;
          lift: number;
        };
        console.log(
          `block kernel [${'AB'[i] ?? i} ${root}] turns of ${turn}, run ${run}: new blocks ${r.block.toFixed(2)} µs of CPU a block, renewals ${r.renew.toFixed(2)}, lifts ${r.lift.toFixed(2)}, load ${loadavg()[0]!.toFixed(1)}`,
        );
      }
}

await main();

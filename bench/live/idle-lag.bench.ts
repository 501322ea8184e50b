/**
 * What a fresh daemon's status says about its event-loop lag with no traffic at all (issue
 * 13, target 4: lag p99 ≤ 5 ms, "exposed in status"). The since-start figures are percentiles
 * of every sample; an idle loop is sampled every 100 ms, a busy one every 10 ms, so the few
 * busy samples of the start's last part can outweigh a whole idle life (bench/RESULTS.md,
 * helper lag3: p99 since start 27–84 ms, max 340 ms, for a daemon that never saw a packet).
 * Root only.
 *
 *   npm run build && node --import tsx bench/live/idle-lag.bench.ts [--root DIR[,DIR2]] [--runs 2]
 *        [--at 0,1,3,10,30] [--nice=-10] [--profile MS] [--ns-label NAME]
 *
 * Per run, a fresh `sipprotd run` (dist/ of each --root, alternating A B A B…, fresh
 * STATE_DIR, INTERFACES=lo in a namespace of its own, sptest-…-NAME-PID-N, nothing sent)
 * and its `status --json` loop lag read at each --at second after "sipprotd started": the
 * last window's p99/max, since start p99/max, and `startMax` (the most the loop was late
 * while starting, daemons that report it). `--profile MS`: the probe profiles the process
 * from its first line to the last read and prints its busy stretches ≥ MS (what held the
 * loop, by function: bench/cpu-profile.ts profileStalls). The daemon stopped by PID, the
 * namespace deleted, also on failure.
 */
import { readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Netns } from '../../test/netns.testkit.js';
import { profileStalls } from '../cpu-profile.js';
import { sleep } from '../latency/proc.js';
import { DaemonUnderTest } from './daemon.js';

const HERE = dirname(new URL(import.meta.url).pathname);
const REPO = dirname(dirname(HERE));

const { values } = parseArgs({
  options: {
    root: { type: 'string', default: REPO },
    runs: { type: 'string', default: '2' },
    at: { type: 'string', default: '0,1,3,10,30' },
    nice: { type: 'string' },
    profile: { type: 'string' },
    'ns-label': { type: 'string', default: 'idlelag' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}
const ROOTS = values.root!.split(',');
const AT = values.at!.split(',').map(Number);
const PROFILE_MS = values.profile === undefined ? null : Number(values.profile);
const NICE = values.nice === undefined ? undefined : Number(values.nice);
if (AT.some((s) => !(s >= 0 && s <= 600))) throw new Error('idle-lag.bench: --at seconds 0-600');

async function oneRun(root: string, n: number): Promise<void> {
  const label = values['ns-label']!;
  const ns = await Netns.create(label);
  const dir = join(tmpdir(), `sipprot-${label}-${process.pid}-${n}`);
  try {
    const d = new DaemonUnderTest({
      root,
      ns: ns.name,
      dir,
      settings: ['INTERFACES=lo', 'NOTIFY_DAILY=no'],
      probe: PROFILE_MS !== null,
      profile: PROFILE_MS !== null,
      ...(NICE === undefined ? {} : { nice: NICE }),
    });
    d.spawn();
    try {
      await d.waitStarted();
      const t0 = performance.now();
      const reads: string[] = [];
      for (const s of AT) {
        await sleep(Math.max(0, s * 1000 - (performance.now() - t0)));
        const l = (await d.status()).live?.loopLag;
        reads.push(
          l
            ? `+${s} s: window p99 ${l.p99} / max ${l.max}; since start p99 ${l.p99SinceStart} / max ${l.maxSinceStart}` +
                (l.startMax === undefined ? '' : `; while starting max ${l.startMax}`)
            : `+${s} s: no loop lag`,
        );
      }
      console.log(`idle lag [${root}] run ${n + 1}, load ${loadavg()[0]!.toFixed(1)}:`);
      for (const r of reads) console.log(`  ${r}`);
      if (PROFILE_MS !== null) {
        const file = d.profileFile((await d.probe()).seq);
        for (const l of file ? profileStalls(file, PROFILE_MS, 8) : []) console.log(`  ${l}`);
      }
    } finally {
      await d.stop();
    }
  } finally {
    await ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

for (let i = 0; i < Number(values.runs); i++)
  for (const root of ROOTS) await oneRun(root, i * ROOTS.length + ROOTS.indexOf(root));

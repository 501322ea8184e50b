/**
 * Block latency: sipprot against fail2ban, in the SIP lab (scripts/lab: network namespaces,
 * Kamailio with digest auth in the PBX namespace), root only.
 *
 *   npx tsc -p tsconfig.json   # sipprotd runs from dist/
 *   node --import tsx bench/latency/latency.bench.ts [--guards sipprot,fail2ban]
 *        [--rates 10,50,200,1000] [--runs 10] [--hit-count 10] [--root DIR] [--json FILE] [--keep]
 *
 * For each guard a fresh lab is brought up; the guard runs in the PBX namespace; its first
 * attack (50/s) is reported on a line of its own (bench/latency/first-block.bench.ts
 * measures first attacks on fresh daemons properly); then per rate `--runs` sipp brute forces (user 100, one
 * wrong password per call, REGISTER → 401 → REGISTER with credentials → 401), each from a
 * fresh attacker address (bench/latency/bruteforce.xml: the lab's sipp options, one fixed
 * wrong password), bounded in count (3 × HIT_COUNT … 200 guesses) and time.
 * During each run tcpdump on the PBX's eth0 records the attacker's traffic, and the
 * attacker sends ICMP echo probes every 1 ms (bench/latency/probe.py). analyze.ts reads
 * the capture: block latency = arrival of the first probe left unanswered for good −
 * departure of the HIT_COUNT-th failed answer (±1 ms: the probe interval), and the wrong
 * passwords answered. Prints one line per guard and rate (p50/p99/max, answered failures).
 * Every process is stopped by PID and the lab taken down, also on failure or Ctrl-C.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { percentile, type RunMeasure } from './analyze.js';
import { Fail2banGuard, type Guard, SipprotGuard } from './guards.js';
import { attack, labDown, labUp, NftWatch, PROBE_MS } from './lab.js';
import { run, stopAll } from './proc.js';

const HERE = dirname(new URL(import.meta.url).pathname);
const REPO = dirname(dirname(HERE));

interface RunRecord extends RunMeasure {
  guard: string;
  rate: number;
  run: number;
  attacker: string;
  guesses: number;
  /** After the threshold, ms: the guard's block decision (its log, ms resolution). */
  decisionMs: number | null;
  /** After the threshold, ms: the set element seen by `nft monitor` in the PBX namespace. */
  nftMs: number | null;
  /** 1-minute load average when the run started (the machine may be shared). */
  load: number;
}

const { values } = parseArgs({
  options: {
    guards: { type: 'string', default: 'sipprot,fail2ban' },
    rates: { type: 'string', default: '10,50,200,1000' },
    runs: { type: 'string', default: '10' },
    'hit-count': { type: 'string', default: '10' },
    root: { type: 'string', default: REPO },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}
const HIT = Number(values['hit-count']);
const RATES = values.rates!.split(',').map(Number);
const RUNS = Number(values.runs);
const GUARDS = values.guards!.split(',');
if (process.getuid?.() !== 0) throw new Error('latency.bench: needs root (network namespaces, nftables)');
if (
  !(HIT >= 1 && HIT <= 50) ||
  RATES.some((r) => !(r >= 1 && r <= 2000)) ||
  !(RUNS >= 1 && RUNS * RATES.length <= 100)
)
  throw new Error(
    'latency.bench: --hit-count 1-50, --rates 1-2000 each, --runs × rates ≤ 100 (one fresh address per run)',
  );
if (GUARDS.includes('sipprot') && !existsSync(join(values.root!, 'dist/cli/sipprotd.js')))
  throw new Error(`latency.bench: ${values.root}/dist is not built (run: npx tsc -p tsconfig.json)`);

function summarize(guard: string, rate: number, runs: RunRecord[]): string {
  const lat = runs.map((r) => r.latencyMs).filter((x): x is number => x !== null);
  const fails = runs.map((r) => r.failures);
  const f = (x: number | null) => (x === null ? '-' : x.toFixed(1));
  const within = fails.filter((n) => n <= HIT + 1).length;
  const med = (k: 'decisionMs' | 'nftMs') =>
    f(
      percentile(
        runs.map((r) => r[k]).filter((x): x is number => x !== null),
        50,
      ),
    );
  const bracket = runs
    .filter((r) => r.latencyMs !== null && r.latencyLowMs !== null)
    .map((r) => r.latencyMs! - r.latencyLowMs!);
  return (
    `latency ${guard} ${rate}/s: block after threshold p50 ${f(percentile(lat, 50))} ms, p99 ${f(percentile(lat, 99))} ms, ` +
    `max ${f(lat.length ? Math.max(...lat) : null)} ms (${lat.length}/${runs.length} runs blocked during the run; ` +
    `bracket median ${f(percentile(bracket, 50))} ms; medians: decision logged ${med('decisionMs')} ms, nft monitor ${med('nftMs')} ms; ` +
    `load ${f(
      percentile(
        runs.map((r) => r.load),
        50,
      ),
    )}); ` +
    `wrong passwords answered median ${percentile(fails, 50)}, max ${Math.max(...fails)} ` +
    `(≤ HIT_COUNT+1 = ${HIT + 1} in ${within}/${runs.length} runs; ${runs[0]?.guesses} guesses per run)`
  );
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'sipprot-latency-'));
  const versions = await Promise.all([
    run('kamailio', ['-v']).then((r) => r.stdout.split('\n')[0]?.trim()),
    run('sipp', ['-v']).then((r) => /SIPp v[\S]+/.exec(r.stdout + r.stderr)?.[0]),
    run('fail2ban-server', ['-V']).then((r) => r.stdout.trim()),
    run('uname', ['-r']).then((r) => r.stdout.trim()),
  ]);
  console.log(
    `latency machine: ${cpus().length} × ${cpus()[0]?.model}, load ${loadavg()[0]!.toFixed(2)}, kernel ${versions[3]}, node ${process.version}, ` +
      `${versions[0]}, ${versions[1]}, fail2ban ${versions[2]}; HIT_COUNT ${HIT}, probes every ${PROBE_MS} ms`,
  );
  const all: RunRecord[] = [];
  let labId: string | null = null;
  const onSignal = () => {
    void stopAll()
      .then(() => (labId ? labDown(labId) : undefined))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    for (const name of GUARDS) {
      labId = `lat${process.pid % 100000}${name[0]}`;
      const lab = await labUp(labId);
      const gdir = join(tmp, name);
      mkdirSync(gdir, { recursive: true });
      let guard: Guard;
      if (name === 'sipprot')
        guard = new SipprotGuard({ ns: lab.pbxNs, dir: join(gdir, 'guard'), hitCount: HIT }, values.root!);
      else if (name === 'fail2ban')
        guard = new Fail2banGuard(
          { ns: lab.pbxNs, dir: join(gdir, 'guard'), hitCount: HIT },
          lab.registrarLog,
        );
      else throw new Error(`unknown guard '${name}' (sipprot or fail2ban)`);
      const extraMs = name === 'fail2ban' ? 5000 : 1500;
      // Set elements as the kernel announces them (time read here: an upper bound).
      const nft = new NftWatch();
      nft.start(lab.pbxNs, join(gdir, 'nft-monitor.err'));
      const measure = async (attacker: string, rate: number, i: number, tag: string) => {
        const load = loadavg()[0]!;
        const m = await attack(lab, gdir, { attacker, rate, hit: HIT, extraMs, tag });
        const after = (t: number | null | undefined) =>
          t != null && m.thresholdAt !== null ? (t - m.thresholdAt) * 1000 : null;
        const rec: RunRecord = {
          guard: name,
          rate,
          run: i,
          attacker,
          ...m,
          decisionMs: after(guard.decisionAt(attacker)),
          nftMs: after(nft.addedAt(attacker, m.sippAt)),
          load,
        };
        all.push(rec);
        process.stderr.write(
          `  ${name} ${rate}/s run ${i}: decision ${rec.decisionMs?.toFixed(0) ?? '-'} ms, nft ${rec.nftMs?.toFixed(2) ?? '-'} ms, latency ${rec.latencyMs?.toFixed(2) ?? '-'} ms (≥ ${rec.latencyLowMs?.toFixed(2) ?? '-'}), ` +
            `failures answered ${rec.failures}, requests ${rec.requests}, probes ${rec.probeReplies}/${rec.probes} answered, ` +
            `first dropped: ${rec.firstDroppedKind ?? '-'}, load ${load.toFixed(2)}\n`,
        );
        return rec;
      };
      try {
        await guard.start();
        const backend = guard instanceof Fail2banGuard ? `; backend ${guard.backend()}` : '';
        console.log(`latency ${name}: ${guard.description}${backend}`);
        // The guard's first attack is reported on its own line (run -1), not hidden: an
        // attacker warms nothing up (fail2ban creates its nftables table at its first ban).
        const first = await measure('10.77.1.66', 50, -1, 'first');
        console.log(summarize(`${name} (first attack after start)`, 50, [first]));
        let next = 0;
        for (const rate of RATES) {
          const runs: RunRecord[] = [];
          for (let i = 0; i < RUNS; i++)
            runs.push(await measure(lab.attackers[next++]!, rate, i, `r${rate}-${i}`));
          console.log(summarize(name, rate, runs));
        }
      } finally {
        await guard.stop();
        await nft.stop();
        await labDown(labId, values.keep ? gdir : undefined);
        labId = null;
      }
    }
  } finally {
    await stopAll();
    if (labId) await labDown(labId);
    if (values.json) writeFileSync(values.json, `${JSON.stringify(all, null, 1)}\n`);
    if (values.keep) console.log(`latency: files kept in ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

await main();

/**
 * First block after start (issue 13, target 3): is a fresh daemon's first block as fast as
 * its later ones? No warm-up anywhere: every measurement starts a FRESH `sipprotd run`
 * (dist/, fresh STATE_DIR: nothing restored) in the SIP lab's PBX namespace, waits until
 * `--delays` seconds after its spawn (3 s and 20 s: the daemon is up and idle), then runs
 * one sipp brute force (the FIRST attack), then `--later` more from other addresses on the
 * same daemon (LATER attacks), and stops it. Root only.
 *
 *   npm run build && node --import tsx bench/latency/first-block.bench.ts
 *        [--rates 10,50,200,1000] [--hit-counts 5,10] [--delays 3,20] [--daemons 5] [--later 2]
 *        [--root DIR] [--json FILE] [--keep]
 *
 * Per attack (bench/latency/lab.ts, analyze.ts): tcpdump on the PBX's eth0, 1 ms ICMP
 * probes from the attacker, `nft monitor` in the PBX namespace. Block latency = the first
 * attacker packet left unanswered for good − the departure of the HIT_COUNT-th failed
 * answer (upper bound; the probe interval is the resolution); "nft" = when `nft monitor`
 * printed the set element, after the same threshold; answered = wrong-password answers
 * that left the PBX. Targets: p99 ≤ 5 ms, answered ≤ HIT_COUNT + 1 on the first attack
 * too (10, 50 and 200 guesses/s; 1000/s reported). With `--daemons 5` the p99 is the
 * maximum of five: every per-attack figure goes to --json and stderr.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { percentile, type RunMeasure } from './analyze.js';
import { SipprotGuard } from './guards.js';
import { attack, guessesAt, type Lab, labDown, labUp, NftWatch, PROBE_MS } from './lab.js';
import { run, sleep, stopAll } from './proc.js';

const HERE = dirname(new URL(import.meta.url).pathname);
const REPO = dirname(dirname(HERE));

interface AttackRecord extends RunMeasure {
  hit: number;
  delayS: number;
  rate: number;
  daemon: number;
  /** 0 = the daemon's first attack. */
  attackNo: number;
  attacker: string;
  guesses: number;
  /** Seconds from the daemon's spawn to sipp's start, and to "sipprotd started". */
  sinceSpawnS: number;
  startS: number;
  decisionMs: number | null;
  nftMs: number | null;
  load: number;
}

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '10,50,200,1000' },
    'hit-counts': { type: 'string', default: '5,10' },
    delays: { type: 'string', default: '3,20' },
    daemons: { type: 'string', default: '5' },
    later: { type: 'string', default: '2' },
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
const nums = (s: string) => s.split(',').map(Number);
const RATES = nums(values.rates!);
const HITS = nums(values['hit-counts']!);
const DELAYS = nums(values.delays!);
const DAEMONS = Number(values.daemons);
const LATER = Number(values.later);
const ROOT = values.root!;
if (process.getuid?.() !== 0) throw new Error('first-block.bench: needs root (network namespaces, nftables)');
if (
  HITS.some((h) => !(h >= 1 && h <= 50)) ||
  RATES.some((r) => !(r >= 1 && r <= 2000)) ||
  DELAYS.some((d) => !(d >= 0 && d <= 300)) ||
  !(DAEMONS >= 1 && DAEMONS <= 50) ||
  !(LATER >= 0 && LATER <= 20) ||
  HITS.length * RATES.length * DELAYS.length * DAEMONS > 400
)
  throw new Error(
    'first-block.bench: --hit-counts 1-50, --rates 1-2000, --delays 0-300 s, --daemons 1-50, --later 0-20, at most 400 daemons',
  );
if (!existsSync(join(ROOT, 'dist/cli/sipprotd.js')))
  throw new Error(`first-block.bench: ${ROOT}/dist is not built (run: npm run build)`);

const f = (x: number | null) => (x === null ? '-' : x.toFixed(1));

function stats(label: string, hit: number, rs: AttackRecord[]): string {
  const lat = rs.map((r) => r.latencyMs).filter((x): x is number => x !== null);
  const pick = (k: 'nftMs' | 'decisionMs') => rs.map((r) => r[k]).filter((x): x is number => x !== null);
  const fails = rs.map((r) => r.failures);
  return (
    `${label} (${rs.length}): block p50 ${f(percentile(lat, 50))} / p99 ${f(percentile(lat, 99))} / max ` +
    `${f(lat.length ? Math.max(...lat) : null)} ms (${lat.length} blocked), nft monitor p50 ${f(percentile(pick('nftMs'), 50))} / ` +
    `p99 ${f(percentile(pick('nftMs'), 99))} ms, decision logged p50 ${f(percentile(pick('decisionMs'), 50))} ms; ` +
    `answered median ${percentile(fails, 50) ?? '-'}, max ${fails.length ? Math.max(...fails) : '-'} ` +
    `(≤ ${hit + 1} in ${fails.filter((n) => n <= hit + 1).length}/${rs.length})`
  );
}

/** One fresh daemon: wait until `delayS` after spawn, first attack, later attacks, stop. */
async function oneDaemon(
  lab: Lab,
  nft: NftWatch,
  dir: string,
  o: { hit: number; delayS: number; rate: number; daemon: number },
  nextAttacker: () => string,
): Promise<AttackRecord[]> {
  const guard = new SipprotGuard({ ns: lab.pbxNs, dir: join(dir, 'guard'), hitCount: o.hit }, ROOT);
  const spawnedAt = Date.now();
  const out: AttackRecord[] = [];
  try {
    await guard.start();
    const startS = (Date.now() - spawnedAt) / 1000;
    // attack() starts tcpdump and the prober (~0.5 s) before sipp.
    const wait = spawnedAt + o.delayS * 1000 - 500 - Date.now();
    if (wait > 0) await sleep(wait);
    for (let n = 0; n <= LATER; n++) {
      const attacker = nextAttacker();
      const load = loadavg()[0]!;
      const m = await attack(lab, dir, { attacker, rate: o.rate, hit: o.hit, extraMs: 1500, tag: `a${n}` });
      const after = (t: number | null) =>
        t !== null && m.thresholdAt !== null ? (t - m.thresholdAt) * 1000 : null;
      const rec: AttackRecord = {
        ...o,
        ...m,
        attackNo: n,
        attacker,
        sinceSpawnS: m.sippAt - spawnedAt / 1000,
        startS,
        decisionMs: after(guard.decisionAt(attacker)),
        nftMs: after(nft.addedAt(attacker, m.sippAt)),
        load,
      };
      out.push(rec);
      process.stderr.write(
        `  HIT ${o.hit} +${o.delayS}s ${o.rate}/s daemon ${o.daemon} attack ${n} (${attacker}, ${rec.sinceSpawnS.toFixed(1)} s after spawn, ` +
          `started in ${startS.toFixed(1)} s): latency ${f(rec.latencyMs)} ms (≥ ${f(rec.latencyLowMs)}), nft ${f(rec.nftMs)} ms, ` +
          `decision ${f(rec.decisionMs)} ms, answered ${rec.failures}, requests ${rec.requests}, load ${load.toFixed(2)}\n`,
      );
    }
  } finally {
    await guard.stop();
  }
  return out;
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'sipprot-first-block-'));
  const versions = await Promise.all([
    run('kamailio', ['-v']).then((r) => r.stdout.split('\n')[0]?.trim()),
    run('sipp', ['-v']).then((r) => /SIPp v[\S]+/.exec(r.stdout + r.stderr)?.[0]),
    run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']).then((r) => r.stdout.trim()),
  ]);
  console.log(
    `first-block machine: ${cpus().length} × ${cpus()[0]?.model}, load ${loadavg()[0]!.toFixed(2)}, node ${process.version}, ` +
      `${versions[0]}, ${versions[1]}, code ${versions[2]} (${ROOT}); probes every ${PROBE_MS} ms; ` +
      `guesses per attack: ${RATES.map((r) => `${r}/s ${HITS.map((h) => guessesAt(r, h)).join('|')}`).join(', ')}`,
  );
  const labId = `bench${process.pid}`.slice(0, 16);
  let lab: Lab | null = null;
  const nft = new NftWatch();
  const onSignal = () => {
    void stopAll()
      .then(() => labDown(labId))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const all: AttackRecord[] = [];
  try {
    lab = await labUp(labId);
    nft.start(lab.pbxNs, join(tmp, 'nft-monitor.err'));
    let a = 0;
    const pool = lab.attackers;
    const nextAttacker = () => pool[a++ % pool.length]!;
    for (const hit of HITS) {
      for (const delayS of DELAYS) {
        for (const rate of RATES) {
          const rs: AttackRecord[] = [];
          for (let daemon = 0; daemon < DAEMONS; daemon++) {
            const dir = join(tmp, `h${hit}-d${delayS}-r${rate}-${daemon}`);
            mkdirSync(dir, { recursive: true });
            rs.push(...(await oneDaemon(lab, nft, dir, { hit, delayS, rate, daemon }, nextAttacker)));
          }
          all.push(...rs);
          const load = percentile(
            rs.map((r) => r.load),
            50,
          );
          console.log(
            `first-block HIT_COUNT ${hit}, attack ${delayS} s after start, ${rate}/s (${guessesAt(rate, hit)} guesses): ` +
              `${stats(
                'FIRST attack',
                hit,
                rs.filter((r) => r.attackNo === 0),
              )}; ` +
              `${
                LATER > 0
                  ? stats(
                      'LATER attacks',
                      hit,
                      rs.filter((r) => r.attackNo > 0),
                    )
                  : ''
              }; load median ${f(load)}`,
          );
        }
      }
    }
  } finally {
    await nft.stop();
    await stopAll();
    if (lab) await labDown(labId, values.keep ? tmp : undefined);
    if (values.json) writeFileSync(values.json, `${JSON.stringify(all, null, 1)}\n`);
    if (values.keep) console.log(`first-block: files kept in ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

await main();

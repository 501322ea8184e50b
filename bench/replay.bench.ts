/**
 * Replay throughput and memory through the real path (src/replay/replay.ts: readCapture →
 * Decoder → Engine, default config, empty lists, the shipped geo-IP table).
 *
 *   node --import tsx bench/replay.bench.ts [--dir DIR] [--keep] [--rounds 3] [--scale 1] [--cpu-prof]
 *     [--captures mixed,flood,tracked] [--baseline CHECKOUT]
 *
 * 1. generates (seeded, bench/gen-capture.ts) a mixed capture (~1.5M SIP messages, phones and
 *    attackers, 125k sources), the issue-13 flood of the live bench (bench/gen-flood.ts, the
 *    same seed and bytes: 1M packets, 100k attacker addresses) and a "tracked" one (1M
 *    addresses, 4 messages each) into a temp dir (or DIR; files with a matching manifest
 *    are reused);
 * 2. compiles src/ and bench/ with tsc into DIR/js (plain node, as the daemon runs: no
 *    tsx loader in the figures), then replays each capture in a fresh child process
 *    pinned to one core (`taskset -c 1`), so peak RSS is the replay's own: messages/s by
 *    wall and by CPU time, peak RSS, peak heap; mixed and flood `--rounds` times, the
 *    FIRST round reported (no warm-up: each round is a new process; the others are listed
 *    to show the spread); the tracked capture once more with a forced GC per sample, for
 *    the live heap;
 * 3. `--cpu-prof`: one more profiled run of mixed and of flood, and their top functions by
 *    self and inclusive time.
 * `--baseline CHECKOUT` (another checkout of the repo, e.g. `git archive main | tar -x -C
 * DIR`, with node_modules linked): compiled too, and each round runs it right after this
 * checkout, so before and after are measured alternately in one sitting (same load).
 * `--captures` picks the captures (the tracked one is 2.2 GB and takes the longest).
 * Prints one result line per measurement. Targets (issue 13): ≥ 1M messages/s on one core
 * on mixed and flood, ≤ 256 MB RSS for 1M tracked addresses.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultConfig } from '../src/core/config/parse.js';
import { AccessLists } from '../src/core/lists/lists.js';
import type { Decision } from '../src/core/types.js';
import { GeoDatabase } from '../src/geoip/database.js';
import { replay } from '../src/replay/replay.js';
import { summarizeProfile } from './cpu-profile.js';
import { type Manifest, type Role, roleOf } from './gen-capture.js';
import { FLOOD_SEED } from './gen-flood.js';

const HERE = new URL('.', import.meta.url).pathname;
const REPO = dirname(HERE.replace(/\/$/, ''));
const SEED = 20260101;

interface Measure {
  file: string;
  wallMs: number;
  cpuMs: number;
  frames: number;
  sip: number;
  decisions: Record<string, number>;
  blockedByRole: Record<string, number>;
  reasons: Record<string, number>;
  trackedPeak: number;
  baseRssMb: number;
  maxRssMb: number;
  peakHeapMb: number;
  peakHeapTotalMb: number;
  peakExternalMb: number;
  samples: number;
  gcSampled: boolean;
  decoderDrops: number;
}

/** Child mode: one replay, one JSON line on stdout. */
async function measure(file: string, gcSample: boolean): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const config = defaultConfig(null, tmpdir());
  const lists = new AccessLists([], []);
  const geo = await GeoDatabase.load(null);
  const country = (ip: string) => geo.country(ip);
  gc?.();
  const baseRss = process.memoryUsage().rss;
  let peakHeap = 0;
  let peakHeapTotal = 0;
  let peakExternal = 0;
  let samples = 0;
  // Heap sampled between reads of the file (the replay awaits each chunk).
  const timer = setInterval(
    () => {
      if (gcSample) gc?.();
      const u = process.memoryUsage();
      peakHeap = Math.max(peakHeap, u.heapUsed);
      peakHeapTotal = Math.max(peakHeapTotal, u.heapTotal);
      peakExternal = Math.max(peakExternal, u.external);
      samples++;
    },
    gcSample ? 500 : 50,
  );
  const decisions: Record<string, number> = {};
  const reasons: Record<string, number> = {};
  const blocked = new Map<string, Role | 'other'>();
  const onDecision = (d: Decision) => {
    decisions[d.action] = (decisions[d.action] ?? 0) + 1;
    if (d.action === 'block' || d.action === 'permanent') {
      reasons[d.reason] = (reasons[d.reason] ?? 0) + 1;
      if (!blocked.has(d.ip)) blocked.set(d.ip, roleOf(d.ip) ?? 'other');
    }
  };
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const res = await replay([file], config, { lists, country }, onDecision);
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  clearInterval(timer);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  const blockedByRole: Record<string, number> = {};
  for (const role of blocked.values()) blockedByRole[role] = (blockedByRole[role] ?? 0) + 1;
  const m: Measure = {
    file,
    wallMs,
    cpuMs: (c.user + c.system) / 1000,
    frames: res.frames,
    sip: res.decoder.sip,
    decisions,
    blockedByRole,
    reasons,
    trackedPeak: res.engine.trackedIps,
    baseRssMb: baseRss / 2 ** 20,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    peakHeapMb: peakHeap / 2 ** 20,
    peakHeapTotalMb: peakHeapTotal / 2 ** 20,
    peakExternalMb: peakExternal / 2 ** 20,
    samples,
    gcSampled: gcSample,
    decoderDrops: res.decoder.drops + res.decoder.malformed,
  };
  process.stdout.write(`${JSON.stringify(m)}\n`);
}

const pin = (): string[] => (cpus().length > 1 ? ['taskset', '-c', '1'] : []);

/**
 * src/ and bench/ compiled into DIR/js with the repo's tsc (type errors in files being
 * edited elsewhere do not stop the emit). node_modules and data/ are linked beside it so
 * that packages and the shipped geo-IP table resolve as from dist/.
 */
function compile(dir: string, repo = REPO, name = 'js'): string {
  const REPO = repo;
  const out = join(dir, name);
  rmSync(out, { recursive: true, force: true });
  const config = join(dir, 'tsconfig.json');
  writeFileSync(
    config,
    JSON.stringify({
      extends: join(REPO, 'tsconfig.json'),
      compilerOptions: {
        rootDir: REPO,
        outDir: out,
        sourceMap: false,
        noEmitOnError: false,
        typeRoots: [join(REPO, 'node_modules/@types')],
      },
      include: [join(REPO, 'src/**/*.ts'), join(REPO, 'bench/replay.bench.ts')],
      exclude: [join(REPO, 'src/**/*.test.ts'), join(REPO, 'src/**/*.testkit.ts')],
    }),
  );
  spawnSync(join(REPO, 'node_modules/.bin/tsc'), ['-p', config], { encoding: 'utf8', timeout: 300_000 });
  const main = join(out, 'bench/replay.bench.js');
  if (!existsSync(main)) throw new Error(`tsc did not emit ${main}`);
  symlinkSync(join(REPO, 'node_modules'), join(out, 'node_modules'));
  symlinkSync(join(REPO, 'data'), join(out, 'data'));
  return out;
}

let JS = '';
let JS_BASE = '';

function child(args: string[], nodeFlags: string[] = [], js = JS): Measure {
  const argv = [
    ...pin(),
    process.execPath,
    '--expose-gc',
    ...nodeFlags,
    join(js, 'bench/replay.bench.js'),
    ...args,
  ];
  const r = spawnSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
    timeout: 30 * 60_000,
  });
  if (r.status !== 0) throw new Error(`measure child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measure;
}

function ensureCapture(dir: string, profile: string, scale: number, seed: number): Manifest {
  const file = join(dir, `${profile}.pcap`);
  const mf = `${file}.json`;
  if (existsSync(file) && existsSync(mf)) {
    const m = JSON.parse(readFileSync(mf, 'utf8')) as Manifest;
    if (m.seed === seed && m.profile === profile && m.scale === scale) return m;
  }
  const out = execFileSync(
    process.execPath,
    [
      join(JS, 'bench/gen-capture.js'),
      '--profile',
      profile,
      '--out',
      file,
      '--seed',
      `${seed}`,
      '--scale',
      `${scale}`,
    ],
    { encoding: 'utf8', timeout: 20 * 60_000 },
  );
  process.stdout.write(out);
  return JSON.parse(readFileSync(mf, 'utf8')) as Manifest;
}

const k = (n: number) => Math.round(n).toLocaleString('en');
const rate = (m: Measure, ms: number) => (m.sip / ms) * 1000;

function line(label: string, man: Manifest, m: Measure, extra = ''): void {
  const srcs = Object.values(man.sources).reduce((a, b) => a + (b ?? 0), 0);
  console.log(
    `replay ${label}: ${k(m.sip)} SIP messages (${k(m.frames)} frames, ${(man.bytes / 2 ** 20).toFixed(0)} MiB, ${k(srcs)} sources) ` +
      `in ${(m.wallMs / 1000).toFixed(2)} s wall / ${(m.cpuMs / 1000).toFixed(2)} s CPU = ` +
      `${k(rate(m, m.wallMs))} msg/s wall, ${k(rate(m, m.cpuMs))} msg/s CPU; ` +
      `peak RSS ${m.maxRssMb.toFixed(0)} MB (${m.baseRssMb.toFixed(0)} MB before the replay), ` +
      `peak heap used ${m.peakHeapMb.toFixed(0)} MB${m.gcSampled ? ' live (GC before each sample)' : ' (sampled, garbage included)'}, ` +
      `heap total ${m.peakHeapTotalMb.toFixed(0)} MB, external ${m.peakExternalMb.toFixed(0)} MB${extra}`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      measure: { type: 'string' },
      'gc-sample': { type: 'boolean', default: false },
      dir: { type: 'string' },
      keep: { type: 'boolean', default: false },
      rounds: { type: 'string', default: '3' },
      scale: { type: 'string', default: '1' },
      'cpu-prof': { type: 'boolean', default: false },
      captures: { type: 'string', default: 'mixed,flood,tracked' },
      baseline: { type: 'string' },
    },
  });
  const wanted = new Set(values.captures!.split(','));
  if (values.measure) return measure(values.measure, values['gc-sample']!);

  const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'sipprot-replay-'));
  mkdirSync(dir, { recursive: true });
  const scale = Number(values.scale);
  try {
    console.log(
      `replay machine: ${cpus().length} × ${cpus()[0]?.model}, load average ${loadavg()[0]!.toFixed(2)}, node ${process.version}, pinned: ${pin().join(' ') || 'no'}`,
    );
    JS = compile(dir);
    if (values.baseline) JS_BASE = compile(dir, values.baseline, 'js-baseline');
    const caps: Record<string, Manifest> = {};
    if (wanted.has('mixed')) caps.mixed = ensureCapture(dir, 'mixed', scale, SEED);
    if (wanted.has('flood')) caps.flood = ensureCapture(dir, 'flood', scale, FLOOD_SEED);
    for (const [name, man] of Object.entries(caps)) {
      // Each round is a fresh process: the first is reported, nothing warms it up.
      const runs: Measure[] = [];
      const base: Measure[] = [];
      for (let i = 0; i < Number(values.rounds); i++) {
        runs.push(child(['--measure', join(dir, `${name}.pcap`)]));
        if (JS_BASE) base.push(child(['--measure', join(dir, `${name}.pcap`)], [], JS_BASE));
      }
      if (JS_BASE)
        line(
          `${name} BASELINE ${values.baseline} (alternating with this checkout; msg/s CPU of each: ${base.map((r) => k(rate(r, r.cpuMs))).join(' / ')}; load now ${loadavg()[0]!.toFixed(2)})`,
          man,
          base[0]!,
          `; decisions ${JSON.stringify(base[0]!.decisions)}`,
        );
      const first = runs[0]!;
      const byRole = Object.entries(first.blockedByRole)
        .map(([r, n]) => `${r} ${n}`)
        .join(', ');
      const attackers = Object.entries(man.sources)
        .filter(([r]) => r !== 'phone')
        .reduce((a, [, n]) => a + (n ?? 0), 0);
      line(
        `${name} (first of ${runs.length} fresh processes; msg/s CPU of each: ${runs.map((r) => k(rate(r, r.cpuMs))).join(' / ')})`,
        man,
        first,
        `; blocked: ${byRole || 'none'} of ${k(attackers)} attackers (phone = phones wrongly blocked); ` +
          `tracked addresses at the end ${k(first.trackedPeak)}; decisions ${JSON.stringify(first.decisions)}`,
      );
      if (first.sip !== man.messages)
        console.log(`replay ${name}: WARNING decoded ${first.sip} of ${man.messages} generated messages`);
    }
    if (wanted.has('tracked')) {
      const tracked = ensureCapture(dir, 'tracked', scale, SEED);
      const t = child(['--measure', join(dir, 'tracked.pcap')]);
      line('tracked', tracked, t, `; tracked addresses at the end ${k(t.trackedPeak)}`);
      const tg = child(['--measure', join(dir, 'tracked.pcap'), '--gc-sample']);
      line(
        'tracked (memory)',
        tracked,
        tg,
        `; tracked addresses at the end ${k(tg.trackedPeak)}, ${tg.samples} samples`,
      );
    }
    if (values['cpu-prof']) {
      for (const name of Object.keys(caps)) {
        const profDir = join(dir, `prof-${name}`);
        rmSync(profDir, { recursive: true, force: true });
        child(['--measure', join(dir, `${name}.pcap`)], ['--cpu-prof', '--cpu-prof-dir', profDir]);
        // Thread 0 is the main thread.
        const prof = readdirSync(profDir).find((f) => /\.0\.\d+\.cpuprofile$/.test(f))!;
        const top = summarizeProfile(join(profDir, prof), 25);
        console.log(`replay profile (${name}, ${join(profDir, prof)}), by self time:`);
        for (const l of top.self) console.log(`  ${l}`);
        console.log('replay profile, by inclusive time (self + callees):');
        for (const l of top.inclusive) console.log(`  ${l}`);
      }
    }
  } finally {
    if (JS) rmSync(JS, { recursive: true, force: true });
    if (JS_BASE) rmSync(JS_BASE, { recursive: true, force: true });
    if (!values.keep && !values.dir) rmSync(dir, { recursive: true, force: true });
    else console.log(`replay: captures kept in ${dir}`);
  }
}

await main();

/**
 * Live flood: does the real daemon keep up with a SIP flood on a real interface? (issue 13,
 * target 1: ≥ 150k SIP packets/s captured and judged with 0 kernel drops; ≤ 2% of a core
 * at 1k msg/s; memory bounded). Root only.
 *
 *   npm run build && node --import tsx bench/live/flood.bench.ts [--rates 1000,20000,50000,100000,150000,200000]
 *        [--packets 1000000] [--max-seconds 60] [--settle S] [--dir DIR] [--json FILE] [--cpu-prof RATE] [--nice N] [--root DIR] [--keep]
 *        [--reference sipprotd,tcpdump,tcpdump-immediate,node-count] [--repeat N] [--mix issue|phones] [--conf KEY=VALUE ...]
 *        [--timer gtod|nano|select] [--pps-multi N] [--idle S] [--trace] [--ns-label NAME]
 *
 * 1. generates (seeded, bench/gen-flood.ts) the issue's capture: 1M packets, 30% phones doing
 *    the digest dance, 70% single wrong-password attempts from 100k addresses, all in
 *    198.18.0.0/15, Ethernet frames between two MACs nobody owns (reused from --dir);
 * 2. two namespaces (sptest-bench-live-{tx,rx}-PID-N) joined by a veth; the sender gets
 *    `ip route add local 198.18.0.0/15 dev lo` and no other route, the receiver no address
 *    at all: the frames are for nobody, only a packet capture sees them, nothing answers;
 * 3. per rate, a FRESH `sipprotd run` (dist/, fresh STATE_DIR, INTERFACES=eth0, defaults
 *    otherwise) in the receiver, with the in-process probe (bench/live/probe.mjs); `--idle`
 *    5 s of idle from "sipprotd started" (its CPU and its main thread's are reported; with
 *    `--idle` over 60 s the first minute and the rest apart, with the main thread's wake-ups
 *    a second and each thread's CPU), then `tcpreplay --pps=RATE --limit=N` from the sender,
 *    N = min(packets, RATE × (settle + max-seconds)); when the daemon's CPU falls quiet (drained):
 *    packets sent (tcpreplay), captured, kernel-dropped and ring-dropped (from `sipprot status
 *    --json`), SIP messages judged (the decoder's count, same source), CPU over send + drain
 *    (/proc): the whole daemon = its process (main thread, other threads by name) + every
 *    child process, exited or still running (`nft -i`, `nft monitor`, one-shot `nft`), RSS (sampled
 *    every 200 ms, and VmHWM), event-loop lag and GC pauses (probe), blocks made, and how
 *    long after the send the store writer had nothing left to commit (writerCatchUp);
 *    `--settle S`: the window starts S seconds into the flood (the fresh daemon's JIT has
 *    tiered up the packet path by then: what a long-running daemon costs at that rate);
 * 4. `--cpu-prof RATE`: one more run at RATE with a V8 CPU profile of the send + drain
 *    period (top functions by self and inclusive time).
 * The floors under target 1 (issue 13): `--reference` runs, per rate, each of the listed in
 * the daemon's place — `sipprotd` (the default), `tcpdump` (a bare libpcap capture with the
 * daemon's filter, snap length and kernel buffer, `-w /dev/null`, libpcap's batched
 * default) and `tcpdump-immediate` (the same with `--immediate-mode`: a wake-up per packet,
 * as the daemon's capture) — fresh processes, alternating, `--repeat` times; tcpdump's CPU,
 * wake-ups a packet, its own counters (captured, kernel drops). Every line also gives
 * tcpreplay's own CPU and the machine's (/proc/stat: user, system, softirq, idle of both
 * cores). `--mix phones`: phones only (registrations, OPTIONS keep-alives, calls; nothing
 * to block); `--conf DISTRIBUTED_BLOCK=no`: the same flood with no blocks (what the blocks
 * cost is the difference). `node-count` (bench/live/counter.ts): a Node process with
 * sipprot's capture (ROOT's dist/capture/live.js, the addon's thread and ring) and a consumer
 * that only counts — the floor of any Node design that judges per packet on arrival; CPU
 * and wake-ups a packet per thread (event loop, capture thread).
 * `--timer`, `--pps-multi`: tcpreplay's own (its default, gtod, waits by spinning on the
 * clock: a core at any rate; `--timer nano` sleeps, `--pps-multi 10` sends 10 a tick).
 * `--nice=-10` runs the daemon and tcpreplay ahead of the machine's other work (a shared
 * machine: the daemon's main thread otherwise waits for a core; the line says how long),
 * each in a session whose autogroup has that nice (daemon.ts niceArgv). `--trace`: the
 * probe records the main thread's timeline (bench/lag-trace.mjs) and the run prints what
 * the late lag samples were made of (bench/lag-attribution.ts). `--ns-label NAME` puts NAME
 * in the namespaces' names (sptest-bench-live-NAME-tx-PID-N).
 * Prints one line per run, writes every figure to --json. Every process is stopped by PID,
 * the namespaces deleted, also on failure or Ctrl-C.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { Netns } from '../../test/netns.testkit.js';
import { profileStalls, summarizeProfile } from '../cpu-profile.js';
import {
  FLOOD_MACS,
  FLOOD_PREFIX,
  type FloodManifest,
  type FloodMix,
  generateFlood,
  FLOOD_SEED as SEED,
} from '../gen-flood.js';
import { attributionReport, type LagTrace } from '../lag-attribution.js';
import { run, sleep, stopAll } from '../latency/proc.js';
import { counterLine, counterResult, NodeCounterUnderTest } from './counter.js';
import {
  CLK_TCK,
  type CpuSample,
  cpuOf,
  DaemonUnderTest,
  type LiveStatus,
  niceArgv,
  runTimes,
  ticksOf,
  waitQuiet,
} from './daemon.js';
import {
  CATCH_UP_BOUND_S,
  type FloodRun,
  type IdleSample,
  idleFigures,
  line,
  type ReferenceRun,
  type Replay,
  referenceLine,
  referenceResult,
  result,
  type Window,
} from './flood-report.js';
import { machineCpu, TcpdumpUnderTest } from './reference.js';

const HERE = dirname(new URL(import.meta.url).pathname);
const REPO = dirname(dirname(HERE));
const TX_MAC = '02:42:be:00:00:01';
const RX_MAC = '02:42:be:00:00:02';

const { values } = parseArgs({
  options: {
    rates: { type: 'string', default: '1000,20000,50000,100000,150000,200000' },
    packets: { type: 'string', default: '1000000' },
    'max-seconds': { type: 'string', default: '60' },
    settle: { type: 'string', default: '0' },
    dir: { type: 'string' },
    json: { type: 'string' },
    'cpu-prof': { type: 'string' },
    root: { type: 'string', default: REPO },
    keep: { type: 'boolean', default: false },
    'no-probe': { type: 'boolean', default: false },
    trace: { type: 'boolean', default: false },
    'ns-label': { type: 'string' },
    nice: { type: 'string', default: '0' },
    reference: { type: 'string', default: 'sipprotd' },
    repeat: { type: 'string', default: '1' },
    mix: { type: 'string', default: 'issue' },
    conf: { type: 'string', multiple: true, default: [] },
    timer: { type: 'string' },
    'pps-multi': { type: 'string', default: '1' },
    idle: { type: 'string', default: '5' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}
const RATES = values.rates!.split(',').map(Number);
const PACKETS = Number(values.packets);
const MAX_S = Number(values['max-seconds']);
const SETTLE_S = Number(values.settle);
const PROF_RATE = values['cpu-prof'] ? Number(values['cpu-prof']) : null;
const ROOT = values.root!;
const PROBE = !values['no-probe'];
const TRACE = values.trace && PROBE;
const NS_LABEL = values['ns-label'] ? `${values['ns-label']}-` : '';
const NICE = Number(values.nice);
const REFERENCES = values.reference!.split(',');
const REPEAT = Number(values.repeat);
const MIX = values.mix as FloodMix;
const CONF = values.conf as string[];
const TIMER = values.timer ?? null;
const PPS_MULTI = Number(values['pps-multi']);
const IDLE_S = Number(values.idle);
if (process.getuid?.() !== 0)
  throw new Error('flood.bench: needs root (network namespaces, libpcap, nftables)');
if (
  RATES.some((r) => !(r >= 100 && r <= 1_000_000)) ||
  !(PACKETS >= 1000 && PACKETS <= 5_000_000) ||
  !(MAX_S >= 1 && MAX_S <= 300) ||
  !(SETTLE_S >= 0 && SETTLE_S <= 300) ||
  (PROF_RATE !== null && !(PROF_RATE >= 100 && PROF_RATE <= 1_000_000)) ||
  !(Number.isInteger(NICE) && NICE >= -20 && NICE <= 19) ||
  !(Number.isInteger(REPEAT) && REPEAT >= 1 && REPEAT <= 20) ||
  REFERENCES.some((x) => !['sipprotd', 'tcpdump', 'tcpdump-immediate', 'node-count'].includes(x)) ||
  !['issue', 'phones'].includes(MIX) ||
  (TIMER !== null && !['select', 'ioport', 'gtod', 'nano'].includes(TIMER)) ||
  !(Number.isInteger(PPS_MULTI) && PPS_MULTI >= 1 && PPS_MULTI <= 1000) ||
  !(IDLE_S >= 1 && IDLE_S <= 600) ||
  CONF.some((c) => !/^[A-Z_]+=[\w.,:-]*$/.test(c))
)
  throw new Error(
    'flood.bench: --rates 100-1000000 each, --packets 1000-5000000, --max-seconds 1-300, --settle 0-300, --nice -20-19, ' +
      '--repeat 1-20, --reference sipprotd|tcpdump|tcpdump-immediate|node-count (a list), --mix issue|phones, --conf KEY=VALUE, ' +
      '--timer select|ioport|gtod|nano, --pps-multi 1-1000, --idle 1-600',
  );
if (!existsSync(join(ROOT, 'dist/cli/sipprotd.js')))
  throw new Error(`flood.bench: ${ROOT}/dist is not built (run: npm run build)`);

async function ensureCapture(dir: string): Promise<{ file: string; m: FloodManifest }> {
  const file = join(dir, MIX === 'issue' ? 'flood.pcap' : `flood-${MIX}.pcap`);
  const mf = `${file}.json`;
  if (existsSync(file) && existsSync(mf)) {
    const m = JSON.parse(readFileSync(mf, 'utf8')) as FloodManifest;
    if (m.seed === SEED && m.scale === PACKETS / 1e6 && (m.mix ?? 'issue') === MIX) return { file, m };
  }
  const t = performance.now();
  const m = generateFlood({ out: file, seed: SEED, packets: PACKETS, mix: MIX });
  console.log(
    `flood capture: ${m.messages.toLocaleString('en')} packets (${m.phonePackets.toLocaleString('en')} phone, ` +
      `${m.attackPackets.toLocaleString('en')} attack from ${m.attackersUsed.toLocaleString('en')} addresses), ` +
      `${(m.bytes / 2 ** 20).toFixed(0)} MiB, generated in ${((performance.now() - t) / 1000).toFixed(1)} s → ${file}`,
  );
  return { file, m };
}

async function network(): Promise<{ tx: Netns; rx: Netns }> {
  const tx = await Netns.create(`bench-live-${NS_LABEL}tx`);
  const rx = await Netns.create(`bench-live-${NS_LABEL}rx`);
  if (FLOOD_MACS.includes(TX_MAC) || FLOOD_MACS.includes(RX_MAC)) throw new Error('MAC plan collides');
  // The veth is made inside the two namespaces: no interface ever appears in the root one.
  await tx.exec([
    ...['ip', 'link', 'add', 'eth0', 'address', TX_MAC, 'type', 'veth'],
    ...['peer', 'name', 'eth0', 'address', RX_MAC, 'netns', rx.name],
  ]);
  await tx.exec(['ip', 'link', 'set', 'eth0', 'up']);
  await rx.exec(['ip', 'link', 'set', 'eth0', 'up']);
  // Every address of the capture is this namespace's own: nothing could be routed anywhere.
  await tx.exec(['ip', 'route', 'add', 'local', FLOOD_PREFIX, 'dev', 'lo']);
  return { tx, rx };
}

/** Ticks of the children this process has reaped (cutime + cstime). */
const waitedSelf = () => ticksOf('/proc/self/stat', 'waited');
let reapedOther = 0;
const otherReaped = () => reapedOther;

async function replay(tx: Netns, file: string, rate: number, count: number): Promise<Replay> {
  const seconds = count / rate;
  reapedOther = 0;
  const w0 = waitedSelf();
  const r = await run(
    'ip',
    [
      'netns',
      'exec',
      tx.name,
      ...(NICE ? niceArgv(NICE) : []),
      'tcpreplay',
      '-i',
      'eth0',
      `--pps=${rate}`,
      ...(TIMER ? [`--timer=${TIMER}`] : []),
      ...(PPS_MULTI > 1 ? [`--pps-multi=${PPS_MULTI}`] : []),
      `--limit=${count}`,
      `--duration=${Math.ceil(seconds) + 10}`,
      file,
    ],
    { timeoutMs: Math.ceil((seconds + 30) * 1000) },
  );
  // tcpreplay's CPU, as the bench reaped it (minus other children reaped meanwhile).
  const cpuTicks = waitedSelf() - w0 - otherReaped();
  const out = r.stdout + r.stderr;
  const actual = /Actual: (\d+) packets \(\d+ bytes\) sent in ([\d.]+) seconds/.exec(out);
  if (r.code !== 0 || !actual) throw new Error(`tcpreplay failed (${r.code}): ${out.slice(-500)}`);
  return {
    sent: Number(actual[1]),
    seconds: Number(actual[2]),
    pps: Number(/([\d.]+) pps/.exec(out)?.[1] ?? 0),
    failed: Number(/Failed packets:\s+(\d+)/.exec(out)?.[1] ?? 0),
    cpuSeconds: cpuTicks / CLK_TCK,
  };
}

/** Sends `count` packets at `rate`; CPU and RSS of the daemon over send + drain. */
async function flood(
  d: { cpu(): CpuSample; memory?(): { rssMb: number } },
  tx: Netns,
  file: string,
  rate: number,
  count: number,
  /** The daemon's status where a --settle window starts (null: the window is the whole flood). */
  settled: (() => Promise<LiveStatus>) | null,
  /** The store writer's backlog in bytes (the daemon only; null: it reports none). */
  backlog?: () => Promise<number | null>,
): Promise<Window> {
  const rss = () => d.memory?.().rssMb ?? 0;
  let rssPeakMb = rss();
  const sampler = setInterval(() => {
    rssPeakMb = Math.max(rssPeakMb, rss());
  }, 200);
  try {
    let c0 = d.cpu();
    let m0 = machineCpu();
    const sending = replay(tx, file, rate, count);
    let from: LiveStatus | null = null;
    if (SETTLE_S > 0 && settled) {
      // The window starts once the fresh daemon has judged SETTLE_S seconds of the flood.
      await Promise.race([sleep(SETTLE_S * 1000), sending]);
      const r0 = waitedSelf();
      from = await settled();
      reapedOther += waitedSelf() - r0; // the status command's own CPU is not tcpreplay's
      c0 = d.cpu();
      m0 = machineCpu();
    }
    const rep = await sending;
    const sent = d.cpu();
    const sentMachine = machineCpu();
    // Watched from the send's end, beside the drain: the CPU can fall quiet (under 10% of a
    // core) while the writer still commits what the flood left.
    const catching = backlog ? writerCatchUp(backlog, sent.at) : null;
    const quiet = await waitQuiet(d, { quietMs: 1000, maxMs: 120_000 });
    // At low rates the daemon is "quiet" all along: the window ends with the last packet.
    const c1 = quiet === null ? d.cpu() : quiet.at > sent.at ? quiet : sent;
    const writer = catching ? await catching : null;
    // The machine over the send: what tcpreplay, the capture and everything else left idle.
    return {
      rep,
      c0,
      c1,
      rssPeakMb,
      from,
      settleSeconds: settled ? SETTLE_S : 0,
      m0,
      m1: sentMachine,
      writer,
    };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * How long after the send ended the store writer had nothing left to commit: its backlog
 * polled every 250 ms (the first poll at the send's end), bounded by CATCH_UP_BOUND_S; null
 * when the daemon reports no writer.
 */
async function writerCatchUp(
  backlog: () => Promise<number | null>,
  sentAt: number,
): Promise<Window['writer']> {
  let polls = 0;
  for (;;) {
    const bytes = await backlog().catch(() => null);
    polls++;
    if (bytes === null) return null;
    const seconds = (performance.now() - sentAt) / 1000;
    if (bytes === 0) return { seconds, leftBytes: 0, polls };
    if (seconds > CATCH_UP_BOUND_S) return { seconds: null, leftBytes: bytes, polls };
    await sleep(250);
  }
}

/**
 * The idle window from "sipprotd started": samples at its start, after its first minute
 * (when it is longer) and at its end (flood-report.ts idleFigures).
 */
async function idleWindow(d: DaemonUnderTest): Promise<IdleSample[]> {
  const sample = (): IdleSample => ({ cpu: d.cpu(), run: runTimes(d.pid) });
  const out = [sample()];
  const t0 = performance.now();
  for (const s of IDLE_S > 60 ? [60, IDLE_S] : [IDLE_S]) {
    await sleep(Math.max(0, s * 1000 - (performance.now() - t0)));
    out.push(sample());
  }
  return out;
}

async function oneRun(
  rx: Netns,
  tx: Netns,
  file: string,
  tmp: string,
  rate: number,
  profile: boolean,
  n = 0,
): Promise<{ run: FloodRun; profile: string | null }> {
  const probe = PROBE || profile;
  const d = new DaemonUnderTest({
    root: ROOT,
    ns: rx.name,
    dir: join(tmp, `r${rate}-${n}${profile ? '-prof' : ''}`),
    settings: ['INTERFACES=eth0', 'PROTOCOLS=udp,tcp', 'SIP_PORTS=5060', 'NOTIFY_DAILY=no', ...CONF],
    probe,
    profile,
    trace: TRACE,
    nice: NICE,
  });
  d.spawn();
  try {
    await d.waitStarted();
    const rssStartMb = d.memory().rssMb;
    const idle = await idleWindow(d);
    const before = await d.status();
    if (probe) await d.probe(); // closes the start-up period
    const loadBefore = loadavg();
    const count = Math.min(PACKETS, Math.round(rate * (MAX_S + SETTLE_S)));
    const w = await flood(
      d,
      tx,
      file,
      rate,
      count,
      async () => {
        const s = await d.status();
        if (probe) await d.probe(); // the probe's report covers the window only
        return s;
      },
      () => d.writerBacklog(),
    );
    const report = probe ? await d.probe() : null;
    const traced = TRACE && report ? d.traceFile(report.seq) : null;
    if (traced) {
      console.log(`lag attribution at ${rate}/s (${traced}):`);
      for (const l of attributionReport(JSON.parse(readFileSync(traced, 'utf8')) as LagTrace, 5))
        console.log(`  ${l}`);
    }
    const after = await d.status();
    const mem = d.memory();
    const run = result(rate, profile, w, before, after, report);
    Object.assign(run, { mix: MIX, conf: CONF });
    Object.assign(run, {
      ...idleFigures(idle),
      rssStartMb,
      rssPeakMb: Math.max(w.rssPeakMb, mem.rssMb),
      hwmMb: mem.hwmMb,
      loadBefore,
      loadAfter: loadavg(),
    });
    return { run, profile: profile && report ? d.profileFile(report.seq) : null };
  } finally {
    await d.stop();
  }
}

/** tcpdump in the daemon's place: the same flood, a bare libpcap capture. */
async function oneReference(
  rx: Netns,
  tx: Netns,
  file: string,
  tmp: string,
  rate: number,
  reference: string,
  n: number,
): Promise<ReferenceRun> {
  const dir = join(tmp, `${reference}-${rate}-${n}`);
  mkdirSync(dir, { recursive: true });
  const t = new TcpdumpUnderTest({
    ns: rx.name,
    dir,
    immediate: reference === 'tcpdump-immediate',
    nice: NICE,
  });
  t.spawn();
  try {
    await t.waitStarted();
    await sleep(IDLE_S * 1000);
    const before = loadavg();
    const count = Math.min(PACKETS, Math.round(rate * (MAX_S + SETTLE_S)));
    // No --settle: tcpdump's counters cover the whole flood, so its window does too.
    const w = await flood(t, tx, file, rate, count, null);
    // libpcap's default hands a half-full block over after tcpdump's 1 s timeout.
    await sleep(1500);
    const after = loadavg();
    const stats = await t.stop();
    return referenceResult(reference, rate, MIX, w, stats, { before, after });
  } finally {
    await t.stop().catch(() => undefined);
  }
}

/** sipprot's capture with a consumer that only counts, in the daemon's place (counter.ts). */
async function oneCounter(rx: Netns, tx: Netns, file: string, tmp: string, rate: number, n: number) {
  const dir = join(tmp, `node-count-${rate}-${n}`);
  mkdirSync(dir, { recursive: true });
  const t = new NodeCounterUnderTest({ root: ROOT, ns: rx.name, dir, nice: NICE });
  t.spawn();
  try {
    await t.waitStarted();
    await sleep(IDLE_S * 1000);
    const before = loadavg();
    const count = Math.min(PACKETS, Math.round(rate * (MAX_S + SETTLE_S)));
    const t0 = t.threads();
    const w = await flood({ cpu: () => cpuOf(t.pid) }, tx, file, rate, count, null);
    const t1 = t.threads();
    const after = loadavg();
    const stats = await t.stop();
    return counterResult(referenceResult('node-count', rate, MIX, w, stats, { before, after }), t0, t1);
  } finally {
    await t.stop().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'sipprot-flood-'));
  const dir = values.dir ?? tmp;
  mkdirSync(dir, { recursive: true });
  let nets: { tx: Netns; rx: Netns } | null = null;
  const cleanup = async () => {
    await stopAll();
    await nets?.tx.destroy();
    await nets?.rx.destroy();
  };
  const onSignal = () => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const runs: (FloodRun | ReferenceRun)[] = [];
  try {
    const versions = await Promise.all([
      run('tcpreplay', ['--version']).then((r) => /tcpreplay version: (\S+)/.exec(r.stdout + r.stderr)?.[1]),
      run('uname', ['-r']).then((r) => r.stdout.trim()),
      run('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']).then((r) => r.stdout.trim()),
    ]);
    console.log(
      `live machine (nice ${NICE}): ${cpus().length} × ${cpus()[0]?.model}, load ${loadavg()
        .map((x) => x.toFixed(2))
        .join(
          ' ',
        )}, kernel ${versions[1]}, node ${process.version}, tcpreplay ${versions[0]}, code ${versions[2]} (${ROOT})`,
    );
    const { file } = await ensureCapture(dir);
    nets = await network();
    const { tx, rx } = nets;
    for (const rate of RATES) {
      for (let n = 0; n < REPEAT; n++) {
        for (const ref of REFERENCES) {
          if (ref === 'node-count') {
            const r = await oneCounter(rx, tx, file, tmp, rate, n);
            runs.push(r);
            console.log(counterLine(r));
          } else if (ref === 'sipprotd') {
            const { run: r } = await oneRun(rx, tx, file, tmp, rate, false, n);
            runs.push(r);
            console.log(line(r));
          } else {
            const r = await oneReference(rx, tx, file, tmp, rate, ref, n);
            runs.push(r);
            console.log(referenceLine(r));
          }
        }
      }
    }
    if (PROF_RATE !== null) {
      const { run: r, profile } = await oneRun(rx, tx, file, tmp, PROF_RATE, true);
      runs.push(r);
      console.log(line(r));
      if (profile) {
        const kept = join(dir, `flood-${PROF_RATE}.cpuprofile`);
        copyFileSync(profile, kept);
        const top = summarizeProfile(kept, 30);
        console.log(`live profile (${kept}, send + drain), by self time:`);
        for (const l of top.self) console.log(`  ${l}`);
        console.log('live profile, by inclusive time (self + callees):');
        for (const l of top.inclusive) console.log(`  ${l}`);
        console.log('live profile, longest stretches without idle (the event loop never polled; ≥ 20 ms):');
        for (const l of profileStalls(kept, 20, 12)) console.log(`  ${l}`);
      }
    }
  } finally {
    await cleanup();
    if (values.json) writeFileSync(values.json, `${JSON.stringify(runs, null, 1)}\n`);
    if (values.keep) console.log(`flood: files kept in ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

await main();

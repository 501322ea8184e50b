/**
 * The live decision path without the capture (issue 13): the real daemon (`Daemon.start`,
 * real SQLite store with its writer thread, history, log, metrics), the fake firewall
 * (the same contract as nftables, no root) and frames handed in as the capture hands them
 * (src/capture/live.ts: up to 2 ms of frames a turn, the clock read after every frame, then
 * a turn of the event loop). Input: the live
 * flood bench's capture (bench/gen-flood.ts, seed 20260113: 30% phones, 70% single
 * wrong-password attempts from 100k addresses, every attacker blocked by the issue-12
 * distributed rule), times shifted to now.
 *
 *   node --import tsx bench/daemon-path.bench.ts [--packets 300000] [--runs 3] [--dir DIR]
 *        [--root DIR[,DIR2]] [--cpu-prof DIR] [--conf KEY=VALUE]... [--rate N] [--live-view] [--notify] [--stalls MS]
 *        [--node-flags "FLAGS"]...
 *
 * Prints per fresh process (nothing warms it up beyond the daemon's own start):
 * microseconds of CPU per message on the MAIN THREAD (/proc/self/task/PID/stat: what
 * bounds the rate one event loop can judge) and of the whole process (the store
 * writer thread included), blocks, peak heap and RSS, the event loop's lateness while fed
 * (p99 and max of a 10 ms timer's delay, as the daemon's status measures it), its GC pauses
 * (count, total, longest, and the part that was not scavenges) and the log
 * lines written (all, and those that are decisions). With two --root checkouts (each
 * with dist/ built) the runs alternate A, B, A, B… on the same machine: ratios from one
 * run, the way a loaded shared machine can still answer "which is faster". --conf adds a
 * config line (`--conf DISTRIBUTED_BLOCK=no`: the same traffic without its 52k blocks, to
 * tell the cost of judging from the cost of blocking). --rate N paces the frames at N a
 * second in real time (each stamped with its arrival, a timer turn between them, as a
 * capture wakes the daemon at low rates): CPU at 1k msg/s, wake-ups and commits included.
 * --live-view: the web UI on (WEB_LISTEN on loopback) with one live view open for the
 * whole run (`curl -N` on /api/dynamic/events, another process, as a browser would be):
 * what an admin watching the flood costs the daemon; the events and bytes it got are printed.
 * --notify: mail (SMTP_HOST on a loopback port nothing listens on, one recipient) and a
 * webhook (the same port) configured: every alert is queued as a mail and a webhook message,
 * whose delivery fails and is retried later (the queue's cost, without a server's).
 * --stalls MS: what held the event loop (bench/loop-stalls.ts): the gaps of a 1 ms timer
 * (p50/p99/max), those ≥ MS with the GC pauses inside, and with --cpu-prof what ran in them.
 * --node-flags "FLAGS" (once per --root, in order): node/V8 flags for that side's processes
 * (`--root X,X --node-flags '' --node-flags '--max-semi-space-size=32'`: a flag A/B on one tree).
 * --alloc-prof FILE: V8's sampling heap profile of the feed, short-lived objects included,
 * written to FILE.A-RUN.heapprofile; prints the bytes a message each function allocates.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { FLOOD_SEED, generateFlood } from './gen-flood.js';
import { attributionReport, defaultGroup } from './lag-attribution.js';
import { startLagTrace } from './lag-trace.mjs';
import { mainThreadCpuMs } from './live/daemon.js';
import {
  allocationReport,
  type StallWatch,
  sampleAllocations,
  stallReport,
  watchStalls,
} from './loop-stalls.js';

const HERE = dirname(new URL(import.meta.url).pathname);
const REPO = dirname(HERE);
/** As src/capture/live.ts drains its ring: BUDGET_MS of frames, the clock after each. */
const BUDGET_MS = 2;

const { values } = parseArgs({
  options: {
    packets: { type: 'string', default: '300000' },
    runs: { type: 'string', default: '3' },
    dir: { type: 'string' },
    root: { type: 'string', default: REPO },
    'cpu-prof': { type: 'string' },
    conf: { type: 'string', multiple: true, default: [] },
    rate: { type: 'string' },
    measure: { type: 'string' },
    'live-view': { type: 'boolean', default: false },
    stalls: { type: 'string' },
    'alloc-prof': { type: 'string' },
    trace: { type: 'boolean', default: false },
    'no-spans': { type: 'boolean', default: false },
    notify: { type: 'boolean', default: false },
    'node-flags': { type: 'string', multiple: true, default: [] },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}

interface Result {
  root: string;
  messages: number;
  wallMs: number;
  mainCpuMs: number;
  processCpuMs: number;
  blocks: number;
  peakHeapMb: number;
  maxRssMb: number;
  /** How late a 10 ms timer fired while the frames were fed (ms): p99, max. */
  lag: [number, number];
  /** Log lines written, and of them decisions and alerts. */
  logLines: number;
  decisionLines: number;
  alertLines: number;
  load: [number, number];
  /** GC pauses while fed: count, total and longest ms, and the ms not in scavenges. */
  gc: { count: number; totalMs: number; maxMs: number; majorMs: number };
  /** --stalls: when a 1 ms timer fired, and the GC pauses (loop-stalls.ts). */
  stalls?: StallWatch;
  /** --trace: what the late lag samples were made of (bench/lag-attribution.ts). */
  attribution?: string[];
  /** --live-view: the events (after `ready`) and bytes the open view got. */
  liveView?: { events: number; bytes: number };
}

/** Lines, decision lines and alert lines of a pino JSON log. */
function countLog(file: string): [number, number, number] {
  if (!existsSync(file)) return [0, 0, 0];
  let lines = 0;
  let decisions = 0;
  let alerts = 0;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue;
    lines++;
    if (line.includes('"event":"decision"')) decisions++;
    else if (line.includes('"event":"alert"')) alerts++;
  }
  return [lines, decisions, alerts];
}

async function measure(root: string, capture: string, packets: number): Promise<void> {
  const load = async (p: string) => import(pathToFileURL(join(root, p)).href);
  const { parseConfig } = await load('dist/core/config/parse.js');
  const { Daemon } = await load('dist/daemon/daemon.js');
  const { readCaptureBatches } = await load('dist/capture/pcap-file.js');
  const { FakeFirewall } = await load('src/firewall/firewall.fake.ts');
  const { pino } = await import('pino');
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-daemon-path-'));
  try {
    const conf = join(dir, 'sipprot.conf');
    const closed = values.notify ? await freePort() : 0;
    const notify = closed
      ? [`SMTP_HOST=127.0.0.1`, `SMTP_PORT=${closed}`, `WEBHOOK_URLS=json:http://127.0.0.1:${closed}/hook`]
      : [];
    const extra = [...notify, ...(values.conf ?? [])].map((l) => `${l}\n`).join('');
    const web = values['live-view'] ? await freePort() : 0;
    const listen = web ? `127.0.0.1:${web}` : 'off';
    writeFileSync(conf, `STATE_DIR=${dir}/state\nWEB_LISTEN=${listen}\n${extra}`);
    if (web || closed) {
      const { SqliteStore } = await load('dist/store/sqlite-store.js');
      const { setAdminPassword } = await load('dist/platform/admin-password.js');
      const s = SqliteStore.open(`${dir}/state`);
      if (web) await setAdminPassword(s, LIVE_PASSWORD);
      if (closed) await s.addRecipient('admin@example.org');
      await s.close();
    }
    const config = parseConfig(readFileSync(conf, 'utf8'), { source: conf });
    let blocks = 0;
    const firewall = new FakeFirewall();
    const block = firewall.block.bind(firewall);
    firewall.block = (ip: string, t: number | null) => {
      blocks++;
      return block(ip, t);
    };
    const dest = pino.destination({ dest: join(dir, 'log'), sync: false });
    const daemon = await Daemon.start(config, {
      firewall,
      capture: false,
      logger: pino({ level: 'info' }, dest),
      configPath: conf,
      hostFacts: () => ({
        own: [{ ip: '198.19.255.254', iface: 'eth0' }],
        resolvers: [],
        gateways: [],
        sshPeers: [],
      }),
    });
    const view = web ? await openLiveView(web, join(dir, 'events')) : null;
    const sink = daemon.packets;
    let n = 0;
    let shift = 0;
    let peakHeap = 0;
    const l0 = loadavg()[0]!;
    const m0 = mainThreadCpuMs();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const gc = { count: 0, totalMs: 0, maxMs: 0, majorMs: 0 };
    const gcSeen = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        gc.count++;
        gc.totalMs += e.duration;
        gc.maxMs = Math.max(gc.maxMs, e.duration);
        if ((e as { detail?: { kind?: number } }).detail?.kind !== 1) gc.majorMs += e.duration;
      }
    });
    gcSeen.observe({ entryTypes: ['gc'] });
    const stalls = values.stalls ? watchStalls() : null;
    const trace = values.trace ? startLagTrace({ spans: !values['no-spans'] }) : null;
    const allocs = values['alloc-prof'] ? await sampleAllocations(values['alloc-prof']) : null;
    let deadline = performance.now() + BUDGET_MS;
    let turns = 0;
    const rate = values.rate ? Number(values.rate) : 0;
    outer: for await (const batch of readCaptureBatches(capture)) {
      for (const r of batch) {
        if (n === 0) shift = Date.now() / 1000 - r.at;
        if (rate > 0) {
          while (performance.now() < t0 + (n * 1000) / rate) await new Promise((res) => setTimeout(res, 1));
          sink.onFrame(r.linkType, Date.now() / 1000, r.frame);
          if (++n >= packets) break outer;
          continue;
        }
        sink.onFrame(r.linkType, r.at + shift, r.frame);
        if (++n >= packets) break outer;
        if (performance.now() > deadline) {
          await new Promise((res) => setImmediate(res));
          deadline = performance.now() + BUDGET_MS;
          if (++turns % 64 === 0) peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
        }
      }
    }
    lag.disable();
    gcSeen.disconnect();
    const watched = stalls?.stop();
    const traced = trace?.stop();
    await allocs?.stop();
    const late = (ns: number) => Math.max(0, ns / 1e6 - 10);
    await daemon.settle();
    const c = process.cpuUsage(c0);
    if (view) await new Promise((r) => setTimeout(r, 500)); // the last gathered event
    const res: Result = {
      root,
      messages: n,
      wallMs: performance.now() - t0,
      mainCpuMs: mainThreadCpuMs() - m0,
      processCpuMs: (c.user + c.system) / 1000,
      blocks,
      peakHeapMb: Math.max(peakHeap, process.memoryUsage().heapUsed) / 2 ** 20,
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      lag: [late(lag.percentile(99)), late(lag.max)],
      logLines: 0,
      decisionLines: 0,
      alertLines: 0,
      load: [l0, loadavg()[0]!],
      gc,
      ...(view ? { liveView: view.stop() } : {}),
      ...(watched ? { stalls: watched } : {}),
      ...(traced ? { attribution: attributionReport(traced, 5, feedGroup) } : {}),
    };
    await daemon.stop();
    dest.flushSync();
    [res.logLines, res.decisionLines, res.alertLines] = countLog(join(dir, 'log'));
    process.stdout.write(`${JSON.stringify(res)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const LIVE_PASSWORD = 'daemon-path bench';

/** Here the capture's slices are the feed loop's: a promise resumed after each setImmediate. */
function feedGroup(label: string): string {
  if (label === 'promise' || label.startsWith('immediate function () { [native code]'))
    return 'feed slice (capture)';
  return defaultGroup(label);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Logs in and keeps `curl -N` on the live events, writing them to `file`. */
async function openLiveView(
  port: number,
  file: string,
): Promise<{ stop(): { events: number; bytes: number } }> {
  const base = `http://127.0.0.1:${port}`;
  const res = await fetch(`${base}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ password: LIVE_PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`live view: login answered ${res.status}`);
  const session = /sipprot_session=[^;]+/.exec(res.headers.getSetCookie().join('; '))?.[0];
  if (!session) throw new Error('live view: no session cookie');
  const curl = spawn('curl', ['-sN', '-H', `Cookie: ${session}`, '-o', file, `${base}/api/dynamic/events`], {
    stdio: 'ignore',
  });
  for (let i = 0; i < 100 && !(existsSync(file) && readFileSync(file, 'utf8').includes('event: ready')); i++)
    await new Promise((r) => setTimeout(r, 20));
  return {
    stop() {
      curl.kill();
      const text = readFileSync(file, 'utf8');
      return { events: (text.match(/^event: /gm) ?? []).length - 1, bytes: text.length };
    },
  };
}

function ensureCapture(dir: string): string {
  const file = join(dir, 'flood.pcap');
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  generateFlood({ out: file, seed: FLOOD_SEED, packets: 1_000_000 });
  return file;
}

async function main(): Promise<void> {
  const packets = Number(values.packets);
  if (!(packets >= 1000 && packets <= 1_000_000))
    throw new Error('daemon-path.bench: --packets 1000-1000000');
  if (values.measure) return measure(values.root!, values.measure, packets);
  const roots = values.root!.split(',');
  for (const r of roots)
    if (!existsSync(join(r, 'dist/daemon/daemon.js')))
      throw new Error(`daemon-path.bench: ${r}/dist is not built`);
  const tmp = values.dir ? null : mkdtempSync(join(tmpdir(), 'sipprot-daemon-path-cap-'));
  const capture = ensureCapture(values.dir ?? tmp!);
  console.log(
    `daemon path machine: ${cpus().length} × ${cpus()[0]?.model}, load ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}, node ${process.version}; ${packets.toLocaleString('en')} frames of ${capture}`,
  );
  try {
    for (let i = 0; i < Number(values.runs); i++) {
      for (const [k, root] of roots.entries()) {
        const prof = values['cpu-prof']
          ? ['--cpu-prof', '--cpu-prof-dir', join(values['cpu-prof'], `${k}-${i}`)]
          : [];
        const out = execFileSync(
          process.execPath,
          [
            ...(values['node-flags']?.[k] ?? '').split(' ').filter((f) => f !== ''),
            '--import',
            'tsx',
            ...prof,
            join(HERE, 'daemon-path.bench.ts'),
            '--measure',
            capture,
            '--root',
            root,
            '--packets',
            `${packets}`,
            ...(values.conf ?? []).flatMap((l) => ['--conf', l]),
            ...(values.rate ? ['--rate', values.rate] : []),
            ...(values['live-view'] ? ['--live-view'] : []),
            ...(values.notify ? ['--notify'] : []),
            ...(values.stalls ? ['--stalls', values.stalls] : []),
            ...(values.trace ? ['--trace'] : []),
            ...(values['no-spans'] ? ['--no-spans'] : []),
            ...(values['alloc-prof']
              ? ['--alloc-prof', `${values['alloc-prof']}.${k}-${i}.heapprofile`]
              : []),
          ],
          { encoding: 'utf8', timeout: 15 * 60_000, maxBuffer: 1 << 26 },
        );
        const r = JSON.parse(out.trim().split('\n').pop()!) as Result;
        const flags = values['node-flags']?.[k] ? ` ${values['node-flags'][k]}` : '';
        console.log(
          `daemon path [${k === 0 ? 'A' : 'B'} ${root}${flags}] run ${i + 1}: ${r.messages.toLocaleString('en')} messages, ` +
            `main thread ${((r.mainCpuMs * 1000) / r.messages).toFixed(1)} µs/msg (${((r.messages / r.mainCpuMs) * 1000).toFixed(0)} msg/s of its CPU), ` +
            `process ${((r.processCpuMs * 1000) / r.messages).toFixed(1)} µs/msg ` +
            `(${((100 * r.processCpuMs) / r.wallMs).toFixed(1)}% of a core, main thread ${((100 * r.mainCpuMs) / r.wallMs).toFixed(1)}%), wall ${(r.wallMs / 1000).toFixed(1)} s, ` +
            `blocks ${r.blocks.toLocaleString('en')}, log lines ${r.logLines.toLocaleString('en')} ` +
            `(${r.decisionLines.toLocaleString('en')} decisions, ${r.alertLines} alerts), ` +
            `loop late p99 ${r.lag[0].toFixed(1)} / max ${r.lag[1].toFixed(1)} ms, ` +
            `GC ${r.gc.count} pauses ${r.gc.totalMs.toFixed(0)} ms (not scavenges ${r.gc.majorMs.toFixed(0)}), max ${r.gc.maxMs.toFixed(1)} ms, peak heap ${r.peakHeapMb.toFixed(0)} MB, max RSS ${r.maxRssMb.toFixed(0)} MB, ` +
            `load ${r.load[0].toFixed(1)} → ${r.load[1].toFixed(1)}` +
            (r.liveView
              ? `, live view: ${r.liveView.events.toLocaleString('en')} events, ${(r.liveView.bytes / 2 ** 20).toFixed(1)} MB`
              : ''),
        );
        if (r.stalls) {
          const dir = values['cpu-prof'] ? join(values['cpu-prof'], `${k}-${i}`) : null;
          const file = dir ? readdirSync(dir).find((f) => f.endsWith('.cpuprofile')) : undefined;
          for (const l of stallReport(
            r.stalls,
            dir && file ? join(dir, file) : null,
            Number(values.stalls),
            8,
          ))
            console.log(`  ${l}`);
        }
        for (const l of r.attribution ?? []) console.log(`  ${l}`);
        if (values['alloc-prof'])
          for (const l of allocationReport(`${values['alloc-prof']}.${k}-${i}.heapprofile`, r.messages, 25))
            console.log(`  ${l}`);
      }
    }
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

await main();

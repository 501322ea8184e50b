/**
 * The live flood bench's figures (flood.bench.ts): one run's record from the CPU samples
 * (bench/live/daemon.ts), the daemon's status before and after, and the in-process probe;
 * and the line printed for it. CPU is the whole daemon: its process (main thread, other
 * threads by name) plus every child process, exited or still running.
 */
import { CLK_TCK, type CpuSample, type LiveStatus, type ProbeReport, type runTimes } from './daemon.js';
import { type MachineCpu, machineShare, type TcpdumpStats } from './reference.js';

export interface FloodRun {
  rate: number;
  /** The traffic (bench/gen-flood.ts --mix) and the settings added with --conf. */
  mix: string;
  conf: string[];
  profiled: boolean;
  /** Packets sent in the window (after --settle). */
  sent: number;
  /** Seconds of the flood before the window began (--settle: the fresh daemon's JIT warms up). */
  settleSeconds: number;
  sendSeconds: number;
  sentPps: number;
  sendFailed: number;
  captured: number;
  kernelDrops: number;
  ifDrops: number;
  /** Lost to the daemon's own capture ring (null: the daemon does not report it). */
  ringDrops: number | null;
  /**
   * The daemon's own lag figures after the run (`status`): p99 of the last full 10 s window,
   * p99 and max over every sample since start (start, 5 s idle and the flood; older daemons: null);
   * `before`: the since-start figures read just before the send (the start and the idle alone:
   * what the flood's figure carries in from before it).
   */
  daemonLag: {
    p99: number;
    p99SinceStart: number | null;
    maxSinceStart: number;
    before: { p99SinceStart: number | null; maxSinceStart: number } | null;
    /** The most the loop was late while the daemon started (null: an older daemon). */
    startMax: number | null;
  } | null;
  judged: number;
  /** sent − judged: lost anywhere between the wire and the engine. */
  lost: number;
  windowSeconds: number;
  drainSeconds: number;
  /** The whole daemon while idle before the flood: every thread and every child process. */
  idleCpuPct: number;
  /** Its main thread's share, and the idle window's length (--idle). */
  idleMainPct: number;
  idleSeconds: number;
  /**
   * The idle window in two parts: its first minute from "sipprotd started" (the start's
   * leftovers) and the rest (the steady state; absent with --idle ≤ 60), each with the main
   * thread's wake-ups a second and every thread's CPU by name (schedstat).
   */
  idleParts: IdlePart[];
  /** The whole daemon: processPct + childrenPct. */
  cpuPct: number;
  /** The sipprotd process, every thread. */
  processPct: number;
  /** The kernel's share of processPct (system time: syscalls, wakeups, the packet socket). */
  sysPct: number;
  mainThreadPct: number;
  /** processPct − mainThreadPct: capture thread, store writer, libuv pool, V8's helpers. */
  otherThreadsPct: number;
  /** The threads by name (those alive at the end of the window). */
  threadPct: Record<string, number>;
  /** Share of the window the main thread was runnable but waited for a core. */
  mainRunQueuePct: number;
  /** Times the main thread and the capture thread slept and were woken, per message judged. */
  mainWakeupsPerMsg: number;
  captureWakeupsPerMsg: number;
  /** Every child process (`nft -i`, `nft monitor`, one-shot `nft`), exited or running. */
  childrenPct: number;
  cpuPer1kMsgPct: number;
  rssStartMb: number;
  rssPeakMb: number;
  hwmMb: number;
  /**
   * The store writer's backlog after the run (`status`): the most staged bytes that waited
   * for it at once, and the rows shed to stay within its budget (null: an older daemon).
   */
  writer: {
    peakMb: number;
    budgetMb: number;
    shedHistory: number;
    shedRows: number;
    leftMb: number;
    /** Seconds after the send ended until nothing waited (null: not within the bench's bound, or not watched). */
    catchUpSeconds: number | null;
    watched: boolean;
  } | null;
  /** Blocks in force after the run, and those made in the window (after --settle). */
  blocks: number;
  windowBlocks: number;
  /** From the in-process probe (null with --no-probe). */
  lag: ProbeReport['lagMs'] | null;
  gc: ProbeReport['gc'] | null;
  heapUsedMb: number | null;
  loadBefore: number[];
  loadAfter: number[];
  /** tcpreplay's own CPU (user + system) over its send time, % of one core. */
  replayCpuPct: number;
  /** The whole machine over the window (/proc/stat), % of one core (200 = both of 2). */
  machine: ReturnType<typeof machineShare>;
}

export interface IdlePart {
  fromSeconds: number;
  seconds: number;
  /** The whole process and its child processes (ticks: 0.017% resolution over 60 s), % of a core. */
  cpuPct: number;
  mainPct: number;
  mainWakeupsPerSecond: number;
  threadPct: Record<string, number>;
}

/** Samples of the idle window (flood.bench.ts idleWindow): CPU with the children, run times. */
export interface IdleSample {
  cpu: CpuSample;
  run: ReturnType<typeof runTimes>;
}

/** The idle figures of a run from its samples (the first at "sipprotd started"). */
export function idleFigures(
  samples: IdleSample[],
): Pick<FloodRun, 'idleCpuPct' | 'idleMainPct' | 'idleSeconds' | 'idleParts'> {
  const a = samples[0]!;
  const z = samples.at(-1)!;
  const seconds = (z.cpu.at - a.cpu.at) / 1000;
  const ticks = z.cpu.proc + z.cpu.children - a.cpu.proc - a.cpu.children;
  const parts: IdlePart[] = [];
  for (let i = 1; i < samples.length; i++) {
    const p = samples[i - 1]!;
    const q = samples[i]!;
    const s = (q.run.at - p.run.at) / 1000;
    // By name, over the threads alive at both ends (schedstat, ns).
    const threadPct: Record<string, number> = {};
    for (const [tid, t] of Object.entries(q.run.ms)) {
      const before = p.run.ms[tid];
      if (before === undefined) continue;
      threadPct[t.name] = (threadPct[t.name] ?? 0) + ((t.ms - before.ms) / 1000 / s) * 100;
    }
    const ticks = q.cpu.proc + q.cpu.children - p.cpu.proc - p.cpu.children;
    parts.push({
      fromSeconds: (p.run.at - a.run.at) / 1000,
      seconds: s,
      cpuPct: (ticks / CLK_TCK / s) * 100,
      mainPct: threadPct.main ?? 0,
      mainWakeupsPerSecond: (q.run.mainSleeps - p.run.mainSleeps) / s,
      threadPct,
    });
  }
  return {
    idleCpuPct: (ticks / CLK_TCK / seconds) * 100,
    idleMainPct: ((z.cpu.mainRunMs - a.cpu.mainRunMs) / 1000 / seconds) * 100,
    idleSeconds: seconds,
    idleParts: parts,
  };
}

/** `first 60 s 1.31% [main 0.35%, 15.2 wake-ups/s; …]`, one per part. */
function idleText(r: FloodRun): string {
  return (r.idleParts ?? [])
    .map(
      (p) =>
        `${f1(p.fromSeconds)}–${f1(p.fromSeconds + p.seconds)} s ${p.cpuPct.toFixed(2)}% [main ${p.mainPct.toFixed(2)}%, ` +
        `${f1(p.mainWakeupsPerSecond)} wake-ups/s; ${threadList(p.threadPct, 0.01, 2)}]`,
    )
    .join(', ');
}

export interface Replay {
  sent: number;
  seconds: number;
  pps: number;
  failed: number;
  /** tcpreplay's CPU, user + system, in seconds (its ticks as the bench reaped it). */
  cpuSeconds: number;
}

export interface Window {
  rep: Replay;
  /**
   * CPU when the first packet went out (with --settle: SETTLE seconds later), and when the
   * daemon had drained (or tcpreplay ended).
   */
  c0: CpuSample;
  c1: CpuSample;
  rssPeakMb: number;
  /** With --settle: the daemon's status where the window began (else the one before the flood). */
  from: LiveStatus | null;
  settleSeconds: number;
  /** The machine's CPU at c0 and c1. */
  m0: MachineCpu;
  m1: MachineCpu;
  /**
   * The store writer after the send: seconds from the send's end until nothing waited
   * (null: still waiting after the bench's bound, `leftBytes` then), status polls made.
   * Null: not watched (a reference capture) or the daemon reports no writer.
   */
  writer?: { seconds: number | null; leftBytes: number; polls: number } | null;
}

const blocksOf = (s: LiveStatus) => s.counts.dynamicTemporary + s.counts.dynamicPermanent;

/** The run's figures from the window, the two status reports and the probe. */
export function result(
  rate: number,
  profiled: boolean,
  w: Window,
  before: LiveStatus,
  after: LiveStatus,
  report: ProbeReport | null,
): FloodRun {
  const { rep, c0, c1 } = w;
  const windowS = (c1.at - c0.at) / 1000;
  const from = w.from ?? before;
  // Packets sent before the window (--settle), all captured at the rates --settle is for.
  const settled = (from.live?.capture?.received ?? 0) - (before.live?.capture?.received ?? 0);
  const cap0 = from.live?.capture;
  const cap1 = after.live?.capture;
  const judged = (after.live?.sipMessages ?? 0) - (from.live?.sipMessages ?? 0);
  const pct = (ticks: number) => (ticks / CLK_TCK / windowS) * 100;
  const processPct = pct(c1.proc - c0.proc);
  const childrenPct = pct(c1.children - c0.children);
  const cpuPct = processPct + childrenPct;
  const threadPct: Record<string, number> = {};
  for (const [name, t] of Object.entries(c1.threads)) threadPct[name] = pct(t - (c0.threads[name] ?? 0));
  return {
    rate,
    mix: 'issue',
    conf: [],
    profiled,
    sent: rep.sent - settled,
    settleSeconds: w.settleSeconds,
    sendSeconds: rep.seconds,
    sentPps: rep.pps,
    sendFailed: rep.failed,
    captured: (cap1?.received ?? 0) - (cap0?.received ?? 0),
    kernelDrops: (cap1?.dropped ?? 0) - (cap0?.dropped ?? 0),
    ifDrops: (cap1?.ifDropped ?? 0) - (cap0?.ifDropped ?? 0),
    ringDrops: cap1?.ringDrops === undefined ? null : cap1.ringDrops - (cap0?.ringDrops ?? 0),
    daemonLag: after.live?.loopLag
      ? {
          p99: after.live.loopLag.p99,
          p99SinceStart: after.live.loopLag.p99SinceStart ?? null,
          maxSinceStart: after.live.loopLag.maxSinceStart,
          startMax: after.live.loopLag.startMax ?? null,
          before: before.live?.loopLag
            ? {
                p99SinceStart: before.live.loopLag.p99SinceStart ?? null,
                maxSinceStart: before.live.loopLag.maxSinceStart,
              }
            : null,
        }
      : null,
    judged,
    lost: rep.sent - settled - judged,
    windowSeconds: windowS,
    drainSeconds: Math.max(0, windowS - rep.seconds),
    idleCpuPct: 0,
    idleMainPct: 0,
    idleSeconds: 0,
    idleParts: [],
    cpuPct,
    processPct,
    sysPct: pct(c1.procSys - c0.procSys),
    mainThreadPct: pct(c1.main - c0.main),
    otherThreadsPct: processPct - pct(c1.main - c0.main),
    threadPct,
    mainRunQueuePct: ((c1.mainWaitMs - c0.mainWaitMs) / 1000 / windowS) * 100,
    mainWakeupsPerMsg: perMsg(c1.sleeps.main, c0.sleeps.main, judged),
    captureWakeupsPerMsg: perMsg(c1.sleeps['sipprot-capture'], c0.sleeps['sipprot-capture'], judged),
    childrenPct,
    cpuPer1kMsgPct: judged > 0 ? cpuPct / (judged / windowS / 1000) : 0,
    rssStartMb: 0,
    rssPeakMb: 0,
    hwmMb: 0,
    writer: writerOf(after, w.writer ?? null),
    blocks: blocksOf(after),
    windowBlocks: blocksOf(after) - blocksOf(from),
    lag: report?.lagMs ?? null,
    gc: report?.gc ?? null,
    heapUsedMb: report ? report.memory.heapUsed / 2 ** 20 : null,
    loadBefore: [],
    loadAfter: [],
    replayCpuPct: replayPct(rep),
    machine: machineShare(w.m0, w.m1, CORES),
  };
}

function writerOf(s: LiveStatus, caught: Window['writer'] | null): FloodRun['writer'] {
  const w = s.live?.writer;
  if (!w) return null;
  const mb = (n: number) => n / 2 ** 20;
  return {
    peakMb: mb(w.peakBytes),
    budgetMb: mb(w.budgetBytes),
    shedHistory: w.shed.history,
    shedRows: w.shed.history + w.shed.attacks + w.shed.decisions,
    // What still waited once the bench stopped watching (0 once it caught up).
    leftMb: mb(caught ? caught.leftBytes : w.bytes),
    catchUpSeconds: caught ? caught.seconds : null,
    watched: caught !== null,
  };
}

const CORES = 2;
/** flood.bench.ts watches the writer this long after the send. */
export const CATCH_UP_BOUND_S = 180;
const replayPct = (rep: Replay) => (rep.seconds > 0 ? (rep.cpuSeconds / rep.seconds) * 100 : 0);

const perMsg = (to = 0, from = 0, n = 0) => (n > 0 ? (to - from) / n : 0);
const k = (n: number) => Math.round(n).toLocaleString('en');
const f1 = (n: number) => n.toFixed(1);
const pc = (a: number, b: number) => (b > 0 ? ((a / b) * 100).toFixed(2) : '-');

/** The busiest threads other than main, `name 1.2%`. */
function threadList(t: Record<string, number>, min = 0.05, digits = 1): string {
  const busy = Object.entries(t)
    .filter(([name, p]) => name !== 'main' && p >= min)
    .sort((a, b) => b[1] - a[1]);
  return busy.map(([name, p]) => `${name} ${p.toFixed(digits)}%`).join(', ') || `none ≥ ${min}%`;
}

/** tcpreplay, and the whole machine: what was left of the 2 cores. */
function sideLine(replayCpuPct: number, m: FloodRun['machine']): string {
  return (
    `tcpreplay ${f1(replayCpuPct)}% of a core; machine (of ${CORES * 100}%): user ${f1(m.user)}%, system ${f1(m.system)}%, ` +
    `softirq ${f1(m.softirq)}%, steal ${f1(m.steal)}%, idle ${f1(m.idle)}%`
  );
}

export function line(r: FloodRun): string {
  return (
    `live ${k(r.rate)} pps [${r.mix}${r.conf.length ? ` ${r.conf.join(' ')}` : ''}]${r.profiled ? ' (profiled)' : ''}${r.settleSeconds > 0 ? ` after ${r.settleSeconds} s of it` : ''}: sent ${k(r.sent)} in ${r.sendSeconds.toFixed(1)} s (${k(r.sentPps)} pps, ${r.sendFailed} failed); ` +
    `captured ${k(r.captured)}, kernel drops ${k(r.kernelDrops)} (${pc(r.kernelDrops, r.sent)}%)` +
    (r.ringDrops === null ? '' : `, ring drops ${k(r.ringDrops)} (${pc(r.ringDrops, r.sent)}%)`) +
    `, judged ${k(r.judged)} SIP messages ` +
    `(lost ${k(r.lost)} = ${pc(r.lost, r.sent)}%); CPU ${f1(r.cpuPct)}% of one core over ${r.windowSeconds.toFixed(1)} s, ` +
    `the daemon and its children (process ${f1(r.processPct)}% [system ${f1(r.sysPct)}%]: main thread ${f1(r.mainThreadPct)}%, ` +
    `other threads ${f1(r.otherThreadsPct)}% [${threadList(r.threadPct)}]; child processes ${f1(r.childrenPct)}%; ` +
    `main thread waiting for a core ${f1(r.mainRunQueuePct)}%; idle before ${r.idleCpuPct.toFixed(2)}% [main ${r.idleMainPct.toFixed(2)}%] over ${f1(r.idleSeconds)} s: ${idleText(r)}) = ` +
    `${r.cpuPer1kMsgPct.toFixed(2)}% per 1k msg/s (${f1(r.cpuPer1kMsgPct * 10)} µs a message; main thread ${f1(
      r.judged > 0 ? (r.mainThreadPct * 1e4) / (r.judged / r.windowSeconds) : 0,
    )}); wake-ups a message: main thread ${r.mainWakeupsPerMsg.toFixed(2)}, ` +
    `capture thread ${r.captureWakeupsPerMsg.toFixed(2)}; drain ${f1(r.drainSeconds)} s; RSS ${k(r.rssStartMb)} → peak ${k(r.rssPeakMb)} MB ` +
    `(VmHWM ${k(r.hwmMb)} MB${r.heapUsedMb === null ? '' : `, heap used ${k(r.heapUsedMb)} MB`}); ` +
    (r.writer
      ? `store writer backlog peak ${f1(r.writer.peakMb)} MB of ${f1(r.writer.budgetMb)}, ` +
        (r.writer.catchUpSeconds !== null
          ? `caught up ${f1(r.writer.catchUpSeconds)} s after the send ended, `
          : `${f1(r.writer.leftMb)} MB left${r.writer.watched ? ` ${CATCH_UP_BOUND_S} s after the send` : ''}, `) +
        `rows shed ${k(r.writer.shedRows)} (history ${k(r.writer.shedHistory)}); `
      : '') +
    (r.lag && r.gc
      ? `event-loop lag p50 ${f1(r.lag.p50)} / p99 ${f1(r.lag.p99)} / max ${f1(r.lag.max)} ms; ` +
        `GC ${r.gc.count} pauses, ${k(r.gc.totalMs)} ms total, max ${f1(r.gc.maxMs)} ms; `
      : 'no probe; ') +
    (r.daemonLag
      ? `daemon's own lag (status) p99 ${f1(r.daemonLag.p99)} ms (last 10 s window), since start p99 ${r.daemonLag.p99SinceStart === null ? '-' : f1(r.daemonLag.p99SinceStart)} / max ${f1(r.daemonLag.maxSinceStart)} ms` +
        (r.daemonLag.before
          ? ` (before the send ${r.daemonLag.before.p99SinceStart === null ? '-' : f1(r.daemonLag.before.p99SinceStart)} / ${f1(r.daemonLag.before.maxSinceStart)})`
          : '') +
        (r.daemonLag.startMax === null ? '' : `, while starting max ${f1(r.daemonLag.startMax)} ms`) +
        '; '
      : '') +
    `blocks ${r.blocks}${r.settleSeconds > 0 ? ` (${r.windowBlocks} in the window)` : ''}; ${sideLine(r.replayCpuPct, r.machine)}; ` +
    `load ${r.loadBefore[0]!.toFixed(2)} → ${r.loadAfter[0]!.toFixed(2)}`
  );
}

/** A reference capture's run (tcpdump in the daemon's place): what capturing alone costs. */
export interface ReferenceRun {
  reference: string;
  rate: number;
  mix: string;
  sent: number;
  sendSeconds: number;
  sentPps: number;
  captured: number;
  received: number;
  kernelDrops: number;
  ifDrops: number;
  /** sent − captured. */
  lost: number;
  windowSeconds: number;
  cpuPct: number;
  sysPct: number;
  /** Voluntary sleeps of tcpdump per packet captured. */
  wakeupsPerPacket: number;
  runQueuePct: number;
  cpuPer1kPct: number;
  /** µs of CPU per packet captured. */
  usPerPacket: number;
  replayCpuPct: number;
  machine: FloodRun['machine'];
  loadBefore: number[];
  loadAfter: number[];
}

export function referenceResult(
  reference: string,
  rate: number,
  mix: string,
  w: Window,
  stats: TcpdumpStats,
  load: { before: number[]; after: number[] },
): ReferenceRun {
  const { rep, c0, c1 } = w;
  const windowS = (c1.at - c0.at) / 1000;
  const pct = (ticks: number) => (ticks / CLK_TCK / windowS) * 100;
  // tcpdump is one thread: its schedstat run time (ns) is its CPU, where ticks are 10 ms.
  const cpuPct = ((c1.mainRunMs - c0.mainRunMs) / 1000 / windowS) * 100;
  const perSec = stats.captured / windowS;
  return {
    reference,
    rate,
    mix,
    sent: rep.sent,
    sendSeconds: rep.seconds,
    sentPps: rep.pps,
    captured: stats.captured,
    received: stats.received,
    kernelDrops: stats.kernelDrops,
    ifDrops: stats.ifDrops,
    lost: rep.sent - stats.captured,
    windowSeconds: windowS,
    cpuPct,
    sysPct: pct(c1.procSys - c0.procSys),
    wakeupsPerPacket: perMsg(c1.sleeps.main, c0.sleeps.main, stats.captured),
    runQueuePct: ((c1.mainWaitMs - c0.mainWaitMs) / 1000 / windowS) * 100,
    cpuPer1kPct: perSec > 0 ? cpuPct / (perSec / 1000) : 0,
    usPerPacket: perSec > 0 ? (cpuPct / 100 / perSec) * 1e6 : 0,
    replayCpuPct: replayPct(rep),
    machine: machineShare(w.m0, w.m1, CORES),
    loadBefore: load.before,
    loadAfter: load.after,
  };
}

export function referenceLine(r: ReferenceRun): string {
  return (
    `reference ${r.reference} ${k(r.rate)} pps [${r.mix}]: sent ${k(r.sent)} in ${r.sendSeconds.toFixed(1)} s (${k(r.sentPps)} pps); ` +
    `captured ${k(r.captured)} (received by filter ${k(r.received)}), kernel drops ${k(r.kernelDrops)} (${pc(r.kernelDrops, r.sent)}%), ` +
    `lost ${k(r.lost)} (${pc(r.lost, r.sent)}%); CPU ${f1(r.cpuPct)}% of one core over ${r.windowSeconds.toFixed(1)} s ` +
    `[system ${f1(r.sysPct)}%; waiting for a core ${f1(r.runQueuePct)}%] = ${r.cpuPer1kPct.toFixed(2)}% per 1k packets/s ` +
    `(${r.usPerPacket.toFixed(2)} µs a packet); wake-ups a packet ${r.wakeupsPerPacket.toFixed(3)}; ` +
    `${sideLine(r.replayCpuPct, r.machine)}; load ${r.loadBefore[0]!.toFixed(2)} → ${r.loadAfter[0]!.toFixed(2)}`
  );
}

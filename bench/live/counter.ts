/**
 * The live flood bench's Node floor (issue 13, target 1: "≤ 2% of a core at 1k msg/s"):
 * `--reference node-count` runs bench/live/capture-count.mjs in the daemon's place — a Node
 * process with sipprot's capture (the addon's thread, its ring, the event loop woken per
 * batch, ROOT's dist/capture/live.js) and a consumer that only counts. Its CPU a packet is
 * what any Node design that judges per packet on arrival pays before it judges anything;
 * the daemon's figure above it is the daemon's own work.
 *
 * CPU is read per thread from /proc/PID/task/TID/schedstat (ns: at 1k/s one thread uses a
 * few ms a second, ticks of 10 ms would be too coarse) and voluntary context switches
 * (wake-ups) per thread, so the line gives both threads apart: the event loop's ("main")
 * and the capture thread's ("sipprot-capture").
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Started, startIn, stop, waitFor } from '../latency/proc.js';
import { niceArgv, readSafe } from './daemon.js';
import { type ReferenceRun, referenceLine } from './flood-report.js';
import { DAEMON_FILTER, type TcpdumpStats } from './reference.js';

const HERE = new URL('.', import.meta.url).pathname;

/** Run time (ms) and voluntary sleeps of each live thread of `pid`, by name. */
export interface ThreadSample {
  at: number;
  runMs: Record<string, number>;
  sleeps: Record<string, number>;
}

export function threadSample(pid: number): ThreadSample {
  const runMs: Record<string, number> = {};
  const sleeps: Record<string, number> = {};
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    // gone: empty sample
  }
  for (const t of tasks) {
    const stat = readSafe(`/proc/${pid}/task/${t}/stat`);
    const name = Number(t) === pid ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const ns = Number(readSafe(`/proc/${pid}/task/${t}/schedstat`).split(' ')[0] ?? 0);
    runMs[name] = (runMs[name] ?? 0) + ns / 1e6;
    const status = readSafe(`/proc/${pid}/task/${t}/status`);
    sleeps[name] = (sleeps[name] ?? 0) + Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  }
  return { at: performance.now(), runMs, sleeps };
}

export class NodeCounterUnderTest {
  readonly log: string;
  private proc: Started | null = null;

  constructor(private readonly o: { root: string; ns: string; dir: string; nice?: number }) {
    this.log = join(o.dir, 'capture-count.log');
  }

  get pid(): number {
    if (!this.proc) throw new Error('capture-count is not running');
    return this.proc.pid;
  }

  spawn(): void {
    const argv = [process.execPath, join(HERE, 'capture-count.mjs'), this.o.root, 'eth0', DAEMON_FILTER];
    if (this.o.nice) argv.unshift(...niceArgv(this.o.nice));
    this.proc = startIn(this.o.ns, 'capture-count', argv[0]!, argv.slice(1), this.log);
  }

  async waitStarted(timeoutMs = 30_000): Promise<void> {
    await waitFor('capture-count to capture', timeoutMs, () => {
      if (this.proc?.done) throw new Error(`capture-count exited: ${readSafe(this.log)}`);
      return readSafe(this.log).includes('counting on');
    });
  }

  threads(): ThreadSample {
    return threadSample(this.pid);
  }

  /** Stops the counter (SIGTERM: it prints its counts) and returns them as tcpdump's. */
  async stop(): Promise<TcpdumpStats> {
    if (this.proc) await stop(this.proc, 'SIGTERM', 30_000);
    this.proc = null;
    const last = readSafe(this.log).trim().split('\n').pop() ?? '';
    let j: { frames: number; received: number; dropped: number; ifDropped: number; ringDrops: number };
    try {
      j = JSON.parse(last);
    } catch {
      throw new Error(`capture-count printed no counts: ${readSafe(this.log).slice(-500)}`);
    }
    return {
      captured: j.frames,
      received: j.received,
      kernelDrops: j.dropped + j.ringDrops,
      ifDrops: j.ifDropped,
    };
  }
}

export interface CounterRun extends ReferenceRun {
  /** µs of CPU a packet of each thread (main = the event loop, sipprot-capture, V8's...). */
  usPerPacketByThread: Record<string, number>;
  /** Voluntary sleeps a packet of each thread. */
  wakeupsByThread: Record<string, number>;
}

/** The tcpdump-shaped result, its CPU the whole process's (every thread's schedstat). */
export function counterResult(base: ReferenceRun, t0: ThreadSample, t1: ThreadSample): CounterRun {
  const windowS = (t1.at - t0.at) / 1000;
  const us: Record<string, number> = {};
  const wk: Record<string, number> = {};
  let totalMs = 0;
  for (const [name, ms] of Object.entries(t1.runMs)) {
    const d = ms - (t0.runMs[name] ?? 0);
    totalMs += d;
    us[name] = base.captured > 0 ? (d * 1000) / base.captured : 0;
    wk[name] = base.captured > 0 ? ((t1.sleeps[name] ?? 0) - (t0.sleeps[name] ?? 0)) / base.captured : 0;
  }
  const cpuPct = (totalMs / 1000 / windowS) * 100;
  const perSec = base.captured / windowS;
  return {
    ...base,
    windowSeconds: windowS,
    cpuPct,
    cpuPer1kPct: perSec > 0 ? cpuPct / (perSec / 1000) : 0,
    usPerPacket: base.captured > 0 ? (totalMs * 1000) / base.captured : 0,
    wakeupsPerPacket: wk.main ?? 0,
    usPerPacketByThread: us,
    wakeupsByThread: wk,
  };
}

export function counterLine(r: CounterRun): string {
  const threads = Object.entries(r.usPerPacketByThread)
    .filter(([, us]) => us >= 0.05)
    .map(([n, us]) => `${n} ${us.toFixed(2)} µs, ${(r.wakeupsByThread[n] ?? 0).toFixed(2)} wake-ups`)
    .join('; ');
  return `${referenceLine(r)}\n  node-count threads, a packet: ${threads}`;
}

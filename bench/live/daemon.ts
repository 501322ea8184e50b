/**
 * The daemon under test, as a user runs it: `node bin/sipprotd.js --config CONF run` from
 * a built checkout (dist/), inside a network namespace, with a fresh STATE_DIR, its log in
 * a file; plus what the benches read from outside:
 *
 * - `sipprot --config CONF status --json` (capture counters, SIP messages, counts);
 * - /proc/PID: CPU ticks of the process (every thread), of its main thread, of each thread
 *   by name, and of every descendant process, exited or running (`nft -i`, `nft monitor`,
 *   one-shot `nft` runs), VmRSS and VmHWM;
 * - the in-process probe (bench/live/probe.mjs, loaded with `node --import`): event-loop
 *   lag, GC pauses, optionally a CPU profile, per period closed by SIGUSR2.
 *
 * The process is started and stopped by PID (bench/latency/proc.ts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HttpAdmin } from '../../src/admin/http-admin.js';
import type { StoreBacklog } from '../../src/ports/admin.js';
import { run, type Started, sleep, startIn, stop, waitFor } from '../latency/proc.js';

const HERE = new URL('.', import.meta.url).pathname;
export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

const AUTOGROUP = readSafe('/proc/sys/kernel/sched_autogroup_enabled').trim() === '1';

/**
 * The prefix that runs a command at nice `n` for the machine, not only for its own session.
 * With Linux's autogroups on (this Debian kernel's default) a nice orders threads within
 * their session's group only: every session's group weighs the same, so `nice -n -10` alone
 * left the daemon waiting for a core 53% of a 20k/s flood at load 11 (bench/RESULTS.md,
 * helper lag). A session of its own (setsid, which execs: the PID stays the command's) whose
 * group gets the same nice does what --nice says. The group's nice is set from inside it,
 * so the bench's own group is never touched.
 */
export function niceArgv(n: number): string[] {
  const nice = ['nice', '-n', `${n}`];
  if (!AUTOGROUP) return nice;
  return ['setsid', 'sh', '-c', `echo ${n} > /proc/self/autogroup 2>/dev/null; exec "$@"`, 'sh', ...nice];
}

export interface DaemonOptions {
  /** Checkout with dist/ built. */
  root: string;
  ns: string;
  /** A fresh directory: config, state, log, probe reports. */
  dir: string;
  /** Config lines (KEY=VALUE); STATE_DIR is added. */
  settings: string[];
  probe?: boolean;
  profile?: boolean;
  /** The probe records the main thread's timeline too (bench/lag-trace.mjs): traceFile(n). */
  trace?: boolean;
  /** Run under `nice -n NICE` (negative: ahead of the machine's other work). */
  nice?: number;
}

export interface ProbeReport {
  seq: number;
  fromMs: number;
  toMs: number;
  lagMs: {
    count: number;
    min: number;
    mean: number;
    p50: number;
    p90: number;
    p99: number;
    p999: number;
    max: number;
  };
  gc: {
    count: number;
    totalMs: number;
    maxMs: number;
    byKind: Record<string, { count: number; totalMs: number; maxMs: number }>;
  };
  cpuMs: { user: number; system: number };
  memory: NodeJS.MemoryUsage;
  maxRssKb: number;
}

export interface LiveStatus {
  counts: { allow: number; deny: number; dynamicPermanent: number; dynamicTemporary: number };
  live?: {
    /** ringDrops: frames lost to the daemon's own full capture ring (absent in older daemons). */
    capture: { received: number; dropped: number; ifDropped: number; ringDrops?: number } | null;
    sipMessages: number;
    drops: Record<string, { packets: number; bytes: number }> | null;
    /** The daemon's own event-loop delay, ms (absent in older daemons). */
    loopLag?: {
      windowSeconds: number;
      p50: number;
      p99: number;
      max: number;
      p99SinceStart?: number;
      maxSinceStart: number;
      /** The most it was late while starting (absent in older daemons). */
      startMax?: number;
    } | null;
    /** The store writer's backlog (src/ports/admin.ts StoreBacklog; absent in older daemons). */
    writer?: StoreBacklog | null;
  };
}

export interface CpuSample {
  /** Monotonic ms. */
  at: number;
  /** Ticks (1/CLK_TCK s) of the whole process, of its main thread, of its child processes. */
  proc: number;
  /** System (kernel) ticks of the whole process, included in `proc`. */
  procSys: number;
  main: number;
  /**
   * Every descendant process's CPU, exited or running: the daemon's waited-for children
   * (cutime + cstime) plus, for each live descendant, its own and its waited-for children's.
   * A child that exits moves its total into its parent's waited-for ticks, so the sum only
   * grows by new CPU: its difference between two samples counts short `nft` runs and the
   * long-running `nft monitor` and `nft -i` helpers alike.
   */
  children: number;
  /** Ticks of each thread by name (comm), e.g. sipprot-capture, the store writer's worker. */
  threads: Record<string, number>;
  /** Times each thread by name went to sleep and was woken (voluntary context switches). */
  sleeps: Record<string, number>;
  /**
   * The main thread's time waiting on a run queue, ms (/proc/PID/task/PID/schedstat): it was
   * runnable but another process had the core. Tells scheduling stalls from the daemon's own.
   */
  mainWaitMs: number;
  /** The main thread's time on a core, ms (schedstat: ns resolution where ticks are 10 ms). */
  mainRunMs: number;
}

export class DaemonUnderTest {
  readonly conf: string;
  readonly log: string;
  readonly stateDir: string;
  readonly probeDir: string;
  /** Date.now() when the process was spawned. */
  spawnedAt = 0;
  private proc: Started | null = null;
  private probes = 0;

  constructor(private readonly o: DaemonOptions) {
    mkdirSync(o.dir, { recursive: true });
    this.conf = join(o.dir, 'sipprot.conf');
    this.log = join(o.dir, 'sipprotd.log');
    this.stateDir = join(o.dir, 'state');
    this.probeDir = join(o.dir, 'probe');
    mkdirSync(this.probeDir, { recursive: true });
    // The bench reads the daemon's JSON records (LOG_FORMAT=json).
    writeFileSync(
      this.conf,
      `${[...o.settings, `STATE_DIR=${this.stateDir}`, 'LOG_FORMAT=json'].join('\n')}\n`,
    );
  }

  get pid(): number {
    if (!this.proc) throw new Error('sipprotd is not running');
    return this.proc.pid;
  }

  get running(): boolean {
    return this.proc !== null && !this.proc.done;
  }

  /** Spawns the daemon; does not wait (see waitStarted). */
  spawn(): void {
    const node = [process.execPath];
    if (this.o.probe) node.push('--import', `file://${join(HERE, 'probe.mjs')}`);
    const env = this.o.probe
      ? {
          SIPPROT_BENCH_PROBE: this.probeDir,
          SIPPROT_BENCH_PROFILE: this.o.profile ? '1' : '0',
          SIPPROT_BENCH_TRACE: this.o.trace ? '1' : '0',
        }
      : {};
    const argv = [...node, join(this.o.root, 'bin/sipprotd.js'), '--config', this.conf, 'run'];
    // nice execs its command: the PID stays the daemon's.
    if (this.o.nice) argv.unshift(...niceArgv(this.o.nice));
    this.spawnedAt = Date.now();
    this.proc = startIn(this.o.ns, 'sipprotd', argv[0]!, argv.slice(1), this.log, undefined, env);
  }

  /** Waits for the log line "sipprotd started"; returns its time (epoch ms). */
  async waitStarted(timeoutMs = 120_000): Promise<number> {
    let at = 0;
    await waitFor('sipprotd to start (log line "sipprotd started")', timeoutMs, () => {
      if (this.proc?.done) throw new Error(`sipprotd exited: ${this.tail()}`);
      at = this.logTime('sipprotd started') ?? 0;
      return at > 0;
    });
    return at;
  }

  /** Time (epoch ms) of the first log line whose msg is `msg`, with its fields. */
  logLine(msg: string): Record<string, unknown> | null {
    for (const line of readSafe(this.log).split('\n')) {
      if (!line.includes(`"msg":"${msg}"`)) continue;
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch {
        // a torn last line
      }
    }
    return null;
  }

  logTime(msg: string): number | null {
    const l = this.logLine(msg);
    return l ? (l.time as number) : null;
  }

  async status(): Promise<LiveStatus> {
    const r = await run(
      process.execPath,
      [join(this.o.root, 'bin/sipprot.js'), '--config', this.conf, 'status', '--json'],
      { timeoutMs: 60_000 },
    );
    if (r.code !== 0) throw new Error(`sipprot status failed (${r.code}): ${r.stderr.trim()}`);
    return JSON.parse(r.stdout) as LiveStatus;
  }

  cpu(): CpuSample {
    return cpuOf(this.pid);
  }

  /**
   * Bytes the store writer still has to commit (status over the API socket, no CLI process:
   * polled while the flood drains); null when the daemon reports no writer (an older one).
   */
  async writerBacklog(): Promise<number | null> {
    const s = (await new HttpAdmin(join(this.stateDir, 'sipprotd.sock')).status()) as unknown as LiveStatus;
    return s.live?.writer?.bytes ?? null;
  }

  /** VmRSS and VmHWM in MB (0 when gone). */
  memory(): { rssMb: number; hwmMb: number } {
    const s = readSafe(`/proc/${this.pid}/status`);
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0);
    return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
  }

  /** Closes the probe's current period (SIGUSR2) and returns its report. */
  async probe(timeoutMs = 60_000): Promise<ProbeReport> {
    if (!this.o.probe) throw new Error('started without the probe');
    const n = ++this.probes;
    const file = join(this.probeDir, `probe-${n}.json`);
    process.kill(this.pid, 'SIGUSR2');
    await waitFor(`probe report ${n}`, timeoutMs, () => existsSync(file) && readSafe(file).endsWith('\n'));
    return JSON.parse(readFileSync(file, 'utf8')) as ProbeReport;
  }

  /** The CPU profile of probe period `n` (when profiling). */
  profileFile(n: number): string | null {
    const f = join(this.probeDir, `profile-${n}.cpuprofile`);
    return existsSync(f) ? f : null;
  }

  /** The timeline of probe period `n` (with `trace`). */
  traceFile(n: number): string | null {
    const f = join(this.probeDir, `trace-${n}.json`);
    return existsSync(f) ? f : null;
  }

  async stop(waitMs = 60_000): Promise<void> {
    if (this.proc) await stop(this.proc, 'SIGTERM', waitMs);
    this.proc = null;
  }

  tail(n = 8): string {
    return readSafe(this.log).split('\n').slice(-n).join('\n');
  }
}

/**
 * CPU of process `pid` now: its ticks (every thread, by name), its main thread's, every
 * descendant's (exited or running), voluntary sleeps by thread, the main thread's run-queue
 * wait. Any process: the daemon, or a reference capture (tcpdump) in its place.
 */
export function cpuOf(pid: number): CpuSample {
  const sched = readSafe(`/proc/${pid}/task/${pid}/schedstat`).split(' ');
  let children = ticksOf(`/proc/${pid}/stat`, 'waited');
  for (const c of descendants(pid)) {
    const stat = `/proc/${c}/stat`;
    children += ticksOf(stat) + ticksOf(stat, 'waited');
  }
  return {
    at: performance.now(),
    proc: ticksOf(`/proc/${pid}/stat`),
    procSys: ticksOf(`/proc/${pid}/stat`, 'system'),
    main: ticksOf(`/proc/${pid}/task/${pid}/stat`),
    children,
    ...threadTicks(pid),
    mainWaitMs: Number(sched[1] ?? 0) / 1e6,
    mainRunMs: Number(sched[0] ?? 0) / 1e6,
  };
}

/** utime + stime of this process's main thread (the event loop's), in ms. */
export function mainThreadCpuMs(): number {
  return (ticksOf(`/proc/self/task/${process.pid}/stat`) * 1000) / CLK_TCK;
}

/**
 * utime + stime (or stime alone, or cutime + cstime: the children it waited for) of a /proc
 * stat file, in ticks (0 when the process is gone).
 */
export function ticksOf(path: string, which: 'both' | 'system' | 'waited' = 'both'): number {
  const s = readSafe(path);
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // Fields after the command: state is field 3, utime 14, stime 15, cutime 16, cstime 17.
  if (which === 'waited') return Number(rest[13] ?? 0) + Number(rest[14] ?? 0);
  const sys = Number(rest[12] ?? 0);
  return which === 'system' ? sys : Number(rest[11] ?? 0) + sys;
}

/**
 * Run time (ms, schedstat: ns resolution where ticks are 10 ms) of each live thread of
 * `pid` by name, and the main thread's voluntary sleeps: an idle daemon uses a few ms a
 * second, which ticks cannot tell apart.
 */
export function runTimes(pid: number): {
  at: number;
  /** By thread id: its name and run time (a thread's own: one that exits leaves no jump back). */
  ms: Record<string, { name: string; ms: number }>;
  mainSleeps: number;
} {
  const ms: Record<string, { name: string; ms: number }> = {};
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return { at: performance.now(), ms, mainSleeps: 0 };
  }
  for (const t of tasks) {
    const s = readSafe(`/proc/${pid}/task/${t}/stat`);
    const name = Number(t) === pid ? 'main' : s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
    const ns = Number(readSafe(`/proc/${pid}/task/${t}/schedstat`).split(' ')[0] ?? 0);
    ms[t] = { name, ms: ns / 1e6 };
  }
  const status = readSafe(`/proc/${pid}/task/${pid}/status`);
  const mainSleeps = Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  return { at: performance.now(), ms, mainSleeps };
}

/** Ticks and voluntary sleeps of each live thread of `pid`, summed by thread name. */
function threadTicks(pid: number): Pick<CpuSample, 'threads' | 'sleeps'> {
  const threads: Record<string, number> = {};
  const sleeps: Record<string, number> = {};
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return { threads, sleeps };
  }
  for (const t of tasks) {
    const s = readSafe(`/proc/${pid}/task/${t}/stat`);
    const name = Number(t) === pid ? 'main' : s.slice(s.indexOf('(') + 1, s.lastIndexOf(')'));
    threads[name] = (threads[name] ?? 0) + ticksOf(`/proc/${pid}/task/${t}/stat`);
    const status = readSafe(`/proc/${pid}/task/${t}/status`);
    sleeps[name] = (sleeps[name] ?? 0) + Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  }
  return { threads, sleeps };
}

/** Every live descendant of `pid` (children, their children...). */
function descendants(pid: number): number[] {
  const out: number[] = [];
  const todo = [pid];
  while (todo.length > 0 && out.length < 10_000) {
    for (const c of childPids(todo.pop()!)) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

function childPids(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    for (const c of readSafe(`/proc/${pid}/task/${t}/children`).trim().split(/\s+/))
      if (c) out.push(Number(c));
  }
  return out;
}

/**
 * Waits until the process has used almost no CPU (< `busyShare` of a core) for `quietMs`:
 * it drained its input. Returns the CPU sample where the quiet stretch began (null after
 * `maxMs` without one).
 */
export async function waitQuiet(
  d: { cpu(): CpuSample },
  opts: { quietMs?: number; maxMs?: number; busyShare?: number } = {},
): Promise<CpuSample | null> {
  const quietMs = opts.quietMs ?? 1000;
  const end = performance.now() + (opts.maxMs ?? 120_000);
  let last = d.cpu();
  let quietFrom = last;
  for (;;) {
    await sleep(100);
    const c = d.cpu();
    const share = (c.proc - last.proc) / CLK_TCK / ((c.at - last.at) / 1000);
    if (share > (opts.busyShare ?? 0.1)) quietFrom = c;
    last = c;
    if (c.at - quietFrom.at >= quietMs) return quietFrom;
    if (c.at > end) return null;
  }
}

export function readSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

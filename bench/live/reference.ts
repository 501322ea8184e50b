/**
 * The live flood bench's references (issue 13, target 1's floors): what capturing a packet
 * at all costs on this machine, measured with nothing of sipprot's code in the path.
 *
 * - `TcpdumpUnderTest`: a bare libpcap capture, `tcpdump -i eth0 -n -w /dev/null` with the
 *   daemon's own BPF filter, snap length and kernel buffer (32 MiB), in the namespace where
 *   the daemon would run; with `immediate` (`--immediate-mode`) libpcap hands over every
 *   packet as it arrives — a wake-up per packet, as sipprot's capture thread does (blocking
 *   within milliseconds needs it); without, tcpdump's default: TPACKET_V3 blocks handed
 *   over when full or after tcpdump's 1 s timeout (the cheapest capture libpcap offers).
 *   Its CPU is read from /proc like the daemon's (`cpuOf`), its counters from the lines
 *   tcpdump prints on exit (`parseTcpdumpStats`).
 * - `machineCpu`: the whole machine's CPU from /proc/stat (both cores: user, system,
 *   softirq, steal, idle), so a window shows how much of the 2 cores was left.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBpfFilter } from '../../src/capture/bpf.js';
import { type Started, startIn, stop, waitFor } from '../latency/proc.js';
import { type CpuSample, cpuOf, niceArgv, readSafe } from './daemon.js';

/** The daemon's capture settings (src/capture/live.ts): snap length, kernel buffer. */
const SNAPLEN = 65535;
const KERNEL_BUFFER_KIB = 32 * 1024;
/** The filter the bench's daemon compiles (PROTOCOLS=udp,tcp, SIP_PORTS=5060). */
export const DAEMON_FILTER = buildBpfFilter({
  protocols: ['udp', 'tcp'],
  sipPorts: [{ from: 5060, to: 5060 }],
});

export interface TcpdumpStats {
  /** Packets tcpdump handed to its writer ("packets captured"). */
  captured: number;
  /** libpcap's ps_recv ("packets received by filter"). */
  received: number;
  /** ps_drop: lost in the kernel because tcpdump did not read fast enough. */
  kernelDrops: number;
  /** ps_ifdrop (printed only when not 0). */
  ifDrops: number;
}

/**
 * The counters of tcpdump's last statistics report in `text` (its stderr): on exit (and
 * on SIGUSR1, one line) it prints "N packets captured", "N packets received by filter",
 * "N packets dropped by kernel" and, when not 0, "N packets dropped by interface"
 * ("packet" when N is 1). Null when no complete report is there.
 */
export function parseTcpdumpStats(text: string): TcpdumpStats | null {
  const last = (what: string): number | null => {
    const all = [...text.matchAll(new RegExp(`(\\d+) packets? ${what}`, 'g'))];
    const m = all[all.length - 1];
    return m ? Number(m[1]) : null;
  };
  const captured = last('captured');
  const received = last('received by filter');
  const kernelDrops = last('dropped by kernel');
  if (captured === null || received === null || kernelDrops === null) return null;
  return { captured, received, kernelDrops, ifDrops: last('dropped by interface') ?? 0 };
}

export class TcpdumpUnderTest {
  readonly log: string;
  private proc: Started | null = null;

  constructor(
    private readonly o: { ns: string; dir: string; immediate: boolean; iface?: string; nice?: number },
  ) {
    this.log = join(o.dir, 'tcpdump.log');
  }

  get pid(): number {
    if (!this.proc) throw new Error('tcpdump is not running');
    return this.proc.pid;
  }

  spawn(): void {
    const argv = [
      'tcpdump',
      ...['-i', this.o.iface ?? 'eth0', '-n', '-s', `${SNAPLEN}`, '-B', `${KERNEL_BUFFER_KIB}`],
      ...(this.o.immediate ? ['--immediate-mode'] : []),
      ...['-w', '/dev/null', DAEMON_FILTER],
    ];
    if (this.o.nice) argv.unshift(...niceArgv(this.o.nice));
    this.proc = startIn(this.o.ns, 'tcpdump', argv[0]!, argv.slice(1), this.log);
  }

  /** Waits for tcpdump's "listening on" line: the capture is open and filtering. */
  async waitStarted(timeoutMs = 30_000): Promise<void> {
    await waitFor('tcpdump to listen', timeoutMs, () => {
      if (this.proc?.done) throw new Error(`tcpdump exited: ${readSafe(this.log)}`);
      return readSafe(this.log).includes('listening on');
    });
  }

  cpu(): CpuSample {
    return cpuOf(this.pid);
  }

  /** Stops tcpdump (SIGINT: it prints its counters) and returns them. */
  async stop(): Promise<TcpdumpStats> {
    if (this.proc) await stop(this.proc, 'SIGINT', 30_000);
    this.proc = null;
    const stats = parseTcpdumpStats(readSafe(this.log));
    if (!stats) throw new Error(`tcpdump printed no counters: ${readSafe(this.log).slice(-500)}`);
    return stats;
  }
}

/** The whole machine's CPU time so far, in ticks over every core (/proc/stat's "cpu" line). */
export interface MachineCpu {
  at: number;
  user: number;
  system: number;
  softirq: number;
  steal: number;
  idle: number;
  total: number;
}

export function machineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  return {
    at: performance.now(),
    user: user + nice,
    system: system + irq,
    softirq,
    steal,
    idle: idle + iowait,
    total: user + nice + system + idle + iowait + irq + softirq + steal,
  };
}

/** Shares of one core (%, 200 = both of 2) of each kind between two samples. */
export function machineShare(a: MachineCpu, b: MachineCpu, cores: number) {
  const all = b.total - a.total || 1;
  const pc = (k: keyof Omit<MachineCpu, 'at' | 'total'>) => ((b[k] - a[k]) / all) * cores * 100;
  return {
    user: pc('user'),
    system: pc('system'),
    softirq: pc('softirq'),
    steal: pc('steal'),
    idle: pc('idle'),
  };
}

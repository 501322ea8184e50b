/**
 * Notices when sipprot's rules vanish behind its back (issue 10 item 10): Debian's
 * nftables.service runs `nft flush ruleset` on start, reload and restart, and iptables-nft
 * or an admin may `nft flush table` or delete rules; 20 s later the table was still gone
 * while `status` said running and `check` said BLOCKED.
 *
 * How, without reading big sets: an event source reports every deletion of a table,
 * chain, rule or set of `inet sipprot` as it happens, and starts a check 150 ms later (our
 * own reconciles delete and re-add the table in one transaction, so a check is what tells
 * them apart): each of our two chains must exist and hold a rule that looks up @dyn4. A
 * failed check calls `onLost(reason)`; the daemon logs, alerts and rebuilds the whole
 * table from the store in one transaction. A source that ends is restarted (1 s, doubling
 * to 30 s), and the same check runs every 30 s as a safety net.
 *
 * Both read over netlink in-process (NetlinkProbe, native/src/nft-watch.c; issue 13): the
 * `nft` children they replace cost the daemon CPU that grew with the table — nft 1.0.6
 * reads every set element for `nft list chain` (100k blocks: ~0.5 s a chain; 1M + 1M:
 * 202 s, longer than any time limit, so a slow nft looked like no answer) and the two
 * `nft monitor` processes woke for every element event, three per block. Now the check
 * is a rule dump of one chain (no element, the same ~0.1 ms with 1M blocks) and element
 * events are dropped in C without waking the event loop. Without the addon the nft CLI
 * does the same work (kernel-watch-nft.ts); the probes' contract: kernel-watch-probe.ts.
 */
import type { Logger } from '../ports/logger.js';
import { NftCliProbe } from './kernel-watch-nft.js';
import { NetlinkProbe, type WatchProbe } from './kernel-watch-probe.js';
import { NftNetlink } from './nft-netlink.js';
import { TABLE } from './nft-render.js';

export interface KernelWatchOptions {
  /** The network namespace to watch: /run/netns/NAME, or '' (default) the daemon's own. */
  netns?: string;
  /** Replaces the default probe (netlink, or the nft CLI without the addon). */
  probe?: WatchProbe;
  /** The table lost its chains or rules: the reason, for the log and the alert. */
  onLost(reason: string): void;
  log?: Logger;
  debounceMs?: number;
  safetyNetMs?: number;
}

const CHAINS: ReadonlyArray<{ chain: string; set: string }> = [
  { chain: 'prerouting', set: 'dyn4' },
  { chain: 'output', set: 'dyn4' },
];
const MAX_RESTART_MS = 30_000;

/** The probe of the daemon: netlink in `netns`, or the nft CLI when the addon cannot load. */
export function defaultProbe(netns: string, log?: Logger): WatchProbe {
  try {
    return new NetlinkProbe(new NftNetlink(netns));
  } catch (e) {
    log?.warn({ err: e }, 'nftables over netlink unavailable: the kernel watch runs nft');
    return new NftCliProbe({ command: netns ? ['ip', 'netns', 'exec', netns, 'nft'] : ['nft'] });
  }
}

export class KernelWatch {
  private readonly probe: WatchProbe;
  private stopMonitor: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private safety: NodeJS.Timeout | null = null;
  private stopped = false;
  private checking = false;
  private restartMs = 1000;
  /** Checks run so far (events, safety net, restarts). */
  checks = 0;

  constructor(private readonly o: KernelWatchOptions) {
    this.probe = o.probe ?? defaultProbe(o.netns ?? '', o.log);
  }

  start(): void {
    this.stopped = false;
    this.monitor();
    this.safety = setInterval(() => this.schedule(), this.o.safetyNetMs ?? 30_000);
    this.safety.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.safety) clearInterval(this.safety);
    this.timer = null;
    this.stopMonitor?.();
    this.stopMonitor = null;
  }

  /**
   * What is wrong with our chains in the kernel, or null when they hold their drop rules
   * (or when the probe could not say: a warning, and the next check looks again).
   */
  async verify(): Promise<string | null> {
    for (const { chain, set } of CHAINS) {
      const r = await this.probe.chain(chain, set);
      if (r.kind === 'unknown') {
        this.o.log?.warn({ chain }, `could not check ${TABLE}'s ${chain} chain: ${r.why}`);
        return null;
      }
      if (r.kind === 'gone') return `table ${TABLE} or its ${chain} chain is gone (${r.detail})`;
      if (r.lookups === 0) return `the ${chain} chain of ${TABLE} lost its rules`;
    }
    return null;
  }

  private monitor(): void {
    if (this.stopped) return;
    let over = false;
    let stop: (() => void) | null = null;
    const ended = (why: string) => {
      if (over || this.stopped) return;
      over = true;
      // Called from the source's own callback: stopped once that returned.
      setImmediate(() => stop?.());
      this.o.log?.warn({ why, retryMs: this.restartMs }, 'kernel event source ended; restarting it');
      setTimeout(() => this.monitor(), this.restartMs).unref();
      this.restartMs = Math.min(MAX_RESTART_MS, this.restartMs * 2);
      this.schedule();
    };
    try {
      stop = this.probe.monitor(() => this.schedule(), ended);
    } catch (e) {
      // A socket that cannot be opened now (no memory, a namespace going away) is a
      // source that ended: said, checked, tried again later; never a crash of the daemon.
      ended(e instanceof Error ? e.message : String(e));
      return;
    }
    this.stopMonitor = stop;
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.check();
    }, this.o.debounceMs ?? 150);
  }

  private async check(): Promise<void> {
    if (this.checking) {
      this.schedule();
      return;
    }
    this.checking = true;
    this.checks++;
    try {
      const why = await this.verify();
      if (why && !this.stopped) this.o.onLost(why);
      else this.restartMs = 1000;
    } finally {
      this.checking = false;
    }
  }
}

/**
 * Where packets come from: libpcap on INTERFACES (BPF filter from SIP_PORTS and
 * PROTOCOLS) and, when HEP_LISTEN is set, a HEPv3 feed from the SIP server. Both hand
 * what they receive to a PacketSink (the pipeline) and to nothing else. On reload only the
 * input whose settings changed is restarted (config-diff.ts). The event-loop delay that
 * frames and requests wait (loop-lag.ts) is watched here too, for status.
 *
 * A capture that stops because its interface disappeared is a protection loss (alerted)
 * and is reopened by itself once the interface is back: every REOPEN_MS at first, backing
 * off to REOPEN_MAX_MS, so a VPN or VLAN device that is re-created does not leave the
 * guard blind until an admin reloads.
 */
import { buildBpfFilter } from '../capture/bpf.js';
import { HepListener } from '../capture/hep-listener.js';
import { type CaptureStats, PcapLiveCapture } from '../capture/live.js';
import { isSipprotError } from '../core/errors.js';
import type { Config } from '../core/types.js';
import type { LiveStats } from '../ports/admin.js';
import type { Logger } from '../ports/logger.js';
import { sameCapture, sameHep } from './config-diff.js';
import { LoopLag } from './loop-lag.js';

export interface PacketSink {
  onFrame(linkType: number, at: number, frame: Uint8Array): void;
  onHep(buf: Uint8Array): void;
}

/** Capture stopping on an error (an interface gone) is a protection loss (protection.ts). */
export interface CaptureWatch {
  lost(why: string): void;
  restarted(): void;
}

const REOPEN_MS = 1000;
const REOPEN_MAX_MS = 30_000;

export class PacketInputs {
  private capture: PcapLiveCapture | null = null;
  private reopenTimer: NodeJS.Timeout | null = null;
  private reopenMs = REOPEN_MS;
  private hep: HepListener | null = null;
  private readonly loopLag = new LoopLag();

  constructor(
    private readonly sink: PacketSink,
    /** False in tests that hand frames in themselves. */
    private readonly live: boolean,
    private readonly log: Logger,
    private readonly watch?: CaptureWatch,
  ) {}

  async start(config: Config): Promise<void> {
    this.loopLag.start();
    if (this.live) this.startCapture(config);
    await this.startHep(config);
  }

  /** The daemon has started: the lag since start counts from here (loop-lag.ts). */
  started(): void {
    this.loopLag.started();
  }

  /** Restarts the inputs a new config changes. */
  async apply(previous: Config, next: Config): Promise<void> {
    if (!sameCapture(previous, next) && this.capture) {
      this.cancelReopen();
      this.capture.stop();
      this.startCapture(next);
      this.watch?.restarted();
    }
    if (!sameHep(previous, next)) {
      this.hep?.stop();
      this.hep = null;
      await this.startHep(next);
    }
  }

  stop(): void {
    this.cancelReopen();
    this.loopLag.stop();
    this.capture?.stop();
    this.capture = null;
    this.hep?.stop();
    this.hep = null;
  }

  /** Capture and HEP counters, and how late the event loop that reads them runs. */
  stats(): Pick<LiveStats, 'capture' | 'hepReceived' | 'hepErrors' | 'loopLag'> {
    const c: CaptureStats | null = this.capture?.stats() ?? null;
    const capture = c
      ? {
          received: c.received,
          dropped: c.dropped,
          ifDropped: c.ifDropped,
          ringDrops: c.ringDrops,
          priority: c.priority,
        }
      : null;
    const hep = this.hep?.status() ?? null;
    return {
      capture,
      hepReceived: hep?.received ?? null,
      hepErrors: hep ? { count: hep.errors, last: hep.lastError } : null,
      loopLag: this.loopLag.stats(),
    };
  }

  private startCapture(config: Config): void {
    // Without onError a capture thread that stopped (interface gone) would go unnoticed.
    const capture = new PcapLiveCapture(config.interfaces, buildBpfFilter(config), {
      onError: (e) => {
        // A frame the pipeline choked on is thrown on as before (the daemon's last-resort handler).
        if (!isSipprotError(e) || e.code !== 'SP_ERR_CAPTURE') throw e;
        this.watch?.lost(e.message);
        this.scheduleReopen();
      },
    });
    capture.start((linkType, at, frame) => {
      // A frame after a quiet stretch: the lag sampler goes back to its busy rate (loop-lag.ts).
      this.loopLag.poke();
      this.sink.onFrame(linkType, at, frame);
    });
    this.capture = capture;
    // Known once start returns (capture.c waits for the thread's setpriority): said once.
    const p = capture.stats().priority;
    if (p && p.nice > p.wanted) {
      this.log.warn(
        { nice: p.nice, wanted: p.wanted, err: p.error },
        `capture thread at nice ${p.nice} (wanted ${p.wanted}: ${(p.error ?? 'refused').toLowerCase()}); under load it waits for a core while the kernel's ring fills (give the service CAP_SYS_NICE or LimitNICE=${20 - p.wanted})`,
      );
    }
  }

  private scheduleReopen(): void {
    if (this.reopenTimer) return;
    this.reopenTimer = setTimeout(() => this.reopen(), this.reopenMs);
    this.reopenTimer.unref();
  }

  private reopen(): void {
    this.reopenTimer = null;
    const capture = this.capture;
    if (!capture) return;
    for (const iface of capture.lost()) {
      try {
        capture.reopen(iface);
        this.log.info({ iface }, `capture on interface "${iface}" reopened`);
      } catch (e) {
        this.log.debug({ iface, err: (e as Error).message }, 'capture: interface not back yet');
      }
    }
    if (capture.lost().length === 0) {
      this.reopenMs = REOPEN_MS;
      this.watch?.restarted();
      return;
    }
    this.reopenMs = Math.min(this.reopenMs * 2, REOPEN_MAX_MS);
    this.scheduleReopen();
  }

  private cancelReopen(): void {
    if (this.reopenTimer) clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    this.reopenMs = REOPEN_MS;
  }

  private async startHep(config: Config): Promise<void> {
    if (!config.hepListen) return;
    const hep = new HepListener(config.hepListen, this.log.child({ component: 'hep' }));
    await hep.start((buf) => {
      this.loopLag.poke();
      this.sink.onHep(buf);
    });
    this.hep = hep;
  }
}

import { buildBpfFilter } from '../capture/bpf.js';
import { HepListener } from '../capture/hep-listener.js';
import { type CaptureStats, PcapLiveCapture } from '../capture/live.js';
import type { Config } from '../core/types.js';

export interface PacketSink {
  onFrame(linkType: number, at: number, frame: Uint8Array): void;
  onHep(buf: Uint8Array): void;
}

/** Where packets come from: libpcap on INTERFACES and, when set, a HEPv3 feed. */
export class PacketInputs {
  private capture: PcapLiveCapture | null = null;
  private hep: HepListener | null = null;

  constructor(
    private readonly sink: PacketSink,
    /** False in tests that hand frames in themselves. */
    private readonly live: boolean,
  ) {}

  async start(config: Config): Promise<void> {
    if (this.live) this.startCapture(config);
    await this.startHep(config);
  }

  /** Restarts the inputs a new config changes; true when capture restarted. */
  async apply(previous: Config, next: Config): Promise<boolean> {
    const captureChanged =
      JSON.stringify([next.interfaces, next.sipPorts, next.protocols]) !==
      JSON.stringify([previous.interfaces, previous.sipPorts, previous.protocols]);
    if (captureChanged && this.capture) {
      this.capture.stop();
      this.startCapture(next);
    }
    if (JSON.stringify(next.hepListen) !== JSON.stringify(previous.hepListen)) {
      this.hep?.stop();
      this.hep = null;
      await this.startHep(next);
    }
    return captureChanged;
  }

  stop(): void {
    this.capture?.stop();
    this.capture = null;
    this.hep?.stop();
    this.hep = null;
  }

  stats(): { capture: CaptureStats | null; hepReceived: number | null } {
    return { capture: this.capture?.stats() ?? null, hepReceived: this.hep?.received ?? null };
  }

  private startCapture(config: Config): void {
    const capture = new PcapLiveCapture(config.interfaces, buildBpfFilter(config));
    capture.start((linkType, at, frame) => this.sink.onFrame(linkType, at, frame));
    this.capture = capture;
  }

  private async startHep(config: Config): Promise<void> {
    if (!config.hepListen) return;
    const hep = new HepListener(config.hepListen);
    await hep.start((buf) => this.sink.onHep(buf));
    this.hep = hep;
  }
}

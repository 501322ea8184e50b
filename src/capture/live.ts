import { createRequire } from 'node:module';
import { SipprotError } from '../core/errors.js';

/** A captured frame; `frame` is only valid during the callback (libpcap reuses the buffer). */
export type FrameHandler = (linkType: number, at: number, frame: Uint8Array) => void;

export interface CaptureStats {
  received: number;
  /** Dropped by the kernel because we did not read fast enough. */
  dropped: number;
  /** Dropped by the interface/driver. */
  ifDropped: number;
}

interface PcapPacket {
  buf: Buffer;
  header: Buffer;
  link_type: string;
}
interface PcapSessionLike {
  on(ev: 'packet', cb: (p: PcapPacket) => void): void;
  close(): void;
  stats(): { ps_recv: number; ps_drop: number; ps_ifdrop: number };
}
interface PcapModule {
  createSession(device: string, opts: Record<string, unknown>): PcapSessionLike;
}

const LINK_TYPES: Record<string, number> = {
  LINKTYPE_NULL: 0,
  LINKTYPE_ETHERNET: 1,
  LINKTYPE_RAW: 101,
  LINKTYPE_LINUX_SLL: 113,
};

/** node_pcap names the link types it knows and says "Unknown linktype N" for the others. */
export function linkTypeNumber(name: string): number | null {
  if (name in LINK_TYPES) return LINK_TYPES[name]!;
  const m = /Unknown linktype (\d+)/.exec(name);
  return m ? Number(m[1]) : null;
}

/**
 * Live capture with libpcap on each configured interface. `buffer_timeout: 0` turns on
 * immediate mode: packets reach us as they arrive instead of when a buffer fills, which
 * is what makes blocking within milliseconds possible.
 */
export class PcapLiveCapture {
  private readonly sessions: Array<{ iface: string; session: PcapSessionLike }> = [];

  constructor(
    private readonly interfaces: string[],
    private readonly filter: string,
    private readonly bufferBytes = 32 * 1024 * 1024,
  ) {}

  start(onFrame: FrameHandler): void {
    const pcap = loadPcap();
    for (const iface of this.interfaces) {
      let session: PcapSessionLike;
      try {
        session = pcap.createSession(iface, {
          filter: this.filter,
          buffer_timeout: 0,
          buffer_size: this.bufferBytes,
          promiscuous: false,
        });
      } catch (e) {
        this.stop();
        throw new SipprotError(
          'SP_ERR_CAPTURE',
          `cannot capture on interface "${iface}": ${(e as Error).message} (INTERFACES; capture needs root or CAP_NET_RAW)`,
          { cause: e },
        );
      }
      session.on('packet', (p) => {
        const linkType = linkTypeNumber(p.link_type);
        if (linkType === null) return;
        const h = p.header;
        const at = h.readUInt32LE(0) + h.readUInt32LE(4) / 1e6;
        const caplen = h.readUInt32LE(8);
        onFrame(linkType, at, p.buf.subarray(0, caplen));
      });
      this.sessions.push({ iface, session });
    }
  }

  stats(): CaptureStats {
    const total: CaptureStats = { received: 0, dropped: 0, ifDropped: 0 };
    for (const { session } of this.sessions) {
      try {
        const s = session.stats();
        total.received += s.ps_recv;
        total.dropped += s.ps_drop;
        total.ifDropped += s.ps_ifdrop;
      } catch {
        // a closed session has no stats
      }
    }
    return total;
  }

  stop(): void {
    for (const { session } of this.sessions.splice(0)) {
      try {
        session.close();
      } catch {
        // already closed
      }
    }
  }
}

function loadPcap(): PcapModule {
  try {
    return createRequire(import.meta.url)('pcap') as PcapModule;
  } catch (e) {
    throw new SipprotError(
      'SP_ERR_CAPTURE',
      `the libpcap binding is not available: ${(e as Error).message} (install libpcap-dev, then npm ci)`,
      { cause: e },
    );
  }
}

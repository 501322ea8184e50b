import type { PortRange, SipEvent } from '../types.js';

/** The local SIP ports as a 64 KiB bitmap: membership in one array read. */
export class PortSet {
  private readonly bits = new Uint8Array(65536);

  constructor(ranges: readonly PortRange[]) {
    for (const r of ranges) {
      const from = Math.max(0, Math.min(r.from, r.to));
      const to = Math.min(65535, Math.max(r.from, r.to));
      for (let p = from; p <= to; p++) this.bits[p] = 1;
    }
  }

  has(port: number): boolean {
    return this.bits[port] === 1;
  }
}

/**
 * The remote address an event concerns, or null if it is not traffic between a remote
 * party and the local SIP ports: a request whose destination port is a SIP port comes
 * from `src`; a response whose source port is a SIP port is the local server's answer
 * to `dst`.
 */
export function remoteOf(ev: SipEvent, ports: PortSet): string | null {
  if (ev.msg.kind === 'request') return ports.has(ev.dport) ? ev.src : null;
  return ports.has(ev.sport) ? ev.dst : null;
}

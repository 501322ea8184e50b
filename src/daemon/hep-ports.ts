/**
 * Says when the SIP server's HEP mirror reports requests to a port that is not in
 * SIP_PORTS. The engine judges only requests sent to a SIP port, so a WebSocket or TLS
 * port left out of SIP_PORTS is mirrored and then not judged at all: no block, no error,
 * nothing in the log (found when SIP over WebSocket was tested end to end). Now the first
 * such request of a port logs a warning naming the port and the fix; again at most once
 * an hour a port, for at most MAX_PORTS ports (a scan of ports through the mirror cannot
 * grow this or flood the log).
 *
 * Requests the server itself sends (from one of the host's addresses: an INVITE to a
 * phone on its WebSocket) go to the client's port, not a SIP port: not warned about.
 */
import { PortSet } from '../core/detect/ports.js';
import type { PortRange, SipEvent } from '../core/types.js';
import type { Logger } from '../ports/logger.js';

const REPEAT_S = 3600;
const MAX_PORTS = 16;

export class HepPortNotice {
  /** The engine's own test of a SIP port, so this warns about exactly what it ignores. */
  private readonly ports: PortSet;
  /** Port → when it was last warned about, and requests ignored since. */
  private readonly warned = new Map<number, { at: number; ignored: number }>();

  constructor(
    sipPorts: readonly PortRange[],
    private readonly local: ReadonlySet<string>,
    private readonly log: Logger,
  ) {
    this.ports = new PortSet(sipPorts);
  }

  /** One mirrored event, at `now` (seconds). */
  seen(ev: SipEvent, now: number): void {
    if (ev.msg.kind !== 'request' || this.ports.has(ev.dport) || this.ports.has(ev.sport)) return;
    if (this.local.has(ev.src)) return;
    const w = this.warned.get(ev.dport);
    if (w && now - w.at < REPEAT_S) {
      w.ignored++;
      return;
    }
    if (!w && this.warned.size >= MAX_PORTS) return;
    const ignored = (w?.ignored ?? 0) + 1;
    this.warned.set(ev.dport, { at: now, ignored: 0 });
    this.log.warn(
      { port: ev.dport, ignored },
      `HEP: requests to port ${ev.dport} are mirrored but port ${ev.dport} is not in SIP_PORTS, so they are not judged (no block): add it to SIP_PORTS`,
    );
  }
}

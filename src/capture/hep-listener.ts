/**
 * Receives a HEPv3 feed on UDP: the SIP server mirrors what it sends and receives, TLS
 * included (capture cannot read TLS). Each datagram is one HEP packet; the 8 MiB receive
 * buffer (capped by net.core.rmem_max) absorbs bursts while the event loop is busy.
 *
 * A socket error after the start (ICMP errors, a buffer overrun the OS reports) does not
 * stop the listener, but it is never silent either: it is logged once per kind of error
 * and counted, and the last one is kept for the daemon's status (`hepErrors`).
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { SipprotError } from '../core/errors.js';
import type { Logger } from '../ports/logger.js';

export interface HepStats {
  received: number;
  /** Socket errors since the start, and the last one's message. */
  errors: number;
  lastError: string | null;
}

export class HepListener {
  private socket: Socket | null = null;
  private readonly stats: HepStats = { received: 0, errors: 0, lastError: null };
  private readonly logged = new Set<string>();

  constructor(
    private readonly listen: { host: string; port: number },
    private readonly log?: Logger,
  ) {}

  /** Binds HEP_LISTEN; SP_ERR_CAPTURE (with the socket error as cause) when it cannot. */
  async start(onPacket: (buf: Uint8Array) => void): Promise<void> {
    const where = `${this.listen.host}:${this.listen.port}`;
    const type = isIP(this.listen.host) === 6 ? 'udp6' : 'udp4';
    const socket = createSocket({ type, recvBufferSize: 8 * 1024 * 1024 });
    socket.on('message', (msg) => {
      this.stats.received++;
      onPacket(msg);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (e) =>
        reject(
          new SipprotError('SP_ERR_CAPTURE', `cannot receive HEP on ${where}: ${e.message} (HEP_LISTEN)`, {
            cause: e,
          }),
        ),
      );
      socket.bind(this.listen.port, this.listen.host, () => resolve());
    });
    socket.on('error', (e: NodeJS.ErrnoException) => this.failed(where, e));
    this.socket = socket;
  }

  get received(): number {
    return this.stats.received;
  }

  status(): HepStats {
    return { ...this.stats };
  }

  stop(): void {
    this.socket?.close();
    this.socket = null;
  }

  private failed(where: string, e: NodeJS.ErrnoException): void {
    this.stats.errors++;
    this.stats.lastError = e.message;
    // Once per kind: a flood of the same error must not flood the log.
    const kind = e.code ?? e.message;
    if (this.logged.has(kind)) return;
    this.logged.add(kind);
    this.log?.error(
      { err: e, listen: where },
      'HEP socket error (further ones of this kind are only counted)',
    );
  }
}

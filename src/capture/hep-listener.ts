import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { SipprotError } from '../core/errors.js';

/**
 * Receives a HEPv3 feed on UDP: the SIP server mirrors what it sends and receives, TLS
 * included (capture cannot read TLS). Each datagram is one HEP packet.
 */
export class HepListener {
  private socket: Socket | null = null;
  received = 0;

  constructor(private readonly listen: { host: string; port: number }) {}

  async start(onPacket: (buf: Uint8Array) => void): Promise<void> {
    const type = isIP(this.listen.host) === 6 ? 'udp6' : 'udp4';
    const socket = createSocket({ type, recvBufferSize: 8 * 1024 * 1024 });
    socket.on('message', (msg) => {
      this.received++;
      onPacket(msg);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (e) =>
        reject(
          new SipprotError(
            'SP_ERR_CAPTURE',
            `cannot receive HEP on ${this.listen.host}:${this.listen.port}: ${e.message} (HEP_LISTEN)`,
          ),
        ),
      );
      socket.bind(this.listen.port, this.listen.host, () => resolve());
    });
    socket.on('error', () => undefined);
    this.socket = socket;
  }

  stop(): void {
    this.socket?.close();
    this.socket = null;
  }
}

/** The HEP listener: packets counted, socket errors reported (not swallowed), bind failures explained. */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { describe, it } from 'node:test';
import type { Logger } from '../ports/logger.js';
import { HepListener } from './hep-listener.js';

const PORT = 30000 + (process.pid % 20000);

function recorder(): { log: Logger; lines: Array<{ obj: object; msg: string | undefined }> } {
  const lines: Array<{ obj: object; msg: string | undefined }> = [];
  const rec = (obj: object, msg?: string) => void lines.push({ obj, msg });
  const log: Logger = { debug: rec, info: rec, warn: rec, error: rec, child: () => log };
  return { log, lines };
}

describe('HepListener', () => {
  it('counts packets; a socket error after the start is logged once per kind and counted', async () => {
    const { log, lines } = recorder();
    const hep = new HepListener({ host: '127.0.0.1', port: PORT }, log);
    const got: Uint8Array[] = [];
    await hep.start((b) => got.push(b));
    try {
      const tx = createSocket('udp4');
      await new Promise<void>((r) => tx.send(Buffer.from('HEP3'), PORT, '127.0.0.1', () => r()));
      tx.close();
      for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(hep.received, 1);
      // What the OS would report on the socket (e.g. ENOBUFS): reach the socket the listener owns.
      const socket = (hep as unknown as { socket: NodeJS.EventEmitter }).socket;
      for (let i = 0; i < 3; i++)
        socket.emit('error', Object.assign(new Error('no buffer space'), { code: 'ENOBUFS' }));
      socket.emit('error', Object.assign(new Error('something else'), { code: 'EIO' }));
      assert.deepEqual(hep.status(), { received: 1, errors: 4, lastError: 'something else' });
      assert.equal(lines.length, 2, 'one line per kind of error');
      assert.match(lines[0]!.msg!, /HEP socket error/);
      assert.equal((lines[0]!.obj as { listen: string }).listen, `127.0.0.1:${PORT}`);
    } finally {
      hep.stop();
    }
  });

  it('a port it cannot bind is SP_ERR_CAPTURE naming HEP_LISTEN, with the socket error as cause', async () => {
    const first = new HepListener({ host: '127.0.0.1', port: PORT + 1 });
    await first.start(() => undefined);
    try {
      const second = new HepListener({ host: '127.0.0.1', port: PORT + 1 });
      await assert.rejects(
        second.start(() => undefined),
        (e: Error & { code?: string; cause?: unknown }) => {
          assert.equal(e.code, 'SP_ERR_CAPTURE');
          assert.match(e.message, /HEP_LISTEN/);
          assert.equal((e.cause as NodeJS.ErrnoException).code, 'EADDRINUSE');
          return true;
        },
      );
    } finally {
      first.stop();
    }
  });
});

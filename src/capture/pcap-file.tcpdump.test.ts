/**
 * Real captures: tcpdump records SIP we send over loopback (only 127.0.0.1 and ::1),
 * then readCapture + Decoder must find exactly the messages sent. This pins the file
 * reader and the link layers to what the real tool writes (Ethernet on lo, Linux cooked
 * v1 and v2 on `any`). Needs root and tcpdump, as the end-to-end tests do.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Decoder } from '../core/packet/decoder.js';
import { sipRequest, sipResponse } from '../core/packet/packets.testkit.js';
import type { SipEvent } from '../core/types.js';
import { readCapture } from './pcap-file.js';

const dir = mkdtempSync(join(tmpdir(), 'sipprot-tcpdump-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** How many records the file holds so far (tcpdump -U writes each as it reads it). */
async function records(path: string): Promise<number> {
  let n = 0;
  try {
    for await (const _ of readCapture(path)) n++;
  } catch {
    // a record half written: count what was whole
  }
  return n;
}

/**
 * Start tcpdump, run `traffic`, wait until tcpdump wrote at least `min` records (on a loaded
 * machine it may not have read the kernel's ring yet, and SIGINT drops what it has not
 * read), stop it (by its PID), return the file.
 */
async function capture(args: string[], min: number, traffic: () => Promise<void>): Promise<string> {
  const path = join(dir, `cap-${process.pid}-${Math.random().toString(36).slice(2)}.pcap`);
  const td: ChildProcess = spawn('tcpdump', ['-U', '--immediate-mode', '-w', path, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tcpdump did not start: ${stderr}`)), 10000);
    td.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    td.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`tcpdump exited (${code}): ${stderr}`));
    });
    td.on('error', reject);
  });
  try {
    await traffic();
    const deadline = Date.now() + 15_000;
    while ((await records(path)) < min && Date.now() < deadline) await sleep(100);
    await sleep(100);
  } finally {
    const exited = new Promise((r) => td.once('exit', r));
    td.kill('SIGINT');
    await exited;
  }
  return path;
}

async function decode(
  path: string,
  port: number,
  protocols: Array<'udp' | 'tcp'>,
): Promise<{ ev: SipEvent[]; links: Set<number> }> {
  const d = new Decoder({ sipPorts: [{ from: port, to: port }], protocols });
  const ev: SipEvent[] = [];
  const links = new Set<number>();
  for await (const r of readCapture(path)) {
    links.add(r.linkType);
    ev.push(...d.push(r.linkType, r.at, r.frame));
  }
  return { ev, links };
}

async function udpPort(family: 'udp4' | 'udp6', host: string) {
  const sock = createSocket(family);
  await new Promise<void>((r) => sock.bind(0, host, () => r()));
  return sock;
}

describe('real tcpdump captures over loopback', () => {
  for (const [iface, extra, link] of [
    ['lo', [], 1],
    ['any', [], 276],
    ['any', ['-y', 'LINUX_SLL'], 113],
  ] as Array<[string, string[], number]>) {
    it(`UDP IPv4 and IPv6 on -i ${iface} ${extra.join(' ')} (link type ${link})`, async () => {
      const rx4 = await udpPort('udp4', '127.0.0.1');
      const rx6 = await udpPort('udp6', '::1');
      const port4 = rx4.address().port;
      const port6 = rx6.address().port;
      const tx4 = createSocket('udp4');
      const tx6 = createSocket('udp6');
      try {
        const path = await capture(
          ['-i', iface, ...extra, `udp and (port ${port4} or port ${port6})`],
          4,
          async () => {
            for (let i = 0; i < 3; i++) {
              const m = sipRequest({ user: `40${i}`, callId: `udp4-${i}`, authUser: `40${i}` });
              await new Promise<void>((r) => tx4.send(m, port4, '127.0.0.1', () => r()));
            }
            const m6 = sipResponse({ status: 401, callId: 'udp6-0' });
            await new Promise<void>((r) => tx6.send(m6, port6, '::1', () => r()));
          },
        );
        const a = await decode(path, port4, ['udp']);
        assert.deepEqual([...a.links], [link]);
        assert.deepEqual(
          a.ev.map((e) => e.msg.callId),
          ['udp4-0', 'udp4-1', 'udp4-2'],
        );
        assert.equal(a.ev[0]!.src, '127.0.0.1');
        assert.equal(a.ev[1]!.msg.authUser, '401');
        assert.ok(
          Math.abs(a.ev[0]!.at - Date.now() / 1000) < 60,
          'packet time is wall-clock time of the capture',
        );
        const b = await decode(path, port6, ['udp']);
        assert.deepEqual(
          b.ev.map((e) => [e.src, e.msg.status]),
          [['::1', 401]],
        );
      } finally {
        for (const s of [rx4, rx6, tx4, tx6]) s.close();
      }
    });
  }

  it('TCP: coalesced and split messages on a real connection', async () => {
    const server = createServer((s) => s.resume());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      // handshake (3), three data segments, the FIN and its ACK: at least 8 on the wire
      const path = await capture(['-i', 'lo', `tcp port ${port}`], 8, async () => {
        const c: Socket = connect(port, '127.0.0.1');
        c.setNoDelay(true);
        await new Promise<void>((r) => c.once('connect', () => r()));
        const m = (i: number) => sipRequest({ user: `50${i}`, callId: `tcp-${i}`, cseq: i });
        const three = Buffer.concat([m(0), m(1), m(2)]);
        await new Promise<void>((r) => c.write(three, () => r()));
        await sleep(50);
        const split = m(3);
        await new Promise<void>((r) => c.write(split.subarray(0, 100), () => r()));
        await sleep(50);
        await new Promise<void>((r) => c.write(split.subarray(100), () => r()));
        await sleep(50);
        await new Promise<void>((r) => c.end(() => r()));
      });
      const { ev } = await decode(path, port, ['tcp']);
      assert.deepEqual(
        ev.map((e) => e.msg.callId),
        ['tcp-0', 'tcp-1', 'tcp-2', 'tcp-3'],
      );
      assert.ok(ev.every((e) => e.transport === 'tcp' && e.dport === port));
    } finally {
      server.close();
    }
  });
});

/**
 * How long may the daemon's event loop stall before the kernel drops packets? libpcap
 * hands frames over through a ring in the kernel; while JavaScript does not read it, the
 * ring is all the buffer there is. This measures the ring's capacity in frames, as the
 * daemon opens it and in variants. Root only.
 *
 *   node --import tsx bench/live/ring.bench.ts [--packets 30000] [--rate 20000] [--stall-ms 2000]
 *
 * Two namespaces joined by a veth (sptest-bench-ring-{tx,rx}-PID-N; the capture's
 * addresses made local to the sender, frames to a MAC nobody owns, as in flood.bench.ts).
 * Per variant a child process in the receiver opens the capture on eth0, then blocks its
 * event loop for --stall-ms (a busy loop: what a long GC pause or synchronous work does);
 * meanwhile tcpreplay sends --packets packets of the flood capture at --rate. After the
 * stall the child reads what the ring kept and reports frames delivered and libpcap's
 * kernel-drop count: frames delivered ≈ the ring's capacity, and capacity / rate is how
 * long a stall the daemon survives at that rate without loss. Variants:
 * - daemon: src/capture/live.ts `PcapLiveCapture` as the daemon builds it (its defaults);
 * - node-pcap (the binding the daemon used until c34105c) with a 2 KiB snap length,
 *   immediate mode;
 * - node-pcap with buffer_timeout 1 ms (not immediate: libpcap's TPACKET_V3 blocks).
 * node-pcap with its defaults (immediate mode, snap length 65535) was the daemon's capture
 * in the 2026-12-05 baseline: 512 frames.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { PcapLiveCapture } from '../../src/capture/live.js';
import { Netns } from '../../test/netns.testkit.js';
import { FLOOD_PREFIX, FLOOD_SEED, generateFlood } from '../gen-flood.js';
import { run } from '../latency/proc.js';

const HERE = dirname(new URL(import.meta.url).pathname);
const FILTER = 'udp port 5060';

const { values } = parseArgs({
  options: {
    child: { type: 'string' },
    packets: { type: 'string', default: '30000' },
    rate: { type: 'string', default: '20000' },
    'stall-ms': { type: 'string', default: '2000' },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}
const PACKETS = Number(values.packets);
const RATE = Number(values.rate);
const STALL = Number(values['stall-ms']);

interface ChildResult {
  delivered: number;
  received: number;
  dropped: number;
}

/** Child mode: open the capture, say so, stall, drain, report one JSON line. */
async function child(variant: string): Promise<void> {
  let delivered = 0;
  let stats: () => { received: number; dropped: number };
  let close: () => void;
  if (variant === 'daemon') {
    const cap = new PcapLiveCapture(['eth0'], FILTER);
    cap.start(() => {
      delivered++;
    });
    stats = () => cap.stats();
    close = () => cap.stop();
  } else {
    const pcap = createRequire(import.meta.url)('pcap') as {
      createSession(
        d: string,
        o: object,
      ): {
        on(e: string, cb: () => void): void;
        stats(): { ps_recv: number; ps_drop: number };
        close(): void;
      };
    };
    const opts =
      variant === 'snap2k'
        ? { filter: FILTER, buffer_timeout: 0, buffer_size: 32 << 20, snap_length: 2048 }
        : { filter: FILTER, buffer_timeout: 1, buffer_size: 32 << 20 };
    const s = pcap.createSession('eth0', opts);
    s.on('packet', () => {
      delivered++;
    });
    stats = () => {
      const x = s.stats();
      return { received: x.ps_recv, dropped: x.ps_drop };
    };
    close = () => s.close();
  }
  process.stdout.write('ready\n');
  const until = performance.now() + STALL;
  while (performance.now() < until) {
    // the stall: nothing reads the ring
  }
  await new Promise((r) => setTimeout(r, 1000));
  const s = stats();
  close();
  const out: ChildResult = { delivered, received: s.received, dropped: s.dropped };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

async function measure(tx: Netns, rx: Netns, file: string, variant: string): Promise<ChildResult> {
  const c = rx.spawn([
    process.execPath,
    '--import',
    'tsx',
    join(HERE, 'ring.bench.ts'),
    '--child',
    variant,
    ...['--stall-ms', `${STALL}`],
  ]);
  let out = '';
  c.stdout!.setEncoding('utf8');
  const ready = new Promise<void>((resolve, reject) => {
    c.stdout!.on('data', (d: string) => {
      out += d;
      if (out.includes('ready\n')) resolve();
    });
    c.once('exit', (code) => reject(new Error(`ring child exited (${code})`)));
  });
  await ready;
  await tx.exec(['tcpreplay', '-i', 'eth0', `--pps=${RATE}`, `--limit=${PACKETS}`, file], {
    timeoutMs: 60_000,
  });
  await new Promise<void>((r) => c.once('exit', () => r()));
  return JSON.parse(out.trim().split('\n').pop()!) as ChildResult;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('ring.bench: needs root');
  if (
    !(
      PACKETS >= 100 &&
      PACKETS <= 200_000 &&
      RATE >= 100 &&
      RATE <= 500_000 &&
      STALL >= 10 &&
      STALL <= 10_000
    )
  )
    throw new Error('ring.bench: --packets 100-200000, --rate 100-500000, --stall-ms 10-10000');
  if (PACKETS / RATE > (STALL / 1000) * 0.9)
    throw new Error('ring.bench: the packets must arrive within the stall (packets / rate < stall)');
  const tmp = mkdtempSync(join(tmpdir(), 'sipprot-ring-'));
  const file = join(tmp, 'flood.pcap');
  generateFlood({ out: file, seed: FLOOD_SEED, packets: PACKETS });
  const tx = await Netns.create('bench-ring-tx');
  const rx = await Netns.create('bench-ring-rx');
  try {
    await tx.exec([
      ...['ip', 'link', 'add', 'eth0', 'address', '02:42:be:00:01:01', 'type', 'veth'],
      ...['peer', 'name', 'eth0', 'address', '02:42:be:00:01:02', 'netns', rx.name],
    ]);
    await tx.exec(['ip', 'link', 'set', 'eth0', 'up']);
    await rx.exec(['ip', 'link', 'set', 'eth0', 'up']);
    await tx.exec(['ip', 'route', 'add', 'local', FLOOD_PREFIX, 'dev', 'lo']);
    const v = await run('tcpreplay', ['--version']);
    const libpcap = /libpcap: (\S+)/.exec(v.stdout + v.stderr)?.[1];
    console.log(
      `ring: ${PACKETS} packets at ${RATE}/s during a ${STALL} ms stall of the reader (libpcap ${libpcap ?? '?'})`,
    );
    for (const [variant, what] of [
      ['daemon', "the daemon's capture as it opens it (src/capture/live.ts PcapLiveCapture, its defaults)"],
      ['snap2k', 'node-pcap, immediate mode, 32 MiB buffer, snap length 2048'],
      ['v3', 'node-pcap, buffer_timeout 1 ms (TPACKET_V3), 32 MiB buffer, snap length 65535'],
    ] as const) {
      const r = await measure(tx, rx, file, variant);
      // Nothing dropped: the ring held everything sent, its capacity is at least that.
      const atLeast = r.dropped === 0 ? 'at least ' : '';
      console.log(
        `ring ${variant}: ${what}: ${r.delivered} of ${PACKETS} frames delivered after the stall, kernel drops ${r.dropped} ` +
          `→ a stall of ${atLeast}${((r.delivered / RATE) * 1000).toFixed(0)} ms at ${RATE}/s loses nothing` +
          // Immediate mode gives fixed slots: the capacity in frames does not depend on the rate.
          (variant === 'v3'
            ? ''
            : ` (${atLeast}${((r.delivered / 150_000) * 1000).toFixed(1)} ms at 150k/s)`),
      );
    }
  } finally {
    await tx.destroy();
    await rx.destroy();
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (values.child) await child(values.child);
else await main();

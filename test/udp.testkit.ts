/**
 * UDP tools for the namespace tests (split out of netns.testkit.ts, issue 11): node scripts
 * run inside a test's namespace (Netns.spawnNode), so their datagrams never leave it.
 * - udpEcho: a server that counts what it receives, by source, and echoes it back unless
 *   told not to; it exits by itself after its lifetime (default 120 s).
 * - udpProbe: sends a bounded count of datagrams from the namespace and counts replies.
 * What a test judges a firewall by: the peer's datagrams reaching (or not) the guarded host.
 */
import { killChild, type Netns } from './netns.testkit.js';

const ECHO_SOURCE = `
const dgram = require('node:dgram');
const [port, host, lifetimeMs, echo] = [Number(process.argv[1]), process.argv[2], Number(process.argv[3]), process.argv[4] === '1'];
const s = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
s.on('message', (m, r) => {
  process.stdout.write('rx ' + r.address + ' ' + r.port + ' ' + m.length + '\\n');
  if (echo) s.send(m, r.port, r.address);
});
s.bind(port, host, () => process.stdout.write('ready\\n'));
setTimeout(() => process.exit(0), lifetimeMs);
`;

export interface UdpServer {
  /** Datagrams received so far, by source address. */
  received(from?: string): number;
  stop(): Promise<void>;
}

/**
 * A UDP server in `ns` that counts what it receives (and echoes it back unless
 * `echo: false`). Exits by itself after `lifetimeMs` (default 120 s).
 */
export async function udpEcho(
  ns: Netns,
  opts: { port: number; host?: string; echo?: boolean; lifetimeMs?: number },
): Promise<UdpServer> {
  const host = opts.host ?? '::';
  const child = ns.spawnNode(ECHO_SOURCE, [
    String(opts.port),
    host,
    String(opts.lifetimeMs ?? 120_000),
    opts.echo === false ? '0' : '1',
  ]);
  const counts = new Map<string, number>();
  let total = 0;
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('udp server did not start within 10 s')), 10_000);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      buf += chunk;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const line of lines) {
        if (line === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (line.startsWith('rx ')) {
          // An IPv4 peer of a dual-stack socket shows as ::ffff:a.b.c.d.
          const from = line.split(' ')[1]!.replace(/^::ffff:/, '');
          counts.set(from, (counts.get(from) ?? 0) + 1);
          total++;
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`udp server exited (${code})`));
    });
  });
  return {
    received: (from) => (from === undefined ? total : (counts.get(from) ?? 0)),
    stop: () => killChild(child),
  };
}

const PROBE_SOURCE = `
const dgram = require('node:dgram');
const o = JSON.parse(process.argv[1]);
const s = dgram.createSocket({ type: o.host.includes(':') ? 'udp6' : 'udp4', reuseAddr: true });
let replies = 0, sent = 0;
s.on('message', () => { replies++; });
s.on('error', (e) => { process.stdout.write(JSON.stringify({ error: String(e) }) + '\\n'); process.exit(1); });
s.bind({ port: o.sport || 0, address: o.bind || undefined }, () => {
  const tick = () => {
    if (sent >= o.count) { setTimeout(done, o.waitMs); return; }
    s.send(Buffer.alloc(o.size, 120), o.port, o.host, () => { sent++; setTimeout(tick, o.intervalMs); });
  };
  tick();
});
function done() { process.stdout.write(JSON.stringify({ sent, replies }) + '\\n'); process.exit(0); }
setTimeout(done, o.count * (o.intervalMs + 50) + o.waitMs + 5000);
`;

export interface UdpProbeOptions {
  host: string;
  port: number;
  /** Datagrams to send (1-10000). */
  count?: number;
  intervalMs?: number;
  /** How long to wait for replies after the last datagram (default 300 ms). */
  waitMs?: number;
  /** Source address to send from (must exist in the namespace). */
  bind?: string;
  /** Fixed source port: repeated probes with the same one are the same conntrack flow. */
  sport?: number;
  /** Payload bytes (default 32). */
  size?: number;
}

/** Send `count` datagrams from `ns` and count the replies. Bounded in count and time. */
export async function udpProbe(ns: Netns, o: UdpProbeOptions): Promise<{ sent: number; replies: number }> {
  const count = o.count ?? 5;
  if (!Number.isInteger(count) || count < 1 || count > 10_000) throw new Error('count must be 1-10000');
  const cfg = {
    host: o.host,
    port: o.port,
    count,
    intervalMs: o.intervalMs ?? 5,
    waitMs: o.waitMs ?? 300,
    bind: o.bind ?? null,
    sport: o.sport ?? 0,
    size: o.size ?? 32,
  };
  const r = await ns.exec([process.execPath, '-e', PROBE_SOURCE, JSON.stringify(cfg)], {
    timeoutMs: count * (cfg.intervalMs + 50) + cfg.waitMs + 15_000,
  });
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    sent: number;
    replies: number;
    error?: string;
  };
  if (out.error) throw new Error(`udp probe failed: ${out.error}`);
  return out;
}

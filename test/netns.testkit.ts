/**
 * Network namespaces for end-to-end tests (run as root).
 *
 * Everything a test sends stays inside namespaces it created: each namespace has its
 * own interfaces, addresses, routes, nftables ruleset and conntrack table, so fixed
 * addresses (10.200.0.x, fd00:200::x) never collide between tests running in
 * parallel; only namespace names must be unique, and they include the PID.
 * The veth pair is created directly inside the two namespaces: no interface ever
 * appears in the host's root namespace.
 *
 * Usage:
 *   const { a, b, link } = await createPair('fw');   // a = guarded host, b = peer
 *   try {
 *     const echo = await udpEcho(a, { port: 5060 });
 *     const r = await udpProbe(b, { host: link.a4, port: 5060, count: 5 });
 *     assert.equal(r.replies, 5);
 *     await echo.stop();
 *   } finally {
 *     await b.destroy(); await a.destroy();
 *   }
 *   new NftablesFirewall({ command: a.command('nft') })   // nft inside namespace a
 *
 * Cleanup: `destroy()` kills every process started through `spawn` (by PID) and deletes
 * the namespace. Namespaces still alive when the test process exits (a crash, a failed
 * assertion before `finally`) are deleted by an exit hook; `removeStaleNamespaces()`
 * deletes those of test processes that died without running it (kill -9).
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';

const PREFIX = 'sptest-';
let counter = 0;
const live = new Set<Netns>();

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  input?: string;
  /** Kill the command after this long (default 30 s). */
  timeoutMs?: number;
  /** Resolve with the result instead of throwing on a non-zero exit. */
  allowFail?: boolean;
}

/** Run a command (argument array, never a shell) and collect its output. */
export function run(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const [bin, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = execFile(
      bin!,
      args,
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 256 * 1024 * 1024, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        const result = { code, stdout: String(stdout), stderr: String(stderr) };
        if (err && !opts.allowFail) {
          reject(new Error(`${argv.join(' ')} failed (${err.code ?? err.signal}): ${String(stderr).trim()}`));
        } else {
          resolve(result);
        }
      },
    );
    // A command that exits without reading stdin makes the write fail with EPIPE.
    child.stdin?.on('error', () => {});
    child.stdin?.end(opts.input ?? '');
  });
}

/** True when this process may create namespaces (root). Tests needing it should fail loudly otherwise. */
export function canUseNamespaces(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export class Netns {
  readonly name: string;
  private readonly children = new Set<ChildProcess>();
  private destroyed = false;

  private constructor(name: string) {
    this.name = name;
  }

  /**
   * A new namespace with loopback up. `label` (letters, digits, '-') makes the name
   * readable in `ip netns list`; the PID and a counter make it unique.
   */
  static async create(label = 'ns'): Promise<Netns> {
    if (!canUseNamespaces()) throw new Error('network namespace tests must run as root');
    if (!/^[a-zA-Z0-9-]{1,20}$/.test(label)) throw new Error(`bad namespace label '${label}'`);
    const ns = new Netns(`${PREFIX}${label}-${process.pid}-${++counter}`);
    await run(['ip', 'netns', 'add', ns.name]);
    live.add(ns);
    await ns.exec(['ip', 'link', 'set', 'lo', 'up']);
    return ns;
  }

  /** argv prefix that runs `argv` inside this namespace: `[...ns.command('nft'), 'list', 'ruleset']`. */
  command(...argv: string[]): string[] {
    return ['ip', 'netns', 'exec', this.name, ...argv];
  }

  /** Run a command inside the namespace and wait for it. Throws on failure unless allowFail. */
  exec(argv: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return run(this.command(...argv), opts);
  }

  /**
   * Start a long-running process inside the namespace. It is killed (by PID) on
   * destroy(); stdout/stderr are pipes the caller may read.
   */
  spawn(argv: string[]): ChildProcess {
    if (this.destroyed) throw new Error(`namespace ${this.name} is destroyed`);
    const [bin, ...args] = this.command(...argv);
    const child = spawn(bin!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    child.on('error', () => this.children.delete(child));
    return child;
  }

  /** Run a node script (CommonJS source text) inside the namespace; `args` become process.argv[1..]. */
  spawnNode(source: string, args: string[] = []): ChildProcess {
    return this.spawn([process.execPath, '-e', source, ...args]);
  }

  /** The IPv4/IPv6 addresses of an interface, without prefix length. */
  async addresses(dev: string): Promise<string[]> {
    const r = await this.exec(['ip', '-j', 'addr', 'show', 'dev', dev]);
    const info = JSON.parse(r.stdout) as Array<{ addr_info: Array<{ local: string }> }>;
    return info.flatMap((i) => i.addr_info.map((x) => x.local));
  }

  /** Add an address (`10.200.0.7/24`, `fd00:200::7/64`) to an interface; IPv6 skips DAD. */
  async addAddress(dev: string, cidr: string): Promise<void> {
    const extra = cidr.includes(':') ? ['nodad'] : [];
    await this.exec(['ip', 'addr', 'add', cidr, 'dev', dev, ...extra]);
  }

  /** Kill our processes (SIGKILL by PID) and delete the namespace. Safe to call twice. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await Promise.all([...this.children].map((c) => killChild(c)));
    live.delete(this);
    await killInside(this.name);
    await run(['ip', 'netns', 'del', this.name], { allowFail: true });
  }

  /** Synchronous cleanup for the exit hook. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const c of this.children) if (c.pid && c.exitCode === null) c.kill('SIGKILL');
    try {
      execFileSync('ip', ['netns', 'del', this.name], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  }
}

/**
 * Kills, by PID, whatever still runs inside the namespace: helpers of a daemon that was
 * killed with SIGKILL (its `nft monitor` children outlived it, kept the deleted namespace
 * alive and burnt 17% of a core for 26 minutes after a failed bench). Only processes in
 * this namespace, which this test created, are touched.
 */
async function killInside(name: string): Promise<void> {
  const r = await run(['ip', 'netns', 'pids', name], { allowFail: true });
  for (const pid of r.stdout.split(/\s+/).filter((p) => /^\d+$/.test(p))) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

function killChild(c: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null || !c.pid) return resolve();
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  });
}

process.on('exit', () => {
  for (const ns of live) ns.destroySync();
});

/**
 * Delete namespaces left behind by test processes that no longer run (killed with -9).
 * Only names made by this helper whose PID is dead are touched.
 */
export async function removeStaleNamespaces(): Promise<string[]> {
  let names: string[] = [];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = /^sptest-[a-zA-Z0-9-]+?-(\d+)-\d+$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || isAlive(pid)) continue;
    await run(['ip', 'netns', 'del', name], { allowFail: true });
    removed.push(name);
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Link {
  /** Interface name on each side (the same name, one per namespace). */
  dev: string;
  a4: string;
  b4: string;
  a6: string;
  b6: string;
}

/**
 * Join two namespaces with a veth pair: a gets 10.200.<n>.1/24 and fd00:200:<n>::1/64,
 * b gets .2 and ::2 (n = `subnet`, default 0). Both sides up, IPv6 without DAD delay.
 * Use `b.addAddress(link.dev, '10.200.0.9/24')` for more sources in the same subnet.
 */
export async function connect(
  a: Netns,
  b: Netns,
  opts: { dev?: string; subnet?: number } = {},
): Promise<Link> {
  const dev = opts.dev ?? 'veth0';
  const n = opts.subnet ?? 0;
  if (!/^[a-z][a-z0-9]{0,14}$/.test(dev)) throw new Error(`bad interface name '${dev}'`);
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new Error(`subnet must be 0-255, got ${n}`);
  await run([
    'ip',
    'link',
    'add',
    dev,
    'netns',
    a.name,
    'type',
    'veth',
    'peer',
    'name',
    dev,
    'netns',
    b.name,
  ]);
  // Canonical (RFC 5952) text, as the kernel and sipprot print it: fd00:200::1 for n = 0.
  const net6 = n === 0 ? 'fd00:200:' : `fd00:200:${n.toString(16)}:`;
  const link: Link = { dev, a4: `10.200.${n}.1`, b4: `10.200.${n}.2`, a6: `${net6}:1`, b6: `${net6}:2` };
  for (const [ns, v4, v6] of [
    [a, link.a4, link.a6],
    [b, link.b4, link.b6],
  ] as const) {
    await ns.addAddress(dev, `${v4}/24`);
    await ns.addAddress(dev, `${v6}/64`);
    await ns.exec(['ip', 'link', 'set', dev, 'up']);
  }
  return link;
}

/** Two namespaces joined by a veth pair; `destroy()` removes both. */
export async function createPair(
  label: string,
): Promise<{ a: Netns; b: Netns; link: Link; destroy(): Promise<void> }> {
  const a = await Netns.create(`${label}-a`);
  let b: Netns | null = null;
  try {
    b = await Netns.create(`${label}-b`);
    const link = await connect(a, b);
    const bb = b;
    return { a, b, link, destroy: async () => void (await Promise.all([a.destroy(), bb.destroy()])) };
  } catch (e) {
    await a.destroy();
    await b?.destroy();
    throw e;
  }
}

// ---- UDP tools (node scripts run inside a namespace) ----

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

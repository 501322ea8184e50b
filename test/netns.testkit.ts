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
 *     const echo = await udpEcho(a, { port: 5060 });      // udp.testkit.ts
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

// SPTEST_NETNS_TAG (letters and digits, e.g. a helper's name) goes into every name, so the
// namespaces of people sharing the machine tell apart in `ip netns list`.
const TAG = /^[a-zA-Z0-9]{1,12}$/.test(process.env.SPTEST_NETNS_TAG ?? '')
  ? `${process.env.SPTEST_NETNS_TAG}-`
  : '';
/** What every name of a namespace this kit makes begins with. */
export const NETNS_PREFIX = `sptest-${TAG}`;
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
    const ns = new Netns(`${NETNS_PREFIX}${label}-${process.pid}-${++counter}`);
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

/** Kills a child by its PID (SIGKILL) and resolves once it exited. */
export function killChild(c: ChildProcess): Promise<void> {
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

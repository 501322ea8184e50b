/**
 * A real redis-server (apt `redis-server`) for tests: its own temp dir, no persistence unless
 * asked, bound to loopback on a free port (or to an address inside a test namespace), killed
 * by PID. `stop()` and `start()` again on the same port simulate an outage; `kill9()` a crash.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export interface RedisServerOptions {
  port?: number;
  bind?: string;
  /** argv prefix to run it elsewhere (e.g. `ip netns exec NAME`). */
  prefix?: string[];
  /** `requirepass` (the default user's password). */
  password?: string;
  /** TLS only (no plain port): the server's certificate, key and the CA of the clients'. */
  tls?: { port: number; cert: string; key: string; ca: string };
  /** appendonly yes, fsync every second (the production setting: a kill -9 keeps what the
   * OS has; a power loss may lose the last second, which the hosts' anti-entropy refills). */
  persist?: boolean;
}

export class RedisServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'sipprot-redis-'));
  private child: ChildProcess | null = null;
  private constructor(
    readonly port: number,
    private readonly o: RedisServerOptions,
  ) {}

  static async start(o: RedisServerOptions = {}): Promise<RedisServer> {
    const s = new RedisServer(o.port ?? (await freePort()), o);
    await s.start();
    return s;
  }

  get url(): string {
    const auth = this.o.password ? `:${encodeURIComponent(this.o.password)}@` : '';
    return `redis://${auth}${this.o.bind ?? '127.0.0.1'}:${this.port}`;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const tls = this.o.tls;
    const args = [
      '--port',
      tls ? '0' : String(this.port),
      ...(tls
        ? ['--tls-port', String(tls.port), '--tls-cert-file', tls.cert, '--tls-key-file', tls.key]
        : []),
      ...(tls ? ['--tls-ca-cert-file', tls.ca, '--tls-auth-clients', 'no'] : []),
      '--bind',
      this.o.bind ?? '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--daemonize',
      'no',
      '--protected-mode',
      'no',
      '--loglevel',
      'warning',
      ...(this.o.persist ? ['--appendonly', 'yes', '--appendfsync', 'everysec'] : ['--appendonly', 'no']),
      ...(this.o.password ? ['--requirepass', this.o.password] : []),
    ];
    const argv = [...(this.o.prefix ?? []), 'redis-server', ...args];
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`redis-server exited: ${out}`);
      if (await this.ping()) return;
      if (Date.now() > deadline) throw new Error(`redis-server did not answer within 10 s: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM by PID and wait (an orderly stop). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = this.child;
    this.child = null;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill(signal);
    });
  }

  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async ping(): Promise<boolean> {
    const argv = [
      ...(this.o.prefix ?? []),
      'redis-cli',
      '-h',
      this.o.bind ?? '127.0.0.1',
      '-p',
      String(this.o.tls?.port ?? this.port),
      ...(this.o.tls ? ['--tls', '--cacert', this.o.tls.ca] : []),
    ];
    if (this.o.password) argv.push('--no-auth-warning', '-a', this.o.password);
    const { execFile } = await import('node:child_process');
    return new Promise((resolve) => {
      execFile(argv[0]!, [...argv.slice(1), 'PING'], { timeout: 2000 }, (err, stdout) => {
        resolve(!err && /PONG|NOAUTH/.test(String(stdout)));
      });
    });
  }
}

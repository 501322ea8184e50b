/**
 * The real daemon guarding a lab PBX, for end-to-end tests (root).
 *
 *   const guard = await Guard.create(lab, { HIT_COUNT: 5, BLOCKTIME: 120 });
 *   await guard.start();                      // sipprotd run, inside sp-<id>-pbx
 *   await guard.waitFor('block', async () => (await guard.dynSet()).has(ip));
 *   await guard.cli('unblock', ip);           // sipprot, over the daemon's socket
 *   await guard.dispose();                    // kill by PID, remove the temp dir
 *
 * Everything the daemon owns lives in one temp dir: sipprot.conf, STATE_DIR, the
 * allow/deny list files beside the config, and the daemon's log. The daemon runs with
 * `ip netns exec` (which execs, so the child's PID is the daemon's) and captures on
 * INTERFACES=any of the PBX namespace; its nftables table lives in that namespace only.
 * The web UI listens on 127.0.0.1 inside the namespace. Were the test process to die,
 * `lab.sh down` (the Lab's exit hook) still stops the daemon: it stops every process
 * inside the lab's namespaces.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DynamicBlock } from '../../src/ports/admin.js';
import type { Lab } from '../lab/lab.testkit.js';
import { NftSession, type SetElement, sipprotSet } from './nft-watch.testkit.js';

export { NftSession, parseSetElements, type SetElement, SetWatcher } from './nft-watch.testkit.js';

/** Where a guard runs: the lab's PBX namespace, or any namespace that looks like one (cluster hosts). */
export type GuardHost = Pick<Lab, 'id'> & {
  readonly ns: { readonly pbx: string };
  exec(ns: 'pbx', argv: string[], timeoutMs?: number): Promise<Result>;
};

const HERE = dirname(fileURLToPath(import.meta.url));
const SIPPROTD = join(HERE, 'bin', 'sipprotd.ts');
const SIPPROT = join(HERE, 'bin', 'sipprot.ts');

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs argv (no shell), never throws: a failed command is a result to assert on. */
export function run(argv: string[], timeoutMs = 30_000): Promise<Result> {
  const [bin, ...args] = argv;
  return new Promise((resolve) => {
    execFile(
      bin as string,
      args,
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Polls `probe` until it returns something other than undefined/false/null, or throws
 * after `timeoutMs` naming what was awaited.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 10_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== null && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export type Settings = Record<string, string | number>;

export class Guard {
  readonly dir: string;
  readonly configPath: string;
  readonly stateDir: string;
  readonly logPath: string;
  readonly denyFile: string;
  readonly allowFile: string;
  readonly webPort: number;
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> | null = null;
  /** kernelSet's nft (nft-watch.testkit.ts: one open nft, not one per look). */
  private nft: NftSession | null = null;

  private constructor(
    readonly lab: GuardHost,
    settings: Settings,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `sipprot-e2e-${lab.id}-`));
    this.configPath = join(this.dir, 'sipprot.conf');
    this.stateDir = join(this.dir, 'state');
    this.logPath = join(this.dir, 'sipprotd.log');
    this.denyFile = join(this.dir, 'sipprot.denylist');
    this.allowFile = join(this.dir, 'sipprot.allowlist');
    this.webPort = 20_000 + (process.pid % 20_000);
    const all: Settings = {
      INTERFACES: 'any',
      PROTOCOLS: 'udp,tcp',
      SIP_PORTS: 5060,
      STATE_DIR: this.stateDir,
      WEB_LISTEN: `127.0.0.1:${this.webPort}`,
      NOTIFY_DAILY: 'no',
      NOTIFY_EACH_ATTACK: 'no',
      // The tests read the daemon's records (logRecords, logProblems): JSON lines.
      LOG_FORMAT: 'json',
      ...settings,
    };
    const text = Object.entries(all)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n');
    writeFileSync(this.configPath, `# written by test/e2e/guard.ts\n${text}\n`, { mode: 0o600 });
  }

  /** Writes the config into a new temp dir; the daemon is not started yet. */
  static async create(lab: GuardHost, settings: Settings = {}): Promise<Guard> {
    return new Guard(lab, settings);
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** `sipprotd run` in the PBX namespace; resolves once it logged that it serves. */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.running) throw new Error('sipprotd already started by this guard');
    const from = this.logText().length;
    const fd = openSync(this.logPath, 'a', 0o600);
    const child = spawn('ip', ['netns', 'exec', this.lab.ns.pbx, ...this.command(SIPPROTD, ['run'])], {
      stdio: ['ignore', fd, fd],
      env: process.env,
    });
    closeSync(fd);
    this.child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null)));
      child.once('error', () => resolve(null));
    });
    let dead = false;
    void this.exited.then(() => {
      dead = true;
    });
    await waitFor(
      'sipprotd to start',
      () => {
        if (dead) throw new Error(`sipprotd exited during start:\n${this.logText().slice(from)}`);
        return this.logText().slice(from).includes('"msg":"sipprotd started"');
      },
      timeoutMs,
      50,
    );
  }

  /** SIGKILL by PID: a crash or power loss as far as the daemon can tell. */
  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  /** `sipprotd stop` (the admin's way), then waits for the process to be gone. */
  async stop(): Promise<Result> {
    const r = await this.sipprotd('stop');
    if (this.child && this.exited) {
      const timer = setTimeout(() => this.child?.kill('SIGKILL'), 20_000);
      await this.exited;
      clearTimeout(timer);
    }
    return r;
  }

  /** The daemon's exit code once it has ended (null while it runs). */
  get exitCode(): number | null {
    return this.child?.exitCode ?? null;
  }

  /** Stops the daemon if it still runs (TERM, then KILL, by PID) and removes the temp dir. */
  async dispose(): Promise<void> {
    this.nft?.close();
    const child = this.child;
    if (child && this.running) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
    if (process.env.SIPPROT_E2E_KEEP) {
      process.stderr.write(`kept ${this.dir}\n`);
      return;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** `sipprot --config <ours> ...args`, run in the PBX namespace as an admin there would. */
  cli(...args: string[]): Promise<Result> {
    return this.lab.exec('pbx', this.command(SIPPROT, args));
  }

  /** Sends a signal to the daemon (benchmarks: SIGUSR2 closes a probe period). */
  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }

  /** `cli` with its own time limit (benchmarks: a 100k-entry import on a loaded machine). */
  cliWithin(timeoutMs: number, ...args: string[]): Promise<Result> {
    return this.lab.exec('pbx', this.command(SIPPROT, args), timeoutMs);
  }

  sipprotd(...args: string[]): Promise<Result> {
    return this.lab.exec('pbx', this.command(SIPPROTD, args));
  }

  /** argv running one of the commands from source with our config. */
  private command(entry: string, args: string[]): string[] {
    // SIPPROT_E2E_DIST=1 (benchmarks; scripts/test.sh when dist/ is up to date): the built
    // package's commands, no TypeScript loader (a CLI call ~0.8 s of CPU instead of ~2.1 s).
    if (process.env.SIPPROT_E2E_DIST === '1') {
      const bin = join(HERE, '..', '..', 'bin', entry === SIPPROTD ? 'sipprotd.js' : 'sipprot.js');
      return [process.execPath, bin, '--config', this.configPath, ...args];
    }
    return [process.execPath, '--import', 'tsx', entry, '--config', this.configPath, ...args];
  }

  /** The live dynamic deny list (`sipprot status --dynamic --json`). */
  async dynamic(): Promise<DynamicBlock[]> {
    const r = await this.cli('status', '--dynamic', '--json');
    if (r.code !== 0) throw new Error(`sipprot status --dynamic --json failed (${r.code}): ${r.stderr}`);
    return (JSON.parse(r.stdout) as { dynamic: DynamicBlock[] }).dynamic;
  }

  async dynamicOf(ip: string): Promise<DynamicBlock | undefined> {
    return (await this.dynamic()).find((b) => b.ip === ip);
  }

  /**
   * The elements of sipprot's kernel sets of one kind, both families in one map: `dyn`
   * (dynamic blocks), `deny`, `allow`, `country`. The firewall may split a kind over
   * several sets (deny4, deny4_32, ...): every set named kind + family counts.
   */
  async kernelSet(
    kind: 'dyn' | 'deny' | 'allow' | 'country',
    family?: 4 | 6,
  ): Promise<Map<string, SetElement>> {
    this.nft ??= new NftSession(this.lab.ns.pbx);
    return sipprotSet(await this.nft.ruleset(), kind, family);
  }

  /** Both dynamic sets, IPv4 and IPv6, in one map. */
  dynSet(): Promise<Map<string, SetElement>> {
    return this.kernelSet('dyn');
  }

  logText(): string {
    return existsSync(this.logPath) ? readFileSync(this.logPath, 'utf8') : '';
  }

  /** The daemon's log records (pino JSON lines) whose msg is `msg`. */
  logRecords(msg?: string): Array<Record<string, unknown>> {
    const out: Array<Record<string, unknown>> = [];
    for (const line of this.logText().split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const rec = JSON.parse(line) as Record<string, unknown>;
        if (msg === undefined || rec.msg === msg) out.push(rec);
      } catch {
        // a torn last line while the daemon writes
      }
    }
    return out;
  }

  /** What the log shows went wrong (errors and warnings), for assertion messages. */
  logProblems(): string {
    return this.logRecords()
      .filter((r) => typeof r.level === 'number' && r.level >= 50)
      .map((r) => JSON.stringify(r))
      .join('\n');
  }
}

/** `nft ...` inside the lab's PBX namespace; a missing table gives an empty result. */
export function nft(lab: GuardHost, args: string[]): Promise<Result> {
  return lab.exec('pbx', ['nft', ...args]);
}

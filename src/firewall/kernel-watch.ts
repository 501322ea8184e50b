/**
 * Notices when sipprot's rules vanish behind its back (issue 10 item 10): Debian's
 * nftables.service runs `nft flush ruleset` on start, reload and restart, and iptables-nft
 * or an admin may `nft flush table` or delete rules; 20 s later the table was still gone
 * while `status` said running and `check` said BLOCKED.
 *
 * How, without polling big sets: two `nft monitor` processes (tables, rules) report every
 * table and rule change in the namespace as it happens. A line about `inet sipprot` that
 * deletes or flushes something starts a check 150 ms later (our own reconciles delete and
 * re-add the table in one transaction, so a check is what tells them apart): `nft list
 * chain` of our two chains — their rules only, never a set's elements — must show the
 * drop rules. A failed check calls `onLost(reason)`; the daemon logs, alerts and rebuilds
 * the whole table from the store in one transaction. A monitor that dies is restarted
 * (1 s, doubling to 30 s), and the same cheap check runs every 30 s as a safety net.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from '../ports/logger.js';
import { TABLE } from './nft-render.js';

export interface KernelWatchOptions {
  /** argv that runs nft (default ['nft']; tests: ['ip', 'netns', 'exec', NS, 'nft']). */
  command?: string[];
  /** The table lost its chains or rules: the reason, for the log and the alert. */
  onLost(reason: string): void;
  log?: Logger;
  debounceMs?: number;
  safetyNetMs?: number;
  /** How long one nft of the check may take (default NFT_LIMIT_MS). */
  checkTimeoutMs?: number;
}

const CHAINS: ReadonlyArray<{ chain: string; must: string }> = [
  { chain: 'prerouting', must: '@dyn4' },
  { chain: 'output', must: '@dyn4' },
];
const MAX_RESTART_MS = 30_000;
/** How long one `nft list chain` of the check may take before it is killed. */
const NFT_LIMIT_MS = 10_000;

export class KernelWatch {
  private readonly command: string[];
  private readonly monitors: ChildProcess[] = [];
  private timer: NodeJS.Timeout | null = null;
  private safety: NodeJS.Timeout | null = null;
  private stopped = false;
  private checking = false;
  private restartMs = 1000;

  constructor(private readonly o: KernelWatchOptions) {
    this.command = o.command ?? ['nft'];
  }

  start(): void {
    this.stopped = false;
    for (const what of ['tables', 'rules']) this.monitor(what);
    this.safety = setInterval(() => this.schedule(), this.o.safetyNetMs ?? 30_000);
    this.safety.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.safety) clearInterval(this.safety);
    for (const m of this.monitors.splice(0)) m.kill('SIGTERM');
  }

  /**
   * What is wrong with our chains in the kernel, or null when they hold their drop rules
   * (or when nft could not say in time: see below).
   */
  async verify(): Promise<string | null> {
    const table = TABLE.split(' ');
    for (const { chain, must } of CHAINS) {
      const r = await this.nft(['list', 'chain', ...table, chain]);
      // nft 1.0.6 reads the sets' elements too: with 1M+ of them under load it can take
      // longer than the limit. Killed, it said nothing about our chains (a table that is
      // gone fails at once): not a loss to rebuild 2M elements for; the next check
      // (event or 30 s safety net) looks again, and the warning says so.
      if (r.timedOut) {
        this.o.log?.warn(
          { chain },
          `could not check ${TABLE}'s ${chain} chain: nft took over ${this.o.checkTimeoutMs ?? NFT_LIMIT_MS} ms`,
        );
        return null;
      }
      if (r.code !== 0) return `table ${TABLE} or its ${chain} chain is gone (${firstLine(r.stderr)})`;
      if (!r.stdout.includes(must)) return `the ${chain} chain of ${TABLE} lost its rules`;
    }
    return null;
  }

  private monitor(what: string): void {
    if (this.stopped) return;
    const [bin, ...args] = this.command;
    const child = spawn(bin!, [...args, 'monitor', what], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.monitors.push(child);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (/\binet sipprot\b/.test(line) && /^(delete|flush|destroy)\b/.test(line)) this.schedule();
    });
    child.on('error', () => undefined);
    child.on('exit', () => {
      const i = this.monitors.indexOf(child);
      if (i >= 0) this.monitors.splice(i, 1);
      if (this.stopped) return;
      this.o.log?.warn({ what, retryMs: this.restartMs }, 'nft monitor ended; restarting it');
      setTimeout(() => this.monitor(what), this.restartMs).unref();
      this.restartMs = Math.min(MAX_RESTART_MS, this.restartMs * 2);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.check();
    }, this.o.debounceMs ?? 150);
  }

  private async check(): Promise<void> {
    if (this.checking) {
      this.schedule();
      return;
    }
    this.checking = true;
    try {
      const why = await this.verify();
      if (why && !this.stopped) this.o.onLost(why);
      else this.restartMs = 1000;
    } finally {
      this.checking = false;
    }
  }

  private nft(args: string[]): Promise<{ code: number; stdout: string; stderr: string; timedOut: boolean }> {
    const [bin, ...pre] = this.command;
    return new Promise((resolve) =>
      execFile(
        bin!,
        [...pre, ...args],
        { timeout: this.o.checkTimeoutMs ?? NFT_LIMIT_MS, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) =>
          resolve({
            code: err ? Number((err as NodeJS.ErrnoException).code) || 1 : 0,
            stdout,
            stderr,
            timedOut: err !== null && (err as { killed?: boolean }).killed === true,
          }),
      ),
    );
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0]?.slice(0, 200) ?? '';
}

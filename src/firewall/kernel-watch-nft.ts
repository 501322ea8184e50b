/**
 * The kernel watch through the nft CLI, for when the native addon cannot be loaded
 * (kernel-watch.ts uses netlink otherwise): two `nft monitor` processes (tables, rules)
 * whose lines about `inet sipprot` that delete or flush something report a change, and
 * `nft list chain` for the check.
 *
 * Its costs are why netlink replaced it (issue 13): nft 1.0.6 reads every set element for
 * `list chain` (100k blocks: ~0.5 s a chain; 1M + 1M: 202 s), and each monitor wakes for
 * every element event. A `list chain` killed at the time limit said nothing about our
 * chains (a table that is gone fails at once): it is no verdict, not a loss to rebuild 2M
 * elements for.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { ChainFinding, WatchProbe } from './kernel-watch-probe.js';
import { TABLE } from './nft-render.js';

/** How long one `nft list chain` of the check may take before it is killed. */
const NFT_LIMIT_MS = 10_000;

export class NftCliProbe implements WatchProbe {
  private readonly command: string[];
  private readonly limitMs: number;

  /** `command`: argv that runs nft (tests: ['ip', 'netns', 'exec', NS, 'nft'] or a stand-in). */
  constructor(o: { command?: string[]; timeoutMs?: number } = {}) {
    this.command = o.command ?? ['nft'];
    this.limitMs = o.timeoutMs ?? NFT_LIMIT_MS;
  }

  async chain(chain: string, set: string): Promise<ChainFinding> {
    const r = await this.nft(['list', 'chain', ...TABLE.split(' '), chain]);
    if (r.timedOut) return { kind: 'unknown', why: `nft took over ${this.limitMs} ms` };
    if (r.code !== 0) return { kind: 'gone', detail: firstLine(r.stderr) };
    return { kind: 'rules', lookups: r.stdout.split(`@${set}`).length - 1 };
  }

  monitor(changed: () => void, ended: (why: string) => void): () => void {
    const [bin, ...args] = this.command;
    const children: ChildProcess[] = [];
    let stopped = false;
    for (const what of ['tables', 'rules']) {
      const child = spawn(bin!, [...args, 'monitor', what], { stdio: ['ignore', 'pipe', 'ignore'] });
      children.push(child);
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (/\binet sipprot\b/.test(line) && /^(delete|flush|destroy)\b/.test(line)) changed();
      });
      child.on('error', () => undefined);
      child.on('exit', () => {
        if (!stopped) ended(`nft monitor ${what} ended`);
      });
    }
    return () => {
      stopped = true;
      for (const c of children) c.kill('SIGTERM');
    };
  }

  private nft(args: string[]): Promise<{ code: number; stdout: string; stderr: string; timedOut: boolean }> {
    const [bin, ...pre] = this.command;
    return new Promise((resolve) =>
      execFile(
        bin!,
        [...pre, ...args],
        { timeout: this.limitMs, maxBuffer: 16 * 1024 * 1024 },
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

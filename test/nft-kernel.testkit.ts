/**
 * What the kernel holds, for the netns tests that compare two ways of loading sipprot's
 * table (the start's chunked netlink load, a growing list over netlink) with one `nft -f`:
 * every set's elements read back, a netlink that fails half-way on purpose, and a logger
 * that keeps what was said.
 */
import type { Family } from '../src/core/net/ip.js';
import { NftNetlink } from '../src/firewall/nft-netlink.js';
import type { SetElements } from '../src/firewall/nft-render.js';
import type { Logger } from '../src/ports/logger.js';
import type { Netns } from './netns.testkit.js';

/**
 * Every set of the table with its elements, sorted, the timeout each was given included and
 * the time it has left (`expires`) left out: what the kernel holds, comparable across loads.
 */
export async function kernelSets(ns: Netns): Promise<Map<string, string[]>> {
  const r = await ns.exec(['nft', '-j', 'list', 'table', 'inet', 'sipprot'], { timeoutMs: 120_000 });
  const doc = JSON.parse(r.stdout) as { nftables: Array<{ set?: { name: string; elem?: unknown[] } }> };
  const out = new Map<string, string[]>();
  for (const x of doc.nftables) {
    if (!x.set) continue;
    const elems = (x.set.elem ?? []).map((e) =>
      JSON.stringify(e, (k, v) => (k === 'expires' ? undefined : v)),
    );
    out.set(x.set.name, elems.sort());
  }
  return out;
}

/**
 * Netlink that refuses its `failAt`-th bulk load after half of it went in, as a busy or
 * changed kernel would: a table really left partial.
 */
export class FailingNetlink extends NftNetlink {
  private calls = 0;
  constructor(
    netns: string,
    private readonly failAt: number,
    chunk: number,
  ) {
    super(netns, chunk);
  }
  override load(set: string, family: Family, keys: Uint8Array, timeoutsMs: Float64Array | null): void {
    if (++this.calls === this.failAt) {
      const size = family === 4 ? 4 : 16;
      const half = Math.floor(keys.length / size / 2);
      super.load(set, family, keys.subarray(0, half * size), timeoutsMs?.subarray(0, half) ?? null);
      throw new Error(`test: kernel refused the elements of ${set}`);
    }
    super.load(set, family, keys, timeoutsMs);
  }
}

/**
 * Netlink whose loads off the event loop (loadAsync: the running blocks at start) refuse
 * after half of the elements went in, saying how many, as the addon does.
 */
export class FailingAsyncNetlink extends NftNetlink {
  override async loadAsync(sets: readonly SetElements[]): Promise<number> {
    const half = sets.map((e) =>
      e.kind === 'dynamic'
        ? {
            ...e,
            hosts: { keys: e.hosts.keys.subarray(0, 0), timeoutsMs: e.hosts.timeoutsMs.subarray(0, 0) },
          }
        : e,
    );
    const first = sets.find((e) => e.kind === 'dynamic' && e.hosts.timeoutsMs.length > 1);
    if (first?.kind === 'dynamic') {
      const n = Math.floor(first.hosts.timeoutsMs.length / 2);
      const size = first.family === 4 ? 4 : 16;
      half[sets.indexOf(first)] = {
        ...first,
        hosts: {
          keys: first.hosts.keys.subarray(0, n * size),
          timeoutsMs: first.hosts.timeoutsMs.subarray(0, n),
        },
      };
    }
    const loaded = await super.loadAsync(half);
    throw Object.assign(new Error('test: kernel refused the running blocks'), { loaded });
  }
}

export interface SaidLine {
  level: string;
  obj: Record<string, unknown>;
  msg: string;
}

/** A Logger that keeps every line it is given. */
export function recordingLogger(): { lines: SaidLine[]; log: Logger } {
  const lines: SaidLine[] = [];
  const at =
    (level: string) =>
    (obj: Record<string, unknown>, msg = '') => {
      lines.push({ level, obj, msg });
    };
  const log: Logger = {
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    debug: at('debug'),
    child: () => log,
  };
  return { lines, log };
}

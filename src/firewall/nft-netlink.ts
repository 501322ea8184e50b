/**
 * Set elements of `inet sipprot` straight over netlink, in-process (native/src/nft.c:
 * libnftnl builds the messages, one batch = one kernel transaction, one sendmsg).
 *
 * Measured here (bench/RESULTS.md): a block through the `nft -i` helper took p50 0.77 ms
 * and up to 28 ms (a pipe, nft reading one byte per read(2), seven netlink round trips
 * of cache refresh, a second process to schedule); through netlink 15 µs. A bulk load:
 * ~1.7 µs an element against ~5.8 µs through nft's parser.
 *
 * Synchronous on purpose: the kernel applies a batch inside the sendmsg call (no disk,
 * no lock, no other process), and a block must not wait for a turn of the event loop.
 * Callers batch what one turn decided into one call.
 *
 * The socket is opened in the daemon's own network namespace, or in /run/netns/NAME when
 * `netns` is given (tests): never anywhere else.
 */
import { createRequire } from 'node:module';
import { SipprotError } from '../core/errors.js';
import type { Family } from '../core/net/ip.js';
import type { FirewallCounters } from '../ports/firewall.js';
import type { Logger } from '../ports/logger.js';
import { dynamicOps, KEY_BYTES, type SetOp } from './nft-dynamic-ops.js';
import { COUNTERS, type DynamicChange, type SetElements } from './nft-render.js';
import { hostCount } from './packed-hosts.js';

/**
 * [add, set name, keys (4 or 16 bytes each), key length, timeouts in ms (0 = none) or null,
 * exclusive (an add that fails the transaction when an element is there; absent: false)]
 */
type NativeOp =
  | [boolean, string, Uint8Array, number, Float64Array | null]
  | [boolean, string, Uint8Array, number, Float64Array | null, boolean];
/** [set name, keys, key length, timeouts in ms (0 = none) or null]: adds, for nftLoadAsync. */
type NativeLoad = [string, Uint8Array, number, Float64Array | null];
interface NativeNft {
  nftApply(netns: string, table: string, ops: NativeOp[]): void;
  /** Adds off the event loop, `chunk` a transaction (an addon before it has none). */
  nftLoadAsync?(netns: string, table: string, ops: NativeLoad[], chunk: number): Promise<number>;
  /** The addon takes NativeOp's exclusive element (a build before it ignores the element). */
  nftApplyExclusive?: boolean;
  nftCount(netns: string, table: string, set: string): number;
  nftChainRules(netns: string, table: string, chain: string, set: string): ChainRules | null;
  nftCounters(netns: string, table: string): NamedCounter[];
  nftWatchStart(netns: string, table: string, onBits: (bits: number) => void): object;
  nftWatchStop(handle: object): void;
  nftWatchStats(handle: object): NftWatchStats;
}

/** One chain's rules: how many, and how many look up the set asked about. */
export interface ChainRules {
  rules: number;
  lookups: number;
}

export interface NamedCounter {
  name: string;
  packets: number;
  bytes: number;
}

/** What the event thread saw: events read, of them element events (ignored), wake-ups, overruns. */
export interface NftWatchStats {
  messages: number;
  elements: number;
  reported: number;
  overruns: number;
}

/** Bits of a watch report (native/src/nft-watch.h). */
export const WATCH_CHANGED = 1;
export const WATCH_OVERRUN = 2;
export const WATCH_FAILED = 4;

/** A running event thread of NftNetlink.watch. */
export interface NftWatch {
  stop(): void;
  stats(): NftWatchStats;
}

export const NFT_TABLE_NAME = 'sipprot';
/**
 * Elements per transaction in bulk loads (~0.5 MB batches, each applied as a whole). The
 * kernel's hash set (rhashtable) grows in a worker between inserts; inside one transaction
 * of 100k it falls behind and the inserts go its slow way (perf: rhashtable_insert_slow,
 * ~20% of a 100k start's samples). 10k a transaction: 90k addresses took 40-170 ms of
 * system time here against 100-240 ms in one (bench/RESULTS.md, issue 13 second pass).
 */
const BULK_CHUNK = 10_000;

export type { SetOp } from './nft-dynamic-ops.js';

export class NftNetlink {
  private readonly native: NativeNft;
  /** Can an add be exclusive (the addon's nftApplyExclusive)? Else every change takes three operations. */
  private readonly exclusive: boolean;

  /**
   * Throws when the addon cannot be loaded (callers fall back to `nft -i`). `chunk`:
   * elements per transaction in bulk loads (tests make it small to load in many).
   */
  constructor(
    private readonly netns = '',
    private readonly chunk = BULK_CHUNK,
  ) {
    this.native = createRequire(import.meta.url)('sipprot-native') as NativeNft;
    this.exclusive = this.native.nftApplyExclusive === true;
  }

  /** One transaction: every op, in order; all or nothing. Throws SP_ERR_FIREWALL. */
  apply(ops: readonly SetOp[]): void {
    const native: NativeOp[] = ops
      .filter((o) => o.keys.length > 0)
      .map((o) =>
        o.exclusive
          ? [o.add, o.set, o.keys, KEY_BYTES[o.family], o.timeoutsMs, true]
          : [o.add, o.set, o.keys, KEY_BYTES[o.family], o.timeoutsMs],
      );
    if (native.length === 0) return;
    try {
      this.native.nftApply(this.netns, NFT_TABLE_NAME, native);
    } catch (e) {
      throw new SipprotError('SP_ERR_FIREWALL', (e as Error).message, { cause: e });
    }
  }

  /**
   * How many elements a set of the table holds (a netlink dump, counted, nothing kept):
   * the benches' proof that a load of millions is in the kernel. Throws SP_ERR_FIREWALL.
   */
  count(set: string): number {
    try {
      return this.native.nftCount(this.netns, NFT_TABLE_NAME, set);
    } catch (e) {
      throw new SipprotError('SP_ERR_FIREWALL', (e as Error).message, { cause: e });
    }
  }

  /**
   * The rules of one chain of the table (a dump the kernel filters by table and chain:
   * never a set element, so as fast with 1M blocks as with none): how many, and how many
   * look up `set`. null: the table or the chain does not exist. Throws SP_ERR_FIREWALL.
   */
  chainRules(chain: string, set: string): ChainRules | null {
    return this.call(() => this.native.nftChainRules(this.netns, NFT_TABLE_NAME, chain, set));
  }

  /** The table's named counters (one dump of its counter objects). Throws SP_ERR_FIREWALL (no table included). */
  counters(): NamedCounter[] {
    return this.call(() => this.native.nftCounters(this.netns, NFT_TABLE_NAME));
  }

  /**
   * A thread on the nftables event group of the namespace: `onReport(bits)` runs on the
   * event loop only when a table, chain, rule or set of our table was deleted
   * (WATCH_CHANGED), the socket overflowed (WATCH_OVERRUN: events lost) or failed
   * (WATCH_FAILED: the thread ended). Set element events (one to three a change) are dropped in
   * C and never wake the event loop. Does not keep the process alive.
   */
  watch(onReport: (bits: number) => void): NftWatch {
    const h = this.call(() => this.native.nftWatchStart(this.netns, NFT_TABLE_NAME, onReport));
    return { stop: () => this.native.nftWatchStop(h), stats: () => this.native.nftWatchStats(h) };
  }

  private call<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      throw new SipprotError('SP_ERR_FIREWALL', (e as Error).message, { cause: e });
    }
  }

  /**
   * Adds every element of `sets`, `chunk` a transaction, on a thread of libuv's pool: the
   * kernel's inserts happen inside sendmsg on the sending thread (0.15-0.3 s for 100k
   * running blocks here), so the event loop works on meanwhile. Resolves with how many
   * went in; rejects with SP_ERR_FIREWALL and `loaded`. The keys are copied at the call.
   * An addon without it: the synchronous load, then resolved.
   */
  loadAsync(sets: readonly SetElements[]): Promise<number> {
    const bulk = sets.map(bulkOf).filter((b) => b.keys.length > 0);
    const native = this.native.nftLoadAsync;
    if (!native) {
      try {
        return Promise.resolve(sets.reduce((n, e) => n + loadElements(this, e), 0));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    const ops: NativeLoad[] = bulk.map((b) => [b.name, b.keys, KEY_BYTES[b.family], b.timeoutsMs]);
    try {
      return native(this.netns, NFT_TABLE_NAME, ops, this.chunk).catch((e: Error & { loaded?: number }) => {
        throw Object.assign(new SipprotError('SP_ERR_FIREWALL', e.message, { cause: e }), {
          loaded: e.loaded ?? 0,
        });
      });
    } catch (e) {
      return Promise.reject(new SipprotError('SP_ERR_FIREWALL', (e as Error).message, { cause: e }));
    }
  }

  /** Adds many elements to one set, `chunk` (default BULK_CHUNK) per transaction. */
  load(set: string, family: Family, keys: Uint8Array, timeoutsMs: Float64Array | null): void {
    const size = KEY_BYTES[family];
    const count = keys.length / size;
    for (let i = 0; i < count; i += this.chunk) {
      const end = Math.min(count, i + this.chunk);
      this.apply([
        {
          add: true,
          set,
          family,
          keys: keys.subarray(i * size, end * size),
          timeoutsMs: timeoutsMs ? timeoutsMs.subarray(i, end) : null,
        },
      ]);
    }
  }

  /**
   * Blocks and unblocks in one transaction, as renderDynamicBatch does in nft's syntax:
   * each touched address is added, deleted and, if blocked, added again with its timeout
   * (an add keeps an existing element's old timeout on older kernels, and a delete of a
   * missing element fails the transaction). Later changes to the same address win.
   *
   * That exact way costs three element operations an address. Each change is first tried
   * with the fewest its kind needs when the kernel holds what the daemon believes: a new
   * block (`fresh`: the caller had no running block of the address) one exclusive add, a
   * renewal a delete and an add, a lift a delete. When the kernel holds something else (a
   * re-block within the slack of the last one, an element added or deleted by hand, one
   * that timed out while the event loop was late), it refuses that transaction, nothing
   * of it is applied, and the whole batch goes the exact way. Measured
   * (bench/block-kernel.bench.ts, bench/RESULTS.md issue 13 "the cost of a block, third
   * pass"): a new block in turns of 40 9.5 → 6.1–6.8 µs of CPU, alone 22–23 → 15–16 µs.
   */
  dynamic(changes: readonly DynamicChange[]): void {
    const last = new Map<string, DynamicChange>();
    for (const c of changes) {
      last.delete(c.host.text);
      last.set(c.host.text, c);
    }
    const mine = [...last.values()];
    const tried = dynamicOps(mine, true, this.exclusive);
    if (tried.fewer) {
      try {
        this.apply(tried.ops);
        return;
      } catch {
        // The kernel held something else (or refused for another reason, which the exact
        // way below meets again and reports).
      }
    }
    this.apply(tried.fewer ? dynamicOps(mine, false, false).ops : tried.ops);
  }
}

/** Addresses given as integers (list sets: network addresses) side by side, network order. */
export function packIntegers(values: readonly bigint[], family: Family): Uint8Array {
  const size = KEY_BYTES[family];
  const out = new Uint8Array(values.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (family === 4) view.setUint32(i * 4, Number(v));
    else {
      view.setBigUint64(i * 16, v >> 64n);
      view.setBigUint64(i * 16 + 8, BigInt.asUintN(64, v));
    }
  }
  return out;
}

/** Netlink in `netns`, or null when the addon cannot be loaded (the caller falls back to nft). */
export function openNetlink(netns: string, log?: Logger): NftNetlink | null {
  try {
    return new NftNetlink(netns);
  } catch (e) {
    log?.warn({ err: e }, 'nftables over netlink unavailable: using nft -i for blocks');
    return null;
  }
}

export function elementCount(e: SetElements): number {
  return e.kind === 'dynamic' ? hostCount(e.hosts) : e.starts.length;
}

/** One set's elements over netlink, in bulk; returns how many. */
export function loadElements(netlink: NftNetlink, e: SetElements): number {
  const b = bulkOf(e);
  if (b.keys.length > 0) netlink.load(b.name, b.family, b.keys, b.timeoutsMs);
  return elementCount(e);
}

/** A set's elements as netlink takes them: keys side by side, timeouts (or none). */
function bulkOf(e: SetElements): {
  name: string;
  family: Family;
  keys: Uint8Array;
  timeoutsMs: Float64Array | null;
} {
  const { name, family } = e;
  if (e.kind === 'list') return { name, family, keys: packIntegers(e.starts, family), timeoutsMs: null };
  if (e.kind === 'feed')
    return {
      name,
      family,
      keys: packIntegers(e.starts, family),
      timeoutsMs: Float64Array.from(e.timeoutsMs),
    };
  return { name, family, keys: e.hosts.keys, timeoutsMs: e.hosts.timeoutsMs };
}

/** The table's drop counters by cause from its named counters (nft-render.ts COUNTERS). */
export function dropCounters(named: readonly NamedCounter[]): FirewallCounters {
  const zero = () => ({ packets: 0, bytes: 0 });
  const out: FirewallCounters = {
    deny: zero(),
    dynamic: zero(),
    country: zero(),
    tftp: zero(),
    dns: zero(),
    feed: zero(),
  };
  for (const key of Object.keys(COUNTERS) as Array<keyof FirewallCounters>) {
    const c = named.find((n) => n.name === COUNTERS[key]);
    if (c) out[key] = { packets: c.packets, bytes: c.bytes };
  }
  return out;
}

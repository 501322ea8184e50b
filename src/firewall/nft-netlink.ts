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
import { COUNTERS, type DynamicChange, type SetElements } from './nft-render.js';
import { hostCount } from './packed-hosts.js';

/**
 * [add, set name, keys (4 or 16 bytes each), key length, timeouts in ms (0 = none) or null,
 * exclusive (an add that fails the transaction when an element is there; absent: false)]
 */
type NativeOp =
  | [boolean, string, Uint8Array, number, Float64Array | null]
  | [boolean, string, Uint8Array, number, Float64Array | null, boolean];
interface NativeNft {
  nftApply(netns: string, table: string, ops: NativeOp[]): void;
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
const KEY_BYTES: Record<Family, number> = { 4: 4, 6: 16 };
/**
 * Elements per transaction in bulk loads (~0.5 MB batches, each applied as a whole). The
 * kernel's hash set (rhashtable) grows in a worker between inserts; inside one transaction
 * of 100k it falls behind and the inserts go its slow way (perf: rhashtable_insert_slow,
 * ~20% of a 100k start's samples). 10k a transaction: 90k addresses took 40-170 ms of
 * system time here against 100-240 ms in one (bench/RESULTS.md, issue 13 second pass).
 */
const BULK_CHUNK = 10_000;

/** One set operation: add (absent → created, present → kept) or delete (absent → error). */
export interface SetOp {
  add: boolean;
  set: string;
  family: Family;
  /** count × 4 or 16 bytes, network byte order. */
  keys: Uint8Array;
  /** Milliseconds per element, 0 for none; null: no element has one. */
  timeoutsMs: Float64Array | null;
  /** An add that refuses the whole transaction when one of its elements is already there. */
  exclusive?: boolean;
}

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

/**
 * The set operations of `changes` (one per address), per family. Exact: add, delete, add
 * with the timeouts, over every address. `fewer`: a fresh block as an exclusive add (when
 * the addon has it; else the exact three), a renewal as a delete and an add, a lift as a
 * delete; `fewer` in the answer says whether any change got fewer than the exact three.
 */
function dynamicOps(
  changes: readonly DynamicChange[],
  fewer: boolean,
  exclusive: boolean,
): { ops: SetOp[]; fewer: boolean } {
  const ops: SetOp[] = [];
  let any = false;
  for (const family of [4, 6] as const) {
    const mine = changes.filter((c) => c.host.family === family);
    if (mine.length === 0) continue;
    const set = `dyn${family}`;
    const fresh: DynamicChange[] = [];
    const known: DynamicChange[] = [];
    const exact: DynamicChange[] = [];
    for (const c of mine) {
      if (!fewer) exact.push(c);
      else if (c.unblock || !c.fresh) known.push(c);
      else if (exclusive) fresh.push(c);
      else exact.push(c);
    }
    if (fresh.length > 0) ops.push(blockOp(set, family, fresh, true));
    if (known.length > 0) {
      const keys = packKeys(
        known.map((c) => c.host.bytes),
        family,
      );
      ops.push({ add: false, set, family, keys, timeoutsMs: null });
      ops.push(
        blockOp(
          set,
          family,
          known.filter((c) => !c.unblock),
          false,
        ),
      );
    }
    any ||= fresh.length > 0 || known.length > 0;
    if (exact.length === 0) continue;
    const all = packKeys(
      exact.map((c) => c.host.bytes),
      family,
    );
    ops.push(
      { add: true, set, family, keys: all, timeoutsMs: null },
      { add: false, set, family, keys: all, timeoutsMs: null },
      blockOp(
        set,
        family,
        exact.filter((c) => !c.unblock),
        false,
      ),
    );
  }
  return { ops, fewer: any };
}

/** An add of `blocks` with their timeouts (exclusive: refused when one is already there). */
function blockOp(set: string, family: Family, blocks: readonly DynamicChange[], exclusive: boolean): SetOp {
  const op: SetOp = {
    add: true,
    set,
    family,
    keys: packKeys(
      blocks.map((c) => c.host.bytes),
      family,
    ),
    timeoutsMs: Float64Array.from(blocks, (c) => (c.unblock ? 0 : (c.timeoutMs ?? 0))),
  };
  if (exclusive) op.exclusive = true;
  return op;
}

/** Addresses of one family side by side, as netlink wants them. */
export function packKeys(addrs: readonly Uint8Array[], family: Family): Uint8Array {
  const size = KEY_BYTES[family];
  const out = new Uint8Array(addrs.length * size);
  for (let i = 0; i < addrs.length; i++) out.set(addrs[i]!, i * size);
  return out;
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
  if (e.kind === 'list') {
    netlink.load(e.name, e.family, packIntegers(e.starts, e.family), null);
    return e.starts.length;
  }
  if (e.kind === 'feed') {
    netlink.load(e.name, e.family, packIntegers(e.starts, e.family), Float64Array.from(e.timeoutsMs));
    return e.starts.length;
  }
  const n = hostCount(e.hosts);
  if (n > 0) netlink.load(e.name, e.family, e.hosts.keys, e.hosts.timeoutsMs);
  return n;
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

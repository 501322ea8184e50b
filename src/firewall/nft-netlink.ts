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
import type { DynamicChange } from './nft-render.js';

/** [add, set name, keys (4 or 16 bytes each), key length, timeouts in ms (0 = none) or null] */
type NativeOp = [boolean, string, Uint8Array, number, Float64Array | null];
interface NativeNft {
  nftApply(netns: string, table: string, ops: NativeOp[]): void;
  nftCount(netns: string, table: string, set: string): number;
}

export const NFT_TABLE_NAME = 'sipprot';
const KEY_BYTES: Record<Family, number> = { 4: 4, 6: 16 };
/** Elements per transaction in bulk loads: ~5 MB batches, each applied as a whole. */
const BULK_CHUNK = 100_000;

/** One set operation: add (absent → created, present → kept) or delete (absent → error). */
export interface SetOp {
  add: boolean;
  set: string;
  family: Family;
  /** count × 4 or 16 bytes, network byte order. */
  keys: Uint8Array;
  /** Milliseconds per element, 0 for none; null: no element has one. */
  timeoutsMs: Float64Array | null;
}

export class NftNetlink {
  private readonly native: NativeNft;

  /**
   * Throws when the addon cannot be loaded (callers fall back to `nft -i`). `chunk`:
   * elements per transaction in bulk loads (tests make it small to load in many).
   */
  constructor(
    private readonly netns = '',
    private readonly chunk = BULK_CHUNK,
  ) {
    this.native = createRequire(import.meta.url)('sipprot-native') as NativeNft;
  }

  /** One transaction: every op, in order; all or nothing. Throws SP_ERR_FIREWALL. */
  apply(ops: readonly SetOp[]): void {
    const native: NativeOp[] = ops
      .filter((o) => o.keys.length > 0)
      .map((o) => [o.add, o.set, o.keys, KEY_BYTES[o.family], o.timeoutsMs]);
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
   */
  dynamic(changes: readonly DynamicChange[]): void {
    const last = new Map<string, DynamicChange>();
    for (const c of changes) {
      last.delete(c.host.text);
      last.set(c.host.text, c);
    }
    const ops: SetOp[] = [];
    for (const family of [4, 6] as const) {
      const mine = [...last.values()].filter((c) => c.host.family === family);
      if (mine.length === 0) continue;
      const set = `dyn${family}`;
      const all = packKeys(
        mine.map((c) => c.host.bytes),
        family,
      );
      const blocks = mine.filter((c) => !c.unblock);
      const timeouts = Float64Array.from(blocks, (c) => (c.unblock ? 0 : (c.timeoutMs ?? 0)));
      ops.push(
        { add: true, set, family, keys: all, timeoutsMs: null },
        { add: false, set, family, keys: all, timeoutsMs: null },
        {
          add: true,
          set,
          family,
          keys: packKeys(
            blocks.map((c) => c.host.bytes),
            family,
          ),
          timeoutsMs: timeouts,
        },
      );
    }
    this.apply(ops);
  }
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

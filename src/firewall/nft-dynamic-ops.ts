/**
 * A dynamic batch's set operations for netlink (nft-netlink.ts NftNetlink.dynamic): the
 * exact three operations an address (add, delete, add with the timeout), or the fewest
 * each change needs when the kernel holds what the daemon believes.
 */
import type { Family } from '../core/net/ip.js';
import type { DynamicChange } from './nft-render.js';

export const KEY_BYTES: Record<Family, number> = { 4: 4, 6: 16 };

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

/**
 * The set operations of `changes` (one per address), per family. Exact: add, delete, add
 * with the timeouts, over every address. `fewer`: a fresh block as an exclusive add (when
 * the addon has it; else the exact three), a renewal as a delete and an add, a lift as a
 * delete; `fewer` in the answer says whether any change got fewer than the exact three.
 */
export function dynamicOps(
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

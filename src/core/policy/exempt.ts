/**
 * What a change of the allow or deny list makes of the blocks the policy holds:
 * - the allow list beats every block, so a dynamic block of a newly allowed address
 *   is lifted at once (not after BLOCKTIME);
 * - a threshold-permanent block lives only while its address is in the deny list (the
 *   daemon appended it there), so removing the address from the deny list forgives it,
 *   and allowing it does too.
 * Pure: the caller lifts the addresses returned through the one decision path
 * (`Engine.unblock`), so the kernel, the store and the live view all follow.
 */
import type { BlockRecord } from '../types.js';
import type { ListLookup } from './policy.js';

/** The blocks a policy holds (Policy has them). */
export interface HeldBlocks {
  blocks(): Iterable<BlockRecord>;
  permanents(): Iterable<BlockRecord>;
}

/** The addresses whose block the lists now exempt: dynamic blocks first, then permanent ones. */
export function exemptByLists(held: HeldBlocks, lists: ListLookup): string[] {
  const out: string[] = [];
  for (const r of held.blocks()) if (lists.check(r.ip).status === 'allowed') out.push(r.ip);
  for (const r of held.permanents()) if (lists.check(r.ip).status !== 'denied') out.push(r.ip);
  return out;
}

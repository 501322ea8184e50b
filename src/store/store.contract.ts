/**
 * The Store contract: one suite that every adapter (MemoryStore, SqliteStore, later the
 * Redis store) must pass. An adapter's test file calls `storeContract` with a factory.
 */
import { afterEach, beforeEach, describe } from 'node:test';
import { adminContract } from './store.contract.admin.js';
import { recordsContract } from './store.contract.records.js';
import type { ContractContext, StoreHarness } from './store.fixtures.js';

export { attack, block, decision, rejectsWith, type StoreHarness } from './store.fixtures.js';

/**
 * Registers the suite. `persistent` adds the checks that data outlives a close/reopen;
 * the harness must then provide `reopen`.
 */
export function storeContract(
  name: string,
  make: () => Promise<StoreHarness>,
  opts: { persistent: boolean } = { persistent: false },
): void {
  describe(`Store contract: ${name}`, () => {
    const ctx = {} as ContractContext;
    beforeEach(async () => {
      ctx.h = await make();
      ctx.s = ctx.h.store;
    });
    afterEach(async () => {
      await ctx.h.cleanup();
    });
    recordsContract(ctx);
    adminContract(ctx, opts);
  });
}

/**
 * The Store contract: one suite that every adapter (FakeStore, SqliteStore, later the
 * Redis store) must pass. An adapter's test file calls `storeContract` with a factory.
 */
import { afterEach, beforeEach, describe } from 'node:test';
import type { ContractContext, StoreHarness } from './store.testkit.js';
import { adminContract } from './store-admin.contract.js';
import { blockPageContract } from './store-block-page.contract.js';
import { historyContract } from './store-history.contract.js';
import { recordsContract } from './store-records.contract.js';
import { webhooksContract } from './store-webhooks.contract.js';

export { rejectsWith, type StoreHarness } from './store.testkit.js';

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
    historyContract(ctx);
    webhooksContract(ctx);
    blockPageContract(ctx);
  });
}

/** The Store contract's harness and assertions (the records come from core/records.testkit.ts). */
import assert from 'node:assert/strict';
import { isSipprotError } from '../core/errors.js';
import type { Store } from '../ports/store.js';

export interface StoreHarness {
  store: Store;
  /** Closes the store and opens it again on the same data (persistent adapters only). */
  reopen?: () => Promise<Store>;
  cleanup: () => Promise<void>;
}

/** Awaits `p` and asserts it rejects with a SipprotError of `code`. */
export async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isSipprotError(e), `expected a SipprotError, got ${String(e)}`);
    assert.equal(e.code, code);
    return true;
  });
}

/** What a contract part reads at test time: the harness of the running test. */
export interface ContractContext {
  h: StoreHarness;
  s: Store;
}

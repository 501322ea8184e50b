/** Issue 10 items 10 and 13: `check` says when its answer is not in force, or not saved. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { protectionWarnings } from './check-explain.js';

const store = { pending: 0, failures: 0, lastError: null, since: null };

describe('check: what makes its answer untrue', () => {
  it('nothing when the kernel holds the rules and the store took everything', () => {
    assert.deepEqual(protectionWarnings({ kernel: { inSync: true, losses: 3, lastLoss: null }, store }), []);
    assert.deepEqual(protectionWarnings(undefined), []);
  });

  it('the kernel lost the rules: NOT IN FORCE, with the reason', () => {
    const w = protectionWarnings({
      kernel: {
        inSync: false,
        losses: 1,
        lastLoss: { at: 1, reason: 'table inet sipprot or its prerouting chain is gone' },
      },
      store,
    });
    assert.deepEqual(w, [
      "NOT IN FORCE: sipprot's nftables rules are missing from the kernel (table inet sipprot or its prerouting chain is gone); being rebuilt",
    ]);
  });

  it('the store is behind: said, with the error', () => {
    const w = protectionWarnings({
      kernel: null,
      store: { pending: 7, failures: 2, lastError: 'SQLITE_FULL', since: 5 },
    });
    assert.match(
      w[0] ?? '',
      /^the store has not saved 7 recent decisions \(SQLITE_FULL\): in force now, retried/,
    );
  });
});

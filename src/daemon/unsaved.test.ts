/**
 * Issue 10 item 13: with STATE_DIR full a block reached nft but not the store, and was
 * lost at restart. Now the enforcer keeps what the store refused (merged, bounded),
 * retries with backoff, reports it (storeState, the alarm), never lets an older block
 * overwrite a newer unblock, and the store ends up with exactly what the kernel holds.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SipprotError } from '../core/errors.js';
import { aHistoryEvent } from '../core/history/history.testkit.js';
import { aDecision } from '../core/records.testkit.js';
import { FakeFirewall } from '../firewall/firewall.fake.js';
import { emptyFirewallState } from '../ports/firewall.js';
import type { StoreBatch } from '../ports/store.js';
import { FakeStore } from '../store/store.fake.js';
import { Enforcer } from './enforcer.js';
import { UnsavedQueue, withoutRows } from './unsaved.js';

class FullDisk extends FakeStore {
  full = true;
  tries = 0;
  override async commit(batch: StoreBatch): Promise<void> {
    this.tries++;
    if (this.full) throw new SipprotError('SP_ERR_STORE', 'database or disk is full (SQLITE_FULL)');
    return super.commit(batch);
  }
}

const T = 1_800_000_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('decisions the store refused (full disk)', () => {
  it('kernel at once, store later: nothing lost, alarm raised once and cleared once', async () => {
    const store = new FullDisk();
    const firewall = new FakeFirewall();
    await firewall.init(emptyFirewallState());
    const alarms: string[] = [];
    const failures: unknown[] = [];
    const enforcer = new Enforcer({
      firewall,
      store,
      recordOf: () => undefined,
      appendDeny: async () => undefined,
      published: () => undefined,
      failed: (_w, e) => failures.push(e),
      storeAlarm: (state, d) => alarms.push(`${state} ${d.pending}`),
      clock: () => T,
    });
    enforcer.apply([aDecision('203.0.113.1', T), aDecision('203.0.113.2', T)]);
    await enforcer.flush();
    assert.equal(firewall.wouldDrop('203.0.113.1'), 'dynamic', 'the kernel has it at once');
    assert.equal(await store.getBlock('203.0.113.1'), null);
    const s = enforcer.storeState();
    assert.equal(s.pending > 0, true);
    assert.equal(s.lastError, 'database or disk is full (SQLITE_FULL)');
    assert.equal(s.since, T);
    // While the disk is full: .2 is lifted, .3 blocked: they queue behind, never around.
    enforcer.apply([
      aDecision('203.0.113.2', T + 1, { action: 'unblock', reason: 'manual', expiresAt: null }),
    ]);
    enforcer.apply([aDecision('203.0.113.3', T + 2)]);
    await enforcer.flush();
    assert.deepEqual(alarms, [`failing ${s.pending}`], 'said once');
    assert.equal(failures.length, 1, 'logged once');
    store.full = false;
    await sleep(1300); // the first retry comes after 1 s
    assert.ok((await store.getBlock('203.0.113.1')) !== null);
    assert.equal(await store.getBlock('203.0.113.2'), null, 'the newer unblock wins over the older block');
    assert.ok((await store.getBlock('203.0.113.3')) !== null);
    assert.deepEqual(enforcer.storeState(), {
      pending: 0,
      failures: store.tries - 1,
      lastError: null,
      since: null,
    });
    assert.match(alarms[1] ?? '', /^recovered 0/);
    // Writes go straight to the store again.
    enforcer.apply([aDecision('203.0.113.4', T + 3)]);
    await enforcer.flush();
    assert.ok((await store.getBlock('203.0.113.4')) !== null);
  });

  it('bounded: one block record per address whatever the count, history rows capped and counted', () => {
    const q = new UnsavedQueue();
    for (let i = 0; i < 30_000; i++) {
      q.add({
        blocks: [{ ...aDecision('203.0.113.9', T + i), host: undefined } as never],
        decisions: [aDecision('203.0.113.9', T + i)],
      });
    }
    const b = q.batch();
    assert.equal(b.blocks?.length, 1, 'the latest record of the address');
    assert.equal(b.decisions?.length, 20_000);
    assert.equal(q.dropped, 10_000);
    assert.equal((b.blocks![0] as unknown as { at: number }).at, T + 29_999);
  });
});

describe('withoutRows: what a bounded queue lets go', () => {
  it("sheds the daemon's own rows of the kinds asked, keeps what an admin made, counts exactly what went", () => {
    const ip = '203.0.113.9';
    const b: StoreBatch = {
      blocks: [{ ...aDecision(ip, T), host: undefined } as never],
      decisions: [
        aDecision(ip, T),
        aDecision(ip, T + 1, { reason: 'manual' }),
        aDecision('198.51.100.4', T + 2),
      ],
      history: [
        aHistoryEvent(ip, T),
        aHistoryEvent(ip, T + 1, { reason: 'manual', actor: 'admin' }),
        aHistoryEvent(null, T + 2, { kind: 'settings', reason: null, actor: 'admin' }),
      ],
      attacks: [],
      incrementTimesBlocked: [{ ip, at: T }],
    };
    const { batch, shed } = withoutRows(b, ['history', 'attacks', 'decisions']);
    assert.deepEqual(shed, { history: 1, attacks: 0, decisions: 2, incrementTimesBlocked: 0 });
    assert.deepEqual(
      batch.decisions?.map((d) => d.reason),
      ['manual'],
      "the admin's block stays",
    );
    assert.deepEqual(
      batch.history?.map((h) => h.actor),
      ['admin', 'admin'],
      "the admin's block and settings change stay",
    );
    assert.equal(batch.blocks, b.blocks, 'block records are never touched');
    assert.equal(batch.incrementTimesBlocked, b.incrementTimesBlocked, 'not asked: kept');
    assert.equal(b.decisions?.length, 3, 'the batch given is not changed');
  });

  it('leaves a kind out when nothing of it is left, and asks for nothing: the same batch', () => {
    const b: StoreBatch = { decisions: [aDecision('203.0.113.9', T)] };
    assert.equal('decisions' in withoutRows(b, ['decisions']).batch, false);
    assert.equal(withoutRows(b, []).batch, b);
  });
});

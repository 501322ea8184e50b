/**
 * The ClusterBus contract (ports/cluster.ts), one suite for every adapter: FakeClusterBus in
 * memory and RedisBus on a real redis-server. Includes the merge table (core/cluster/
 * merge.testkit.ts), so the Lua script and the core's applyEvent cannot drift apart.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { ClusterEvent } from '../core/cluster/events.js';
import { aBlockEvent, aListEvent } from '../core/cluster/events.testkit.js';
import { MERGE_CASES } from '../core/cluster/merge.testkit.js';
import { aBlock } from '../core/records.testkit.js';
import { type ClusterBus, compareIds } from '../ports/cluster.js';

export interface BusHarness {
  /** A bus on an empty store (each call after reset sees nothing of earlier tests). */
  bus(opts?: { maxLen?: number }): Promise<ClusterBus>;
  reset(): Promise<void>;
  /** Appends a raw entry (field e) as a broken or compromised host could. */
  inject(raw: string): Promise<void>;
  /** Makes the store unreachable; the returned function brings it back. */
  outage(): Promise<() => Promise<void>>;
  dispose(): Promise<void>;
}

const waitUntil = async (what: string, f: () => boolean, ms = 15_000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

export function clusterBusContract(name: string, make: () => Promise<BusHarness>): void {
  describe(`ClusterBus contract: ${name}`, () => {
    let h: BusHarness;
    const open: ClusterBus[] = [];
    const bus = async (opts?: { maxLen?: number }) => {
      const b = await h.bus(opts);
      open.push(b);
      assert.equal(await b.ready(10_000), true, 'the bus connects');
      return b;
    };
    before(async () => {
      h = await make();
    });
    after(async () => {
      for (const b of open) await b.close().catch(() => undefined);
      await h.dispose();
    });
    beforeEach(async () => {
      for (const b of open.splice(0)) await b.close().catch(() => undefined);
      await h.reset();
    });

    it('publishes in order; read(after) returns strictly later entries, oldest first', async () => {
      const a = await bus();
      const events = [1, 2, 3].map((i) => aBlockEvent('pbx-a', aBlock(`192.0.2.${i}`)));
      const r = await a.publish(events);
      assert.equal(r.length, 3);
      assert.ok(compareIds(r[0]!.id, r[1]!.id) < 0 && compareIds(r[1]!.id, r[2]!.id) < 0);
      const all = await a.read('0-0', { count: 10, blockMs: 0 });
      assert.deepEqual(
        all.map((e) => e.event),
        events,
      );
      assert.deepEqual(
        all.map((e) => e.escalation),
        [1, 1, 1],
      );
      assert.deepEqual(
        (await a.read(r[1]!.id, { count: 10, blockMs: 0 })).map((e) => e.id),
        [r[2]!.id],
      );
      assert.deepEqual(await a.read(r[2]!.id, { count: 10, blockMs: 0 }), []);
      assert.equal((await a.streamInfo()).lastId, r[2]!.id);
    });

    it('a second publish of an event id changes nothing and says so', async () => {
      const a = await bus();
      const e = aBlockEvent('pbx-a', aBlock('192.0.2.9'));
      const [first] = await a.publish([e]);
      const [again] = await a.publish([e]);
      assert.deepEqual(again, { id: first!.id, duplicate: true, stale: false, escalation: 1 });
      assert.equal((await a.streamInfo()).length, 1);
      assert.equal((await a.snapshot()).fleet.escalation.get('192.0.2.9'), 1);
    });

    for (const c of MERGE_CASES) {
      it(`snapshot follows the merge table: ${c.name}`, async () => {
        const orders = c.orderMatters ? [c.events] : [c.events, [...c.events].reverse()];
        for (const events of orders) {
          await h.reset();
          const a = await bus();
          const r = await a.publish(events);
          const snap = await a.snapshot();
          assert.equal(snap.covers, r.at(-1)!.id, 'the snapshot covers the last entry');
          assert.equal(snap.rejected, 0);
          c.expect(snap.fleet);
          await a.close();
        }
      });
    }

    it('the snapshot keeps the records whole (users, notes, fractions of seconds, v6)', async () => {
      const a = await bus();
      const rec = aBlock('2001:db8::7', { users: [], note: 'a|b', expiresAt: 1610.123456789 });
      await a.publish([
        aBlockEvent('pbx-a', rec),
        aListEvent('pbx-a', 'deny', 'add', [{ network: '2001:db8::/32', note: 'x | y' }]),
      ]);
      const s = (await a.snapshot()).fleet;
      assert.deepEqual(s.blocks.get('2001:db8::7'), { ...rec, host: 'pbx-a' });
      assert.equal(s.lists.deny.get('2001:db8::/32')?.value, 'x | y');
    });

    it('a blocked read wakes at the publish of another host', async () => {
      const a = await bus();
      const b = await bus();
      const [first] = await a.publish([aListEvent('pbx-a', 'allow', 'add', [])]);
      const t0 = Date.now();
      const reading = b.read(first!.id, { count: 10, blockMs: 5000 });
      await new Promise((r) => setTimeout(r, 100));
      await a.publish([aBlockEvent('pbx-a', aBlock('198.51.100.4'))]);
      const got = await reading;
      assert.equal(got.length, 1);
      assert.ok(Date.now() - t0 < 3000, 'woken by the publish, not by the timeout');
    });

    it('malformed entries come back as values with a reason', async () => {
      const a = await bus();
      await h.inject(
        '{"v":1,"type":"block","host":"evil","id":"evil:1","at":1,"action":"block","block":{"ip":"1.2.3.4;flush ruleset"}}',
      );
      await h.inject('not json');
      const got = await a.read('0-0', { count: 10, blockMs: 0 });
      assert.equal(got.length, 2);
      for (const g of got) {
        assert.equal(g.event, null);
        assert.ok(g.reason);
      }
    });

    it('a lease is held by one holder only', async () => {
      const a = await bus();
      assert.equal(await a.claim('daily:2026-12-05', 'pbx-a', 60), true);
      assert.equal(await a.claim('daily:2026-12-05', 'pbx-b', 60), false);
      assert.equal(await a.claim('daily:2026-12-06', 'pbx-b', 60), true);
    });

    it('a reader behind the trimmed stream is told to reload the snapshot', async () => {
      const a = await bus({ maxLen: 10 });
      const [first] = await a.publish([aListEvent('pbx-a', 'allow', 'add', [])]);
      assert.equal(await a.missed(first!.id), false);
      const many: ClusterEvent[] = [];
      for (let i = 0; i < 400; i++)
        many.push(aListEvent('pbx-a', 'deny', 'add', [{ network: `10.0.${i >> 8}.${i & 255}`, note: '' }]));
      const r = await a.publish(many);
      assert.ok((await a.streamInfo()).length < 400, 'trimmed');
      assert.equal(await a.missed(first!.id), true);
      assert.equal(await a.missed(r.at(-1)!.id), false);
      assert.equal((await a.snapshot()).fleet.lists.deny.size, 400, 'the snapshot has it all');
    });

    it('heartbeats, expired-block pruning and geo-IP tables', async () => {
      const a = await bus();
      const hb = {
        host: 'pbx-a',
        at: 100,
        startedAt: 50,
        version: '0.1.0',
        lastId: '0-0',
        outbox: 2,
        rejected: 0,
      };
      await a.heartbeat(hb);
      await a.heartbeat({ ...hb, host: 'pbx-b', at: 101 });
      assert.deepEqual(
        (await a.hosts()).map((x) => [x.host, x.at, x.outbox]),
        [
          ['pbx-a', 100, 2],
          ['pbx-b', 101, 2],
        ],
      );
      await a.publish([
        aBlockEvent('pbx-a', aBlock('192.0.2.1', { expiresAt: 500 })),
        aBlockEvent('pbx-a', aBlock('192.0.2.2', { expiresAt: 900 })),
        aBlockEvent('pbx-a', aBlock('192.0.2.3', { expiresAt: null })),
      ]);
      assert.equal(await a.pruneExpired(600), 1);
      assert.deepEqual([...(await a.snapshot()).fleet.blocks.keys()].sort(), ['192.0.2.2', '192.0.2.3']);
      const table = new Uint8Array([0x1f, 0x8b, 0, 1, 2, 255]);
      await a.putGeoTable('ab'.repeat(32), table);
      assert.deepEqual(await a.getGeoTable('ab'.repeat(32)), table);
      assert.equal(await a.getGeoTable('cd'.repeat(32)), null);
    });

    it('a block of an episode unblocked by hand is refused as stale: nothing appended', async () => {
      const a = await bus();
      const ip = '198.51.100.77';
      await a.publish([aBlockEvent('pbx-a', aBlock(ip, { blockedAt: 1000, expiresAt: 1600 }))]);
      const [u] = await a.publish([
        {
          v: 1,
          id: 'pbx-c:unblock-77',
          host: 'pbx-c',
          at: 1010.5,
          type: 'unblock',
          ip,
          forgetHistory: false,
        },
      ]);
      const renewal = aBlockEvent('pbx-b', aBlock(ip, { blockedAt: 1000, expiresAt: 9000 }), {
        action: 'extend',
        at: 1100,
      });
      const [r] = await a.publish([renewal]);
      assert.deepEqual(r, { id: u!.id, duplicate: false, stale: true, escalation: null });
      assert.equal((await a.streamInfo()).length, 2, 'not appended: no peer reads it');
      const snap = await a.snapshot();
      assert.equal(snap.fleet.blocks.has(ip), false);
      assert.deepEqual(snap.fleet.unblocked.get(ip), { at: 1010.5, host: 'pbx-c' });
      assert.equal(snap.covers, u!.id);
      const [n] = await a.publish([aBlockEvent('pbx-a', aBlock(ip, { blockedAt: 1011, expiresAt: 1700 }))]);
      assert.equal(n!.stale, false, 'a new episode after the unblock is a block');
      assert.equal((await a.snapshot()).fleet.blocks.get(ip)?.blockedAt, 1011);
    });

    it('tombstones and silent hosts are pruned by age: what Redis holds stays bounded', async () => {
      const a = await bus();
      const unblocks: ClusterEvent[] = [];
      for (let i = 0; i < 500; i++)
        unblocks.push({
          v: 1,
          id: `pbx-a:u${i}`,
          host: 'pbx-a',
          at: 1000 + i,
          type: 'unblock',
          ip: `10.9.${i >> 8}.${i & 255}`,
          forgetHistory: false,
        });
      const removed = Array.from({ length: 500 }, (_, i) => ({
        network: `10.8.${i >> 8}.${i & 255}`,
        note: '',
      }));
      await a.publish([
        ...unblocks,
        aListEvent('pbx-a', 'deny', 'add', [{ network: '192.0.2.0/24', note: 'kept' }], 1000),
        aListEvent('pbx-a', 'deny', 'add', removed, 1000),
        aListEvent('pbx-a', 'deny', 'remove', removed, 1200),
        aListEvent('pbx-a', 'allow', 'remove', [{ network: '192.0.2.8', note: '' }], 2000),
        {
          v: 1,
          id: 'pbx-a:r-gone',
          host: 'pbx-a',
          at: 1300,
          type: 'recipient',
          email: 'old@example.org',
          name: null,
          removed: true,
        },
      ]);
      let f = (await a.snapshot()).fleet;
      assert.equal(f.unblocked.size, 500);
      assert.equal(f.lists.deny.size, 501);
      assert.equal(f.forgotBefore, 0);
      // Everything written up to 1600 goes: 500 unblocks, 500 removals, 1 recipient.
      assert.equal(await a.pruneTombstones(1600), 1001);
      f = (await a.snapshot()).fleet;
      assert.equal(f.unblocked.size, 0);
      assert.deepEqual([...f.lists.deny.keys()], ['192.0.2.0/24'], 'a live entry is never pruned');
      assert.equal(f.lists.allow.get('192.0.2.8')?.removed, true, 'a younger tombstone stays');
      assert.equal(f.recipients.size, 0);
      assert.equal(f.forgotBefore, 1600);
      const old = aBlockEvent('pbx-b', aBlock('10.9.0.1', { blockedAt: 900, expiresAt: 99_999 }), {
        action: 'extend',
      });
      assert.equal((await a.publish([old]))[0]!.stale, true, 'an episode the fleet forgot cannot come back');
      const young = aBlockEvent('pbx-b', aBlock('10.9.0.1', { blockedAt: 1700, expiresAt: 99_999 }));
      assert.equal((await a.publish([young]))[0]!.stale, false);
      assert.equal(await a.pruneTombstones(1500), 0);
      assert.equal((await a.snapshot()).fleet.forgotBefore, 1600, 'the horizon never moves back');
      const hb = {
        host: 'pbx-old',
        at: 100,
        startedAt: 50,
        version: '0.1.0',
        lastId: '0-0',
        outbox: 0,
        rejected: 0,
      };
      await a.heartbeat(hb);
      await a.heartbeat({ ...hb, host: 'pbx-new', at: 900 });
      assert.equal(await a.pruneHosts(500), 1);
      assert.deepEqual(
        (await a.hosts()).map((x) => x.host),
        ['pbx-new'],
      );
    });

    it('an outage rejects promptly with SP_ERR_CLUSTER, and the bus comes back by itself', async () => {
      const a = await bus();
      await waitUntil('the bus up', () => a.state() === 'up');
      const restore = await h.outage();
      try {
        const t0 = Date.now();
        await assert.rejects(a.publish([aListEvent('pbx-a', 'allow', 'add', [])]), {
          code: 'SP_ERR_CLUSTER',
        });
        assert.ok(Date.now() - t0 < 5000, 'rejected promptly, not queued');
        await waitUntil('the bus down', () => a.state() === 'down');
        // A reader loops on ready() while Redis is away: an answer at once would be a busy loop.
        const t1 = Date.now();
        assert.equal(await a.ready(300), false, 'not ready while down');
        assert.ok(Date.now() - t1 >= 250, `ready(300) waited ${Date.now() - t1} ms while down: it must wait`);
      } finally {
        await restore();
      }
      await waitUntil('the bus up again', () => a.state() === 'up');
      const [r] = await a.publish([aListEvent('pbx-a', 'allow', 'add', [])]);
      assert.equal(r!.duplicate, false);
    });
  });
}

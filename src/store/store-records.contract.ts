import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { isSipprotError } from '../core/errors.js';
import { aBlock, aDecision, anAttack } from '../core/records.testkit.js';
import { type BlockRecord, RULES } from '../core/types.js';
import type { Store } from '../ports/store.js';
import type { ContractContext } from './store.testkit.js';

/** attacksByRule with no attack: every rule, at zero. */
const NO_ATTACKS = Object.fromEntries(RULES.map((r) => [r, 0]));

/** Contract part: blocks, block counts, decision history, attack events, batches. */
export function recordsContract(ctx: ContractContext): void {
  let s: Store;
  beforeEach(() => {
    s = ctx.s;
  });
  describe('dynamic blocks', () => {
    test('round-trips every field, floats and nulls included', async () => {
      const b = aBlock('2001:db8::1', { country: null, note: 'x', transport: null, port: null });
      await s.upsertBlock(b);
      assert.deepEqual(await s.getBlock('2001:db8::1'), b);
      assert.equal(await s.getBlock('192.0.2.99'), null);
    });

    test('cluster mode: the host of a block, a decision and an attack round-trips; none stays none', async () => {
      const b = aBlock('192.0.2.77', { host: 'pbx-b' });
      await s.commit({
        blocks: [b, aBlock('192.0.2.78')],
        decisions: [aDecision('192.0.2.77', 2000.5, { host: 'pbx-b' })],
        attacks: [{ ...anAttack('192.0.2.77', 2000.5), host: 'pbx-b' }],
      });
      assert.deepEqual(await s.getBlock('192.0.2.77'), b);
      assert.equal('host' in ((await s.getBlock('192.0.2.78')) ?? {}), false);
      assert.equal((await s.decisions({ from: 2000, to: 2001 }))[0]?.host, 'pbx-b');
      assert.equal((await s.attacks({ from: 2000, to: 2001 }))[0]?.host, 'pbx-b');
    });

    test('upsert replaces the record for the same address', async () => {
      await s.upsertBlock(aBlock('192.0.2.1'));
      const b2 = aBlock('192.0.2.1', {
        attempts: 40,
        users: ['9'],
        misconfiguredPhone: true,
        expiresAt: null,
      });
      await s.upsertBlock(b2);
      assert.deepEqual(await s.getBlock('192.0.2.1'), b2);
      assert.equal((await s.listBlocks()).length, 1);
    });

    test('records are copies in both directions', async () => {
      const b = aBlock('192.0.2.1');
      await s.upsertBlock(b);
      b.users.push('mutated');
      const got = await s.getBlock('192.0.2.1');
      assert.deepEqual(got?.users, ['100', '101']);
      got?.users.push('again');
      assert.deepEqual((await s.getBlock('192.0.2.1'))?.users, ['100', '101']);
    });

    test('listBlocks filters by activeAt and permanentOnly, newest blockedAt first', async () => {
      await s.upsertBlock(aBlock('192.0.2.1', { blockedAt: 10, expiresAt: 100 }));
      await s.upsertBlock(aBlock('192.0.2.2', { blockedAt: 30, expiresAt: null }));
      await s.upsertBlock(aBlock('192.0.2.3', { blockedAt: 20, expiresAt: 200 }));
      await s.upsertBlock(aBlock('192.0.2.0', { blockedAt: 20, expiresAt: 50 }));
      const ips = (bs: BlockRecord[]) => bs.map((b) => b.ip);
      assert.deepEqual(ips(await s.listBlocks()), ['192.0.2.2', '192.0.2.0', '192.0.2.3', '192.0.2.1']);
      assert.deepEqual(ips(await s.listBlocks({ activeAt: 100 })), ['192.0.2.2', '192.0.2.3']);
      assert.deepEqual(ips(await s.listBlocks({ activeAt: 99.5 })), ['192.0.2.2', '192.0.2.3', '192.0.2.1']);
      assert.deepEqual(ips(await s.listBlocks({ permanentOnly: true })), ['192.0.2.2']);
      assert.deepEqual(ips(await s.listBlocks({ permanentOnly: true, activeAt: 1e12 })), ['192.0.2.2']);
    });

    test('blocksInForce gives the address and expiry of exactly the blocks listBlocks({ activeAt }) gives', async () => {
      await s.upsertBlock(aBlock('192.0.2.1', { blockedAt: 10, expiresAt: 100 }));
      await s.upsertBlock(aBlock('192.0.2.2', { blockedAt: 30, expiresAt: null }));
      await s.upsertBlock(aBlock('2001:db8::3', { blockedAt: 20, expiresAt: 200.5 }));
      await s.upsertBlock(aBlock('192.0.2.0', { blockedAt: 20, expiresAt: 50 }));
      for (const at of [0, 99.5, 100, 1e12]) {
        const fast = (await s.blocksInForce(at)).sort((a, b) => (a.ip < b.ip ? -1 : 1));
        const full = (await s.listBlocks({ activeAt: at }))
          .map((b) => ({ ip: b.ip, expiresAt: b.expiresAt }))
          .sort((a, b) => (a.ip < b.ip ? -1 : 1));
        assert.deepEqual(fast, full, `at ${at}`);
      }
      const at100 = (await s.blocksInForce(100)).sort((a, b) => (a.ip < b.ip ? -1 : 1));
      assert.deepEqual(at100, [
        { ip: '192.0.2.2', expiresAt: null },
        { ip: '2001:db8::3', expiresAt: 200.5 },
      ]);
    });

    test('blocksInForceChunks gives what blocksInForce gives, each block once, in chunks of at most `rows`', async () => {
      for (let i = 0; i < 23; i++)
        await s.upsertBlock(aBlock(`192.0.2.${i}`, { expiresAt: i % 3 === 0 ? null : 100 + i }));
      await s.upsertBlock(aBlock('2001:db8::3', { expiresAt: 200.5 }));
      // Rows gone from the middle: chunks still cover the rest.
      await s.deleteBlock('192.0.2.4');
      await s.deleteBlock('192.0.2.5');
      const byIp = (a: { ip: string }, b: { ip: string }) => (a.ip < b.ip ? -1 : 1);
      for (const [at, rows] of [
        [0, 1],
        [0, 5],
        [110, 4],
        [110, 1000],
        [1e12, 3],
      ] as const) {
        const chunks: Array<Array<{ ip: string; expiresAt: number | null }>> = [];
        for await (const c of s.blocksInForceChunks(at, rows)) chunks.push(c);
        assert.ok(
          chunks.every((c) => c.length >= 1 && c.length <= rows),
          `at ${at}, ${rows}: ${chunks.map((c) => c.length)}`,
        );
        assert.deepEqual(
          chunks.flat().sort(byIp),
          (await s.blocksInForce(at)).sort(byIp),
          `at ${at}, ${rows}`,
        );
      }
      // A part size that is no count is refused, never a read that cannot end.
      for (const rows of [0, -1, 1.5, Number.NaN])
        await assert.rejects(
          async () => {
            for await (const _ of s.blocksInForceChunks(0, rows));
          },
          { code: 'SP_ERR_USAGE' },
          `rows ${rows}`,
        );
      // Stopped half-way: the store goes on working.
      for await (const _ of s.blocksInForceChunks(0, 2)) break;
      await s.upsertBlock(aBlock('192.0.2.200'));
      assert.ok(await s.getBlock('192.0.2.200'));
    });

    test('deleteBlock reports whether there was one', async () => {
      await s.upsertBlock(aBlock('192.0.2.1'));
      assert.equal(await s.deleteBlock('192.0.2.1'), true);
      assert.equal(await s.deleteBlock('192.0.2.1'), false);
      assert.equal(await s.getBlock('192.0.2.1'), null);
    });

    test('expireBlocks removes and returns expired blocks once, permanent never', async () => {
      await s.upsertBlock(aBlock('192.0.2.1', { expiresAt: 100 }));
      await s.upsertBlock(aBlock('192.0.2.2', { expiresAt: 50 }));
      await s.upsertBlock(aBlock('192.0.2.3', { expiresAt: 100.5 }));
      await s.upsertBlock(aBlock('192.0.2.4', { expiresAt: null }));
      const gone = await s.expireBlocks(100);
      assert.deepEqual(
        gone.map((b) => b.ip),
        ['192.0.2.2', '192.0.2.1'],
      );
      assert.deepEqual(gone[0], aBlock('192.0.2.2', { expiresAt: 50 }));
      assert.deepEqual(await s.expireBlocks(100), []);
      assert.equal(await s.getBlock('192.0.2.1'), null);
      assert.deepEqual((await s.listBlocks()).map((b) => b.ip).sort(), ['192.0.2.3', '192.0.2.4']);
      assert.deepEqual(
        (await s.expireBlocks(1e12)).map((b) => b.ip),
        ['192.0.2.3'],
      );
      assert.deepEqual(
        (await s.listBlocks()).map((b) => b.ip),
        ['192.0.2.4'],
      );
    });

    test('blockCounts splits permanent and still-running temporary blocks', async () => {
      assert.deepEqual(await s.blockCounts(0), { permanent: 0, temporary: 0 });
      await s.upsertBlock(aBlock('192.0.2.1', { expiresAt: 100 }));
      await s.upsertBlock(aBlock('192.0.2.2', { expiresAt: 200 }));
      await s.upsertBlock(aBlock('192.0.2.3', { expiresAt: null }));
      assert.deepEqual(await s.blockCounts(50), { permanent: 1, temporary: 2 });
      assert.deepEqual(await s.blockCounts(100), { permanent: 1, temporary: 1 });
      // A block made permanent and one made temporary again move between the counts.
      await s.upsertBlock(aBlock('192.0.2.1', { expiresAt: null }));
      await s.upsertBlock(aBlock('192.0.2.3', { expiresAt: 300 }));
      assert.deepEqual(await s.blockCounts(50), { permanent: 1, temporary: 2 });
      assert.deepEqual(await s.blockCounts(250), { permanent: 1, temporary: 1 });
      await s.deleteBlock('192.0.2.1');
      assert.deepEqual(await s.blockCounts(0), { permanent: 0, temporary: 2 });
    });
  });

  describe('block counts per address', () => {
    test('start at 0, count up, survive unblock and expiry', async () => {
      assert.equal(await s.timesBlocked('192.0.2.1'), 0);
      assert.equal(await s.incrementTimesBlocked('192.0.2.1', 10), 1);
      await s.upsertBlock(aBlock('192.0.2.1', { expiresAt: 20 }));
      assert.equal(await s.incrementTimesBlocked('192.0.2.1', 30), 2);
      await s.deleteBlock('192.0.2.1');
      await s.expireBlocks(1e9);
      assert.equal(await s.timesBlocked('192.0.2.1'), 2);
      assert.equal(await s.timesBlocked('192.0.2.2'), 0);
      assert.equal(await s.incrementTimesBlocked('192.0.2.2', 40), 1);
      assert.deepEqual([...(await s.allTimesBlocked())].sort(), [
        ['192.0.2.1', 2],
        ['192.0.2.2', 1],
      ]);
    });
  });

  describe('decision history', () => {
    test('half-open range, ip filter, newest first, limit keeps the newest', async () => {
      await s.recordDecision(aDecision('192.0.2.1', 100));
      await s.recordDecision(aDecision('192.0.2.2', 150, { action: 'permanent', expiresAt: null }));
      await s.recordDecision(aDecision('192.0.2.1', 150, { action: 'unblock', reason: 'manual' }));
      await s.recordDecision(aDecision('192.0.2.1', 200));
      const all = await s.decisions({ from: 100, to: 200 });
      assert.deepEqual(
        all.map((d) => [d.ip, d.at, d.action]),
        [
          ['192.0.2.1', 150, 'unblock'],
          ['192.0.2.2', 150, 'permanent'],
          ['192.0.2.1', 100, 'block'],
        ],
      );
      assert.deepEqual(all[1], aDecision('192.0.2.2', 150, { action: 'permanent', expiresAt: null }));
      const one = await s.decisions({ from: 0, to: 1000, ip: '192.0.2.1' });
      assert.deepEqual(
        one.map((d) => d.at),
        [200, 150, 100],
      );
      const lim = await s.decisions({ from: 0, to: 1000, limit: 2 });
      assert.deepEqual(
        lim.map((d) => [d.at, d.action]),
        [
          [200, 'block'],
          [150, 'unblock'],
        ],
      );
      assert.deepEqual(await s.decisions({ from: 201, to: 300 }), []);
    });
  });

  describe('attack events', () => {
    test('round-trip, half-open range, newest first, limit', async () => {
      const a = anAttack('198.51.100.7', 100.5, { users: [], country: null, userAgent: null });
      await s.recordAttack(a);
      await s.recordAttack(anAttack('198.51.100.8', 300));
      assert.deepEqual(await s.attacks({ from: 100.5, to: 300 }), [a]);
      assert.deepEqual(
        (await s.attacks({ from: 0, to: 301 })).map((x) => x.ip),
        ['198.51.100.8', '198.51.100.7'],
      );
      assert.deepEqual(
        (await s.attacks({ from: 0, to: 301, limit: 1 })).map((x) => x.ip),
        ['198.51.100.8'],
      );
    });

    test('attackSummary aggregates by rule, address, user, country and agent', async () => {
      await s.recordAttack(anAttack('198.51.100.1', 10, { attempts: 5, users: ['100'], country: 'CN' }));
      await s.recordAttack(
        anAttack('198.51.100.1', 20, {
          rule: 'enumeration',
          attempts: 30,
          users: ['101', '100'],
          country: null,
        }),
      );
      await s.recordAttack(
        anAttack('198.51.100.2', 15, {
          rule: 'scanner',
          attempts: 1,
          users: [],
          userAgent: 'friendly-scanner',
        }),
      );
      await s.recordAttack(
        anAttack('203.0.113.9', 30, {
          attempts: 8,
          users: ['205'],
          misconfiguredPhone: true,
          userAgent: 'Yealink',
          country: 'FR',
        }),
      );
      await s.recordAttack(anAttack('198.51.100.3', 100, { attempts: 999 }));
      await s.recordDecision(aDecision('198.51.100.1', 11));
      await s.recordDecision(aDecision('198.51.100.2', 15, { reason: 'scanner' }));
      await s.recordDecision(aDecision('198.51.100.1', 21, { action: 'extend' }));
      await s.recordDecision(
        aDecision('198.51.100.9', 40, { action: 'permanent', reason: 'threshold', expiresAt: null }),
      );
      await s.recordDecision(aDecision('198.51.100.3', 100));

      const sum = await s.attackSummary({ from: 0, to: 100, top: 2, bucketSeconds: 25 });
      assert.equal(sum.attacks, 4);
      assert.equal(sum.attempts, 44);
      assert.deepEqual(sum.attacksByRule, { ...NO_ATTACKS, scanner: 1, 'auth-failures': 2, enumeration: 1 });
      assert.equal(sum.distinctIps, 3);
      assert.deepEqual(sum.topIps[0], {
        ip: '198.51.100.1',
        country: 'CN',
        userAgent: 'sipcli/v1.8',
        users: ['101', '100'],
        attempts: 35,
        events: 2,
        rules: ['auth-failures', 'enumeration'],
        firstAt: 10,
        lastAt: 20,
      });
      assert.deepEqual(
        sum.topIps.map((t) => t.ip),
        ['198.51.100.1', '203.0.113.9'],
      );
      assert.equal(sum.distinctUsers, 3);
      assert.deepEqual(sum.topUsers, [
        { user: '100', events: 2 },
        { user: '101', events: 1 },
      ]);
      assert.deepEqual(sum.topCountries, [
        { country: 'CN', events: 1 },
        { country: 'DE', events: 1 },
      ]);
      assert.deepEqual(sum.topUserAgents, [
        { userAgent: 'sipcli/v1.8', events: 2 },
        { userAgent: 'Yealink', events: 1 },
      ]);
      assert.deepEqual(
        sum.misconfiguredPhones.map((p) => [p.ip, p.users, p.userAgent]),
        [['203.0.113.9', ['205'], 'Yealink']],
      );
      assert.deepEqual(sum.blocksByReason, { 'auth-failures': 1, scanner: 1, threshold: 1 });
      assert.deepEqual(
        sum.newPermanent.map((d) => d.ip),
        ['198.51.100.9'],
      );
      assert.deepEqual(sum.series, [
        { at: 0, attacks: 3 },
        { at: 25, attacks: 1 },
        { at: 50, attacks: 0 },
        { at: 75, attacks: 0 },
      ]);
    });

    test('attackSummary counts attacks without a user agent (null) among the top user agents', async () => {
      await s.recordAttack(anAttack('198.51.100.1', 10, { userAgent: null }));
      await s.recordAttack(anAttack('198.51.100.2', 11, { userAgent: null }));
      await s.recordAttack(anAttack('198.51.100.3', 12, { userAgent: 'friendly-scanner' }));
      const sum = await s.attackSummary({ from: 0, to: 100 });
      assert.deepEqual(sum.topUserAgents, [
        { userAgent: null, events: 2 },
        { userAgent: 'friendly-scanner', events: 1 },
      ]);
    });

    test('attackSummary of an empty range is all zeros', async () => {
      await s.recordAttack(anAttack('198.51.100.1', 10));
      const sum = await s.attackSummary({ from: 11, to: 20 });
      assert.equal(sum.attacks, 0);
      assert.equal(sum.distinctIps, 0);
      assert.deepEqual(sum.topIps, []);
      assert.deepEqual(sum.attacksByRule, NO_ATTACKS);
      assert.deepEqual(sum.blocksByReason, {});
      assert.equal(sum.series, undefined);
    });
  });

  describe('batch commit', () => {
    test('applies blocks, deletions, counts, decisions and attacks together', async () => {
      await s.upsertBlock(aBlock('192.0.2.9'));
      await s.commit({
        blocks: [aBlock('192.0.2.1'), aBlock('192.0.2.2')],
        deleteBlocks: ['192.0.2.9'],
        incrementTimesBlocked: [
          { ip: '192.0.2.1', at: 5 },
          { ip: '192.0.2.1', at: 6 },
        ],
        decisions: [aDecision('192.0.2.1', 5)],
        attacks: [anAttack('192.0.2.1', 5)],
      });
      assert.deepEqual((await s.listBlocks()).map((b) => b.ip).sort(), ['192.0.2.1', '192.0.2.2']);
      assert.equal(await s.timesBlocked('192.0.2.1'), 2);
      assert.equal((await s.decisions({ from: 0, to: 10 })).length, 1);
      assert.equal((await s.attacks({ from: 0, to: 10 })).length, 1);
    });

    test('a bad item rejects the whole batch and applies nothing', async () => {
      const p = s.commit({
        blocks: [aBlock('192.0.2.1')],
        incrementTimesBlocked: [{ ip: '192.0.2.1', at: 5 }],
        decisions: [aDecision('192.0.2.1', 5), aDecision('192.0.2.1', Number.NaN)],
      });
      await assert.rejects(p, (e: unknown) => isSipprotError(e));
      assert.equal(await s.getBlock('192.0.2.1'), null);
      assert.equal(await s.timesBlocked('192.0.2.1'), 0);
      assert.deepEqual(await s.decisions({ from: 0, to: 10 }), []);
    });
  });
}

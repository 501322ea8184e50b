/**
 * Contract part: Store.pageBlocks — the live view's pages of the blocks in force. The order,
 * the keyset and the match are core/block-view.ts's; every adapter gives exactly the rows
 * that definition gives over listBlocks, page after page, whatever the sort.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import {
  BLOCK_SORT_KEYS,
  type BlockFilter,
  type BlockSort,
  blockMatches,
  compareBlocks,
  sortValue,
} from '../core/block-view.js';
import { aBlock } from '../core/records.testkit.js';
import type { BlockRecord } from '../core/types.js';
import type { BlockPageQuery, Store } from '../ports/store.js';
import type { ContractContext } from './store.testkit.js';

const AT = 5000;
const REASONS = ['auth-failures', 'scanner', 'enumeration', 'flood'] as const;

/** 120 blocks with ties on every key, null countries, permanent ones, and 10 already expired. */
function seedBlocks(): BlockRecord[] {
  const out: BlockRecord[] = [];
  for (let i = 0; i < 130; i++) {
    out.push(
      aBlock(i % 9 === 0 ? `2001:db8::${i.toString(16)}` : `192.0.2.${i}`, {
        blockedAt: 4000 + (i % 13),
        expiresAt: i >= 120 ? AT - (i % 2) : i % 11 === 0 ? null : 6000 + (i % 17),
        country: i % 5 === 0 ? null : ['DE', 'NL', 'cn'][i % 3]!,
        reason: REASONS[i % 4]!,
        attempts: i % 6,
        userAgent: i % 7 === 0 ? null : i % 2 ? 'Friendly-Scanner' : 'sipcli/1.8',
        users: i % 8 === 0 ? [] : [`${100 + (i % 10)}`, i % 3 ? 'Alice' : 'bob'],
        misconfiguredPhone: i % 10 === 3,
      }),
    );
  }
  return out;
}

async function allPages(s: Store, q: Omit<BlockPageQuery, 'limit' | 'after'>, limit: number) {
  const rows: BlockRecord[] = [];
  let after: BlockPageQuery['after'];
  for (let n = 0; n < 1000; n++) {
    const page = await s.pageBlocks({ ...q, limit, ...(after ? { after } : {}) });
    assert.ok(page.blocks.length <= limit);
    rows.push(...page.blocks);
    const last = page.blocks.at(-1);
    if (!page.more) return rows;
    assert.ok(last, 'a page with more after it has rows');
    after = { value: sortValue(last, q.sort.key), ip: last.ip };
  }
  throw new Error('paging did not end');
}

export function blockPageContract(ctx: ContractContext): void {
  let s: Store;
  let seeded: BlockRecord[];
  beforeEach(async () => {
    s = ctx.s;
    seeded = seedBlocks();
    await s.commit({ blocks: seeded });
  });
  const expected = (sort: BlockSort, f: BlockFilter = {}) =>
    seeded
      .filter((b) => (b.expiresAt === null || b.expiresAt > AT) && blockMatches(b, f))
      .sort((a, b) => compareBlocks(a, b, sort))
      .map((b) => b.ip);

  describe('pageBlocks', () => {
    test('every key, both directions: pages of 7 give each block in force once, in order', async () => {
      for (const key of BLOCK_SORT_KEYS) {
        for (const dir of ['asc', 'desc'] as const) {
          const rows = await allPages(s, { activeAt: AT, sort: { key, dir } }, 7);
          assert.deepEqual(
            rows.map((b) => b.ip),
            expected({ key, dir }),
            `${key} ${dir}`,
          );
        }
      }
    });

    test('rows are the records as stored; newest first is the default order listBlocks gives', async () => {
      const page = await s.pageBlocks({ activeAt: AT, sort: { key: 'blockedAt', dir: 'desc' }, limit: 500 });
      assert.deepEqual(page.blocks, await s.listBlocks({ activeAt: AT }));
      assert.equal(page.more, false);
      assert.equal(page.counts, null, 'counted only when asked');
    });

    test('a page continues after its keyset even when that row is gone, and shows a later block once', async () => {
      const sort: BlockSort = { key: 'blockedAt', dir: 'desc' };
      const first = await s.pageBlocks({ activeAt: AT, sort, limit: 10 });
      const last = first.blocks.at(-1)!;
      await s.deleteBlock(last.ip);
      // A new block at the top (before the keyset) and one far down (after it).
      await s.commit({
        blocks: [
          aBlock('198.51.100.1', { blockedAt: 4100, expiresAt: null }),
          aBlock('198.51.100.2', { blockedAt: 1, expiresAt: null }),
        ],
      });
      const next = await s.pageBlocks({
        activeAt: AT,
        sort,
        limit: 500,
        after: { value: sortValue(last, 'blockedAt'), ip: last.ip },
      });
      const ips = [...first.blocks.map((b) => b.ip), ...next.blocks.map((b) => b.ip)];
      assert.equal(new Set(ips).size, ips.length, 'no row twice');
      assert.ok(!ips.includes('198.51.100.1'), 'a block before the keyset is not on a later page');
      assert.equal(ips.at(-1), '198.51.100.2');
      const before = expected(sort).filter((ip) => ip !== last.ip);
      assert.deepEqual(
        ips.filter((ip) => ip !== last.ip && !ip.startsWith('198.51.100.')),
        before,
      );
    });

    test('address order: IPv4 by number, then IPv6 by number, both directions, exact pages while blocks come and go', async () => {
      // Text order differs from address order in every neighbour here: "10.0.0.1" < "9.1.1.1",
      // "10.0.3.230" < "10.0.3.99", "2001:db8::10" < "2001:db8::a", "2001:db8:0:1::" < "2001:db8::a:0".
      const want = ['9.1.1.1', '10.0.0.1', '10.0.3.99', '10.0.3.100', '10.0.3.230', '255.255.255.255'];
      const want6 = ['::1', '2001:db8::a', '2001:db8::10', '2001:db8::a:0', '2001:db8:0:1::', 'fe80::1'];
      const late = new Set(['10.0.3.100', '2001:db8::10']);
      const lifted = '10.0.3.230';
      await s.commit({
        blocks: [...want, ...want6]
          .filter((ip) => !late.has(ip))
          .map((ip) => aBlock(ip, { expiresAt: null })),
      });
      const v4 = (ip: string) => ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
      for (const dir of ['asc', 'desc'] as const) {
        const sort: BlockSort = { key: 'ip', dir };
        const first = await s.pageBlocks({ activeAt: AT, sort, limit: 3 });
        const rows = [...first.blocks];
        // While the admin reads page 1: two blocks arrive further down, one further down is lifted.
        await s.commit({ blocks: [...late].map((ip) => aBlock(ip, { expiresAt: null })) });
        await s.deleteBlock(lifted);
        let last = rows.at(-1)!;
        for (let more = first.more; more; ) {
          const page = await s.pageBlocks({
            activeAt: AT,
            sort,
            limit: 4,
            after: { value: last.ip, ip: last.ip },
          });
          rows.push(...page.blocks);
          last = page.blocks.at(-1) ?? last;
          more = page.more;
        }
        const ips = rows.map((b) => b.ip);
        assert.equal(new Set(ips).size, ips.length, `${dir}: no row twice`);
        const order = (dir === 'asc' ? (l: string[]) => l : (l: string[]) => [...l].reverse())([
          ...want.filter((ip) => ip !== lifted),
          ...want6,
        ]);
        assert.deepEqual(
          ips.filter((ip) => order.includes(ip)),
          order,
          `${dir}: IPv4 numerically, then IPv6 numerically`,
        );
        const fours = ips.filter((ip) => !ip.includes(':')).map(v4);
        assert.deepEqual(
          fours,
          [...fours].sort((a, b) => (dir === 'asc' ? a - b : b - a)),
          `${dir}: every IPv4 by number`,
        );
        const family = ips.map((ip) => (ip.includes(':') ? 6 : 4));
        assert.deepEqual(
          family,
          [...family].sort((a, b) => (dir === 'asc' ? a - b : b - a)),
          `${dir}: IPv4 before IPv6`,
        );
        assert.equal(
          ips.length,
          expected(sort).length + want.length + want6.length - 1,
          `${dir}: every block in force once`,
        );
        await s.deleteBlock('10.0.3.100');
        await s.deleteBlock('2001:db8::10');
        await s.commit({ blocks: [aBlock(lifted, { expiresAt: null })] });
      }
    });

    test('search: address, country, user agent, reason, a user name, a reason in words; ASCII case folded', async () => {
      const cases: BlockFilter[] = [
        { text: '192.0.2.1' },
        { text: 'db8::' },
        { text: 'CN' },
        { text: 'friendly' },
        { text: 'SCANNER' },
        { text: 'alice' },
        { text: '10' },
        { text: 'extension', textReasons: ['enumeration'] },
        { text: 'zzz' },
        { text: '","' },
        { phonesOnly: true },
        { text: 'de', phonesOnly: true },
      ];
      for (const filter of cases) {
        const sort: BlockSort = { key: 'attempts', dir: 'desc' };
        const rows = await allPages(s, { activeAt: AT, sort, filter }, 9);
        const want = expected(sort, filter);
        assert.deepEqual(
          rows.map((b) => b.ip),
          want,
          JSON.stringify(filter),
        );
        const { counts } = await s.pageBlocks({ activeAt: AT, sort, filter, limit: 0, count: true });
        assert.equal(counts?.matched, want.length, `matched ${JSON.stringify(filter)}`);
      }
      assert.equal(
        expected({ key: 'ip', dir: 'asc' }, { text: '","' }).length,
        0,
        'no match across two users',
      );
      assert.ok(expected({ key: 'ip', dir: 'asc' }, { text: 'alice' }).length > 10);
    });

    test('counts: blocks in force, matched, phones; limit 0 gives only the counts', async () => {
      const inForce = seeded.filter((b) => b.expiresAt === null || b.expiresAt > AT);
      const page = await s.pageBlocks({
        activeAt: AT,
        sort: { key: 'ip', dir: 'asc' },
        filter: { text: 'NL' },
        limit: 0,
        count: true,
      });
      assert.deepEqual(page.blocks, []);
      assert.deepEqual(page.counts, {
        inForce: inForce.length,
        matched: inForce.filter((b) => b.country === 'NL').length,
        phones: inForce.filter((b) => b.misconfiguredPhone).length,
      });
      assert.equal(inForce.length, 120);
      const none = await s.pageBlocks({
        activeAt: 1e12,
        sort: { key: 'ip', dir: 'asc' },
        limit: 5,
        count: true,
      });
      assert.deepEqual(
        none.blocks.map((b) => b.expiresAt),
        inForce
          .filter((b) => b.expiresAt === null)
          .slice(0, 5)
          .map(() => null),
        'long after: only the permanent ones',
      );
    });
  });
}

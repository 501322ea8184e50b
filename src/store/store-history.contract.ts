import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import type { HistoryEvent, NewHistoryEvent } from '../core/history/events.js';
import { aHistoryEvent } from '../core/history/history.testkit.js';
import type { HistoryFilter, HistoryQuery } from '../core/history/query.js';
import { aBlock } from '../core/records.testkit.js';
import type { Store } from '../ports/store.js';
import { type ContractContext, rejectsWith } from './store.testkit.js';

/** Every page of a query, following `next`; also returns how many pages it took. */
async function allPages(s: Store, q: HistoryQuery): Promise<{ events: HistoryEvent[]; pages: number }> {
  const events: HistoryEvent[] = [];
  let before = q.before;
  for (let pages = 1; pages < 10_000; pages++) {
    const p = await s.history({ ...q, ...(before ? { before } : {}) });
    assert.ok(p.events.length <= q.limit);
    events.push(...p.events);
    if (p.next === null) return { events, pages };
    before = p.next;
  }
  throw new Error('history paging did not end');
}

const subjects = (es: Array<{ subject: string | null }>) => es.map((e) => e.subject);

/** Contract part: the history (issue 16) — append, every filter, keyset paging, bounded walks, prune. */
export function historyContract(ctx: ContractContext): void {
  let s: Store;
  beforeEach(() => {
    s = ctx.s;
  });

  /** A small world: who did what, where, when. */
  const WORLD: NewHistoryEvent[] = [
    aHistoryEvent('192.0.2.1', 100),
    aHistoryEvent('192.0.2.77', 110, {
      country: 'DE',
      userAgent: 'Yealink SIP-T46S',
      users: ['204'],
      misconfiguredPhone: true,
    }),
    aHistoryEvent('2001:db8::5', 120, {
      country: 'CN',
      reason: 'scanner',
      userAgent: 'sipvicious',
      users: [],
    }),
    aHistoryEvent('192.0.2.1', 130, {
      kind: 'unblock',
      reason: 'manual',
      actor: 'web:admin@10.0.0.2',
      renewals: 4,
      lastSeen: 125,
      expiresAt: null,
      samples: [],
    }),
    aHistoryEvent('198.51.100.0/24', 140, {
      kind: 'deny-add',
      reason: null,
      actor: 'cli',
      country: null,
      userAgent: null,
      users: [],
      attempts: 0,
      expiresAt: null,
      samples: [],
      note: 'abuse report',
    }),
    aHistoryEvent(null, 150, {
      kind: 'settings',
      reason: null,
      actor: 'web:admin@10.0.0.2',
      country: null,
      userAgent: null,
      users: [],
      attempts: 0,
      expiresAt: null,
      samples: [],
      note: 'BLOCKTIME=900',
    }),
    aHistoryEvent('198.51.100.9', 160, {
      reason: 'enumeration',
      users: ['100', '101', '102'],
      userAgent: 'FRIENDLY-scanner 2',
    }),
  ];

  describe('history', () => {
    test('round-trips every field, newest first, with increasing ids', async () => {
      await s.recordHistory(WORLD);
      const p = await s.history({ limit: 100 });
      assert.equal(p.next, null);
      assert.deepEqual(
        p.events.map(({ id: _id, ...e }) => e),
        WORLD.slice().reverse(),
      );
      const ids = p.events.map((e) => e.id);
      assert.deepEqual(
        ids,
        ids.slice().sort((a, b) => b - a),
      );
      assert.equal(new Set(ids).size, ids.length);
    });

    test('events are copies in both directions; long texts are bounded', async () => {
      const e = aHistoryEvent('192.0.2.1', 1, {
        samples: ['a', 'b', 'c', 'd', 'e', 'f', 'x'.repeat(500)],
        note: 'n'.repeat(2000),
      });
      await s.recordHistory([e]);
      e.users.push('mutated');
      const [got] = (await s.history({ limit: 1 })).events;
      assert.deepEqual(got?.users, ['100', '101']);
      assert.equal(got?.samples.length, 5, 'at most 5 samples, the newest');
      assert.equal(got?.samples[0], 'c');
      assert.ok((got?.samples[4]?.length ?? 0) <= 160);
      assert.ok((got?.note?.length ?? 0) <= 500);
      got?.users.push('again');
      assert.deepEqual((await s.history({ limit: 1 })).events[0]?.users, ['100', '101']);
    });

    test('every filter alone', async () => {
      await s.recordHistory(WORLD);
      const q = async (f: HistoryFilter) => subjects((await s.history({ limit: 100, ...f })).events);
      assert.deepEqual(await q({ subject: '192.0.2.1' }), ['192.0.2.1', '192.0.2.1']);
      assert.deepEqual(await q({ subject: '198.51.100.0/24' }), ['198.51.100.0/24']);
      assert.deepEqual(await q({ network: '192.0.2.0/24' }), ['192.0.2.1', '192.0.2.77', '192.0.2.1']);
      assert.deepEqual(await q({ network: '198.51.100.0/24' }), ['198.51.100.9', '198.51.100.0/24']);
      assert.deepEqual(await q({ network: '2001:db8::/32' }), ['2001:db8::5']);
      assert.deepEqual(await q({ network: '192.0.2.64/26' }), ['192.0.2.77']);
      assert.deepEqual(await q({ kinds: ['unblock', 'settings'] }), [null, '192.0.2.1']);
      assert.deepEqual(await q({ reason: 'scanner' }), ['2001:db8::5']);
      assert.deepEqual(await q({ country: 'de' }), ['192.0.2.77']);
      assert.deepEqual(await q({ userAgent: 'Friendly-Scanner' }), [
        '198.51.100.9',
        '192.0.2.1',
        '192.0.2.1',
      ]);
      assert.deepEqual(await q({ user: '101' }), ['198.51.100.9', '192.0.2.1', '192.0.2.1']);
      assert.deepEqual(await q({ user: '204' }), ['192.0.2.77']);
      assert.deepEqual(await q({ actor: 'cli' }), ['198.51.100.0/24']);
      assert.deepEqual(await q({ since: 120, until: 150 }), ['198.51.100.0/24', '192.0.2.1', '2001:db8::5']);
      assert.deepEqual(await q({ user: '100', since: 100, until: 160 }), ['192.0.2.1', '192.0.2.1']);
    });

    test('filters combine (every one must hold)', async () => {
      await s.recordHistory(WORLD);
      const q = async (f: HistoryFilter) => subjects((await s.history({ limit: 100, ...f })).events);
      assert.deepEqual(await q({ network: '192.0.2.0/24', kinds: ['block'] }), ['192.0.2.77', '192.0.2.1']);
      assert.deepEqual(await q({ subject: '192.0.2.1', user: '100', until: 125 }), ['192.0.2.1']);
      assert.deepEqual(await q({ country: 'NL', userAgent: 'scanner 2' }), ['198.51.100.9']);
      assert.deepEqual(await q({ reason: 'auth-failures', country: 'CN' }), []);
    });

    test('pages follow one another: together exactly the history, no row twice, ties by id', async () => {
      const many = Array.from({ length: 53 }, (_, i) =>
        aHistoryEvent(`10.0.${i % 3}.${i}`, 1000 + Math.floor(i / 4), { users: [String(i % 5)] }),
      );
      await s.recordHistory(many);
      const all = (await s.history({ limit: 1000 })).events;
      assert.equal(all.length, 53);
      for (const f of [
        {},
        { network: '10.0.1.0/24' },
        { user: '3' },
        { subject: '10.0.2.5' },
        { since: 1003, until: 1010 },
      ]) {
        const want = (await s.history({ limit: 1000, ...f })).events;
        for (const limit of [1, 4, 7]) {
          const got = await allPages(s, { limit, ...f });
          assert.deepEqual(got.events, want, `${JSON.stringify(f)} in pages of ${limit}`);
        }
      }
    });

    test('a rare filter walks at most `scan` rows a page: short pages with a cursor, still exact', async () => {
      // The actor filter has no index: the walk goes through time and checks it per row.
      const many = Array.from({ length: 40 }, (_, i) =>
        aHistoryEvent(`10.1.0.${i}`, 2000 + i, {
          actor: i === 3 || i === 31 ? 'host:pbx2' : 'sipprotd@pbx1',
        }),
      );
      await s.recordHistory(many);
      const first = await s.history({ limit: 10, actor: 'host:pbx2', scan: 5 });
      assert.deepEqual(first.events, [], 'the 5 newest rows hold no match');
      assert.deepEqual(first.next, { at: 2035, id: first.next?.id });
      const got = await allPages(s, { limit: 10, actor: 'host:pbx2', scan: 5 });
      assert.deepEqual(subjects(got.events), ['10.1.0.31', '10.1.0.3']);
      // 8 walks of 5 rows; the 8th was full, so a 9th, empty page says the end.
      assert.equal(got.pages, 9);
    });

    test('a narrow user agent or network drives the walk: its few events come in one page', async () => {
      const many = Array.from({ length: 40 }, (_, i) =>
        aHistoryEvent(`10.2.${i % 2}.${i}`, 3000 + i, {
          userAgent: i === 3 || i === 31 ? 'RareAgent/1' : 'common',
        }),
      );
      await s.recordHistory(many);
      const ua = await s.history({ limit: 10, userAgent: 'rareagent', scan: 5 });
      assert.deepEqual(subjects(ua.events), ['10.2.1.31', '10.2.1.3']);
      assert.equal(ua.next, null);
      const net = await allPages(s, { limit: 3, network: '10.2.1.0/24', scan: 2 });
      assert.deepEqual(
        subjects(net.events),
        many
          .filter((_, i) => i % 2 === 1)
          .map((e) => e.subject)
          .reverse(),
      );
    });

    test('a batch commits its history with the rest, or none of it', async () => {
      await s.commit({ blocks: [aBlock('192.0.2.1')], history: [aHistoryEvent('192.0.2.1', 5)] });
      assert.equal((await s.history({ limit: 10 })).events.length, 1);
      await rejectsWith(
        s.commit({
          blocks: [aBlock('192.0.2.2', { blockedAt: Number.NaN })],
          history: [aHistoryEvent('192.0.2.2', 6)],
        }),
        'SP_ERR_USAGE',
      );
      assert.equal((await s.history({ limit: 10 })).events.length, 1);
    });

    test('prune drops old events and their user rows', async () => {
      await s.recordHistory(WORLD);
      const r = await s.prune({ historyBefore: 125, now: 0 });
      assert.equal(r.history, 3);
      assert.deepEqual(subjects((await s.history({ limit: 100 })).events), [
        '198.51.100.9',
        null,
        '198.51.100.0/24',
        '192.0.2.1',
      ]);
      assert.deepEqual(subjects((await s.history({ limit: 100, user: '204' })).events), []);
    });

    test('bad queries and events are refused with SP_ERR_USAGE', async () => {
      await rejectsWith(s.history({ limit: 10, network: 'not-a-net' }), 'SP_ERR_USAGE');
      await rejectsWith(s.history({ limit: 0 }), 'SP_ERR_USAGE');
      await rejectsWith(s.history({ limit: 1001 }), 'SP_ERR_USAGE');
      await rejectsWith(s.history({ limit: 10, since: Number.NaN }), 'SP_ERR_USAGE');
      await rejectsWith(
        s.recordHistory([aHistoryEvent('192.0.2.1', Number.POSITIVE_INFINITY)]),
        'SP_ERR_USAGE',
      );
      await rejectsWith(
        s.recordHistory([aHistoryEvent('192.0.2.1', 1, { kind: 'nonsense' as NewHistoryEvent['kind'] })]),
        'SP_ERR_USAGE',
      );
      assert.deepEqual((await s.history({ limit: 10 })).events, []);
    });
  });
}

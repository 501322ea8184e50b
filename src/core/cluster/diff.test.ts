import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aBlock } from '../records.testkit.js';
import { diffBlocks, reconcileEntries } from './diff.js';
import type { FleetEntry, HostBlock } from './merge.js';

const v = (at: number, host: string, value = '', removed = false): FleetEntry => ({
  at,
  host,
  removed,
  value,
});
const m = <T>(pairs: Array<[string, T]>) => new Map(pairs);

describe('anti-entropy', () => {
  const cases: Array<{
    name: string;
    local: Array<[string, string]>;
    synced: Array<[string, FleetEntry]>;
    fleet: Array<[string, FleetEntry]> | null;
    set?: Array<[string, string]>;
    remove?: string[];
    publish?: Array<[string, boolean, string]>;
  }> = [
    {
      name: 'in agreement: nothing',
      local: [['a', 'n']],
      synced: [['a', v(1, 'h1', 'n')]],
      fleet: [['a', v(1, 'h1', 'n')]],
    },
    {
      name: 'added elsewhere: applied here',
      local: [],
      synced: [],
      fleet: [['a', v(5, 'h2', 'n')]],
      set: [['a', 'n']],
    },
    {
      name: 'removed elsewhere: removed here',
      local: [['a', 'n']],
      synced: [['a', v(1, 'h1', 'n')]],
      fleet: [['a', v(5, 'h2', '', true)]],
      remove: ['a'],
    },
    {
      name: 'note changed elsewhere',
      local: [['a', 'old']],
      synced: [['a', v(1, 'h1', 'old')]],
      fleet: [['a', v(2, 'h2', 'new')]],
      set: [['a', 'new']],
    },
    {
      name: 'added here (pre-cluster, hand edit, lost write): published',
      local: [['a', 'n']],
      synced: [],
      fleet: [],
      publish: [['a', false, 'n']],
    },
    {
      name: 'removed here while away: published as a removal',
      local: [],
      synced: [['a', v(1, 'h1', 'n')]],
      fleet: [['a', v(1, 'h1', 'n')]],
      publish: [['a', true, '']],
    },
    {
      name: 'both changed: the local change is the later write',
      local: [['a', 'mine']],
      synced: [['a', v(1, 'h1', 'old')]],
      fleet: [['a', v(5, 'h2', 'theirs')]],
      publish: [['a', false, 'mine']],
    },
    {
      name: 'a tombstone for an entry never here: nothing',
      local: [],
      synced: [],
      fleet: [['a', v(5, 'h2', '', true)]],
    },
    {
      name: 'no fleet at hand: local changes against synced',
      local: [
        ['a', 'n'],
        ['b', 'x'],
      ],
      synced: [['a', v(1, 'h1', 'n')]],
      fleet: null,
      publish: [['b', false, 'x']],
    },
  ];
  for (const c of cases) {
    it(`entries: ${c.name}`, () => {
      const r = reconcileEntries(m(c.local), m(c.synced), c.fleet && m(c.fleet), 100, 'h1');
      assert.deepEqual(r.set, c.set ?? []);
      assert.deepEqual(r.remove, c.remove ?? []);
      assert.deepEqual(
        r.publish.map(([k, e]) => [k, e.removed, e.value]),
        c.publish ?? [],
      );
      for (const [, e] of r.publish) assert.deepEqual([e.at, e.host], [100, 'h1']);
      // Applying the result and comparing again finds nothing left to do.
      const local = new Map(c.local);
      for (const [k, val] of r.set) local.set(k, val);
      for (const k of r.remove) local.delete(k);
      const synced = new Map([...c.synced, ...r.synced]);
      const fleet = new Map([...(c.fleet ?? c.synced), ...r.publish]);
      const again = reconcileEntries(local, synced, fleet, 101, 'h1');
      assert.deepEqual([again.set, again.remove, again.publish], [[], [], []]);
    });
  }

  it('entries, fleet first (settings): a joining host takes the fleet value, then its own changes win', () => {
    const join = reconcileEntries(
      m([['HIT_COUNT', '10']]),
      m([]),
      m([['HIT_COUNT', v(5, 'h2', '5')]]),
      100,
      'h1',
      {
        fleetFirst: true,
      },
    );
    assert.deepEqual(join.set, [['HIT_COUNT', '5']]);
    assert.deepEqual(join.publish, []);
    const seed = reconcileEntries(m([['HIT_COUNT', '10']]), m([]), m([]), 100, 'h1', { fleetFirst: true });
    assert.deepEqual(
      seed.publish.map(([k, e]) => [k, e.value]),
      [['HIT_COUNT', '10']],
    );
  });

  it('entries: 100k in agreement compare in one pass', () => {
    const local = new Map<string, string>();
    const synced = new Map<string, FleetEntry>();
    for (let i = 0; i < 100_000; i++) {
      local.set(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, '');
      synced.set(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, v(1, 'h1'));
    }
    const r = reconcileEntries(local, synced, synced, 2, 'h1');
    assert.equal(r.publish.length + r.set.length + r.remove.length, 0);
  });

  it('blocks: each side takes what the other lacks or holds shorter; expired ones are ignored', () => {
    const b = (ip: string, expiresAt: number | null, host = 'h1'): HostBlock => ({
      ...aBlock(ip, { expiresAt }),
      host,
    });
    const local = [b('192.0.2.1', 500), b('192.0.2.2', 900), b('192.0.2.3', 50), b('192.0.2.4', null)];
    const fleet = new Map([
      ['192.0.2.2', b('192.0.2.2', 700, 'h2')],
      ['192.0.2.5', b('192.0.2.5', 800, 'h2')],
      ['192.0.2.6', b('192.0.2.6', 90, 'h2')],
      ['192.0.2.4', b('192.0.2.4', 800, 'h2')],
      ['192.0.2.1', b('192.0.2.1', 600, 'h3')],
    ]);
    const r = diffBlocks(local, fleet, 100);
    assert.deepEqual(r.publish.map((x) => x.ip).sort(), ['192.0.2.2', '192.0.2.4']);
    assert.deepEqual(r.adopt.map((x) => [x.ip, x.expiresAt]).sort(), [
      ['192.0.2.1', 600],
      ['192.0.2.5', 800],
    ]);
  });

  it('blocks the fleet lifted by hand while this host was away are lifted here, never sent back', () => {
    const b = (ip: string, blockedAt: number): HostBlock => ({
      ...aBlock(ip, { blockedAt, expiresAt: 10_000 }),
      host: 'h1',
    });
    const local = [b('192.0.2.1', 1000), b('192.0.2.2', 1050), b('192.0.2.3', 100), b('192.0.2.4', 5000)];
    const r = diffBlocks(local, new Map(), 2000, {
      // .1 unblocked by hand on h2 after its episode began; .2 began after that unblock.
      unblocked: new Map([
        ['192.0.2.1', { at: 1010, host: 'h2' }],
        ['192.0.2.2', { at: 1010, host: 'h2' }],
      ]),
      // .3 is older than the pruned tombstones' horizon and the fleet no longer has it.
      forgotBefore: 500,
    });
    assert.deepEqual(r.lift, [
      { ip: '192.0.2.1', host: 'h2' },
      { ip: '192.0.2.3', host: null },
    ]);
    assert.deepEqual(r.publish.map((x) => x.ip).sort(), ['192.0.2.2', '192.0.2.4']);
  });

  it('entries: one agreed on before the pruned tombstones’ horizon and gone from the fleet is removed here', () => {
    const r = reconcileEntries(
      m([
        ['old', 'n'],
        ['young', 'n'],
      ]),
      m([
        ['old', v(100, 'h1', 'n')],
        ['young', v(900, 'h1', 'n')],
      ]),
      new Map(),
      2000,
      'h9',
      { forgotBefore: 500 },
    );
    assert.deepEqual(r.remove, ['old']);
    assert.deepEqual(r.publish, [], 'nothing resurrected in the fleet');
    assert.deepEqual(r.synced, [['old', v(100, 'h1', '', true)]]);
  });
});

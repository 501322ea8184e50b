/**
 * A new host's join, killed at the worst moments: the fleet's deny list is in its kernel but
 * not yet in its list file (kill -9 right after the kernel load), or in the file but not yet
 * in its journal. The restart must end with the whole list here and the fleet's list intact:
 * before, the journal recorded the fleet's versions before the file held them, and a restart
 * read the entries' absence from the file as a local removal and published it to the fleet.
 * And a fleet entry this host's lock-out guard refuses is kept out here, never retried and
 * never sent back as a removal.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { aListEvent } from '../core/cluster/events.testkit.js';
import type { ListEntry, ListName } from '../core/types.js';
import type { ClusterHost, ListApplied } from '../ports/cluster.js';
import { type Logger, silentLogger } from '../ports/logger.js';
import { FakeClusterBus } from './cluster.fake.js';
import { FakeClusterHost, writeList } from './cluster-host.fake.js';
import { ClusterJournal } from './journal.js';
import { ClusterSync } from './sync.js';

const N = 500;
const nets = Array.from({ length: N }, (_, i) => `100.64.${i >> 7}.${(i & 127) * 2 + 1}`);

/** A host whose list "file" is `lists`; `hang` makes applyList stop where a kill -9 would. */
function hostWith(
  lists: Record<ListName, Map<string, string>>,
  o: { hang?: 'before-file' | 'after-file'; refuse?: Set<string> } = {},
): { host: ClusterHost; kernel: Set<string>; applied: string[][] } {
  const kernel = new Set(lists.deny.keys());
  const applied: string[][] = [];
  const host = new FakeClusterHost(lists, {
    applyList: async (name: ListName, set: ListEntry[], remove: string[]): Promise<ListApplied> => {
      const refused = set.filter((e) => o.refuse?.has(e.network)).map((e) => e.network);
      const ok = set.filter((e) => !o.refuse?.has(e.network));
      applied.push([...set.map((e) => `+${e.network}`), ...remove.map((n) => `-${n}`)]);
      for (const e of ok) kernel.add(e.network);
      if (o.hang === 'before-file') return new Promise(() => undefined);
      writeList(lists, name, ok, remove);
      if (o.hang === 'after-file') return new Promise(() => undefined);
      return { refused: refused.map((n) => [n, null]) };
    },
  });
  return { host, kernel, applied };
}

function syncOf(dir: string, redis: FakeClusterBus, host: ClusterHost, said: string[] = []): ClusterSync {
  const log: Logger = { ...silentLogger, info: (_o, msg) => void said.push(msg ?? '') };
  return new ClusterSync({
    self: 'pbx-d',
    bus: redis.connect(),
    journal: ClusterJournal.open(dir),
    host,
    log,
    clock: () => 2000,
    version: 'test',
    extendStep: 60,
  });
}

async function until(what: string, f: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The fleet's deny list as a new host reads it (present entries only). */
async function fleetDeny(redis: FakeClusterBus): Promise<string[]> {
  const snap = await redis.snapshot();
  return [...snap.fleet.lists.deny].filter(([, e]) => !e.removed).map(([k]) => k);
}

async function fleetWith(): Promise<FakeClusterBus> {
  const redis = new FakeClusterBus();
  const a = redis.connect();
  await a.publish([
    aListEvent(
      'pbx-a',
      'deny',
      'add',
      nets.map((network) => ({ network, note: 'from a' })),
      1000,
    ),
  ]);
  return redis;
}

for (const moment of ['before-file', 'after-file'] as const) {
  test(`a join killed ${moment === 'before-file' ? 'after the kernel load, before the list file' : 'after the list file, before the journal'} loses nothing on restart`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipprot-join-kill-'));
    const redis = await fleetWith();
    const file: Record<ListName, Map<string, string>> = { allow: new Map(), deny: new Map() };
    const first = hostWith(file, { hang: moment });
    const s1 = syncOf(dir, redis, first.host);
    try {
      s1.start();
      await until('the list in the first run’s kernel', () => first.kernel.size === N);
      // kill -9: the run stops where it is (its timers too); nothing more of it runs.
      void s1.stop();
      assert.equal(file.deny.size, moment === 'before-file' ? 0 : N, 'the moment of the kill');

      const second = hostWith(file);
      const s2 = syncOf(dir, redis, second.host);
      try {
        s2.start();
        await until('the whole list in the restarted host’s kernel and file', () => file.deny.size === N);
        await until('the second run in sync', async () => (await s2.status()).lastId !== '0-0');
        assert.equal(second.kernel.size, N);
        assert.deepEqual((await fleetDeny(redis)).sort(), [...nets].sort(), 'the fleet keeps every entry');
        const mine = (await redis.read('0-0', { count: 1000, blockMs: 0 })).filter(
          (e) => e.event?.host === 'pbx-d',
        );
        assert.deepEqual(mine, [], 'the restarted host published nothing (no removal, no echo)');
      } finally {
        await s2.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a fleet deny entry this host’s guard refuses stays out here, is not retried, and stays in the fleet', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-join-refuse-'));
  const redis = await fleetWith();
  const file: Record<ListName, Map<string, string>> = { allow: new Map(), deny: new Map() };
  const admin = nets[7]!;
  const h = hostWith(file, { refuse: new Set([admin]) });
  const said: string[] = [];
  const s = syncOf(dir, redis, h.host, said);
  const resyncs = () => said.filter((m) => m === 'cluster: in sync with the fleet').length;
  try {
    s.start();
    await until('the rest in the file', () => file.deny.size === N - 1);
    assert.equal(file.deny.has(admin), false);
    await until('the first resync', () => resyncs() === 1);
    // A local change meanwhile (the outbox compares the list with what it agreed on).
    s.out.listChanged('deny', 2001);
    redis.setDown(true);
    redis.setDown(false);
    await until('a second resync', () => resyncs() === 2);
    assert.equal(h.applied.filter((a) => a.includes(`+${admin}`)).length, 1, 'offered once, never again');
    assert.ok((await fleetDeny(redis)).includes(admin), 'the fleet keeps it');
    const mine = (await redis.read('0-0', { count: 1000, blockMs: 0 })).filter(
      (e) => e.event?.host === 'pbx-d',
    );
    assert.deepEqual(mine, [], 'nothing sent back');
  } finally {
    await s.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

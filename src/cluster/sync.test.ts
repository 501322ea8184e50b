/**
 * ClusterSync's reader applies a read's entries in runs (sync.ts applyAll): consecutive peer
 * blocks in one adopt, consecutive changes of one list in one list write — with the same
 * outcome as one by one (last writer wins per entry, in stream order), and anything else
 * between them keeps its place in the order.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { aBlockEvent, aListEvent } from '../core/cluster/events.testkit.js';
import type { HostBlock } from '../core/cluster/merge.js';
import { aBlock } from '../core/records.testkit.js';
import type { ListEntry, ListName } from '../core/types.js';
import type { ClusterBus, ClusterHost } from '../ports/cluster.js';
import { silentLogger } from '../ports/logger.js';
import { FakeClusterBus } from './cluster.fake.js';
import { FakeClusterHost, writeList } from './cluster-host.fake.js';
import { ClusterJournal } from './journal.js';
import { ClusterSync } from './sync.js';

function recordingHost(calls: string[]): ClusterHost {
  const host: FakeClusterHost = new FakeClusterHost(undefined, {
    adopt: (blocks: HostBlock[]) => void calls.push(`adopt ${blocks.map((b) => b.ip).join(',')}`),
    unblock: (ip) => void calls.push(`unblock ${ip}`),
    applyList: async (name: ListName, set: ListEntry[], remove: string[]) => {
      writeList(host.lists, name, set, remove);
      calls.push(`${name} +${set.map((e) => `${e.network}=${e.note}`).join(',')} -${remove.join(',')}`);
      return { refused: [] };
    },
  });
  return host;
}

/** This host (pbx-b) on `bus`, with `journal`, its ClusterHost recording into `calls`. */
function syncOn(bus: ClusterBus, journal: ClusterJournal, calls: string[]): ClusterSync {
  return new ClusterSync({
    self: 'pbx-b',
    bus,
    journal,
    host: recordingHost(calls),
    log: silentLogger,
    clock: () => 2000,
    version: 'test',
    extendStep: 60,
  });
}

test('a read applies consecutive peer blocks and one list’s changes as one call each, in stream order', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-cluster2-sync-'));
  const redis = new FakeClusterBus();
  const calls: string[] = [];
  const journal = ClusterJournal.open(dir);
  const sync = syncOn(redis.connect(), journal, calls);
  try {
    sync.start();
    const until = async (f: () => boolean) => {
      const end = Date.now() + 10_000;
      while (!f()) {
        if (Date.now() > end) throw new Error(`timed out; calls: ${calls.join(' | ')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    await until(() => sync.out !== undefined && redis.state() === 'up');
    // Let the first resync (an empty fleet) pass before the fleet publishes.
    await new Promise((r) => setTimeout(r, 200));
    calls.length = 0;
    const deny = (op: 'add' | 'remove', nets: string[], at: number, note = 'n') =>
      aListEvent(
        'pbx-a',
        'deny',
        op,
        nets.map((network) => ({ network, note })),
        at,
      );
    await redis.publish([
      deny('add', ['192.0.2.1', '192.0.2.2'], 1000),
      deny('remove', ['192.0.2.1'], 1001),
      deny('add', ['192.0.2.3'], 1002),
      // An older write of .3 loses, as it would one by one.
      deny('add', ['192.0.2.3'], 999, 'older'),
      aBlockEvent('pbx-a', aBlock('198.51.100.1', { blockedAt: 1000, expiresAt: 5000 })),
      aBlockEvent('pbx-c', aBlock('198.51.100.2', { blockedAt: 1000, expiresAt: 5000 })),
      // Its own block is not adopted again, and does not split the run.
      aBlockEvent('pbx-b', aBlock('198.51.100.3', { blockedAt: 1000, expiresAt: 5000 })),
      aBlockEvent('pbx-a', aBlock('198.51.100.4', { blockedAt: 1000, expiresAt: 5000 })),
      {
        v: 1,
        id: 'pbx-a:u9',
        host: 'pbx-a',
        at: 1003,
        type: 'unblock',
        ip: '198.51.100.1',
        forgetHistory: false,
      },
      deny('add', ['192.0.2.9'], 1004),
    ]);
    await until(() => calls.some((c) => c.includes('192.0.2.9')));
    assert.deepEqual(calls, [
      'deny +192.0.2.2=n,192.0.2.3=n -192.0.2.1',
      'adopt 198.51.100.1,198.51.100.2,198.51.100.4',
      'unblock 198.51.100.1',
      'deny +192.0.2.9=n -',
    ]);
  } finally {
    await sync.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Redis away longer than a read’s block: the reader waits for it, it does not spin the event loop', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-cluster2-down-'));
  const redis = new FakeClusterBus();
  const bus = redis.connect();
  // A bus whose ready() answered at once made the reader a microtask loop: timers and I/O
  // starved, so the test (or the daemon) never ran again. Past SPIN calls the guard brings
  // the bus back itself, so the spin ends and the assertion below can say what happened.
  const SPIN = 200;
  let readyCalls = 0;
  const ready = bus.ready.bind(bus);
  bus.ready = (ms: number) => {
    if (++readyCalls === SPIN) redis.setDown(false);
    return ready(ms);
  };
  const journal = ClusterJournal.open(dir);
  const sync = syncOn(bus, journal, []);
  try {
    sync.start();
    await new Promise((r) => setTimeout(r, 200));
    redis.setDown(true);
    readyCalls = 0;
    // Past a read's block (1 s) and the retry pause (1 s): the reader is asking ready() now.
    await new Promise((r) => setTimeout(r, 3500));
    assert.ok(readyCalls < 10, `ready() asked ${readyCalls} times in 3.5 s while Redis was down`);
  } finally {
    redis.setDown(false);
    await sync.stop();
    journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

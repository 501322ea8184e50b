/**
 * The cluster journal's outbox: the publisher takes this run's events from memory (not read
 * back and re-validated), what an earlier run left is read from disk first, in order, and
 * nothing is lost or sent twice across a restart or an acknowledgement.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { aListEvent } from '../core/cluster/events.testkit.js';
import { ClusterJournal } from './journal.js';

const ev = (i: number) => aListEvent('pbx-a', 'deny', 'add', [{ network: `192.0.2.${i}`, note: `n${i}` }]);
const nets = (xs: Array<{ event: { type: string } }>) =>
  xs.map((x) => (x.event as ReturnType<typeof ev>).entries[0]!.network);

test('the outbox: this run from memory, an earlier run’s leftovers from disk first, in order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sipprot-cluster2-journal-'));
  try {
    let j = ClusterJournal.open(dir);
    const first = [ev(1), ev(2), ev(3)];
    j.append(first);
    const p = j.pending(10);
    assert.equal(p[0]!.event, first[0], 'the very event appended: not read back and decoded');
    assert.deepEqual(nets(p), ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    j.ack(p[0]!.seq);
    assert.deepEqual(nets(j.pending(10)), ['192.0.2.2', '192.0.2.3']);
    assert.equal(j.outboxSize(), 2);
    j.close();

    // A restart (or kill -9): the two left come from disk, before anything new.
    j = ClusterJournal.open(dir);
    j.append([ev(4)]);
    let q = j.pending(2);
    assert.deepEqual(nets(q), ['192.0.2.2', '192.0.2.3']);
    assert.notEqual(q[0]!.event, first[1], 'read from disk');
    j.ack(q.at(-1)!.seq);
    q = j.pending(10);
    assert.deepEqual(nets(q), ['192.0.2.4']);
    j.ack(q[0]!.seq);
    assert.deepEqual(j.pending(10), []);
    assert.equal(j.outboxSize(), 0);
    j.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

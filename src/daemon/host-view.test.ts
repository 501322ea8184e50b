/**
 * The protected set the packet path asks per verdict is rebuilt by the timer's refresh
 * (refreshLater: the /proc files read off the event loop), never on the packet path.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HostFacts } from '../platform/host-facts.js';
import { HostView } from './host-view.js';

test('refreshLater swaps in the new facts; a failing read keeps the facts in force', async () => {
  let facts: HostFacts = {
    own: [{ ip: '192.0.2.2', iface: 'eth0' }],
    resolvers: [],
    gateways: [],
    sshPeers: [],
  };
  let reads = 0;
  let fail = false;
  const view = new HostView(() => {
    reads++;
    if (fail) throw new Error('unreadable');
    return facts;
  });
  view.refresh();
  assert.equal(view.isProtected('203.0.113.9', null), false);
  facts = { ...facts, sshPeers: ['203.0.113.9'] };
  const before = reads;
  assert.equal(view.isProtected('203.0.113.9', null), false, 'the packet path never re-reads');
  assert.equal(reads, before);
  await view.refreshLater();
  assert.equal(view.isProtected('203.0.113.9', null), true);
  fail = true;
  await view.refreshLater();
  assert.equal(view.isProtected('203.0.113.9', null), true, 'kept');
  assert.equal(view.isProtected('192.0.2.2', null), true);
});

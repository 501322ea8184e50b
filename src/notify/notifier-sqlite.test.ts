import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { aDecision } from '../core/records.testkit.js';
import { SqliteStore } from '../store/sqlite-store.js';
import { Notifier } from './notifier.js';
import { notifyConfig } from './notify.testkit.js';
import { SmtpPeer } from './smtp-peer.testkit.js';

const T0 = 1_714_550_400;

test('SQLite: blocks and queued mail survive a restart while SMTP is down', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sipprot-notify-'));
  const probe = await SmtpPeer.start();
  const port = probe.port;
  await probe.close();
  let peer: SmtpPeer | null = null;
  try {
    // First life: a block, the digest is queued, SMTP is down.
    let store = SqliteStore.open(dir);
    await store.addRecipient('admin@pbx.example');
    let n = new Notifier({ config: notifyConfig(port), store, clock: () => T0, hostname: 'pbx1' });
    const d1 = aDecision('203.0.113.30', T0 + 1);
    await store.recordDecision(d1);
    n.onDecisions([d1]);
    await n.tick(T0 + 70);
    assert.equal((await store.getMail(1))?.state, 'pending');
    // A second block arrives, then the process dies before the next digest.
    const d2 = aDecision('203.0.113.31', T0 + 100);
    await store.recordDecision(d2);
    n.onDecisions([d2]);
    await n.stop();
    await store.close();

    // Second life, an hour later, SMTP back up: both notices arrive.
    peer = await SmtpPeer.start({ port });
    store = SqliteStore.open(dir);
    n = new Notifier({ config: notifyConfig(port), store, clock: () => T0 + 4000, hostname: 'pbx1' });
    await n.tick(T0 + 4000);
    await n.tick(T0 + 4005);
    const mails = await peer.waitForMails(2);
    assert.match(mails[0]!.subject, /blocked 203\.0\.113\.30/);
    assert.match(mails[1]!.subject, /blocked 203\.0\.113\.31/);
    assert.equal((await store.getMail(1))?.state, 'sent');
    await n.tick(T0 + 9000);
    assert.equal(peer.mails.length, 2, 'nothing is sent twice');
    await n.stop();
    await store.close();
  } finally {
    await peer?.close();
    await rm(dir, { recursive: true, force: true });
  }
});

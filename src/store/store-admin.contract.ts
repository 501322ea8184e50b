import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { aBlock, aDecision, aMail, anAttack } from '../core/records.testkit.js';
import type { Store } from '../ports/store.js';
import { type ContractContext, rejectsWith, type StoreHarness } from './store.testkit.js';

/** Contract part: recipients, mail outbox, settings, sessions, retention, lifecycle. */
export function adminContract(ctx: ContractContext, opts: { persistent: boolean }): void {
  let s: Store;
  let h: StoreHarness;
  beforeEach(() => {
    ({ s, h } = ctx);
  });
  describe('notification recipients', () => {
    test('add, list in order, update name ignoring case, remove', async () => {
      assert.deepEqual(await s.listRecipients(), []);
      assert.deepEqual(await s.addRecipient('  Ops@Example.com ', 'Ops'), {
        email: 'Ops@Example.com',
        name: 'Ops',
      });
      await s.addRecipient('root@localhost');
      assert.deepEqual(await s.addRecipient('ops@example.com', 'Night shift'), {
        email: 'Ops@Example.com',
        name: 'Night shift',
      });
      assert.deepEqual(await s.listRecipients(), [
        { email: 'Ops@Example.com', name: 'Night shift' },
        { email: 'root@localhost', name: null },
      ]);
      assert.equal(await s.removeRecipient('OPS@example.COM'), true);
      assert.equal(await s.removeRecipient('ops@example.com'), false);
      assert.deepEqual(await s.listRecipients(), [{ email: 'root@localhost', name: null }]);
    });

    test('malformed addresses and names are refused with SP_ERR_ADDRESS_INVALID', async () => {
      const bad = [
        '',
        'ops',
        'ops@',
        '@example.com',
        'a b@example.com',
        'ops@example.com\r\nBcc: x@evil.test',
        '<ops@example.com>',
        'ops@-example.com',
        'ops@example..com',
        `${'a'.repeat(250)}@b.cd`,
      ];
      for (const e of bad) await rejectsWith(s.addRecipient(e), 'SP_ERR_ADDRESS_INVALID');
      await rejectsWith(
        s.addRecipient('ops@example.com', 'Ops\r\nBcc: x@evil.test'),
        'SP_ERR_ADDRESS_INVALID',
      );
      assert.deepEqual(await s.listRecipients(), []);
    });
  });

  describe('mail outbox', () => {
    test('queued mail is due from createdAt, in due order, until sent', async () => {
      const a = await s.enqueueMail(aMail(1000));
      const b = await s.enqueueMail(aMail(900, { kind: 'attack-digest', html: null }));
      assert.ok(b > a, 'ids increase');
      assert.deepEqual(await s.dueMail(899), []);
      assert.deepEqual(
        (await s.dueMail(1000)).map((m) => m.id),
        [b, a],
      );
      assert.deepEqual(
        (await s.dueMail(1000, 1)).map((m) => m.id),
        [b],
      );
      const got = await s.getMail(a);
      assert.deepEqual(got, {
        ...aMail(1000),
        id: a,
        state: 'pending',
        attempts: 0,
        nextAttemptAt: 1000,
        lastAttemptAt: null,
        lastError: null,
        sentAt: null,
      });
      assert.equal(await s.markMailSent(a, 1001), true);
      assert.equal(await s.markMailSent(a, 1002), false);
      assert.deepEqual(
        (await s.dueMail(5000)).map((m) => m.id),
        [b],
      );
      const sent = await s.getMail(a);
      assert.equal(sent?.state, 'sent');
      assert.equal(sent?.sentAt, 1001);
      assert.equal(sent?.nextAttemptAt, null);
    });

    test('a failed attempt is retried at nextAttemptAt; null abandons it', async () => {
      const id = await s.enqueueMail(aMail(1000));
      assert.equal(await s.markMailFailed(id, 1000, 'ECONNREFUSED 127.0.0.1:25', 1060), true);
      assert.deepEqual(await s.dueMail(1059), []);
      const [m] = await s.dueMail(1060);
      assert.equal(m?.attempts, 1);
      assert.equal(m?.lastError, 'ECONNREFUSED 127.0.0.1:25');
      assert.equal(m?.lastAttemptAt, 1000);
      assert.equal(await s.markMailFailed(id, 1060, '550 no such user', null), true);
      assert.deepEqual(await s.dueMail(1e12), []);
      const dead = await s.getMail(id);
      assert.equal(dead?.state, 'abandoned');
      assert.equal(dead?.attempts, 2);
      assert.equal(await s.markMailSent(id, 2000), false);
      assert.equal(await s.markMailFailed(id, 2000, 'x', 3000), false);
      assert.equal(await s.markMailFailed(9999, 2000, 'x', 3000), false);
      assert.equal(await s.getMail(9999), null);
    });

    test('mail without recipients or with a bad one is refused', async () => {
      await rejectsWith(s.enqueueMail(aMail(1000, { to: [] })), 'SP_ERR_USAGE');
      await rejectsWith(
        s.enqueueMail(aMail(1000, { to: ['ok@example.com', 'bad'] })),
        'SP_ERR_ADDRESS_INVALID',
      );
      assert.deepEqual(await s.dueMail(1e12), []);
    });
  });

  describe('settings and sessions', () => {
    test('settings: null when unset, last write wins, null deletes', async () => {
      assert.equal(await s.getSetting('admin.passwordHash'), null);
      await s.setSetting('admin.passwordHash', 'scrypt$1');
      await s.setSetting('admin.passwordHash', 'scrypt$2');
      await s.setSetting('report.lastDaily', '2025-01-02');
      assert.equal(await s.getSetting('admin.passwordHash'), 'scrypt$2');
      await s.setSetting('admin.passwordHash', null);
      assert.equal(await s.getSetting('admin.passwordHash'), null);
      assert.equal(await s.getSetting('report.lastDaily'), '2025-01-02');
    });

    test('sessions live until expiresAt, can be replaced and deleted', async () => {
      await s.createSession('s1', { user: 'admin', csrf: 'abc', n: 1 }, 100);
      assert.deepEqual(await s.getSession('s1', 99.9), { user: 'admin', csrf: 'abc', n: 1 });
      assert.equal(await s.getSession('s1', 100), null);
      await s.createSession('s1', { user: 'admin' }, 200);
      assert.deepEqual(await s.getSession('s1', 150), { user: 'admin' });
      assert.equal(await s.getSession('nope', 0), null);
      assert.equal(await s.deleteSession('s1'), true);
      assert.equal(await s.deleteSession('s1'), false);
      assert.equal(await s.getSession('s1', 150), null);
    });
  });

  describe('retention and lifecycle', () => {
    test('prune drops old history, finished old mail and expired sessions only', async () => {
      await s.recordDecision(aDecision('192.0.2.1', 10));
      await s.recordDecision(aDecision('192.0.2.1', 100));
      await s.recordAttack(anAttack('192.0.2.1', 10));
      await s.recordAttack(anAttack('192.0.2.1', 100));
      const to = ['ops@example.com'];
      const sent = await s.enqueueMail(aMail(5, { to }));
      await s.markMailSent(sent, 6);
      const pending = await s.enqueueMail(aMail(5, { to }));
      await s.createSession('old', {}, 50);
      await s.createSession('new', {}, 500);
      await s.upsertBlock(aBlock('192.0.2.1', { expiresAt: 1 }));
      const r = await s.prune({ historyBefore: 50, now: 60 });
      assert.deepEqual(r, { decisions: 1, attacks: 1, history: 0, mail: 1, webhooks: 0, sessions: 1 });
      assert.deepEqual(
        (await s.decisions({ from: 0, to: 1000 })).map((d) => d.at),
        [100],
      );
      assert.deepEqual(
        (await s.attacks({ from: 0, to: 1000 })).map((a) => a.at),
        [100],
      );
      assert.equal(await s.getMail(sent), null);
      assert.equal((await s.getMail(pending))?.state, 'pending');
      assert.deepEqual(await s.getSession('new', 60), {});
      assert.notEqual(await s.getBlock('192.0.2.1'), null, 'prune leaves blocks to expireBlocks');
    });

    test('check passes on a healthy store', async () => {
      await s.check();
    });

    test('after close every call rejects SP_ERR_STORE; close is idempotent', async () => {
      await s.close();
      await s.close();
      await rejectsWith(s.getBlock('192.0.2.1'), 'SP_ERR_STORE');
      await rejectsWith(s.upsertBlock(aBlock('192.0.2.1')), 'SP_ERR_STORE');
      await rejectsWith(s.check(), 'SP_ERR_STORE');
    });

    // Registered only for persistent adapters: a memory store has nothing to reopen.
    if (!opts.persistent) return;
    test('everything written is there after reopening', async () => {
      assert.ok(h.reopen, 'a persistent adapter must provide reopen');
      await s.upsertBlock(aBlock('192.0.2.1'));
      await s.incrementTimesBlocked('192.0.2.1', 5);
      await s.recordDecision(aDecision('192.0.2.1', 5));
      await s.recordAttack(anAttack('192.0.2.1', 5));
      await s.addRecipient('ops@example.com', 'Ops');
      const id = await s.enqueueMail(aMail(5));
      await s.setSetting('k', 'v');
      await s.createSession('s', { a: 1 }, 100);
      s = await h.reopen();
      assert.deepEqual(await s.getBlock('192.0.2.1'), aBlock('192.0.2.1'));
      assert.equal(await s.timesBlocked('192.0.2.1'), 1);
      assert.deepEqual(await s.decisions({ from: 0, to: 10 }), [aDecision('192.0.2.1', 5)]);
      assert.deepEqual(await s.attacks({ from: 0, to: 10 }), [anAttack('192.0.2.1', 5)]);
      assert.deepEqual(await s.listRecipients(), [{ email: 'ops@example.com', name: 'Ops' }]);
      assert.equal((await s.getMail(id))?.state, 'pending');
      assert.equal(await s.getSetting('k'), 'v');
      assert.deepEqual(await s.getSession('s', 50), { a: 1 });
      const next = await s.enqueueMail(aMail(6));
      assert.ok(next > id, 'mail ids keep increasing across restarts');
    });
  });
}

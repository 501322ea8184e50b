/** Contract part: the webhook outbox (issue 15 item 4), with the mail's life cycle. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NewWebhook } from '../core/records.js';
import { type ContractContext, rejectsWith } from './store.testkit.js';

const aWebhook = (createdAt: number, over: Partial<NewWebhook> = {}): NewWebhook => ({
  target: 'slack:https://hooks.slack.com/services/T0/B0/XXXX',
  kind: 'decisions',
  body: '{"text":"2 addresses blocked"}',
  createdAt,
  ...over,
});

export function webhooksContract(ctx: ContractContext): void {
  describe('webhook outbox', () => {
    test('queued in one batch, due from createdAt in due order, until sent', async () => {
      const s = ctx.s;
      const [a, b] = await s.enqueueWebhooks([
        aWebhook(1000),
        aWebhook(900, { kind: 'alert', target: 'json:http://127.0.0.1:9/x' }),
      ]);
      assert.ok(a !== undefined && b !== undefined && b > a, 'ids increase');
      assert.deepEqual(await s.dueWebhooks(899), []);
      const due = await s.dueWebhooks(1000);
      assert.deepEqual(
        due.map((w) => w.id),
        [b, a],
      );
      assert.deepEqual(due[1], {
        ...aWebhook(1000),
        id: a,
        state: 'pending',
        attempts: 0,
        nextAttemptAt: 1000,
        lastAttemptAt: null,
        lastError: null,
        sentAt: null,
      });
      assert.deepEqual(
        (await s.dueWebhooks(1000, 1)).map((w) => w.id),
        [b],
      );
      assert.deepEqual(await s.pendingCounts(), { mail: 0, webhooks: 2 });
      assert.equal(await s.markWebhookSent(a!, 1001), true);
      assert.equal(await s.markWebhookSent(a!, 1002), false);
      assert.deepEqual(await s.pendingCounts(), { mail: 0, webhooks: 1 });
      assert.deepEqual(
        (await s.dueWebhooks(5000)).map((w) => w.id),
        [b],
      );
    });

    test('a failed attempt is due again at its next time; null abandons it', async () => {
      const s = ctx.s;
      const [id] = await s.enqueueWebhooks([aWebhook(1000)]);
      assert.equal(await s.markWebhookFailed(id!, 1000, 'HTTP 503', 1010), true);
      assert.deepEqual(await s.dueWebhooks(1009), []);
      const [w] = await s.dueWebhooks(1010);
      assert.equal(w?.attempts, 1);
      assert.equal(w?.lastError, 'HTTP 503');
      assert.equal(await s.markWebhookFailed(id!, 1010, 'HTTP 404', null), true);
      assert.deepEqual(await s.dueWebhooks(1e12), []);
      assert.deepEqual(await s.pendingCounts(), { mail: 0, webhooks: 0 });
      assert.equal(await s.markWebhookSent(id!, 2000), false);
      assert.equal(await s.markWebhookFailed(9999, 2000, 'x', 3000), false);
    });

    test('refused: no target, a body over 512 KiB, no time; nothing of the batch is queued', async () => {
      const s = ctx.s;
      await rejectsWith(s.enqueueWebhooks([aWebhook(1), aWebhook(2, { target: '' })]), 'SP_ERR_USAGE');
      await rejectsWith(s.enqueueWebhooks([aWebhook(1, { body: 'x'.repeat(600 * 1024) })]), 'SP_ERR_USAGE');
      await rejectsWith(s.enqueueWebhooks([aWebhook(Number.NaN)]), 'SP_ERR_USAGE');
      assert.deepEqual(await s.dueWebhooks(1e12), []);
    });

    test('prune drops sent and abandoned messages older than the retention, never pending ones', async () => {
      const s = ctx.s;
      const [sent, dead, waiting] = await s.enqueueWebhooks([aWebhook(100), aWebhook(100), aWebhook(100)]);
      await s.markWebhookSent(sent!, 150);
      await s.markWebhookFailed(dead!, 160, 'x', null);
      await s.markWebhookFailed(waiting!, 170, 'x', 10_000);
      const r = await s.prune({ historyBefore: 200, now: 200 });
      assert.equal(r.webhooks, 2);
      assert.deepEqual(
        (await s.dueWebhooks(1e12)).map((w) => w.id),
        [waiting],
      );
    });
  });
}

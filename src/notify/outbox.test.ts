import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SipprotError } from '../core/errors.js';
import { aMail } from '../core/records.testkit.js';
import { FakeStore } from '../store/store.fake.js';
import { backoffSeconds, Outbox } from './outbox.js';
import type { MailTransport, OutgoingMail } from './smtp.js';

const T0 = 1_714_550_400;

/** A transport that fails with `fail()` while it returns an error, and records what it sent. */
function fakeTransport(fail: (m: OutgoingMail) => SipprotError | null) {
  const sent: OutgoingMail[] = [];
  const t: MailTransport = {
    async send(m) {
      const e = fail(m);
      if (e) throw e;
      sent.push(m);
      return { accepted: m.to, rejected: [] };
    },
    async verify() {},
    close() {},
  };
  return { t, sent };
}

const down = () =>
  new SipprotError('SP_ERR_SMTP', 'SMTP connect failed: refused', {
    details: { step: 'connect' },
  });

async function queue(store: FakeStore, subject: string, at = T0): Promise<number> {
  return store.enqueueMail(aMail(at, { kind: 'test', subject, to: ['a@pbx.example'] }));
}

test('backoff: 30 s doubling, capped at one hour', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 8, 20, 1000].map((n) => backoffSeconds(n)),
    [30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600],
  );
});

test('a server outage holds the whole queue, then everything goes out in order', async () => {
  const store = new FakeStore();
  let isDown = true;
  const { t, sent } = fakeTransport(() => (isDown ? down() : null));
  const box = new Outbox({ store, transport: () => t });
  await queue(store, 'one');
  await queue(store, 'two');
  const r1 = await box.flush(T0);
  assert.deepEqual(r1, { sent: 0, failed: 1, abandoned: 0, heldUntil: T0 + 30 });
  // Only the first mail was tried: the second would fail the same way.
  assert.equal((await store.getMail(2))?.attempts, 0);
  assert.deepEqual(await box.flush(T0 + 10), { sent: 0, failed: 0, abandoned: 0, heldUntil: T0 + 30 });
  isDown = false;
  const r2 = await box.flush(T0 + 30);
  assert.equal(r2.sent, 2);
  assert.deepEqual(
    sent.map((m) => m.subject),
    ['one', 'two'],
  );
  assert.equal(box.lastError, null);
});

test('a mail the server refuses does not hold back the others', async () => {
  const store = new FakeStore();
  const { t, sent } = fakeTransport((m) =>
    m.subject === 'bad'
      ? new SipprotError('SP_ERR_SMTP', 'SMTP recipient failed: 550', { details: { step: 'recipient' } })
      : null,
  );
  const box = new Outbox({ store, transport: () => t });
  await queue(store, 'bad');
  await queue(store, 'good');
  const r = await box.flush(T0);
  assert.deepEqual([r.sent, r.failed, r.heldUntil], [1, 1, null]);
  assert.deepEqual(
    sent.map((m) => m.subject),
    ['good'],
  );
  assert.equal((await store.getMail(1))?.nextAttemptAt, T0 + 30);
});

test('a mail still unsent three days after it was queued is abandoned', async () => {
  const store = new FakeStore();
  const { t } = fakeTransport(down);
  const box = new Outbox({ store, transport: () => t });
  await queue(store, 'doomed');
  let now = T0;
  let attempts = 0;
  for (;;) {
    const m = await store.getMail(1);
    if (m?.state !== 'pending') break;
    now = Math.max(now, m.nextAttemptAt ?? now);
    await box.flush(now);
    attempts++;
    assert.ok(attempts < 200, 'gave up eventually');
  }
  const m = await store.getMail(1);
  assert.equal(m?.state, 'abandoned');
  assert.ok(now >= T0 + 3 * 86_400 && now < T0 + 3 * 86_400 + 3600, `abandoned at +${now - T0} s`);
  // 30+60+...+1920 (7 tries, 3810 s) then hourly until three days have passed.
  assert.equal(m?.attempts, 8 + Math.ceil((3 * 86_400 - 3810) / 3600));
  assert.match(m?.lastError ?? '', /refused/);
});

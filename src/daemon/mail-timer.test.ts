/**
 * The mail timer sleeps until the notifier has work (periodic.ts mailTimer, notifier.ts
 * nextDue): a block's digest still goes out when its settling time ends, a failed send is
 * still tried again at its retry time, and between them and after them the timer does not
 * run. Real timers, the daemon's wiring (mailTimer) with a 200 ms gap instead of 5 s, a
 * 1 s digest interval and a 1 s retry. Fails when a block does not wake the timer, or when
 * the timer is not armed for the retry (both then wait for the 60 s bound).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { aDecision } from '../core/records.testkit.js';
import { Notifier } from '../notify/notifier.js';
import { notifyConfig } from '../notify/notify.testkit.js';
import type { MailTransport } from '../notify/smtp.js';
import { FakeStore } from '../store/store.fake.js';
import { mailTimer } from './periodic.js';

const clock = () => Date.now() / 1000;

test('the mail timer runs when a digest or a retry is due, and sleeps otherwise', async () => {
  const store = new FakeStore();
  await store.addRecipient('admin@pbx.example');
  const tries: { at: number; ok: boolean }[] = [];
  const transport: MailTransport = {
    async send(m) {
      const ok = tries.length > 0; // the first send fails: the server is down
      tries.push({ at: clock(), ok });
      if (!ok) throw new Error('connect ECONNREFUSED 127.0.0.1:2525');
      return { accepted: m.to, rejected: [] };
    },
    async verify() {},
    close() {},
  };
  let wake = () => {};
  const notifier = new Notifier({
    config: notifyConfig(2525, { interval: 1, eachAttack: true, daily: false }),
    store,
    clock,
    transport,
    backoff: { firstSeconds: 1, maxSeconds: 1, giveUpAfterSeconds: 3600 },
    wake: () => wake(),
  });
  const timer = mailTimer(
    {
      mail: {
        notifier,
        watchDue: (fn) => {
          wake = fn;
        },
      },
      clock,
    },
    200,
  );
  timer.start();
  try {
    // The first run (0.2 s after the start) finds nothing due; then the timer sleeps.
    await sleep(800);
    const idle = timer.runs;
    assert.ok(idle >= 1, 'the first run happened');
    await sleep(1000);
    assert.equal(timer.runs, idle, 'no run with nothing due');

    const t0 = clock();
    notifier.onDecisions([aDecision('192.0.2.7', t0)]);
    const end = Date.now() + 8000;
    while (!tries.some((t) => t.ok) && Date.now() < end) await sleep(50);
    assert.equal(tries.length, 2, `one failed send and its retry, by 8 s: ${JSON.stringify(tries)}`);
    const first = tries[0]!;
    const retry = tries[1]!;
    // The digest waits for the burst to settle (min(60 s, interval) = 1 s) and no longer.
    assert.ok(
      first.at >= t0 + 0.95 && first.at < t0 + 2.5,
      `first send ${(first.at - t0).toFixed(2)} s after the block`,
    );
    assert.ok(
      retry.at >= first.at + 0.95 && retry.at < first.at + 2.5,
      `retried ${(retry.at - first.at).toFixed(2)} s after the failure (backoff 1 s)`,
    );
    const [mail] = await store.dueMail(Number.MAX_SAFE_INTEGER);
    assert.equal(mail, undefined, 'nothing left queued');
    const busy = timer.runs - idle;
    // The settling end, the retry, and a wake or two: not a run every 200 ms.
    assert.ok(busy <= 5, `${busy} runs for one digest and one retry`);

    const after = timer.runs;
    await sleep(1500);
    assert.equal(timer.runs, after, 'asleep again once the digest is sent');
  } finally {
    timer.stop();
    await notifier.stop();
  }
});

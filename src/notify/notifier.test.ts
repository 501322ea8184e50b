import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { aDecision, aMail } from '../core/records.testkit.js';
import { FakeStore } from '../store/store.fake.js';
import { DIGEST_STATE_KEY } from './digest.js';
import { HTML_MAX_ROWS } from './digest-mail.js';
import { NO_SMTP_MESSAGE } from './mail-status.js';
import { Notifier } from './notifier.js';
import { notifyConfig, nthIp } from './notify.testkit.js';
import { SmtpPeer } from './smtp-peer.testkit.js';

const T0 = 1_714_550_400; // 2024-05-01T08:00:00Z

function clockAt(start: number) {
  const c = { now: start, fn: () => c.now };
  return c;
}

function notifier(store: FakeStore, port: number | null, clock: { fn: () => number }, notify = {}) {
  return new Notifier({ config: notifyConfig(port, notify), store, clock: clock.fn, hostname: 'pbx1' });
}

test('no SMTP configured: a status that says so, and nothing is queued', async () => {
  const store = new FakeStore();
  await store.addRecipient('admin@pbx.example');
  const clock = clockAt(T0);
  const n = notifier(store, null, clock, { daily: true });
  assert.deepEqual(n.status(), { configured: false, message: NO_SMTP_MESSAGE });
  n.onDecisions([aDecision('192.0.2.1', T0)]);
  await store.recordDecision(aDecision('192.0.2.1', T0));
  for (const dt of [0, 3700, 2 * 86_400]) await n.tick(T0 + dt);
  assert.equal(await store.getMail(1), null);
  assert.deepEqual(await store.dueMail(T0 + 10 * 86_400), []);
  await n.stop();
});

describe('attack digest against a real SMTP peer', () => {
  let peer: SmtpPeer;
  before(async () => {
    peer = await SmtpPeer.start();
  });
  after(() => peer.close());

  test('a burst of 10,000 blocks yields one mail listing every address', async () => {
    peer.mails.length = 0;
    const store = new FakeStore();
    await store.addRecipient('admin@pbx.example');
    const clock = clockAt(T0);
    const n = notifier(store, peer.port, clock);
    const burst = Array.from({ length: 10_000 }, (_, i) =>
      aDecision(nthIp(i + 1), T0 + 1 + i / 1000, { reason: 'scanner' }),
    );
    // The daemon commits the decisions, then tells the notifier, in batches as detection runs.
    for (let i = 0; i < burst.length; i += 500) {
      const part = burst.slice(i, i + 500);
      await store.commit({ decisions: part });
      n.onDecisions(part);
      await n.tick(T0 + 1 + i / 1000);
    }
    // Still settling: the burst is not cut into pieces.
    for (let t = T0 + 12; t < T0 + 60; t += 5) await n.tick(t);
    assert.equal(peer.mails.length, 0);
    await n.tick(T0 + 75);
    const [m] = await peer.waitForMails(1);
    await n.tick(T0 + 80);
    await n.tick(T0 + 200);
    assert.equal(peer.mails.length, 1, 'exactly one mail for the burst');
    assert.match(
      m!.subject,
      /^sipprot on pbx1: 10,000 addresses blocked since .*\(scanner 10,000\).*full list/,
    );
    assert.equal(m!.html, null, `no HTML past ${HTML_MAX_ROWS} rows`);
    const text = m!.text ?? '';
    for (const d of burst) assert.ok(text.includes(` ${d.ip} `), `${d.ip} missing from the mail`);
    assert.equal(m!.headers.get('x-sipprot-kind'), 'attack-digest');
    await n.stop();
  });

  test('at most one mail per interval, batching what came in between', async () => {
    peer.mails.length = 0;
    const store = new FakeStore();
    await store.addRecipient('admin@pbx.example');
    const clock = clockAt(T0);
    const n = notifier(store, peer.port, clock, { interval: 600 });
    const first = aDecision('198.51.100.1', T0 + 5, { reason: 'auth-failures', country: 'DE' });
    await store.recordDecision(first);
    n.onDecisions([first]);
    await n.tick(T0 + 70);
    const [m1] = await peer.waitForMails(1);
    assert.equal(m1!.subject, 'sipprot on pbx1: blocked 198.51.100.1 (auth-failures, Germany)');
    assert.match(m1!.html ?? '', /198\.51\.100\.1/);
    // Three more blocks within the interval: no mail until it has passed.
    const more = [
      aDecision('198.51.100.2', T0 + 100),
      aDecision('198.51.100.3', T0 + 200, { action: 'permanent', expiresAt: null, reason: 'threshold' }),
      aDecision('198.51.100.4', T0 + 300, {
        misconfiguredPhone: true,
        users: ['104'],
        reason: 'auth-failures',
      }),
    ];
    for (const d of more) {
      await store.recordDecision(d);
      n.onDecisions([d]);
      await n.tick(d.at + 61);
    }
    // Unblocks and extensions are not news.
    n.onDecisions([
      aDecision('198.51.100.2', T0 + 400, { action: 'unblock', expiresAt: null, reason: 'manual' }),
    ]);
    await n.tick(T0 + 669);
    assert.equal(peer.mails.length, 1);
    await n.tick(T0 + 671);
    const mails = await peer.waitForMails(2);
    const m2 = mails[1]!;
    assert.match(m2.subject, /3 addresses blocked since .*1 permanent/);
    for (const ip of ['198.51.100.2', '198.51.100.3', '198.51.100.4'])
      assert.match(m2.text ?? '', new RegExp(ip));
    assert.doesNotMatch(m2.text ?? '', /198\.51\.100\.1 /);
    assert.match(m2.text ?? '', /phone at 198\.51\.100\.4 keeps failing as user 104/);
    await n.tick(T0 + 5000);
    assert.equal(peer.mails.length, 2, 'nothing new, no mail');
    await n.stop();
  });

  test('blocks noted before a restart are mailed by the next process', async () => {
    peer.mails.length = 0;
    const store = new FakeStore();
    await store.addRecipient('admin@pbx.example');
    const clock = clockAt(T0);
    const n1 = notifier(store, peer.port, clock);
    await n1.tick(T0);
    const d = aDecision('203.0.113.9', T0 + 10);
    await store.recordDecision(d);
    n1.onDecisions([d]);
    await n1.tick(T0 + 20);
    await n1.stop();
    assert.equal(peer.mails.length, 0);
    const n2 = notifier(store, peer.port, clock);
    await n2.tick(T0 + 100);
    const [m] = await peer.waitForMails(1);
    assert.match(m!.subject, /blocked 203\.0\.113\.9/);
    const state = JSON.parse((await store.getSetting(DIGEST_STATE_KEY)) ?? '{}');
    assert.deepEqual(state, { coveredUntil: T0 + 100, lastMailAt: T0 + 100 });
    await n2.stop();
  });

  test('NOTIFY_EACH_ATTACK=no: blocks are not mailed', async () => {
    peer.mails.length = 0;
    const store = new FakeStore();
    await store.addRecipient('admin@pbx.example');
    const n = notifier(store, peer.port, clockAt(T0), { eachAttack: false });
    const d = aDecision('203.0.113.10', T0 + 1);
    await store.recordDecision(d);
    n.onDecisions([d]);
    await n.tick(T0 + 4000);
    assert.equal(await store.getMail(1), null);
    await n.stop();
  });

  test('no recipients: status says so, and old blocks do not flood a later recipient', async () => {
    peer.mails.length = 0;
    const store = new FakeStore();
    const n = notifier(store, peer.port, clockAt(T0));
    const d = aDecision('203.0.113.11', T0 + 1);
    await store.recordDecision(d);
    n.onDecisions([d]);
    await n.tick(T0 + 100);
    assert.match(n.status().message, /^SMTP 127\.0\.0\.1:\d+ \(no TLS\); no recipients/);
    await store.addRecipient('late@pbx.example');
    const d2 = aDecision('203.0.113.12', T0 + 200);
    await store.recordDecision(d2);
    n.onDecisions([d2]);
    await n.tick(T0 + 300);
    const [m] = await peer.waitForMails(1);
    assert.match(m!.subject, /blocked 203\.0\.113\.12/);
    assert.doesNotMatch(m!.text ?? '', /203\.0\.113\.11/);
    await n.stop();
  });
});

test('SMTP down, then up: the queued mail arrives', async () => {
  const probe = await SmtpPeer.start();
  const port = probe.port;
  await probe.close();
  const store = new FakeStore();
  await store.addRecipient('admin@pbx.example');
  const clock = clockAt(T0);
  const n = notifier(store, port, clock);
  const d = aDecision('203.0.113.20', T0 + 1);
  await store.recordDecision(d);
  n.onDecisions([d]);
  await n.tick(T0 + 70);
  const queued = await store.getMail(1);
  assert.equal(queued?.state, 'pending');
  assert.equal(queued?.attempts, 1);
  assert.equal(queued?.nextAttemptAt, T0 + 70 + 30);
  assert.match(queued?.lastError ?? '', /SMTP connect failed: connection to 127\.0\.0\.1:\d+ refused/);
  assert.match(n.status().message, /last delivery failed, retrying: SMTP connect failed/);
  // Still down at the next retry: the wait doubles.
  await n.tick(T0 + 100);
  assert.equal((await store.getMail(1))?.nextAttemptAt, T0 + 100 + 60);
  const peer = await SmtpPeer.start({ port });
  try {
    await n.tick(T0 + 120); // waiting out the backoff: not yet
    assert.equal(peer.mails.length, 0);
    await n.tick(T0 + 160);
    const [m] = await peer.waitForMails(1);
    assert.match(m!.subject, /blocked 203\.0\.113\.20/);
    const sent = await store.getMail(1);
    assert.equal(sent?.state, 'sent');
    assert.equal(sent?.sentAt, T0 + 160);
    assert.doesNotMatch(n.status().message, /failed/);
  } finally {
    await n.stop();
    await peer.close();
  }
});

test('tick never rejects and does not overlap', async () => {
  const store = new FakeStore();
  await store.addRecipient('admin@pbx.example');
  let sends = 0;
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const transport = {
    async send() {
      sends++;
      await gate;
      return { accepted: ['admin@pbx.example'], rejected: [] };
    },
    async verify() {},
    close() {},
  };
  const n = new Notifier({ config: notifyConfig(2525), store, clock: () => T0, transport });
  await store.enqueueMail(aMail(T0, { kind: 'test' }));
  const a = n.tick(T0);
  const b = n.tick(T0 + 1);
  assert.equal(a, b, 'a second tick joins the running one');
  release();
  await a;
  assert.equal(sends, 1);
  await store.close();
  await n.tick(T0 + 2); // the store is closed: logged, not thrown
  await n.stop();
});

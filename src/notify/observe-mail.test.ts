/**
 * OBSERVE mode never reads like protection in a mail (real SMTP peer): the daily report
 * and the attack digest say, first and in the subject, that rules in observe mode detect
 * and do not block, and how many "would block" decisions were not enforced.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { aDecision, anAttack } from '../core/records.testkit.js';
import { FakeStore } from '../store/store.fake.js';
import { localCalendar } from './calendar.js';
import { Notifier } from './notifier.js';
import { notifyConfig } from './notify.testkit.js';
import { SmtpPeer } from './smtp-peer.testkit.js';

process.env.TZ = 'UTC';
const at = (date: string, hhmm: string) => localCalendar.at(date, hhmm);

describe('OBSERVE in the mails (real SMTP peer)', () => {
  let peer: SmtpPeer;
  before(async () => {
    peer = await SmtpPeer.start();
  });
  after(() => peer.close());

  test('OBSERVE=all: the daily report says nothing was blocked and counts the would-blocks', async () => {
    peer.mails.length = 0;
    const store = new FakeStore();
    await store.addRecipient('admin@pbx.example');
    const t = at('2024-05-01', '10:00');
    await store.recordAttack(anAttack('203.0.113.7', t, { rule: 'auth-failures', attempts: 40 }));
    for (const ip of ['203.0.113.7', '203.0.113.8']) {
      await store.recordDecision(
        aDecision(ip, t + 1, { action: 'observe', reason: 'auth-failures', expiresAt: null }),
      );
    }
    let now = at('2024-05-01', '09:00');
    const observe: string[] = ['all'];
    const n = new Notifier({
      config: notifyConfig(peer.port, { daily: true, dailyAt: '00:05', eachAttack: false }),
      store,
      clock: () => now,
      hostname: 'pbx1',
      observe: () => observe,
    });
    await n.tick(now);
    now = at('2024-05-02', '00:06');
    await n.tick(now);
    const [m] = await peer.waitForMails(1);
    assert.match(m!.subject, /^\[OBSERVE MODE\] sipprot on pbx1: 2024-05-01: 1 attack, 0 blocks$/);
    const text = m!.text ?? '';
    assert.match(
      text,
      /^!! OBSERVE MODE: sipprot blocks nothing it detects \(OBSERVE=all\).*2 'would block' decisions in this period were NOT enforced/m,
    );
    assert.ok(text.indexOf('OBSERVE MODE') < text.indexOf('Totals'), 'the banner comes before the numbers');
    assert.match(m!.html ?? '', /<p style="background:#fde8e8[^"]*">OBSERVE MODE: sipprot blocks nothing/);
    await n.stop();
  });

  test("OBSERVE for some rules: the digest of the other rules' blocks names them", async () => {
    peer.mails.length = 0;
    const store = new FakeStore();
    await store.addRecipient('admin@pbx.example');
    let now = 1_714_550_400;
    const n = new Notifier({
      config: notifyConfig(peer.port, { eachAttack: true, interval: 60 }),
      store,
      clock: () => now,
      hostname: 'pbx1',
      observe: () => ['scanner', 'flood'],
    });
    const d = aDecision('198.51.100.9', now + 1);
    await store.commit({ decisions: [d] });
    n.onDecisions([d]);
    now += 120;
    await n.tick(now);
    const [m] = await peer.waitForMails(1);
    assert.match(m!.subject, /^\[OBSERVE MODE\] sipprot on pbx1: blocked 198\.51\.100\.9/);
    assert.match(m!.text ?? '', /^!! OBSERVE MODE for scanner, flood: these rules report and do NOT block/m);
    await n.stop();
  });

  test('without OBSERVE nothing changes', async () => {
    peer.mails.length = 0;
    const store = new FakeStore();
    await store.addRecipient('admin@pbx.example');
    let now = 1_714_550_400;
    const n = new Notifier({
      config: notifyConfig(peer.port, { eachAttack: true, interval: 60 }),
      store,
      clock: () => now,
      hostname: 'pbx1',
    });
    const d = aDecision('198.51.100.9', now + 1);
    await store.commit({ decisions: [d] });
    n.onDecisions([d]);
    now += 120;
    await n.tick(now);
    const [m] = await peer.waitForMails(1);
    assert.doesNotMatch(`${m!.subject}\n${m!.text}`, /OBSERVE/);
    await n.stop();
  });
});

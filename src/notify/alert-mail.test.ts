import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Alert } from '../core/detect/alerts.js';
import { aDecision } from '../core/records.testkit.js';
import { FakeStore } from '../store/store.fake.js';
import { Notifier } from './notifier.js';
import { notifyConfig } from './notify.testkit.js';
import { SmtpPeer } from './smtp-peer.testkit.js';

const T0 = 1_714_550_400;
const breach: Alert = {
  at: T0,
  kind: 'breach',
  ip: '192.0.2.9',
  user: '1099',
  dialled: null,
  failures: 35,
  sources: [],
  userAgent: 'evil\r\nBcc: victim@example.com',
  transport: 'udp',
  port: 5060,
  text: 'possible cracked password: extension 1099, from 192.0.2.9, after 35 failures',
};

describe('the alert mail goes out at once, past the digest throttle (real SMTP peer)', () => {
  let peer: SmtpPeer;
  before(async () => {
    peer = await SmtpPeer.start();
  });
  after(() => peer.close());

  test('a breach right after a digest is mailed at once; the next digest still waits its interval', async () => {
    peer.mails.length = 0;
    const store = new FakeStore();
    await store.addRecipient('admin@pbx.example');
    let now = T0;
    const n = new Notifier({
      config: notifyConfig(peer.port, { eachAttack: true, interval: 3600 }),
      store,
      clock: () => now,
      hostname: 'pbx1',
    });
    const d = aDecision('203.0.113.66', now);
    await store.commit({ decisions: [d] });
    n.onDecisions([d]);
    now += 61;
    await n.tick(now);
    assert.equal(peer.mails.length, 1, 'the digest');
    now += 5;
    await n.alert(breach, 'AU');
    assert.equal(peer.mails.length, 2, 'the alert did not wait for NOTIFY_INTERVAL');
    const mail = peer.mails[1]!;
    assert.match(
      mail.subject,
      /^sipprot on pbx1: ALERT possible cracked password: extension 1099, from 192\.0\.2\.9/,
    );
    assert.match(mail.text ?? '', /Address: {4}192\.0\.2\.9 \(Australia\)/);
    assert.match(mail.text ?? '', /Change the password of the extension now/);
    assert.doesNotMatch(mail.raw ?? '', /^Bcc: victim/m, 'no header injected through the user agent');
    assert.match(mail.text ?? '', /User agent: evil\?\?Bcc: victim@example\.com/);
    await n.stop();
  });

  test('without SMTP nothing is queued; without recipients nothing is sent', async () => {
    const store = new FakeStore();
    const off = new Notifier({ config: notifyConfig(null), store, clock: () => T0, hostname: 'pbx1' });
    await off.alert(breach, null);
    const on = new Notifier({ config: notifyConfig(peer.port), store, clock: () => T0, hostname: 'pbx1' });
    await on.alert(breach, null);
    assert.deepEqual(await store.dueMail(T0 + 1e6), []);
    await off.stop();
    await on.stop();
  });
});

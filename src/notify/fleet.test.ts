/**
 * Cluster mode (issue 14): one daily summary for the fleet and one attack digest per
 * NOTIFY_INTERVAL for the fleet — the host that wins the fleet's lease sends it; the others
 * consume their period silently. Each block in the digest says which host saw it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aDecision } from '../core/records.testkit.js';
import { FakeStore } from '../store/store.fake.js';
import type { FleetGate } from './digest.js';
import { buildDigestMail } from './digest-mail.js';
import { Notifier } from './notifier.js';
import { notifyConfig } from './notify.testkit.js';

const T0 = 1_714_550_400;

/** One lease store shared by the hosts of a fake fleet (what Redis SET NX EX does). */
function fleetLeases(): (host: string) => FleetGate & { claims: string[] } {
  const held = new Map<string, string>();
  return (host) => {
    const claims: string[] = [];
    return {
      claims,
      name: async () => 'the fleet of 3 hosts',
      async claim(job) {
        claims.push(job);
        if (held.has(job)) return false;
        held.set(job, host);
        return true;
      },
    };
  };
}

async function fleetOf(n: number, notify: object) {
  const leases = fleetLeases();
  const clock = { now: T0 };
  const hosts = [];
  for (let i = 0; i < n; i++) {
    const store = new FakeStore();
    await store.addRecipient('noc@example.org');
    const fleet = leases(`pbx-${i}`);
    const sent: string[] = [];
    const notifier = new Notifier({
      config: notifyConfig(2525, notify),
      store,
      clock: () => clock.now,
      hostname: `pbx-${i}`,
      fleet,
      transport: {
        send: async (m: { subject: string }) => {
          sent.push(m.subject);
          return { accepted: ['noc@example.org'], server: 'fake' };
        },
        verify: async () => undefined,
        close: () => undefined,
      } as never,
    });
    hosts.push({ store, notifier, fleet, sent });
  }
  return { hosts, clock };
}

test('the daily summary is queued by one host of the fleet only', async () => {
  const { hosts, clock } = await fleetOf(3, { daily: true, eachAttack: false });
  for (const dt of [0, 86_400 + 600]) {
    clock.now = T0 + dt;
    for (const h of hosts) await h.notifier.tick(clock.now);
  }
  const counts = hosts.map((h) => h.sent.length);
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    1,
    `one summary for the fleet, got ${counts}`,
  );
  for (const h of hosts) assert.ok(h.fleet.claims.some((c) => c.startsWith('daily:')));
  // The summary covers the fleet: its subject names the fleet, not the host that sent it.
  const subject = hosts.flatMap((h) => h.sent)[0]!;
  assert.match(subject, /^sipprot on the fleet of 3 hosts: \d{4}-\d\d-\d\d: /);
  assert.doesNotMatch(subject, /pbx-/);
  for (const h of hosts) await h.notifier.stop();
});

test('a burst of blocks seen by the fleet makes one digest for the fleet per interval', async () => {
  const { hosts, clock } = await fleetOf(3, { daily: false, eachAttack: true, interval: 3600 });
  const ds = [
    aDecision('192.0.2.1', T0 + 1, { host: 'pbx-0' }),
    aDecision('192.0.2.2', T0 + 2, { host: 'pbx-2' }),
  ];
  for (const h of hosts) {
    await h.store.commit({ decisions: ds });
    h.notifier.onDecisions(ds);
  }
  clock.now = T0 + 120;
  for (const h of hosts) await h.notifier.tick(clock.now);
  const counts = hosts.map((h) => h.sent.length);
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    1,
    `one digest for the fleet, got ${counts}`,
  );
  assert.match(hosts.flatMap((h) => h.sent)[0]!, /^sipprot on the fleet of 3 hosts: /);
  for (const h of hosts) await h.notifier.stop();
});

test('each block of a fleet digest says which host saw it', () => {
  const mail = buildDigestMail(
    [aDecision('192.0.2.1', T0, { host: 'pbx-east' }), aDecision('192.0.2.2', T0 + 1, { host: 'pbx-west' })],
    { from: T0, to: T0 + 60, host: 'pbx-east', formatTime: (t) => String(t) },
  );
  assert.match(mail.text, /host/);
  assert.match(mail.text, /192\.0\.2\.1 .*pbx-east/);
  assert.match(mail.text, /192\.0\.2\.2 .*pbx-west/);
  assert.match(mail.html ?? '', /pbx-west/);
  const single = buildDigestMail([aDecision('192.0.2.1', T0)], {
    from: T0,
    to: T0 + 60,
    host: 'pbx',
    formatTime: String,
  });
  assert.doesNotMatch(single.text, / host\b/);
});

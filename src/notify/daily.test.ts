import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { aDecision, anAttack } from '../core/records.testkit.js';
import { FakeStore } from '../store/store.fake.js';
import { localCalendar } from './calendar.js';
import { DAILY_LAST_DATE_KEY, DailySchedule, reportForDay } from './daily.js';
import { Notifier } from './notifier.js';
import { notifyConfig } from './notify.testkit.js';
import { SmtpPeer } from './smtp-peer.testkit.js';

// A zone with DST and an offset from UTC, so "local day" is really tested.
process.env.TZ = 'Europe/Berlin';

/** Epoch seconds of a local time in the test zone. */
function local(date: string, hhmm: string): number {
  return localCalendar.at(date, hhmm);
}

test('the calendar follows local days, DST included', () => {
  assert.equal(local('2024-05-02', '00:00'), Date.UTC(2024, 4, 1, 22, 0) / 1000);
  assert.equal(localCalendar.dateOf(Date.UTC(2024, 4, 1, 21, 59) / 1000), '2024-05-01');
  assert.equal(localCalendar.dateOf(Date.UTC(2024, 4, 1, 22, 0) / 1000), '2024-05-02');
  // The spring-forward day has 23 hours, the autumn one 25.
  assert.equal(local('2024-04-01', '00:00') - local('2024-03-31', '00:00'), 23 * 3600);
  assert.equal(local('2024-10-28', '00:00') - local('2024-10-27', '00:00'), 25 * 3600);
  assert.equal(localCalendar.addDays('2024-03-31', 1), '2024-04-01');
  assert.equal(localCalendar.addDays('2024-03-01', -1), '2024-02-29');
  assert.equal(
    localCalendar.formatTime(local('2024-05-02', '00:05')),
    '2024-05-02 00:05 +02:00',
    'local time with the offset',
  );
});

async function seed(store: FakeStore): Promise<void> {
  // 2024-05-01: a scanner from NL, a brute-forcer from CN, a misconfigured phone.
  const d1 = (hhmm: string) => local('2024-05-01', hhmm);
  await store.recordAttack(
    anAttack('203.0.113.7', d1('03:00'), {
      rule: 'scanner',
      country: 'NL',
      userAgent: 'friendly-scanner',
      attempts: 50,
      users: ['100', '101'],
    }),
  );
  await store.recordAttack(
    anAttack('198.51.100.23', d1('04:00'), {
      rule: 'auth-failures',
      country: 'CN',
      userAgent: 'sipcli/v1.8',
      attempts: 200,
      users: ['200'],
    }),
  );
  await store.recordAttack(
    anAttack('192.0.2.44', d1('09:00'), {
      rule: 'auth-failures',
      country: 'DE',
      userAgent: 'Yealink SIP-T46S',
      attempts: 12,
      users: ['104'],
      misconfiguredPhone: true,
    }),
  );
  await store.recordDecision(aDecision('203.0.113.7', d1('03:00'), { reason: 'scanner', country: 'NL' }));
  await store.recordDecision(
    aDecision('198.51.100.23', d1('04:00'), { reason: 'auth-failures', country: 'CN' }),
  );
  await store.recordDecision(
    aDecision('198.51.100.23', d1('23:30'), {
      action: 'permanent',
      reason: 'threshold',
      expiresAt: null,
      note: 'blocked 5 times',
      country: 'CN',
    }),
  );
  // 2024-05-02: one scanner only.
  await store.recordAttack(
    anAttack('203.0.113.99', local('2024-05-02', '10:00'), { rule: 'scanner', country: 'NL' }),
  );
  await store.recordDecision(
    aDecision('203.0.113.99', local('2024-05-02', '10:00'), { reason: 'scanner', country: 'NL' }),
  );
}

test('reportForDay covers one local day and compares with the day before', async () => {
  const store = new FakeStore();
  await seed(store);
  const r = await reportForDay(store, localCalendar, '2024-05-02', { host: 'pbx1' });
  const totals = Object.fromEntries(r.report.totals.map((t) => [t.key, [t.value, t.previous]]));
  assert.deepEqual(totals.attacks, [1, 3]);
  assert.deepEqual(totals.blocks, [1, 3]);
  assert.deepEqual(totals.permanent, [0, 1]);
  assert.equal(r.report.period.from, local('2024-05-02', '00:00'));
  assert.equal(r.report.period.to, local('2024-05-03', '00:00'));
  assert.equal(r.report.period.partial, false);
  const today = await reportForDay(store, localCalendar, '2024-05-02', { now: local('2024-05-02', '12:00') });
  assert.equal(today.report.period.partial, true);
  assert.match(today.text, /2024-05-02 \(so far\)/);
});

describe('daily summary mail against a real SMTP peer', () => {
  let peer: SmtpPeer;
  before(async () => {
    peer = await SmtpPeer.start();
  });
  after(() => peer.close());

  test('sent once a day at NOTIFY_DAILY_AT, for the previous day; restarts neither skip nor repeat', async () => {
    const store = new FakeStore();
    await store.addRecipient('admin@pbx.example', 'Admin');
    await seed(store);
    const clock = { now: local('2024-05-01', '09:00') };
    const start = () =>
      new Notifier({
        config: notifyConfig(peer.port, { daily: true, eachAttack: false, dailyAt: '00:05' }),
        store,
        clock: () => clock.now,
        hostname: 'pbx1',
      });
    let n = start();
    await n.tick(local('2024-05-01', '09:00'));
    await n.tick(local('2024-05-01', '23:59'));
    await n.tick(local('2024-05-02', '00:04'));
    assert.equal(peer.mails.length, 0, 'nothing before 00:05');

    await n.tick(local('2024-05-02', '00:05'));
    const [m] = await peer.waitForMails(1);
    assert.equal(m!.subject, 'sipprot on pbx1: 2024-05-01: 3 attacks, 3 blocks, 1 misconfigured phone');
    assert.equal(m!.headers.get('x-sipprot-kind'), 'daily-summary');
    const text = m!.text ?? '';
    assert.match(text, /Period: 2024-05-01 00:00 \+02:00 to 2024-05-02 00:00 \+02:00/);
    assert.match(
      text,
      /198\.51\.100\.23 +\| +China \(CN\) +\| +200 +\| +auth-failures +\| +sipcli\/v1\.8 +\| +200/,
    );
    assert.match(
      text,
      /203\.0\.113\.7 +\| +Netherlands \(NL\) +\| +50 +\| +scanner +\| +friendly-scanner +\| +100, 101/,
    );
    assert.match(text, /phone at 192\.0\.2\.44 keeps failing as user 104 — likely a deleted extension/);
    assert.match(text, /New permanent blocks\n {2}\* 198\.51\.100\.23 at 2024-05-01 23:30 .*blocked 5 times/);
    assert.match(text, /Blocks by reason[\s\S]*scanner \(blocked user agent\) +\| +1 +\| +0/);
    assert.doesNotMatch(text, /203\.0\.113\.99/, 'the next day is not in it');
    assert.match(m!.html ?? '', /<td [^>]*>China \(CN\)<\/td>/);

    for (const t of ['00:06', '12:00', '23:59']) await n.tick(local('2024-05-02', t));
    await n.stop();
    n = start(); // restart the same day: no second report
    await n.tick(local('2024-05-02', '13:00'));
    await n.stop();
    assert.equal(peer.mails.length, 1);
    assert.equal(await store.getSetting(DAILY_LAST_DATE_KEY), '2024-05-01');

    // Down over 2024-05-03 00:05 and 2024-05-04 00:05: both missed days are sent on return.
    n = start();
    await n.tick(local('2024-05-04', '09:00'));
    const mails = await peer.waitForMails(3);
    assert.deepEqual(
      mails.slice(1).map((x) => x.subject),
      ['sipprot on pbx1: 2024-05-02: 1 attack, 1 block', 'sipprot on pbx1: 2024-05-03: no attacks'],
    );
    // The 2024-05-02 report compares with 2024-05-01.
    assert.match(mails[1]!.text ?? '', /Attacks detected +\| +1 +\| +3 +\| +-2/);
    await n.tick(local('2024-05-04', '23:00'));
    await n.tick(local('2024-05-05', '00:05'));
    const four = await peer.waitForMails(4);
    assert.match(four[3]!.subject, /2024-05-04: no attacks/);
    await n.stop();
    assert.equal(peer.mails.length, 4);
  });
});

/** A daily schedule on the local calendar, started at `startedAt`. */
function schedule(store: FakeStore, enabled: boolean, at: string, startedAt: number): DailySchedule {
  return new DailySchedule({ store, calendar: localCalendar, enabled, at, startedAt, host: null });
}

test('the report time follows NOTIFY_DAILY_AT; first run does not report days before it', async () => {
  const store = new FakeStore();
  const d = schedule(store, true, '06:30', local('2024-05-10', '07:00'));
  const to = ['a@pbx.example'];
  assert.deepEqual(await d.run(local('2024-05-10', '07:00'), to), []);
  assert.deepEqual(await d.run(local('2024-05-11', '06:29'), to), []);
  const ids = await d.run(local('2024-05-11', '06:30'), to);
  assert.equal(ids.length, 1);
  assert.match((await store.getMail(ids[0]!))?.subject ?? '', /^sipprot: 2024-05-10: no attacks$/);
  assert.equal(d.dueDay(local('2024-05-12', '06:29')), '2024-05-10');
  assert.equal(d.dueDay(local('2024-05-12', '06:30')), '2024-05-11');
});

test('a long outage catches up on at most the last 7 days', async () => {
  const store = new FakeStore();
  await store.setSetting(DAILY_LAST_DATE_KEY, '2024-04-01');
  const d = schedule(store, true, '00:05', local('2024-05-10', '09:00'));
  const ids = await d.run(local('2024-05-10', '09:00'), ['a@pbx.example']);
  const subjects = await Promise.all(ids.map(async (id) => (await store.getMail(id))?.subject));
  assert.deepEqual(
    subjects.map((s) => /(\d{4}-\d\d-\d\d)/.exec(s ?? '')?.[1]),
    ['2024-05-03', '2024-05-04', '2024-05-05', '2024-05-06', '2024-05-07', '2024-05-08', '2024-05-09'],
  );
});

test('NOTIFY_DAILY=no sends nothing and forgets the schedule', async () => {
  const store = new FakeStore();
  await store.setSetting(DAILY_LAST_DATE_KEY, '2024-05-01');
  const d = schedule(store, false, '00:05', local('2024-05-10', '09:00'));
  assert.deepEqual(await d.run(local('2024-05-11', '09:00'), ['a@pbx.example']), []);
  assert.equal(await store.getSetting(DAILY_LAST_DATE_KEY), null);
});
